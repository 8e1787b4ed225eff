"""Model bundles: same scores after save/load, refusal of bundles that do not fit, safe mode."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from model.clips import ClipSettings
from model.errors import ModelBundleError
from model.jobs import run_inline
from model.ml import backends
from model.ml.backbones import create as create_backbone
from model.ml.bundle import (
    FORMAT_VERSION,
    check_compatible,
    load_bundle,
    make_manifest,
    read_manifest,
    save_bundle,
)
from model.ml.features import CLIP_SETTINGS_META
from model.ml.predict import Scorer, load_for_project, predict_job
from model.project import Project
from model.project.feature_cache import FeatureStore
from tests.model.ml.conftest import Trained
from tests.model.ml.synthetic import CLASSES


def test_loaded_bundle_gives_the_stored_scores(trained: Trained, no_backbone: None) -> None:
    bundle = load_bundle(trained.result["bundle"])
    assert bundle.class_names == list(CLASSES)
    assert bundle.untrained_backbone
    assert bundle.clip_settings == ClipSettings()
    scorer = Scorer(bundle)
    with Project.open(trained.project, read_only=True) as project:
        for recording in project.recordings():
            starts, _, stored = project.predictions(trained.result["model_id"], recording.id)
            store = FeatureStore.for_project(
                project, scorer.extractor.cache_key, ClipSettings().fingerprint()
            )
            found, vectors = store.get(recording, starts)
            assert found.all()
            np.testing.assert_allclose(scorer.scores_from_features(vectors), stored, atol=1e-6)


def test_manifest_records_what_trained_the_model(trained: Trained) -> None:
    manifest = read_manifest(trained.result["bundle"])
    assert [c["name"] for c in manifest["classes"]] == list(CLASSES)
    assert manifest["clip_settings"] == ClipSettings().to_dict()
    assert manifest["backbone"]["weights"] == "untrained"
    assert set(manifest["label_counts"]) == set(CLASSES)
    assert all(counts["present"] > 0 for counts in manifest["label_counts"].values())
    assert manifest["metrics"]["map"] == trained.result["metrics"]["map"]
    versions = manifest["versions"]
    assert {"backend", "keras", "numpy", "python", "sonotag"} <= set(versions)
    assert versions["backend"] == backends.name() and versions[backends.name()]
    assert manifest["created"].endswith("+00:00")
    assert manifest["format_version"] == FORMAT_VERSION


def test_bundle_with_a_class_the_project_lacks_is_refused(trained: Trained) -> None:
    manifest = read_manifest(trained.result["bundle"])
    with pytest.raises(ModelBundleError, match="'trill'"):
        check_compatible(manifest, ["tone", "sweep", "warble"], ClipSettings())
    check_compatible(manifest, [*CLASSES, "extra"], ClipSettings())  # extra classes are fine


def test_bundle_with_other_clip_settings_is_refused(trained: Trained) -> None:
    manifest = read_manifest(trained.result["bundle"])
    with pytest.raises(ModelBundleError, match="n_mels 128 .project: 64"):
        check_compatible(manifest, CLASSES, ClipSettings(n_mels=64))


def test_project_refuses_a_bundle_after_its_class_was_renamed(project_copy: Path) -> None:
    with Project.open(project_copy) as project:
        bundle_file = project.active_model().file
        trill = project.class_by_name("trill")
        project.update_class(trill.id, name="warble")
        with pytest.raises(ModelBundleError, match="classes the project does not have"):
            load_for_project(bundle_file, project)


def test_scoring_refuses_when_project_clip_settings_changed(project_copy: Path) -> None:
    with Project.open(project_copy) as project:
        project.set_meta(CLIP_SETTINGS_META, json.dumps(ClipSettings(fmin=500.0).to_dict()))
    with pytest.raises(ModelBundleError, match="fmin 150.0 .project: 500.0"):
        run_inline(predict_job, str(project_copy))


def test_damaged_and_foreign_files_are_refused_with_a_message(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sonotag-model"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(ModelBundleError, match="not a Sonotag model file"):
        load_bundle(junk)
    newer = tmp_path / "newer.sonotag-model"
    with zipfile.ZipFile(newer, "w") as archive:
        archive.writestr(
            "manifest.json", json.dumps({"format": "sonotag-model", "format_version": 99})
        )
    with pytest.raises(ModelBundleError, match="newer Sonotag"):
        load_bundle(newer)
    with pytest.raises(ModelBundleError, match="no such model file"):
        load_bundle(tmp_path / "missing.sonotag-model")


def test_safe_mode_refuses_a_bundle_carrying_code(tmp_path: Path) -> None:
    import keras

    inputs = keras.Input((4,))
    outputs = keras.layers.Lambda(lambda x: x * 2)(inputs)
    manifest = make_manifest(
        kind="head",
        class_names=["a", "b", "c", "d"],
        clip_settings=ClipSettings(),
        backbone=create_backbone("resnet50-untrained", precision="float32").describe(),
        label_counts={},
        metrics={},
        training={},
    )
    path = save_bundle(tmp_path / "lambda.sonotag-model", keras.Model(inputs, outputs), manifest)
    with pytest.raises(ModelBundleError, match="cannot be read"):
        load_bundle(path)


def _head_bundle(tmp_path: Path, inputs: int, outputs: int, classes: list[str]) -> Path:
    import keras

    x = keras.Input((inputs,))
    network = keras.Model(x, keras.layers.Dense(outputs)(x))
    manifest = make_manifest(
        kind="head",
        class_names=classes,
        clip_settings=ClipSettings(),
        backbone=create_backbone("resnet50-untrained", precision="float32").describe(),
        label_counts={},
        metrics={},
        training={},
    )
    return save_bundle(tmp_path / f"h{inputs}-{outputs}.sonotag-model", network, manifest)


def test_a_class_list_that_does_not_match_the_outputs_is_refused(tmp_path: Path) -> None:
    path = _head_bundle(tmp_path, 2048, 3, ["owl", "wren"])
    with pytest.raises(ModelBundleError, match="'classes' lists 2 classes but the model gives 3"):
        load_bundle(path)


def test_a_head_that_does_not_take_backbone_features_is_refused(tmp_path: Path) -> None:
    path = _head_bundle(tmp_path, 10, 2, ["owl", "wren"])
    with pytest.raises(ModelBundleError, match=r"inputs of shape \(2048,\), this one \(10,\)"):
        load_bundle(path)


def test_training_never_writes_a_manifest_that_loading_would_refuse() -> None:
    with pytest.raises(ModelBundleError, match="a tab"):
        make_manifest(
            kind="head",
            class_names=["great\ttit"],
            clip_settings=ClipSettings(),
            backbone=create_backbone("resnet50-untrained", precision="float32").describe(),
            label_counts={},
            metrics={},
            training={},
        )


def test_scoring_in_small_pieces_stores_the_same_scores(
    project_copy: Path, no_backbone: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-scoring a few windows at a time (pieces of recordings, several recordings at once)
    stores exactly what scoring whole recordings stored."""
    from model.ml import predict

    with Project.open(project_copy, read_only=True) as project:
        model_id = project.active_model().id
        before = {r.id: project.predictions(model_id, r.id) for r in project.recordings()}
    with Project.open(project_copy) as project:
        project.delete_predictions(model_id)
    monkeypatch.setattr(predict, "SCORE_WINDOWS", 7)
    result = run_inline(predict_job, str(project_copy))
    assert result["recordings_scored"] == len(before)
    with Project.open(project_copy, read_only=True) as project:
        for rid, (starts, ids, scores) in before.items():
            again = project.predictions(model_id, rid)
            np.testing.assert_array_equal(again[0], starts)
            assert again[1] == ids
            np.testing.assert_allclose(again[2], scores, atol=1e-6)


@pytest.mark.parametrize(
    "manifest, words",
    [
        ({"clip_settings": ClipSettings().to_dict()}, "lists no classes"),
        ({"classes": [{"name": "wren"}]}, "clip settings cannot be used"),
        ({"classes": "wren", "clip_settings": {}}, "lists no classes"),
    ],
)
def test_an_incomplete_stored_manifest_is_refused_not_a_crash(manifest: dict, words: str) -> None:
    """The window checks the active model's stored manifest before scoring; one stored without
    its classes (an older or hand-made project) raised KeyError in the Qt event loop."""
    with pytest.raises(ModelBundleError, match=words):
        check_compatible(manifest, ["wren"], ClipSettings())
