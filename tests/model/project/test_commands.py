"""Undo/redo of label and class edits through the Qt-free UndoStack."""

from __future__ import annotations

import pytest

from model.errors import ProjectError
from model.project import (
    AddClass,
    Command,
    DeleteClass,
    DeleteLabel,
    LabelState,
    Project,
    RenameClass,
    SetClassColour,
    SetClassShortcut,
    SetLabel,
    UndoStack,
)
from model.project.commands import CommandGroup


def _snapshot(project: Project) -> tuple[list, list]:
    return project.classes(), project.labels()


def test_set_label_undo_redo_sequence(project: Project, rec_id: int) -> None:
    stack = UndoStack(project)
    calls: list[int] = []
    stack.subscribe(lambda: calls.append(1))
    assert not stack.can_undo and stack.undo() is None and stack.redo() is None
    tit = project.add_class("Great tit").id
    empty = _snapshot(project)

    stack.push(SetLabel(rec_id, 0, 2, tit, LabelState.PRESENT))
    one = _snapshot(project)
    stack.push(SetLabel(rec_id, 0, 2, tit, LabelState.ABSENT, note="wren"))  # overwrite
    two = _snapshot(project)
    assert two[1][0].state == LabelState.ABSENT and two[1][0].id == one[1][0].id
    assert "Great tit" in stack.undo_text and stack.can_undo and not stack.can_redo

    assert stack.undo() is not None
    assert _snapshot(project) == one  # previous state restored exactly
    stack.undo()
    assert _snapshot(project) == empty
    assert not stack.can_undo and stack.can_redo and "present" in stack.redo_text
    stack.redo()
    assert _snapshot(project) == one  # same id and time stamp as first time
    stack.redo()
    assert _snapshot(project) == two
    stack.undo()
    stack.push(SetLabel(rec_id, 2, 4, tit, "uncertain"))  # a new edit drops the redo branch
    assert not stack.can_redo and stack.redo() is None
    assert calls == [1] * 8


def test_later_commands_keep_working_after_undo_redo(project: Project, rec_id: int) -> None:
    """DeleteLabel names a label by id; redoing the SetLabel that made it must keep that id."""
    stack = UndoStack(project)
    k = project.add_class("k").id
    stack.push(SetLabel(rec_id, 0, 2, k, "present"))
    label_id = project.labels()[0].id
    stack.push(SetLabel(rec_id, 4, 6, k, "present"))
    stack.push(DeleteLabel(label_id))
    assert [lb.start for lb in project.labels()] == [4.0]
    for _ in range(3):
        stack.undo()
    assert project.labels() == []
    for _ in range(3):
        stack.redo()
    assert [lb.start for lb in project.labels()] == [4.0]
    stack.undo()
    assert [lb.id for lb in project.labels()][0] == label_id


def test_several_classes_on_one_clip_undo_separately(project: Project, rec_id: int) -> None:
    stack = UndoStack(project)
    a, b = project.add_class("a").id, project.add_class("b").id
    stack.push(SetLabel(rec_id, 10, 12, a, "present"))
    stack.push(SetLabel(rec_id, 10, 12, b, "absent"))
    assert {lb.class_id: lb.state for lb in project.labels()} == {a: "present", b: "absent"}
    stack.undo()
    assert [(lb.class_id, lb.state) for lb in project.labels()] == [(a, LabelState.PRESENT)]


def test_class_commands_undo_redo(project: Project) -> None:
    stack = UndoStack(project)
    stack.push(AddClass("Blackbird"))
    cls = project.classes()[0]
    assert cls.shortcut == "1"
    stack.push(RenameClass(cls.id, "Common blackbird"))
    stack.push(SetClassColour(cls.id, "#123456"))
    stack.push(SetClassShortcut(cls.id, "b"))
    assert project.label_class(cls.id).shortcut == "b"
    stack.push(SetClassShortcut(cls.id, None))
    final = project.label_class(cls.id)
    assert (final.name, final.colour, final.shortcut) == ("Common blackbird", "#123456", None)
    stack.undo()
    stack.undo()
    stack.undo()
    assert project.label_class(cls.id).colour == cls.colour
    stack.undo()
    assert project.label_class(cls.id) == cls
    stack.undo()
    assert project.classes() == []
    for _ in range(5):
        stack.redo()
    assert project.label_class(cls.id) == final


def test_delete_class_undo_restores_labels_with_ids(project: Project, rec_id: int) -> None:
    stack = UndoStack(project)
    keep, drop = project.add_class("keep").id, project.add_class("drop").id
    for start in range(0, 10, 2):
        project.put_label(rec_id, start, start + 2, drop, "present", note=f"n{start}")
    project.put_label(rec_id, 0, 2, keep, "absent")
    before = _snapshot(project)
    stack.push(DeleteClass(drop))
    assert [c.name for c in project.classes()] == ["keep"]
    assert [lb.class_id for lb in project.labels()] == [keep]
    assert "5 labels" in stack.undo_text
    stack.undo()
    assert _snapshot(project) == before
    stack.redo()
    assert len(project.labels()) == 1
    stack.undo()
    assert _snapshot(project) == before


def test_failed_command_is_not_recorded(project: Project, rec_id: int) -> None:
    stack = UndoStack(project)
    stack.push(AddClass("a"))
    with pytest.raises(ProjectError):
        stack.push(AddClass("A"))
    assert stack.undo_text == 'Add class "a"' and len(project.classes()) == 1


def test_command_group_is_one_atomic_step(project: Project, rec_id: int) -> None:
    stack = UndoStack(project)
    k = project.add_class("k").id
    group = CommandGroup("Accept 3", [SetLabel(rec_id, s, s + 2, k, "present") for s in (0, 2, 4)])
    assert isinstance(group, Command)
    stack.push(group)
    assert len(project.labels()) == 3
    stack.undo()
    assert project.labels() == []
    bad = CommandGroup("bad", [SetLabel(rec_id, 0, 2, k, "present"), AddClass("")])
    with pytest.raises(ProjectError):
        stack.push(bad)
    assert project.labels() == []  # the first half was rolled back with the failing second


def test_commands_refused_on_read_only_project(project: Project, rec_id: int) -> None:
    k = project.add_class("k").id
    project.close()
    with Project.open(project.path, read_only=True) as ro:
        stack = UndoStack(ro)
        with pytest.raises(ProjectError, match="read-only"):
            stack.push(SetLabel(rec_id, 0, 2, k, "present"))
        assert not stack.can_undo


def test_set_label_reads_what_it_needs_before_it_commits(
    project: Project, rec_id: int, monkeypatch
) -> None:
    """A SetLabel that fails must leave nothing behind: it once committed the label and only
    then looked up the class name, so a failing lookup left a label no undo could reach."""
    tit = project.add_class("Great tit").id
    stack = UndoStack(project)

    def gone(class_id: int):
        raise ProjectError(project.path, f"has no class number {class_id}")

    monkeypatch.setattr(project, "label_class", gone)
    with pytest.raises(ProjectError, match="has no class number"):
        stack.push(SetLabel(rec_id, 0, 2, tit, LabelState.PRESENT))
    assert project.labels() == [] and not stack.can_undo
    monkeypatch.undo()
    stack.push(SetLabel(rec_id, 0, 2, tit, LabelState.PRESENT))
    assert stack.undo().text == "Label 0–2 s Great tit present"
