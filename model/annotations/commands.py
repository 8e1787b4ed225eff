"""``ImportLabels``: a whole annotation import as one undoable command.

Built from the project's own ``AddClass``, ``SetLabel`` and ``AddBox`` commands inside a
``CommandGroup``, so undo and redo behave exactly like hand-made edits (same ids after redo,
earlier labels on the same clips restored on undo). A box identical to one already in the
project (same recording, times, band and class) is not added twice: importing a table again
only updates its state (unless labels already there are kept). The group can only be built
when the command first runs, because ``SetLabel`` and ``AddBox`` need the ids of classes the
import itself creates.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from model.project.box_commands import AddBox, EditBox
from model.project.commands import AddClass, Command, CommandGroup, SetLabel, Tally, Touched

if TYPE_CHECKING:
    from model.annotations.importer import ImportPlan
    from model.project import Project


class ImportLabels:
    """Creates the plan's new classes (those allowed), sets its clip labels and adds its boxes,
    in one step."""

    def __init__(
        self,
        plan: ImportPlan,
        *,
        create_classes: bool | set[str] = True,
        author: str = "import",
        overwrite: bool = True,
    ) -> None:
        self.plan = plan
        self.create_classes = create_classes
        self.author = author
        self.overwrite = overwrite
        self.text = f"Import {len(plan.labels)} labels"
        self.written = 0  # clip labels set
        self.boxes_written = 0  # boxes added or updated
        self._group: CommandGroup | None = None

    def do(self, project: Project) -> None:
        if self._group is not None:  # redo: replay the very same edits
            self._group.do(project)
            return
        with project.transaction():
            commands = self._add_classes(project)
            commands += self._set_labels(project)
            commands += self._add_boxes(project)
        self._group = CommandGroup(self.text, commands)
        self.written = sum(isinstance(c, SetLabel) for c in commands)
        self.boxes_written = sum(isinstance(c, AddBox | EditBox) for c in commands)
        boxes = f" and {self.boxes_written} boxes" if self.boxes_written else ""
        self.text = f"Import {self.written} labels{boxes}"
        self._group.text = self.text

    def undo(self, project: Project) -> None:
        if self._group is not None:
            self._group.undo(project)

    def recordings_touched(self) -> Touched:
        return frozenset() if self._group is None else self._group.recordings_touched()

    def label_delta(self) -> Tally | None:
        return Counter() if self._group is None else self._group.label_delta()

    def _wanted(self, name: str) -> bool:
        if isinstance(self.create_classes, bool):
            return self.create_classes
        return name in self.create_classes

    def _add_classes(self, project: Project) -> list[Command]:
        existing = {c.name.lower() for c in project.classes()}
        commands: list[Command] = []
        for name in self.plan.new_class_names:
            if name.lower() in existing or not self._wanted(name):
                continue
            command = AddClass(name)
            command.do(project)
            existing.add(name.lower())
            commands.append(command)
        return commands

    def _set_labels(self, project: Project) -> list[Command]:
        ids = {c.name.lower(): c.id for c in project.classes()}
        commands: list[Command] = []
        for recording_id, start, end, name, state in self.plan.labels:
            class_id = ids.get(name.lower())
            if class_id is None:
                continue  # a new class the user chose not to create
            if not self.overwrite and project.label_at(recording_id, start, end, class_id):
                continue
            command = SetLabel(recording_id, start, end, class_id, state, self.author)
            command.do(project)
            commands.append(command)
        return commands

    def _add_boxes(self, project: Project) -> list[Command]:
        if not self.plan.boxes:
            return []
        ids = {c.name.lower(): c.id for c in project.classes()}
        there = {
            (b.recording_id, b.start, b.end, b.low_hz, b.high_hz, b.class_id): b
            for b in project.boxes()
        }
        commands: list[Command] = []
        for recording_id, start, end, low, high, name, state in self.plan.boxes:
            class_id = ids.get(name.lower())
            if class_id is None:
                continue  # a new class the user chose not to create
            same = there.get((recording_id, start, end, low, high, class_id))
            command: Command
            if same is None:
                command = AddBox(recording_id, start, end, low, high, class_id, state, self.author)
            elif self.overwrite and same.state != state:
                command = EditBox(same.id, state=state)
            else:
                continue
            command.do(project)
            commands.append(command)
        return commands
