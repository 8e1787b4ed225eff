"""Box edits as command objects with do/undo, for the same ``UndoStack`` as label edits.

Like the label commands, each one snapshots the box it replaces when it runs and restores that
very row (same id, same time stamp) on undo, so later commands that name the box by id keep
working after any sequence of undo and redo. Clip labels derived from boxes for training are
never stored (``model.annotations.box_rule``), so there is nothing else to keep in step.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from model.project.commands import BOXES
from model.project.records import Box, LabelState

if TYPE_CHECKING:
    from model.project.commands import Tally, Touched
    from model.project.store import Project


def _fmt(seconds: float) -> str:
    return f"{seconds:.2f}".rstrip("0").rstrip(".")


def band_text(low_hz: float, high_hz: float) -> str:
    """``3.1–5.6 kHz`` (``200–900 Hz`` below 1 kHz): a box's band as people read it."""
    if high_hz >= 1000:
        return f"{low_hz / 1000:.1f}–{high_hz / 1000:.1f} kHz"
    return f"{low_hz:.0f}–{high_hz:.0f} Hz"


def describe_box(box: Box, class_name: str) -> str:
    """``Great tit present 1.2–2.4 s, 3.1–5.6 kHz``: for undo texts and the status bar."""
    return (
        f"{class_name} {box.state.value} {_fmt(box.start)}–{_fmt(box.end)} s, "
        f"{band_text(box.low_hz, box.high_hz)}"
    )


class AddBox:
    """Draws (or imports) one box; undo removes it, redo puts back the very same row."""

    def __init__(
        self,
        recording_id: int,
        start: float,
        end: float,
        low_hz: float,
        high_hz: float,
        class_id: int,
        state: LabelState | str = LabelState.PRESENT,
        author: str | None = None,
        note: str = "",
    ) -> None:
        self.args = (recording_id, start, end, low_hz, high_hz, class_id, LabelState(state))
        self.author, self.note = author, note
        self.text = "Add box"
        self.result: Box | None = None

    def do(self, project: Project) -> None:
        if self.result is None:
            self.result = project.add_box(*self.args, author=self.author, note=self.note)
        else:
            project.restore_box(self.result)
        name = project.label_class(self.result.class_id).name
        self.text = f"Box {describe_box(self.result, name)}"

    def undo(self, project: Project) -> None:
        if self.result is not None:
            project.delete_box(self.result.id)

    def recordings_touched(self) -> Touched:
        return frozenset({self.args[0]})

    def label_delta(self) -> Tally:
        """One more box of its class (the labels' counts stay: a box is not a clip label)."""
        return Counter() if self.result is None else Counter({(self.result.class_id, BOXES): 1})


class EditBox:
    """Moves, resizes or relabels one box; ``None`` keeps a field as it is."""

    def __init__(
        self,
        box_id: int,
        *,
        start: float | None = None,
        end: float | None = None,
        low_hz: float | None = None,
        high_hz: float | None = None,
        class_id: int | None = None,
        state: LabelState | str | None = None,
    ) -> None:
        self.box_id = box_id
        self.changes = {
            "start": start, "end": end, "low_hz": low_hz, "high_hz": high_hz,
            "class_id": class_id, "state": None if state is None else LabelState(state),
        }  # fmt: skip
        geometry = any(self.changes[k] is not None for k in ("start", "end", "low_hz", "high_hz"))
        self.text = "Move box" if geometry else "Relabel box"
        self.before: Box | None = None
        self.after: Box | None = None

    def do(self, project: Project) -> None:
        if self.after is not None:  # redo: the very row the first run made
            project.restore_box(self.after)
            return
        with project.transaction():
            self.before = project.box(self.box_id)
            self.after = project.update_box(self.box_id, **self.changes)  # type: ignore[arg-type]
        name = project.label_class(self.after.class_id).name
        verb = "Relabel" if self.text.startswith("Relabel") else "Move"
        self.text = f"{verb} box to {describe_box(self.after, name)}"

    def undo(self, project: Project) -> None:
        if self.before is not None:
            project.restore_box(self.before)

    def recordings_touched(self) -> Touched:
        return frozenset() if self.before is None else frozenset({self.before.recording_id})

    def label_delta(self) -> Tally:
        delta: Tally = Counter()
        if self.before is not None and self.after is not None:  # a relabel moves it
            delta[(self.before.class_id, BOXES)] -= 1
            delta[(self.after.class_id, BOXES)] += 1
        return delta


class DeleteBox:
    def __init__(self, box_id: int) -> None:
        self.box_id = box_id
        self.text = "Delete box"
        self.deleted: Box | None = None

    def do(self, project: Project) -> None:
        box = project.box(self.box_id)
        if box is None:
            return
        self.deleted = box
        project.delete_box(self.box_id)
        self.text = f"Delete box {describe_box(box, project.label_class(box.class_id).name)}"

    def undo(self, project: Project) -> None:
        if self.deleted is not None:
            project.restore_box(self.deleted)

    def recordings_touched(self) -> Touched:
        return frozenset() if self.deleted is None else frozenset({self.deleted.recording_id})

    def label_delta(self) -> Tally:
        return Counter() if self.deleted is None else Counter({(self.deleted.class_id, BOXES): -1})
