from __future__ import annotations

import math
from pathlib import Path

import pytest

from model.annotations.box_rule import training_labels
from model.annotations.importer import apply_import, plan_import
from model.annotations.records import Annotation, broken
from model.annotations.sonic_visualiser import read_sonic_visualiser
from model.project import LabelState, Project, UndoStack
from tests.model.annotations.conftest import PYKANTO_LAYERS, audio_of

PRESENT, ABSENT = LabelState.PRESENT, LabelState.ABSENT


@pytest.fixture
def three(fake_recording, tmp_path):
    """Two recordings called A.wav in different folders, and one B.WAV."""
    return (
        fake_recording(tmp_path / "field" / "site1" / "A.wav", 60.0),
        fake_recording(tmp_path / "field" / "site2" / "A.wav", 60.0),
        fake_recording(tmp_path / "field" / "site1" / "B.WAV", 30.0),
    )


def test_rows_are_matched_to_recordings_by_their_file(project, three):
    site1_a, site2_a, b = three
    rows = [
        Annotation(Path("D:/backup/field/site1/A.wav"), 1.2, 1.6, label="x"),  # folders decide
        Annotation(Path("site2/A.wav"), 1.2, 1.6, label="x"),
        Annotation(Path("b.wav"), 1.2, 1.6, label="x"),  # case is ignored
        Annotation(Path("B.flac"), 5.2, 5.6, label="x"),  # same name, other extension
        Annotation(Path("A.wav"), 1.2, 1.6, label="x"),
        Annotation(Path("Z.wav"), 1.2, 1.6, label="x"),
        Annotation(None, 1.2, 1.6, label="x"),
    ]
    plan = plan_import(project, rows)
    assert sorted({label[0] for label in plan.labels}) == sorted({site1_a.id, site2_a.id, b.id})
    assert {(label[0], label[1]) for label in plan.labels if label[0] == b.id} == {
        (b.id, 0.0), (b.id, 1.0), (b.id, 4.0), (b.id, 5.0)
    }  # fmt: skip
    reasons = [reason for _, reason in plan.unplaced]
    assert reasons == [
        "2 recordings are called A.wav; the path does not say which",
        "no recording in the project is called Z.wav",
        "the row names no recording; choose the recording to import into",
    ]
    assert plan.placed == 4


def test_unplaceable_rows_are_listed_with_their_reason(project, three):
    rec = three[2]  # 30 s
    rows = [
        Annotation(None, 40.0, 41.0, label="x"),
        Annotation(None, -5.0, -1.0, label="x"),
        Annotation(None, 5.0, 4.0, label="x"),
        broken(7, "begin/end time is not a number ('x' / '2')"),
        Annotation(None, 1.0, 2.0, label=""),
        Annotation(None, 1.0, 2.0, label="x", state="maybe"),
        Annotation(None, 1.0, 2.0, label="x", score=0.2),
        Annotation(None, 1.0, 2.0, label="x", score=0.7),
    ]
    plan = plan_import(project, rows, recording_for=rec, min_score=0.5)
    reasons = [reason for _, reason in plan.unplaced]
    assert reasons[0] == reasons[1] == "it lies outside the recording (0-30.00 s)"
    assert reasons[2] == "it ends (4 s) before it starts (5 s)"
    assert reasons[3] == "begin/end time is not a number ('x' / '2')"
    assert "no class name" in reasons[4]
    assert "unknown label state 'maybe'" in reasons[5]
    assert reasons[6] == "its score 0.200 is below the threshold 0.5"
    assert len(reasons) == 7 and plan.placed == 1
    assert [a for a, _ in plan.unplaced] == rows[:7]
    # A name for unnamed rows places the fifth row too.
    assert plan_import(project, rows[4:5], recording_for=rec, default_label="y").placed == 1


def test_class_names_match_existing_classes_ignoring_case(project, three):
    project.add_class("Great tit")
    rows = [
        Annotation(None, 1.0, 1.5, label="great tit"),
        Annotation(None, 1.0, 1.5, label="Robin"),
        Annotation(None, 3.0, 3.5, label="ROBIN"),
    ]
    plan = plan_import(project, rows, recording_for=three[0])
    assert plan.new_class_names == ["Robin"]
    assert {label[3] for label in plan.labels} == {"Great tit", "Robin"}
    assert "new classes: Robin" in plan.summary()


def test_overlapping_rows_give_one_label_per_clip_and_presence_wins(project, three):
    rows = [
        Annotation(None, 1.0, 1.5, label="x", state="absent"),
        Annotation(None, 1.2, 1.4, label="x"),
        Annotation(None, 10.0, 10.5, label="x", state="Absent"),
    ]
    plan = plan_import(project, rows, recording_for=three[0])
    assert sorted(plan.labels) == [
        (three[0].id, 0.0, 2.0, "x", PRESENT),
        (three[0].id, 1.0, 3.0, "x", PRESENT),
        (three[0].id, 9.0, 11.0, "x", ABSENT),
        (three[0].id, 10.0, 12.0, "x", ABSENT),
    ]


