"""Label and class edits as command objects with do/undo, and a Qt-free undo stack.

The GUI wraps ``UndoStack`` (subscribing to its changes) and the tests drive it directly, so the
same undo logic is exercised by both. Each command snapshots what it replaces when it runs, so
undo restores exactly that, ids included: later commands on the stack that name a label or class
by id keep working after any undo/redo sequence.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from model.project.records import Box, Label, LabelClass, LabelState

if TYPE_CHECKING:
    from model.project.store import Project


@runtime_checkable
class Command(Protocol):
    text: str

    def do(self, project: Project) -> None: ...

    def undo(self, project: Project) -> None: ...


Touched = frozenset[int] | None  # recordings whose labels a command changed; None: unknown


def touched_recordings(command: Command) -> Touched:
    """Recordings whose labels ``command`` changed, so a view updates those rows only.

    A command that does not say (``recordings_touched`` missing) may have changed any: None.
    """
    method = getattr(command, "recordings_touched", None)
    return None if method is None else method()


def sites_touched(command: Command) -> frozenset[int]:
    """Recordings whose site ``command`` changed (``model.project.site_commands``)."""
    method = getattr(command, "sites_touched", None)
    return frozenset() if method is None else frozenset(method())


#: (class id, state) -> number of clip labels; (class id, BOXES) -> number of boxes
Tally = Counter[tuple[int, str]]
BOXES = "boxes"  # the tally's key for a class's time-frequency boxes (any state)


def label_delta(command: Command) -> Tally | None:
    """How the last ``do`` of ``command`` changed the number of labels per class and state,
    so a view keeps project-wide counts without recounting; None: it does not say."""
    method = getattr(command, "label_delta", None)
    return None if method is None else method()


def _fmt(seconds: float) -> str:
    return f"{seconds:.3f}".rstrip("0").rstrip(".")


class SetLabel:
    """Set one class's state on one clip; undo brings back what was there (or nothing)."""

    def __init__(
        self,
        recording_id: int,
        start: float,
        end: float,
        class_id: int,
        state: LabelState | str,
        author: str | None = None,
        note: str = "",
    ) -> None:
        self.recording_id, self.start, self.end = recording_id, start, end
        self.class_id, self.state = class_id, LabelState(state)
        self.author, self.note = author, note
        self.text = f"Label {_fmt(start)}–{_fmt(end)} s {self.state.value}"
        self.previous: Label | None = None
        self.result: Label | None = None

    def do(self, project: Project) -> None:
        with project.transaction():
            # Everything that can fail is read before the write: a failure then leaves nothing.
            name = project.label_class(self.class_id).name
            self.previous = project.label_at(self.recording_id, self.start, self.end, self.class_id)
            if self.result is None:
                self.result = project.put_label(
                    self.recording_id, self.start, self.end, self.class_id, self.state,
                    self.author, self.note,
                )  # fmt: skip
            else:  # redo: the very same label, same id and time stamp
                project.restore_label(self.result)
        self.text = f"Label {_fmt(self.start)}–{_fmt(self.end)} s {name} {self.state.value}"

    def undo(self, project: Project) -> None:
        with project.transaction():
            if self.previous is not None:
                project.restore_label(self.previous)
            elif self.result is not None:
                project.delete_label(self.result.id)

    def recordings_touched(self) -> Touched:
        return frozenset({self.recording_id})

    def label_delta(self) -> Tally:
        delta: Tally = Counter({(self.class_id, self.state.value): 1})
        if self.previous is not None:
            delta[(self.previous.class_id, self.previous.state.value)] -= 1
        return delta


class DeleteLabel:
    def __init__(self, label_id: int) -> None:
        self.label_id = label_id
        self.text = "Delete label"
        self.deleted: Label | None = None

    def do(self, project: Project) -> None:
        label = project.label(self.label_id)
        if label is None:
            return
        self.deleted = label
        project.delete_label(self.label_id)
        self.text = f"Delete label {_fmt(label.start)}–{_fmt(label.end)} s"

    def undo(self, project: Project) -> None:
        if self.deleted is not None:
            project.restore_label(self.deleted)

    def recordings_touched(self) -> Touched:
        return frozenset() if self.deleted is None else frozenset({self.deleted.recording_id})

    def label_delta(self) -> Tally:
        if self.deleted is None:
            return Counter()
        return Counter({(self.deleted.class_id, self.deleted.state.value): -1})


class AddClass:
    def __init__(self, name: str, colour: str | None = None, shortcut: str | None = None) -> None:
        self.name, self.colour, self.shortcut = name, colour, shortcut
        self.text = f'Add class "{name}"'
        self.created: LabelClass | None = None

    def do(self, project: Project) -> None:
        if self.created is None:
            self.created = project.add_class(self.name, self.colour, self.shortcut)
        else:
            project.restore_class(self.created)

    def undo(self, project: Project) -> None:
        if self.created is not None:
            project.delete_class(self.created.id)

    def recordings_touched(self) -> Touched:
        return frozenset()  # a new class has no labels yet

    def label_delta(self) -> Tally:
        return Counter()


class _ClassChange:
    """Change one attribute of a class, remembering the old value."""

    field = ""

    def __init__(self, class_id: int, value: str | None) -> None:
        self.class_id, self.value = class_id, value
        self.old: LabelClass | None = None
        self.text = f"Change class {self.field}"

    def _apply(self, project: Project, value: str | None) -> None:
        project.update_class(self.class_id, **{self.field: value})

    def do(self, project: Project) -> None:
        self.old = project.label_class(self.class_id)
        self._apply(project, self.value)

    def undo(self, project: Project) -> None:
        if self.old is not None:
            self._apply(project, getattr(self.old, self.field))

    def recordings_touched(self) -> Touched:
        return frozenset()  # name, colour or key: no label changes

    def label_delta(self) -> Tally:
        return Counter()


