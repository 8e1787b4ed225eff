from __future__ import annotations

import crowsetta
import numpy as np
import pytest

from model.annotations.csv_table import read_csv_table
from model.annotations.exporter import detections, export_labels, export_predictions
from model.annotations.importer import apply_import, plan_import
from model.annotations.raven import read_raven
from model.errors import ProjectError
from model.project import LabelState, Project

PRESENT, ABSENT = LabelState.PRESENT, LabelState.ABSENT


@pytest.fixture
def labelled(project, fake_recording, tmp_path):
    """Two recordings (one 22.05 kHz) with present, absent and uncertain clip labels."""
    a = fake_recording(tmp_path / "audio" / "20210502_040000.WAV", 60.0)
    b = fake_recording(tmp_path / "audio" / "XC46092.wav", 14.0, sample_rate=22050)
    tit, petrel = project.add_class("Great tit"), project.add_class("Storm petrel")
    project.put_label(a.id, 4.0, 6.0, tit.id, PRESENT)
    project.put_label(a.id, 5.0, 7.0, tit.id, PRESENT)
    project.put_label(a.id, 5.0, 7.0, petrel.id, ABSENT)
    project.put_label(b.id, 12.0, 14.0, petrel.id, PRESENT)
    project.put_label(b.id, 0.0, 2.0, tit.id, LabelState.UNCERTAIN)
    return project, a, b


def _labels(project):
    names = {c.id: c.name for c in project.classes()}
    recs = {r.id: r.path.name for r in project.recordings()}
    return sorted(
        (recs[lb.recording_id], lb.start, lb.end, names[lb.class_id], lb.state)
        for lb in project.labels()
    )


def _reimport(tmp_path, original, annotations, **options):
    """A new project with the same recordings, into which the exported rows are imported."""
    with Project.create(tmp_path / "copy.sonotag") as copy:
        for rec in original.recordings():
            copy.add_recording(rec.path, rec, rec.fingerprint)
        plan = plan_import(copy, annotations, **options)
        assert plan.unplaced == []
        apply_import(copy, plan)
        return _labels(copy)


def test_raven_tables_per_recording_are_read_by_crowsetta(labelled, tmp_path):
    project, a, b = labelled
    files = export_labels(project, tmp_path / "out", "raven")
    assert [f.name for f in files] == [
        "20210502_040000.Table.1.selections.txt",
        "XC46092.Table.1.selections.txt",
    ]
    df = crowsetta.formats.bbox.Raven.from_file(files[0], annot_col="Annotation").df
    assert list(df["begin_time_s"]) == [4.0, 5.0] and list(df["end_time_s"]) == [6.0, 7.0]
    assert list(df["annotation"]) == ["Great tit", "Great tit"]  # present labels only
    assert list(df["high_freq_hz"]) == [24000.0, 24000.0]  # full band: half the sample rate
    assert list(df["Begin Path"]) == [str(a.path)] * 2
    df = crowsetta.formats.bbox.Raven.from_file(files[1], annot_col="Annotation").df
    assert list(df["annotation"]) == ["Storm petrel"] and list(df["high_freq_hz"]) == [11025.0]


def test_multi_file_raven_table_round_trips_through_import(labelled, tmp_path):
    project, a, b = labelled
    (table,) = export_labels(project, tmp_path / "all.txt", "raven", per_recording=False)
    df = crowsetta.formats.bbox.Raven.from_file(table, annot_col="Annotation").df
    assert list(df["begin_time_s"]) == [4.0, 5.0, 72.0]  # b starts at 60 s on Raven's timeline
    assert list(df["File Offset (s)"]) == [4.0, 5.0, 12.0]
    expected = [x for x in _labels(project) if x[4] == PRESENT]
    assert _reimport(tmp_path, project, read_raven(table)) == expected


def test_csv_with_states_round_trips_through_import(labelled, tmp_path):
    project, _, _ = labelled
    states = (PRESENT, ABSENT, LabelState.UNCERTAIN)
    (path,) = export_labels(
        project, tmp_path / "all.csv", "csv", per_recording=False, states=states
    )
    rows = read_csv_table(path)
    assert {r.state for r in rows} == {"present", "absent", "uncertain"}
    assert _reimport(tmp_path, project, rows) == _labels(project)


