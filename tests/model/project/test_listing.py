"""The recordings list as columns and the per-recording counts the file list shows."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.annotations.commands import ImportLabels
from model.annotations.importer import ImportPlan
from model.project import (
    AddClass,
    DeleteClass,
    DeleteLabel,
    LabelState,
    Project,
    RenameClass,
    SetLabel,
    UndoStack,
)
from model.project.box_commands import AddBox, DeleteBox, EditBox
from model.project.commands import BOXES, CommandGroup, touched_recordings
from tests.model.project.conftest import FakeInfo


def _three(project: Project, tmp_path: Path) -> list[int]:
    return [
        project.add_recording(
            tmp_path / "site" / f"r{i}.wav", FakeInfo(duration=10.0 * i), f"f{i}"
        ).id
        for i in (1, 2, 3)
    ]


def test_columns_in_id_order_and_only_the_new_ones(project: Project, tmp_path: Path) -> None:
    ids = _three(project, tmp_path)
    columns = project.recording_columns()
    assert columns.ids.tolist() == ids and len(columns) == 3
    np.testing.assert_array_equal(columns.durations, [10.0, 20.0, 30.0])
    assert project.stored_paths() == {
        ids[0]: "site/r1.wav",
        ids[1]: "site/r2.wav",
        ids[2]: "site/r3.wav",
    }
    assert project.stored_paths([ids[2], 99]) == {ids[2]: "site/r3.wav"}
    assert project.absolute_path("site/r1.wav") == tmp_path / "site" / "r1.wav"
    assert project.recording_path_texts() == {
        str(tmp_path / "site" / f"r{i}.wav") for i in (1, 2, 3)
    }
    assert project.recording_columns(after_id=ids[1]).ids.tolist() == [ids[2]]
    assert len(project.recording_columns(after_id=ids[2])) == 0
    assert project.recording_count() == 3 and project.first_recording_id() == ids[0]


def test_path_texts_are_what_normpath_gives_whatever_is_stored(
    project: Project, tmp_path: Path
) -> None:
    """Plain relative paths are joined by concatenation; anything else still goes through
    ``normpath`` (a file written by hand or by an older version)."""
    ids = _three(project, tmp_path)
    with project.transaction() as conn:
        for rec_id, stored in zip(
            ids, ("./site/r1.wav", "site//deeper/../r2.wav", "site/.hidden/r3.wav"), strict=True
        ):
            conn.execute("UPDATE recordings SET path = ? WHERE id = ?", (stored, rec_id))
    assert project.recording_path_texts() == {
        str(tmp_path / "site" / "r1.wav"),
        str(tmp_path / "site" / "r2.wav"),
        str(tmp_path / "site" / ".hidden" / "r3.wav"),
    }


def test_path_texts_of_absolute_and_undecodable_paths(project: Project, tmp_path: Path) -> None:
    """Recordings outside the project folder are stored absolute, a name that is not UTF-8 as
    bytes: each comes back as the path ``absolute_path`` gives (one per kind of stored path)."""
    import os

    ids = _three(project, tmp_path)
    elsewhere = tmp_path.parent / "card" / "r9.wav"
    odd = os.fsdecode(b"site/caf\xe9.wav")  # Latin-1 bytes: stored as a BLOB
    with project.transaction() as conn:
        conn.execute("UPDATE recordings SET path = ? WHERE id = ?", (str(elsewhere), ids[0]))
        conn.execute("UPDATE recordings SET path = ? WHERE id = ?", (os.fsencode(odd), ids[1]))
    expected = {str(project.absolute_path(p)) for p in project.stored_paths().values()}
    assert (
        project.recording_path_texts()
        == expected
        == {str(elsewhere), str(tmp_path / odd), str(tmp_path / "site" / "r3.wav")}
    )


def test_stored_path_column_follows_the_ids_given(project: Project, tmp_path: Path) -> None:
    ids = _three(project, tmp_path)
    every = np.array(ids, np.int64)
    assert project.stored_path_column(every) == [f"site/r{i}.wav" for i in (1, 2, 3)]
    project.remove_recording(ids[1])
    assert project.stored_path_column(every) == ["site/r1.wav", "", "site/r3.wav"]
    assert project.stored_path_column(np.zeros(0, np.int64)) == []


def test_paths_of_many_recordings_come_from_one_pass(
    project: Project, tmp_path: Path, monkeypatch
) -> None:
    """Past a few hundred ids one read of every path beats a lookup per id; same answer."""
    from model.project import listing

    ids = _three(project, tmp_path)
    wanted = [ids[2], 99, ids[0], ids[2]]
    one_by_one = project.stored_paths(wanted)
    monkeypatch.setattr(listing, "_MANY", 1)
    statements: list[str] = []
    project.conn.set_trace_callback(statements.append)
    try:
        assert (
            project.stored_paths(wanted)
            == one_by_one
            == {
                ids[0]: "site/r1.wav",
                ids[2]: "site/r3.wav",
            }
        )
    finally:
        project.conn.set_trace_callback(None)
    assert statements == ["SELECT id, path FROM recordings"]


def test_counts_for_all_or_some_recordings(project: Project, tmp_path: Path) -> None:
    a, b, c = _three(project, tmp_path)
    tit = project.add_class("tit").id
    for start in (0, 2, 4):
        project.put_label(a, start, start + 2, tit, "present")
    project.put_label(c, 0, 2, tit, "absent")
    model = project.add_model("m", tmp_path / "m.keras", {}, {})
    project.put_predictions(model.id, b, np.arange(7.0), [tit], np.zeros((7, 1), np.float32))
    assert project.label_counts() == {a: 3, c: 1}
    assert project.label_counts([c, b]) == {c: 1}
    assert project.label_counts(range(10_000)) == {a: 3, c: 1}  # many ids: one pass
    assert project.scored_window_counts() == {b: 7}
    assert project.scored_window_counts([a, b]) == {b: 7}
    assert project.counts() == {a: (3, 0), b: (0, 7), c: (1, 0)}
    assert project.label_total() == 4
    wren = project.add_class("wren").id
    project.put_label(b, 0, 2, wren, "present")
    project.add_box(b, 3.0, 4.0, 1000.0, 2000.0, wren, "present")
    assert (project.label_total(tit), project.label_total(wren), project.box_total(wren)) == (
        4,
        1,
        1,
    )
    assert project.box_total(tit) == 0 and project.label_total(999) == 0
    project.set_active_model(None)
    assert project.scored_window_counts() == {} and project.scored_window_counts([b]) == {}


def test_commands_say_which_recordings_they_touched(project: Project, tmp_path: Path) -> None:
    a, b, _c = _three(project, tmp_path)
    stack = UndoStack(project)
    seen: list[frozenset[int] | None] = []
    stack.subscribe(lambda: seen.append(stack.last_touched))
    add = AddClass("tit")
    stack.push(add)
    tit = add.created.id
    stack.push(SetLabel(a, 0, 2, tit, LabelState.PRESENT))
    stack.push(
        CommandGroup("two", [SetLabel(a, 2, 4, tit, "absent"), SetLabel(b, 0, 2, tit, "present")])
    )
    stack.push(DeleteLabel(project.labels(recording_id=b)[0].id))
    stack.push(RenameClass(tit, "Great tit"))
    stack.undo()
    stack.undo()  # the deletion comes back on b
    stack.push(DeleteClass(tit))
    assert seen == [
        frozenset(), {a}, {a, b}, {b}, frozenset(), frozenset(), {b}, {a, b},
    ]  # fmt: skip
    stack.clear()
    assert stack.last_touched == frozenset()


def test_imports_and_unknown_commands(project: Project, tmp_path: Path) -> None:
    a, b, _c = _three(project, tmp_path)
    plan = ImportPlan(labels=[(a, 0.0, 2.0, "wren", "present"), (b, 4.0, 6.0, "wren", "absent")])
    plan.new_class_names.append("wren")
    command = ImportLabels(plan)
    assert touched_recordings(command) == frozenset()  # not run yet
    command.do(project)
    assert touched_recordings(command) == {a, b}

    class Mystery:
        text = "something"

        def do(self, project: Project) -> None: ...

        def undo(self, project: Project) -> None: ...

    assert touched_recordings(Mystery()) is None  # may have changed anything
    group = CommandGroup("mixed", [SetLabel(a, 0, 2, 1, "present"), Mystery()])
    assert touched_recordings(group) is None


def test_labelled_time_counts_overlapping_clips_once(project: Project, tmp_path: Path) -> None:
    ids = _three(project, tmp_path)
    tit, robin = project.add_class("tit"), project.add_class("robin")
    for rec, start, end, cls in (
        (ids[0], 0.0, 2.0, tit),
        (ids[0], 0.0, 2.0, robin),  # a second class on the same clip
        (ids[0], 1.0, 3.0, tit),  # overlaps the first by a second (1-s grid)
        (ids[0], 5.0, 7.0, robin),
        (ids[0], 5.5, 6.5, tit),  # inside the one before
        (ids[2], 28.0, 30.0, tit),
    ):
        project.put_label(rec, start, end, cls.id, LabelState.PRESENT)
    assert project.labelled_ms() == {ids[0]: 5000, ids[2]: 2000}
    assert project.labelled_ms([ids[1], ids[2]]) == {ids[2]: 2000}
    assert project.labelled_ms([]) == {}


def test_recordings_scored_only_by_an_earlier_model(project: Project, tmp_path: Path) -> None:
    ids = _three(project, tmp_path)
    cls = project.add_class("tit")
    scores = np.zeros((3, 1), np.float32)
    old = project.add_model("old", tmp_path / "old.keras", {}, {})
    for rec in ids[:2]:
        project.put_predictions(old.id, rec, np.arange(3.0), [cls.id], scores)
    new = project.add_model("new", tmp_path / "new.keras", {}, {})  # now the active one
    project.put_predictions(new.id, ids[0], np.arange(3.0), [cls.id], scores)
    assert project.scored_by_other_models() == {ids[1]}  # ids[0] has the new model's too
    assert project.scored_by_other_models([ids[0], ids[2]]) == set()
    project.set_active_model(old.id)
    assert project.scored_by_other_models() == set()


def test_every_edit_reports_how_it_changed_the_label_counts(
    project: Project, tmp_path: Path
) -> None:
    """The key legend keeps project-wide counts from these deltas: after any sequence of
    edits, undos and redos they must add up to a fresh count."""
    ids = _three(project, tmp_path)
    undo = UndoStack(project)
    tally = project.label_tally()
    seen = []

    def follow() -> None:
        assert undo.last_delta is not None
        tally.update(undo.last_delta)
        seen.append(+tally == project.label_tally())

    undo.subscribe(follow)
    add = AddClass("tit")
    undo.push(add)
    tit = add.created.id
    undo.push(SetLabel(ids[0], 0, 2, tit, LabelState.PRESENT))
    undo.push(SetLabel(ids[0], 0, 2, tit, LabelState.ABSENT))  # replaces: -1 present, +1 absent
    undo.push(SetLabel(ids[1], 4, 6, tit, LabelState.UNCERTAIN))
    label = project.label_at(ids[1], 4, 6, tit)
    undo.push(DeleteLabel(label.id))
    plan = ImportPlan(labels=[(ids[2], 0, 2, "robin", LabelState.PRESENT)])
    plan.new_class_names = ["robin"]
    undo.push(ImportLabels(plan))
    undo.push(CommandGroup("two", [SetLabel(ids[2], 2, 4, tit, "present")]))
    undo.push(RenameClass(tit, "great tit"))
    box = AddBox(ids[1], 1.0, 1.5, 2000.0, 4000.0, tit)
    undo.push(box)
    undo.push(AddBox(ids[1], 3.0, 3.5, 2000.0, 4000.0, tit, "absent"))
    robin = project.class_by_name("robin").id
    undo.push(EditBox(box.result.id, class_id=robin))  # relabelled: one box changes class
    undo.push(EditBox(box.result.id, start=0.5, end=1.0))  # moved: the counts stay
    undo.push(DeleteBox(box.result.id))
    box_plan = ImportPlan(boxes=[(ids[2], 5.0, 6.0, 500.0, 900.0, "robin", LabelState.PRESENT)])
    undo.push(ImportLabels(box_plan))
    undo.push(DeleteClass(tit))  # with its remaining box
    for _ in range(16):
        undo.undo()
    for _ in range(16):
        undo.redo()
    assert seen and all(seen)
    assert +tally == project.label_tally() == {(robin, "present"): 1, (robin, BOXES): 1}


def test_find_recordings_by_part_of_the_path(project: Project, tmp_path: Path) -> None:
    """Typed text is matched literally (``%`` and ``_`` are not wildcards), ASCII case-blind."""
    ids = _three(project, tmp_path)
    odd = project.add_recording(tmp_path / "site" / "r_100%.wav", FakeInfo(duration=5.0), "f9")
    assert [i for i, _ in project.find_recordings("R2")] == [ids[1]]
    assert [i for i, _ in project.find_recordings("site/")] == [*ids, odd.id]
    assert project.find_recordings("_100%") == [(odd.id, "site/r_100%.wav")]
    assert project.find_recordings("r_1") == [(odd.id, "site/r_100%.wav")]
    assert project.find_recordings("%") == [(odd.id, "site/r_100%.wav")]
    assert [i for i, _ in project.find_recordings("", limit=2)] == ids[:2]
