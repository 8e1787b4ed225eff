"""``ImportLabels``: a whole annotation import as one undoable command.

Built from the project's own ``AddClass`` and ``SetLabel`` commands inside a ``CommandGroup``,
so undo and redo behave exactly like hand-made edits (same ids after redo, earlier labels on the
same clips restored on undo). The group can only be built when the command first runs, because
``SetLabel`` needs the ids of classes the import itself creates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from model.project.commands import AddClass, Command, CommandGroup, SetLabel, Touched

if TYPE_CHECKING:
    from model.annotations.importer import ImportPlan
    from model.project import Project


class ImportLabels:
    """Creates the plan's new classes (those allowed) and sets its clip labels, in one step."""

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
        self.written = 0
        self._group: CommandGroup | None = None

    def do(self, project: Project) -> None:
        if self._group is not None:  # redo: replay the very same edits
            self._group.do(project)
            return
        with project.transaction():
            commands = self._add_classes(project)
            commands += self._set_labels(project)
        self._group = CommandGroup(self.text, commands)
        self.written = sum(isinstance(c, SetLabel) for c in commands)
        self.text = f"Import {self.written} labels"
        self._group.text = self.text

    def undo(self, project: Project) -> None:
        if self._group is not None:
            self._group.undo(project)

    def recordings_touched(self) -> Touched:
        return frozenset() if self._group is None else self._group.recordings_touched()

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