def test_audacity_tracks_one_per_recording(labelled, tmp_path):
    project, _, _ = labelled
    files = export_labels(
        project, tmp_path / "aud", "audacity", per_recording=False, states=(PRESENT, ABSENT)
    )
    assert [f.name for f in files] == ["20210502_040000.labels.txt", "XC46092.labels.txt"]
    seq = crowsetta.formats.seq.AudSeq.from_file(files[0])
    assert list(seq.labels) == [
        "Great tit (present)",
        "Great tit (present)",
        "Storm petrel (absent)",
    ]
    assert "\\" not in files[0].read_text()  # clips have no band: no frequency lines


def test_same_file_names_get_the_recording_number(project, fake_recording, tmp_path):
    one = fake_recording(tmp_path / "s1" / "A.wav", 10.0)
    two = fake_recording(tmp_path / "s2" / "A.wav", 10.0)
    cls = project.add_class("x")
    for rec in (one, two):
        project.put_label(rec.id, 0.0, 2.0, cls.id, PRESENT)
    files = export_labels(project, tmp_path / "out", "csv")
    assert [f.name for f in files] == [f"A_{one.id}.csv", f"A_{two.id}.csv"]
    with pytest.raises(ValueError, match="unknown export format"):
        export_labels(project, tmp_path / "out", "excel")


def test_detections_merge_runs_of_windows():
    starts = np.arange(8, dtype=float)
    scores = np.array([0.1, 0.6, 0.9, 0.7, 0.2, 0.2, 0.55, 0.1])
    assert detections(starts, scores, 0.5, 2.0, merge=True) == [
        (1.0, 5.0, pytest.approx(0.9)),
        (6.0, 8.0, pytest.approx(0.55)),
    ]
    assert len(detections(starts, scores, 0.5, 2.0, merge=False)) == 4
    assert detections(starts, scores, 0.95, 2.0, merge=True) == []


def test_predictions_above_threshold(project, fake_recording, tmp_path):
    a = fake_recording(tmp_path / "A.wav", 9.0)
    b = fake_recording(tmp_path / "B.wav", 9.0)
    tit, wren = project.add_class("Great tit"), project.add_class("Wren")
    with pytest.raises(ProjectError, match="no trained model"):
        export_predictions(project, tmp_path / "none", "raven")
    model = project.add_model("m1", tmp_path / "m1", {"clip_settings": {"clip_seconds": 2.0}}, {})
    starts = np.arange(8, dtype=float)
    scores = np.stack(
        [[0.1, 0.6, 0.9, 0.7, 0.2, 0.2, 0.55, 0.1], [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.8]], 1
    )
    project.put_predictions(model.id, a.id, starts, [tit.id, wren.id], scores)
    project.put_predictions(model.id, b.id, starts, [tit.id, wren.id], scores * 0.1)
    files = export_predictions(project, tmp_path / "pred", "raven", threshold=0.5)
    rows = read_raven(files[0])
    assert [(r.start, r.end, r.label, r.score) for r in rows] == [
        (1.0, 5.0, "Great tit", 0.9),
        (6.0, 8.0, "Great tit", 0.55),
        (7.0, 9.0, "Wren", 0.8),
    ]
    assert read_raven(files[1]) == []  # scored, nothing above threshold: an empty table
    (path,) = export_predictions(
        project, tmp_path / "p.csv", "csv", threshold={"Great tit": 0.8, "Wren": 0.25},
        per_recording=False, merge_adjacent=False,
    )  # fmt: skip
    rows = read_csv_table(path)
    assert sorted((r.file.name, r.label, r.start, r.end) for r in rows) == [
        ("A.wav", "Great tit", 2.0, 4.0),
        *[("A.wav", "Wren", float(s), s + 2.0) for s in range(8)],
    ]  # scores * 0.1 for B.wav: Wren's 0.08 and 0.03 stay under 0.25
