"""Time-frequency boxes in the project file: storage, checks, and undoable edits."""

from __future__ import annotations

import sqlite3

import pytest

from model.errors import ProjectError
from model.project import (
    AddBox,
    DeleteBox,
    DeleteClass,
    EditBox,
    LabelState,
    Project,
    UndoStack,
)


def _rows(project: Project) -> list[tuple]:
    """What the file holds, read past the store's own methods."""
    conn = sqlite3.connect(project.path)
    try:
        return conn.execute(
            "SELECT id, recording_id, start_s, end_s, low_hz, high_hz, class_id, state, created "
            "FROM boxes ORDER BY id"
        ).fetchall()
    finally:
        conn.close()


def test_a_box_keeps_its_exact_times_and_band(project: Project, rec_id: int) -> None:
    tit = project.add_class("Great tit").id
    box = project.add_box(rec_id, 1.2345678, 2.5, 3125.5, 5600.25, tit, "uncertain", note="n")
    assert (box.start, box.end, box.low_hz, box.high_hz) == (1.2345678, 2.5, 3125.5, 5600.25)
    assert box.state is LabelState.UNCERTAIN and box.author == project.author and box.note == "n"
    assert project.box(box.id) == box
    assert project.boxes(recording_id=rec_id) == [box] == project.boxes(class_id=tit)
    assert project.boxes(class_id=tit + 1) == []
    assert _rows(project)[0][2:6] == (1.2345678, 2.5, 3125.5, 5600.25)  # committed at once
    assert project.counts()[rec_id] == (1, 0)  # the file list counts it with the labels


@pytest.mark.parametrize(
    ("start", "end", "low", "high", "cause"),
    [
        (2.0, 2.0, 100, 200, "end after it starts"),
        (3.0, 2.0, 100, 200, "end after it starts"),
        (-1.0, 2.0, 100, 200, "end after it starts"),
        (1.0, 2.0, 500, 500, "band"),
        (1.0, 2.0, -5, 500, "band"),
        (1.0, float("nan"), 100, 200, "finite"),
    ],
)
def test_impossible_boxes_are_refused_naming_the_file(
    project: Project, rec_id: int, start, end, low, high, cause
) -> None:
    tit = project.add_class("Great tit").id
    with pytest.raises(ProjectError, match=cause) as info:
        project.add_box(rec_id, start, end, low, high, tit)
    assert info.value.path == project.path
    assert project.boxes() == []


def test_add_move_relabel_delete_undo_redo(project: Project, rec_id: int) -> None:
    stack = UndoStack(project)
    tit, wren = project.add_class("Great tit").id, project.add_class("Wren").id
    stack.push(AddBox(rec_id, 1.0, 2.0, 3000, 6000, tit))
    drawn = project.boxes()
    assert len(drawn) == 1 and "Great tit present 1–2 s, 3.0–6.0 kHz" in stack.undo_text
    box_id = drawn[0].id

    stack.push(EditBox(box_id, start=1.5, end=3.0, high_hz=7000))
    moved = project.boxes()
    assert (moved[0].start, moved[0].end, moved[0].low_hz, moved[0].high_hz) == (
        1.5, 3.0, 3000, 7000,
    )  # fmt: skip
    stack.push(EditBox(box_id, class_id=wren, state=LabelState.ABSENT))
    relabelled = project.boxes()
    assert (relabelled[0].class_id, relabelled[0].state) == (wren, LabelState.ABSENT)
    stack.push(DeleteBox(box_id))
    assert project.boxes() == []

    stack.undo()
    assert project.boxes() == relabelled  # same id, same time stamp
    stack.undo()
    assert project.boxes() == moved
    stack.undo()
    assert project.boxes() == drawn
    stack.undo()
    assert project.boxes() == [] and _rows(project) == []
    for expected in (drawn, moved, relabelled, []):
        stack.redo()
        assert project.boxes() == expected
    assert not stack.can_redo


def test_a_failed_edit_changes_nothing_and_is_not_recorded(project: Project, rec_id: int) -> None:
    stack = UndoStack(project)
    tit = project.add_class("Great tit").id
    stack.push(AddBox(rec_id, 1.0, 2.0, 3000, 6000, tit))
    before = project.boxes()
    with pytest.raises(ProjectError):
        stack.push(EditBox(before[0].id, low_hz=8000))  # above its high edge
    assert project.boxes() == before and "Add" not in stack.undo_text
    assert stack.undo_text.startswith("Box ")


def test_deleting_a_class_takes_its_boxes_and_undo_brings_them_back(
    project: Project, rec_id: int
) -> None:
    stack = UndoStack(project)
    tit, wren = project.add_class("Great tit").id, project.add_class("Wren").id
    for start in (1.0, 5.0):
        project.add_box(rec_id, start, start + 1, 3000, 6000, tit)
    other = project.add_box(rec_id, 2.0, 3.0, 1000, 2000, wren)
    before = project.boxes()
    stack.push(DeleteClass(tit))
    assert project.boxes() == [other] and "2 boxes" in stack.undo_text
    stack.undo()
    assert project.boxes() == before


def test_removing_a_recording_removes_its_boxes(project: Project, rec_id: int) -> None:
    project.add_box(rec_id, 1.0, 2.0, 3000, 6000, project.add_class("Great tit").id)
    project.remove_recording(rec_id)
    assert project.boxes() == []
