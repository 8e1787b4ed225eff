"""Training on generated calls with the untrained backbone: held-out quality, split, reporting."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.ml.bundle import read_manifest
from model.project import Project
from tests.model.ml.conftest import Trained
from tests.model.ml.synthetic import CLASSES


def test_held_out_average_precision_is_high_for_every_class(trained: Trained) -> None:
    metrics = trained.result["metrics"]
    aps = {name: metrics["per_class"][name]["ap"] for name in CLASSES}
    assert all(ap is not None and ap > 0.9 for ap in aps.values()), aps
    assert metrics["map"] > 0.9
    for name in CLASSES:
        curve = metrics["per_class"][name]["pr_curve"]
        assert len(curve["precision"]) == len(curve["recall"]) == len(curve["thresholds"])
        assert curve["recall"][0] == 1.0 and curve["recall"][-1] == 0.0
        assert metrics["per_class"][name]["positives"] > 0


def test_reported_ap_comes_from_folds_by_recording_with_spread(trained: Trained) -> None:
    metrics = trained.result["metrics"]
    split = metrics["split"]
    assert split["method"] == "recording" and split["folds"] >= 3
    for fold in split["per_fold"]:
        assert fold["test_clips"] > 0 and fold["train_clips"] > fold["test_clips"]
    assert len(metrics["map_folds"]) == split["folds"]
    for name in CLASSES:
        figures = metrics["per_class"][name]
        assert figures["recordings"] >= 2 and figures["warning"] is None
        spread = figures["ap_spread"]
        assert spread["folds"] >= 2 and spread["min"] <= figures["ap_folds"][0] <= spread["max"]
    assert trained.result["head"] == "linear" and trained.result["backbone"] == "resnet50-untrained"


def test_model_is_registered_active_flagged_and_has_scored_every_recording(
    trained: Trained,
) -> None:
    result = trained.result
    assert result["untrained_backbone"] is True
    with Project.open(trained.project, read_only=True) as project:
        record = project.active_model()
        assert record is not None and record.id == result["model_id"]
        assert record.manifest["untrained_backbone"] is True
        assert record.manifest["backbone"]["key"] == "resnet50-untrained-seed0"
        assert record.metrics["map"] == result["metrics"]["map"]
        # Measured after the bundle was saved, then written into it too.
        assert read_manifest(record.file)["metrics"] == record.metrics
        assert result["evaluation"] is None and "evaluate_s" in result["timings"]
        assert record.file.is_file() and record.file.parent.name == "synthetic.models"
        class_ids = {c.name: c.id for c in project.classes()}
        for recording in project.recordings():
            starts, ids, scores = project.predictions(record.id, recording.id)
            assert len(starts) == round(recording.duration) - 1  # 2-s windows, hop 1 s
            assert ids == [class_ids[name] for name in CLASSES]
            assert scores.shape == (len(starts), 3)
            assert ((scores >= 0) & (scores <= 1)).all()


def test_scores_find_the_calls_in_the_recordings(trained: Trained) -> None:
    """Windows that fully contain a labelled call score high for it, noise windows low."""
    with Project.open(trained.project, read_only=True) as project:
        model_id = trained.result["model_id"]
        names = {c.id: c.name for c in project.classes()}
        hits = misses = 0
        for label in project.labels():
            if label.state.value != "present":
                continue
            starts, ids, scores = project.predictions(model_id, label.recording_id)
            inside = (starts <= label.start) & (starts + 2.0 >= label.end)
            column = ids.index(label.class_id)
            best = scores[inside, column].max()
            hits += best > 0.5
            misses += best <= 0.5
            assert names[label.class_id] in CLASSES
        assert hits >= 0.9 * (hits + misses)


def test_the_study_head_reports_epochs_and_stops_early_on_its_own_validation_part(
    project_copy: Path,
) -> None:
    from model.jobs import run_inline
    from model.ml.train import train_job

    events = []
    result = run_inline(
        train_job, str(project_copy), untrained_backbone=True, head={"kind": "mlp"},
        on_progress=events.append,
    )  # fmt: skip
    epochs = [e.data for e in events if e.data.get("stage") == "training" and "epoch" in e.data]
    assert epochs, "per-epoch progress was reported"
    assert [e["epoch"] for e in epochs] == list(range(1, len(epochs) + 1))
    for row in epochs:
        assert np.isfinite(row["loss"]) and np.isfinite(row["val_loss"])
        assert 0 <= row["val_ap"] <= 1
        assert row["eta_s"] >= 0
        assert row["device"].startswith(("CPU", "GPU"))
    history = result["history"]
    assert history["head"] == "mlp" and history["validation_clips"] > 0
    assert 1 <= history["best_epoch"] <= history["epochs_run"] <= 60
    assert result["metrics"]["map"] > 0.9
    folds = [e for e in events if e.data.get("stage") == "evaluating"]
    assert len(folds) == result["metrics"]["split"]["folds"]


def test_features_progress_reaches_the_end(trained: Trained) -> None:
    features = [e for e in trained.events if e.data.get("stage") == "features"]
    assert features and features[-1].done == features[-1].total


def test_class_with_too_few_examples_is_left_out(project_copy: Path) -> None:
    from model.jobs import run_inline
    from model.ml.bundle import read_manifest
    from model.ml.train import train_job

    with Project.open(project_copy) as project:
        owl = project.add_class("owl")
        project.put_label(project.recordings()[0].id, 0.2, 0.5, owl.id, "present")
    result = run_inline(train_job, str(project_copy), untrained_backbone=True, epochs=5, name="q1")
    assert result["name"] == "q1"  # not a left-out class's name (a loop once reused `name`)
    assert result["classes_left_out"] == ["owl"]
    assert result["classes"] == list(CLASSES)
    manifest = read_manifest(result["bundle"])
    assert [c["name"] for c in manifest["classes"]] == list(CLASSES)
    # ...and the model keeps saying so after the session that trained it (the panel reads it).
    assert manifest["training"]["left_out"] == result["left_out_reasons"]
    assert "owl" in manifest["training"]["left_out"]
    with Project.open(project_copy, read_only=True) as project:
        _, ids, _ = project.predictions(result["model_id"], project.recordings()[0].id)
        assert owl.id not in ids and len(ids) == 3


def test_training_reads_the_clips_boxes_label(project_copy: Path, monkeypatch) -> None:
    """Boxes reach training as the clip labels the box rule gives, edits included."""
    from model.jobs import run_inline
    from model.ml import train
    from model.ml.train import train_job

    with Project.open(project_copy) as project:
        owl = project.add_class("owl")
        rec = project.recordings()[0].id
        box = project.add_box(rec, 4.2, 4.6, 2000.0, 3000.0, owl.id)
        project.update_box(box.id, start=6.2, end=6.6)  # only the moved box counts
    seen: list = []
    real = train.build_examples

    def spy(labels, *args, **kwargs):
        seen.extend(labels)
        return real(labels, *args, **kwargs)

    monkeypatch.setattr(train, "build_examples", spy)
    result = run_inline(train_job, str(project_copy), untrained_backbone=True, epochs=2)
    from_box = [(la.start, la.end) for la in seen if la.class_id == owl.id]
    assert from_box == [(5.0, 7.0), (6.0, 8.0)]
    assert "owl" in result["classes"]  # a class labelled by a box alone is learnt


def test_bundle_files_are_never_overwritten(tmp_path: Path) -> None:
    from model.ml.train import _bundle_path

    first = _bundle_path(tmp_path, "my model")
    assert first.name == "my_model.sonotag-model"
    first.write_text("taken")
    assert _bundle_path(tmp_path, "my model").name == "my_model-2.sonotag-model"
    assert _bundle_path(tmp_path, None).name.startswith("model-")


def test_class_labelled_in_one_recording_is_kept_split_in_time_and_warned(
    project_copy: Path,
) -> None:
    """It used to be left out (all its clips fell into the held-out recording) and the model
    named after the other classes; now its recording is cut into blocks of time."""
    from model.jobs import run_inline
    from model.ml import train

    with Project.open(project_copy) as project:
        first = project.recordings()[0]
        wren = project.add_class("wren")
        for start in (1.0, 5.0, 9.0, 13.0, 17.0):
            project.put_label(first.id, start, start + 0.5, wren.id, "present")
    result = run_inline(train.train_job, str(project_copy), untrained_backbone=True)
    assert result["classes_left_out"] == []
    assert result["classes"] == [*CLASSES, "wren"]
    figures = result["metrics"]["per_class"]["wren"]
    assert figures["recordings"] == 1
    assert first.path.name in figures["warning"] and "one recording" in figures["warning"]
    assert first.id in result["metrics"]["split"]["block_recordings"]


def test_the_final_linear_head_plans_tuning_folds_only_when_it_chooses_a_strength(
    monkeypatch,
) -> None:
    """The folds that choose C were planned for every linear head, and thrown away unless
    the exact fit had a grid to choose from: 12 s of a 300,000-clip retrain."""
    from types import SimpleNamespace

    from model.jobs import Reporter
    from model.ml import train
    from model.ml.dataset import Examples
    from model.ml.head import EXACT_WINDOWS, HeadConfig
    from tests.model.ml.test_streaming import _task

    planned: list[int] = []
    real = train.tuning_folds
    monkeypatch.setattr(
        train, "tuning_folds", lambda ex, seed: planned.append(len(ex)) or real(ex, seed)
    )
    device = SimpleNamespace(description="CPU")

    def fit(rows: int, config: HeadConfig) -> None:
        features, targets = _task(rows, dim=16)
        examples = Examples(
            np.arange(rows) % 10, np.arange(rows) // 10 * 2.0, targets,
            (1, 2, 3), ("a", "b", "c"), 2.0,
        )  # fmt: skip
        train._fit_final(features, examples, config, 0, Reporter(), device)

    fit(600, HeadConfig())  # C = 1: nothing to choose
    fit(EXACT_WINDOWS + 100, HeadConfig(c_grid=(0.1, 1.0)))  # by mini-batches, at C
    assert planned == []
    fit(600, HeadConfig(c_grid=(0.1, 1.0)))
    assert planned == [600]