def test_import_is_one_undoable_step(project, three):
    rec = three[0]
    tit = project.add_class("Great tit")
    before = project.put_label(rec.id, 0.0, 2.0, tit.id, ABSENT, author="me")
    rows = [
        Annotation(None, 1.0, 1.5, label="Great tit"),
        Annotation(None, 20.2, 20.6, label="Robin"),
    ]
    plan = plan_import(project, rows, recording_for=rec)
    stack = UndoStack(project)
    assert apply_import(project, plan, undo_stack=stack) == 4
    assert stack.undo_text == "Import 4 labels"
    robin = project.class_by_name("Robin")
    assert robin is not None
    after = {(lb.start, lb.class_id, lb.state, lb.author) for lb in project.labels()}
    assert after == {
        (0.0, tit.id, PRESENT, "import"),
        (1.0, tit.id, PRESENT, "import"),
        (19.0, robin.id, PRESENT, "import"),
        (20.0, robin.id, PRESENT, "import"),
    }
    imported = project.labels()
    stack.undo()
    assert project.class_by_name("Robin") is None
    assert project.labels() == [before]  # the annotator's own label is back, same id
    stack.redo()
    assert project.labels() == imported and project.class_by_name("Robin") == robin


def test_only_chosen_new_classes_are_created(project, three):
    rows = [Annotation(None, 1.0, 1.5, label=n) for n in ("Robin", "Wren", "Noise")]
    plan = plan_import(project, rows, recording_for=three[0])
    assert apply_import(project, plan, create_classes={"Wren"}) == 2
    assert [c.name for c in project.classes()] == ["Wren"]
    assert apply_import(project, plan, create_classes=False) == 2  # Wren exists now
    assert len(project.labels()) == 2


def test_overwrite_false_keeps_existing_labels(project, three):
    rec = three[0]
    cls = project.add_class("x")
    project.put_label(rec.id, 0.0, 2.0, cls.id, ABSENT)
    plan = plan_import(project, [Annotation(None, 1.2, 1.5, label="x")], recording_for=rec)
    assert apply_import(project, plan, overwrite=False) == 1
    states = {(lb.start, lb.state) for lb in project.labels()}
    assert states == {(0.0, ABSENT), (1.0, PRESENT)}


SPECIES = {
    "AM": "Unknown bird",
    "BENGALESE_FINCH": "Bengalese finch",
    "STORM-PETREL": "Storm petrel",
}


def test_real_sonic_visualiser_layers_import_into_a_project(tmp_path, pykanto):
    """The five pykanto box layers, each into its own (real, probed) recording: every box is
    kept with its band, and training reads the clips the clip rule gives."""
    with Project.create(tmp_path / "real.sonotag") as project:
        stack = UndoStack(project)
        for layer in PYKANTO_LAYERS:
            xml = pykanto / f"{layer}.xml"
            rec = project.add_recording(audio_of(xml))
            rows = read_sonic_visualiser(xml, sample_rate=rec.sample_rate)
            species = SPECIES[layer.split("/")[0]]
            plan = plan_import(project, rows, recording_for=rec, default_label=species)
            assert plan.unplaced == [] and plan.placed == len(rows) == len(plan.boxes)
            assert plan.labels == []  # boxes, not clip labels
            apply_import(project, plan, undo_stack=stack)
            stored = project.boxes(recording_id=rec.id)
            assert [(b.start, b.low_hz, b.high_hz) for b in stored] == sorted(
                (max(a.start, 0.0), a.low_hz, a.high_hz) for a in rows
            )
            for label in training_labels(project, recording_id=rec.id):
                assert label.end - label.start == 2.0
                assert label.start < rec.duration and math.isclose(label.start % 1.0, 0.0)
        names = {c.id: c.name for c in project.classes()}
        assert sorted(names.values()) == sorted(SPECIES.values())
        by_rec = {r.path.stem: r.id for r in project.recordings()}

        def starts(stem: str) -> list[float]:
            return [lb.start for lb in training_labels(project, recording_id=by_rec[stem])]

        # no clip from 9 s: the layer has no box between 9.55 and 11.16 s
        assert starts("XC46092") == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0, 11.0]
        assert starts("20210502_040000") == [0.0]
        assert starts("348") == [float(s) for s in range(22)]  # song 0.86-22.08 s
        assert len(stack._undo) == 5
        while stack.can_undo:
            stack.undo()
        assert project.boxes() == [] and project.classes() == []


def test_rows_whose_class_name_would_break_a_table_are_listed_not_imported(project, three):
    rows = [
        Annotation(None, 1.0, 2.0, label="great\ttit"),
        Annotation(None, 1.0, 2.0, label="great\ntit"),
        Annotation(None, 1.0, 2.0, label="robin"),
    ]
    plan = plan_import(project, rows, recording_for=three[0])
    assert [reason for _, reason in plan.unplaced] == [
        "class name 'great\\ttit' contains a tab; class names must fit on one table cell",
        "class name 'great\\ntit' contains a line break; class names must fit on one table cell",
    ]
    assert plan.new_class_names == ["robin"]
