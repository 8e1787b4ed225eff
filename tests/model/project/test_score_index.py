"""Peaks per recording and class, and season-wide score reads in chunks (schema 4)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from model.project import Project
from model.project.score_index import column_peaks
from tests.model.project.conftest import FIXTURES, FakeInfo

V4 = FIXTURES / "project_v4.sonotag"


def _peaks(project: Project) -> set[tuple[int, int, int, float]]:
    rows = project.conn.execute(
        "SELECT model_id, recording_id, class_id, peak FROM prediction_peaks"
    )
    return {(m, r, c, round(p, 4)) for m, r, c, p in rows}


@pytest.fixture
def scored(project: Project, tmp_path: Path) -> tuple[Project, list[int], list[int], int]:
    ids = [project.add_recording(tmp_path / f"r{i}.wav", FakeInfo(), f"f{i}").id for i in range(5)]
    classes = [project.add_class(name).id for name in ("wren", "robin")]
    model = project.add_model("m", tmp_path / "m.keras", {}, {})
    rng = np.random.default_rng(3)
    for i, rec in enumerate(ids):
        scores = rng.uniform(0, 0.4, (10 + i, 2)).astype(np.float32)
        scores[i, 0] = 0.5 + 0.1 * i  # wren peaks 0.5, 0.6, ... 0.9
        project.put_predictions(model.id, rec, np.arange(10.0 + i), classes, scores)
    return project, ids, classes, model.id


def test_column_peaks_ignore_nan() -> None:
    scores = np.array([[0.1, np.nan, np.nan], [0.7, 0.2, np.nan]], np.float32)
    peaks = column_peaks(scores)
    assert peaks[:2].tolist() == pytest.approx([0.7, 0.2]) and np.isnan(peaks[2])
    assert np.isnan(column_peaks(np.zeros((0, 2), np.float32))).all()


def test_peaks_follow_the_scores(scored) -> None:
    project, ids, (wren, robin), model = scored
    assert project.recordings_reaching(model, wren, 0.65) == ids[2:]
    assert project.recordings_reaching(model, wren, 0.95) == []
    assert project.recordings_reaching(model, robin, 0.0) == ids
    project.put_predictions(model, ids[0], np.arange(2.0), [wren], np.array([[0.99], [0.1]]))
    assert project.recordings_reaching(model, wren, 0.95) == [ids[0]]
    assert ids[0] not in project.recordings_reaching(model, robin, 0.0)  # replaced: wren only
    project.delete_predictions(model, ids[1])
    assert ids[1] not in project.recordings_reaching(model, wren, 0.0)
    project.remove_recording(ids[2])
    assert ids[2] not in project.recordings_reaching(model, wren, 0.0)
    project.delete_model(model)
    assert _peaks(project) == set()


def test_scores_come_in_bounded_chunks_in_recording_order(scored) -> None:
    project, ids, (wren, robin), model = scored
    chunks = list(project.iter_scores(model, max_windows=25))
    assert [sorted(set(c.recording_ids.tolist())) for c in chunks] == [ids[:2], ids[2:4], ids[4:]]
    whole = np.concatenate([c.scores for c in chunks])
    expected = np.concatenate([project.predictions(model, rec)[2] for rec in ids])
    np.testing.assert_array_equal(whole, expected)
    starts = np.concatenate([c.starts for c in chunks])
    np.testing.assert_array_equal(starts, np.concatenate([np.arange(10.0 + i) for i in range(5)]))
    (robin_only,) = project.iter_scores(model, [ids[3], ids[1]], class_ids=[robin])
    assert robin_only.class_ids == [robin] and robin_only.scores.shape == (24, 1)
    np.testing.assert_array_equal(
        robin_only.scores[:11, 0], project.predictions(model, ids[1])[2][:, 1]
    )
    assert project.scored_windows(model)[1].tolist() == [10, 11, 12, 13, 14]
    assert [row[0] for row in project.scored_recording_clocks(model)] == ids


def test_recordings_scored_with_other_classes_are_chunked_apart(scored) -> None:
    project, ids, (wren, robin), model = scored
    project.put_predictions(model, ids[2], np.arange(3.0), [robin], np.full((3, 1), 0.3))
    chunks = list(project.iter_scores(model))
    assert [c.class_ids for c in chunks] == [[wren, robin], [robin], [wren, robin]]
    assert [
        c for c in project.iter_scores(model, class_ids=[wren]) if ids[2] in c.recording_ids
    ] == []


def test_version_4_file_gets_peaks_of_the_scores_it_holds(tmp_path: Path) -> None:
    path = tmp_path / "P.sonotag"
    shutil.copyfile(V4, path)
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 4
    raw.close()
    with Project.open(path) as project:
        assert project.migrated_from == 4 and project.backup is not None
        assert _peaks(project) == {
            (1, 1, 1, 0.9), (1, 1, 2, 0.7),
            (2, 1, 1, 0.6),  # class 2 of model 2 on recording 1 is all NaN: no peak
            (2, 2, 2, 0.95),
        }  # fmt: skip
        indexes = {r[0] for r in project.conn.execute("SELECT name FROM sqlite_master")}
        assert {"recordings_listing", "predictions_windows", "prediction_peaks_class"} <= indexes
        plan = project.conn.execute(
            "EXPLAIN QUERY PLAN SELECT recording_id, n_windows FROM predictions WHERE model_id = 1"
        ).fetchall()
        assert "COVERING INDEX predictions_windows" in plan[0][3]
        assert project.integrity_check() == "ok"