class RenameClass(_ClassChange):
    field = "name"

    def __init__(self, class_id: int, name: str) -> None:
        super().__init__(class_id, name)
        self.text = f'Rename class to "{name}"'


class SetClassColour(_ClassChange):
    field = "colour"

    def __init__(self, class_id: int, colour: str) -> None:
        super().__init__(class_id, colour)
        self.text = "Change class colour"


class SetClassShortcut(_ClassChange):
    field = "shortcut"

    def __init__(self, class_id: int, key: str | None) -> None:
        super().__init__(class_id, key)
        self.text = f"Set class key {key!r}" if key else "Remove class key"


class DeleteClass:
    """Delete a class with its labels and boxes; undo brings all back with their ids."""

    def __init__(self, class_id: int) -> None:
        self.class_id = class_id
        self.text = "Delete class"
        self.deleted: LabelClass | None = None
        self.labels: list[Label] = []
        self.boxes: list[Box] = []

    def do(self, project: Project) -> None:
        with project.transaction():
            self.deleted = project.label_class(self.class_id)
            self.labels = project.labels(class_id=self.class_id)
            self.boxes = project.boxes(class_id=self.class_id)
            project.delete_class(self.class_id)
        boxes = f", {len(self.boxes)} boxes" if self.boxes else ""
        self.text = f'Delete class "{self.deleted.name}" ({len(self.labels)} labels{boxes})'

    def undo(self, project: Project) -> None:
        if self.deleted is None:
            return
        with project.transaction():
            project.restore_class(self.deleted)
            for label in self.labels:
                project.restore_label(label)
            for box in self.boxes:
                project.restore_box(box)

    def recordings_touched(self) -> Touched:
        return frozenset(la.recording_id for la in self.labels) | frozenset(
            box.recording_id for box in self.boxes
        )

    def label_delta(self) -> Tally:
        delta: Tally = Counter()
        for label in self.labels:
            delta[(label.class_id, label.state.value)] -= 1
        if self.boxes:
            delta[(self.class_id, BOXES)] -= len(self.boxes)
        return delta


class CommandGroup:
    """Several commands as one undo step (bulk accept/reject); all in one transaction."""

    def __init__(self, text: str, commands: Sequence[Command]) -> None:
        self.text = text
        self.commands = list(commands)

    def do(self, project: Project) -> None:
        with project.transaction():
            for command in self.commands:
                command.do(project)

    def undo(self, project: Project) -> None:
        with project.transaction():
            for command in reversed(self.commands):
                command.undo(project)

    def recordings_touched(self) -> Touched:
        touched: set[int] = set()
        for command in self.commands:
            part = touched_recordings(command)
            if part is None:
                return None
            touched |= part
        return frozenset(touched)

    def sites_touched(self) -> frozenset[int]:
        return frozenset().union(*(sites_touched(command) for command in self.commands))

    def label_delta(self) -> Tally | None:
        delta: Tally = Counter()
        for command in self.commands:
            part = label_delta(command)
            if part is None:
                return None
            delta.update(part)
        return delta


class UndoStack:
    """Undo/redo history of one open project; ``subscribe`` to hear about every change."""

    def __init__(self, project: Project, limit: int = 1000) -> None:
        self.project = project
        self.limit = limit
        self._undo: list[Command] = []
        self._redo: list[Command] = []
        self._listeners: list[Callable[[], None]] = []
        # What the latest push/undo/redo changed, for listeners that update only those rows.
        self.last_touched: Touched = frozenset()
        # How the latest push/undo/redo changed the label counts (None: unknown, recount).
        self.last_delta: Tally | None = Counter()
        # Recordings whose site the latest push/undo/redo changed (the list redraws those).
        self.last_sites: frozenset[int] = frozenset()

    def push(self, cmd: Command) -> None:
        """Runs the command; if it raises, nothing is recorded (and the project is unchanged)."""
        cmd.do(self.project)
        self._undo.append(cmd)
        del self._undo[: max(0, len(self._undo) - self.limit)]
        self._redo.clear()
        self._changed(touched_recordings(cmd), label_delta(cmd), sites_touched(cmd))

    def undo(self) -> Command | None:
        if not self._undo:
            return None
        cmd = self._undo.pop()
        try:
            cmd.undo(self.project)
        except Exception:
            self._undo.append(cmd)
            raise
        self._redo.append(cmd)
        delta = label_delta(cmd)
        negated = None if delta is None else _negated(delta)
        self._changed(touched_recordings(cmd), negated, sites_touched(cmd))
        return cmd

    def redo(self) -> Command | None:
        if not self._redo:
            return None
        cmd = self._redo.pop()
        try:
            cmd.do(self.project)
        except Exception:
            self._redo.append(cmd)
            raise
        self._undo.append(cmd)
        self._changed(touched_recordings(cmd), label_delta(cmd), sites_touched(cmd))
        return cmd

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_text(self) -> str:
        return self._undo[-1].text if self._undo else ""

    @property
    def redo_text(self) -> str:
        return self._redo[-1].text if self._redo else ""

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Calls ``callback()`` after every push/undo/redo/clear; returns an unsubscribe."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()
        self._changed(frozenset(), Counter())

    def _changed(
        self, touched: Touched, delta: Tally | None, sites: frozenset[int] = frozenset()
    ) -> None:
        self.last_touched = touched
        self.last_delta = delta
        self.last_sites = sites
        for callback in list(self._listeners):
            callback()


def _negated(delta: Tally) -> Tally:
    return Counter({key: -n for key, n in delta.items()})
