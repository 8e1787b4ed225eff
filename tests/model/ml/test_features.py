"""The feature cache: retraining the head and re-scoring never run the backbone again."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.jobs import run_inline
from model.ml.train import train_job
from model.project import Project


def test_retraining_uses_cached_features_only(project_copy: Path, no_backbone: None) -> None:
    with Project.open(project_copy, read_only=True) as project:
        before = project.active_model()
    result = run_inline(train_job, str(project_copy), untrained_backbone=True, epochs=10)
    assert result["features"]["computed"] == 0
    assert result["features"]["cached"] > 0
    assert result["model_id"] != before.id
    with Project.open(project_copy, read_only=True) as project:
        assert project.active_model().id == result["model_id"]
        for recording in project.recordings():
            starts, _, scores = project.predictions(result["model_id"], recording.id)
            assert len(starts) > 0 and np.isfinite(scores).all()


def test_new_label_computes_only_its_own_window(project_copy: Path) -> None:
    """A label added after training needs one new clip through the backbone, no more."""
    with Project.open(project_copy) as project:
        recording = project.recordings()[0]
        tone = project.class_by_name("tone")
        project.put_label(recording.id, 5.25, 5.45, tone.id, "absent")  # window 4.35 s
    result = run_inline(
        train_job, str(project_copy), untrained_backbone=True, epochs=3, score=False
    )
    assert result["features"]["computed"] == 1


def test_missing_recording_is_skipped_and_named(project_copy: Path) -> None:
    with Project.open(project_copy) as project:
        recording = project.recordings()[-1]
        tone = project.class_by_name("tone")
        project.put_label(recording.id, 7.25, 7.45, tone.id, "absent")  # window 6.35 s
    recording.path.unlink()
    result = run_inline(
        train_job, str(project_copy), untrained_backbone=True, epochs=3, score=False
    )
    assert result["features"]["computed"] == 0
    assert len(result["features"]["skipped"]) == 1
    assert result["features"]["skipped"][0].startswith(recording.path.name)


def test_deleted_cache_is_rebuilt_and_an_unwritable_one_costs_only_time(
    project_copy: Path,
) -> None:
    """The cache folder is only a cache: gone, it is recomputed to the same vectors; blocked
    (here by a file of that name), training still works from memory and says so."""
    import shutil

    from model.clips import ClipSettings
    from model.ml.backbones import create
    from model.project.feature_cache import FeatureStore, cache_folder

    cache = cache_folder(project_copy)
    saved = project_copy.with_name("saved-cache")
    shutil.move(cache, saved)
    cache.write_text("in the way")
    blocked = run_inline(
        train_job, str(project_copy), untrained_backbone=True, epochs=3, score=False
    )
    assert blocked["features"]["cached"] == 0 and blocked["features"]["computed"] > 0
    assert "could not be cached" in blocked["features"]["cache_errors"][0]
    assert cache.read_text() == "in the way"
    cache.unlink()
    rebuilt = run_inline(
        train_job, str(project_copy), untrained_backbone=True, epochs=3, score=False
    )
    assert rebuilt["features"]["computed"] == blocked["features"]["computed"]
    assert rebuilt["features"]["cache_errors"] == []
    again = run_inline(train_job, str(project_copy), untrained_backbone=True, epochs=3, score=False)
    assert again["features"]["computed"] == 0
    key = create("resnet50-untrained").cache_key
    fingerprint = ClipSettings().fingerprint()
    new, old = FeatureStore(cache, key, fingerprint), FeatureStore(saved, key, fingerprint)
    with Project.open(project_copy, read_only=True) as project:
        for recording in project.recordings():
            starts = np.array([round(s / 1000, 3) for s in range(0, 30_000, 1)])
            found_new, vectors_new = new.get(recording, starts)
            found_old, vectors_old = old.get(recording, starts[found_new])
            assert found_new.sum() > 0 and found_old.all()
            np.testing.assert_allclose(vectors_new[found_new], vectors_old, atol=2e-3)
