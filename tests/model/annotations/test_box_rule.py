"""The training rule for boxes: a box labels the clips it overlaps by the import rule, derived
from the stored boxes every time, so box edits and their undo never leave stale clip labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.annotations.box_rule import box_clip_labels, training_labels
from model.annotations.clips import clips_for_span
from model.ml.dataset import POSITIVE, UNKNOWN, build_examples
from model.project import (
    AddBox,
    DeleteBox,
    EditBox,
    LabelState,
    Project,
    UndoStack,
)
from tests.model.project.conftest import FakeInfo


@pytest.fixture
def project(tmp_path: Path):
    with Project.create(tmp_path / "p.sonotag") as proj:
        proj.add_recording(tmp_path / "a.wav", FakeInfo(duration=30.0), "fp-a")
        proj.add_class("Great tit")
        proj.add_class("Wren")
        yield proj


def _ids(project: Project) -> tuple[int, int, int]:
    rec = project.recordings()[0].id
    tit, wren = (c.id for c in project.classes())
    return rec, tit, wren


def _spans(labels) -> list[tuple[float, float, int, str]]:
    return [(la.start, la.end, la.class_id, la.state.value) for la in labels]


def test_a_short_box_labels_the_clips_holding_half_of_it(project: Project) -> None:
    rec, tit, _ = _ids(project)
    box = project.add_box(rec, 3.2, 3.6, 3000, 6000, tit)
    derived = box_clip_labels([box], {rec: 30.0}, clip_seconds=2.0, grid=1.0)
    assert _spans(derived) == [(2.0, 4.0, tit, "present"), (3.0, 5.0, tit, "present")]
    assert {la.id for la in derived} == {-box.id} and derived[0].note == f"from box {box.id}"


def test_the_rule_is_the_import_rule_for_every_kind_of_span(project: Project) -> None:
    rec, tit, _ = _ids(project)
    spans = [(3.2, 3.6), (10.0, 14.0), (6.0, 8.0), (0.0, 0.3), (28.5, 30.0), (4.9, 6.1)]
    for start, end in spans:
        box = project.add_box(rec, start, end, 100, 200, tit)
        derived = box_clip_labels([box], {rec: 30.0}, clip_seconds=2.0, grid=1.0)
        expected = clips_for_span(start, end, 30.0, clip_seconds=2.0, grid=1.0, min_overlap=0.5)
        assert [(la.start, la.end) for la in derived] == expected, (start, end)


def test_presence_wins_where_boxes_of_one_class_meet_on_a_clip(project: Project) -> None:
    rec, tit, wren = _ids(project)
    project.add_box(rec, 6.0, 8.0, 100, 200, tit, LabelState.ABSENT)
    project.add_box(rec, 6.5, 7.5, 300, 400, tit, LabelState.PRESENT)
    project.add_box(rec, 6.2, 7.8, 500, 600, tit, LabelState.UNCERTAIN)
    project.add_box(rec, 6.0, 8.0, 100, 200, wren, LabelState.ABSENT)
    derived = training_labels(project)
    at_six = {(la.class_id, la.state) for la in derived if (la.start, la.end) == (6.0, 8.0)}
    assert at_six == {(tit, LabelState.PRESENT), (wren, LabelState.ABSENT)}


def test_training_sees_hand_labels_and_box_clips_side_by_side(project: Project) -> None:
    rec, tit, wren = _ids(project)
    hand = project.put_label(rec, 0.0, 2.0, wren, "present")
    project.add_box(rec, 12.2, 12.8, 2500, 4000, tit)
    labels = training_labels(project)
    assert labels[0] == hand
    assert _spans(labels[1:]) == [(11.0, 13.0, tit, "present"), (12.0, 14.0, tit, "present")]
    assert _spans(training_labels(project, class_id=wren)) == [(0.0, 2.0, wren, "present")]
    examples = build_examples(labels, project.classes(), {rec: 30.0}, 2.0)
    assert examples.starts.tolist() == [0.0, 11.0, 12.0]
    tit_column = examples.targets[:, 0]
    assert tit_column.tolist() == [0, POSITIVE, POSITIVE]  # the wren clip: not a tit


def test_box_edits_and_undo_keep_the_training_clips_in_step(project: Project) -> None:
    rec, tit, wren = _ids(project)
    stack = UndoStack(project)

    def clips() -> list[tuple[float, float, int, str]]:
        return _spans(training_labels(project))

    stack.push(AddBox(rec, 4.2, 4.6, 3000, 5000, tit))
    drawn = clips()
    assert drawn == [(3.0, 5.0, tit, "present"), (4.0, 6.0, tit, "present")]
    box_id = project.boxes()[0].id
    stack.push(EditBox(box_id, start=20.0, end=21.0))  # moved later in the file
    assert clips() == [(19.0, 21.0, tit, "present"), (20.0, 22.0, tit, "present")]
    stack.push(EditBox(box_id, class_id=wren, state=LabelState.UNCERTAIN))
    assert clips() == [(19.0, 21.0, wren, "uncertain"), (20.0, 22.0, wren, "uncertain")]
    stack.push(DeleteBox(box_id))
    assert clips() == []
    stack.undo()
    stack.undo()
    assert clips() == [(19.0, 21.0, tit, "present"), (20.0, 22.0, tit, "present")]
    stack.undo()
    assert clips() == drawn
    stack.undo()
    assert clips() == [] and project.labels() == []  # nothing was ever stored as a label
    stack.redo()
    assert clips() == drawn


def test_an_uncertain_box_teaches_nothing_about_its_class_there(project: Project) -> None:
    rec, tit, _ = _ids(project)
    project.add_box(rec, 8.0, 10.0, 100, 200, tit, LabelState.UNCERTAIN)
    examples = build_examples(training_labels(project), project.classes(), {rec: 30.0}, 2.0)
    assert examples.starts.tolist() == [8.0]
    assert np.all(examples.targets == UNKNOWN)
