"""The model is saved and scores first; its k-fold figures follow, from the cache, and land in
the model's record and bundle."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from model.errors import ModelBundleError, ProjectError
from model.jobs import Cancelled, Progress, Reporter, run_inline
from model.ml.bundle import HEAD_FILE, read_manifest, replace_metrics
from model.ml.evaluation import evaluate_model_job, is_pending
from model.ml.train import train_job
from model.project import Project
from tests.model.ml.synthetic import CLASSES

REPO = Path(__file__).resolve().parents[3]


def _train_without_figures(project: Path) -> dict:
    return run_inline(train_job, str(project), untrained_backbone=True, evaluate=False)


def test_training_saves_and_scores_before_any_fold_is_measured(
    project_copy: Path, no_backbone: None
) -> None:
    events: list[Progress] = []
    result = run_inline(
        train_job, str(project_copy), untrained_backbone=True, evaluate=False,
        on_progress=events.append,
    )  # fmt: skip
    assert is_pending(result["metrics"]) and "evaluate_s" not in result["timings"]
    assert not [e for e in events if e.data.get("stage") == "evaluating"]
    request = result["evaluation"]
    assert request["model_id"] == result["model_id"] and len(request["examples"]) > 0
    with Project.open(project_copy, read_only=True) as project:
        record = project.model(result["model_id"])
        assert is_pending(record.metrics) and is_pending(read_manifest(record.file)["metrics"])
        for recording in project.recordings():
            assert len(project.predictions(record.id, recording.id)[0]) > 0


def test_the_evaluation_job_stores_figures_in_the_record_and_the_bundle(
    project_copy: Path, no_backbone: None
) -> None:
    request = _train_without_figures(project_copy)["evaluation"]
    with Project.open(project_copy, read_only=True) as project:
        bundle = project.model(request["model_id"]).file
    keras_before = zipfile.ZipFile(bundle).read(HEAD_FILE)
    events: list[Progress] = []
    done = run_inline(evaluate_model_job, str(project_copy), on_progress=events.append, **request)
    metrics = done["metrics"]
    assert metrics["map"] > 0.9 and set(metrics["per_class"]) == set(CLASSES)
    assert metrics["clips"] == len(request["examples"]) and done["features"]["computed"] == 0
    folds = [e for e in events if e.data.get("stage") == "evaluating" and e.total]
    assert len({e.done for e in folds}) >= metrics["split"]["folds"]
    with Project.open(project_copy, read_only=True) as project:
        assert project.model(request["model_id"]).metrics == metrics
    assert read_manifest(bundle)["metrics"] == json.loads(json.dumps(metrics))
    assert zipfile.ZipFile(bundle).read(HEAD_FILE) == keras_before  # model bytes untouched


def test_labels_added_after_training_are_not_in_its_figures(
    project_copy: Path, no_backbone: None
) -> None:
    request = _train_without_figures(project_copy)["evaluation"]
    with Project.open(project_copy) as project:
        recording = project.recordings()[0]
        wren = next(c for c in project.classes() if c.name == CLASSES[0])
        project.put_label(recording.id, 1.0, 1.4, wren.id, "present")
    done = run_inline(evaluate_model_job, str(project_copy), **request)
    assert done["metrics"]["clips"] == len(request["examples"])


def test_a_cancelled_evaluation_leaves_the_figures_pending(
    project_copy: Path, no_backbone: None
) -> None:
    request = _train_without_figures(project_copy)["evaluation"]
    reporter: Reporter

    def on_progress(progress: Progress) -> None:
        if progress.data.get("stage") == "evaluating" and progress.total and progress.done >= 1:
            reporter.cancel()

    reporter = Reporter(on_progress)
    with pytest.raises(Cancelled):
        evaluate_model_job(reporter, str(project_copy), **request)
    with Project.open(project_copy, read_only=True) as project:
        assert is_pending(project.model(request["model_id"]).metrics)


def test_evaluating_a_deleted_model_names_it(project_copy: Path, no_backbone: None) -> None:
    request = _train_without_figures(project_copy)["evaluation"]
    with Project.open(project_copy) as project:
        project.delete_model(request["model_id"])
    with pytest.raises(ProjectError, match=f"no model number {request['model_id']}"):
        run_inline(evaluate_model_job, str(project_copy), **request)


def test_the_linear_heads_evaluation_never_imports_tensorflow(
    project_copy: Path, tmp_path: Path
) -> None:
    """What makes it cheap in a fresh worker process while the warm one re-scores."""
    request = _train_without_figures(project_copy)["evaluation"]
    (tmp_path / "request.pickle").write_bytes(pickle.dumps(request))
    script = (
        "import pickle, sys\n"
        "from model.jobs import run_inline\n"
        "from model.ml.evaluation import evaluate_model_job\n"
        f"request = pickle.loads(open({str(tmp_path / 'request.pickle')!r}, 'rb').read())\n"
        f"done = run_inline(evaluate_model_job, {str(project_copy)!r}, **request)\n"
        "print(done['metrics']['map'] > 0.9, 'tensorflow' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert out.stdout.split() == ["True", "False"], out.stderr[-2000:]


def test_new_figures_that_would_make_a_bad_manifest_leave_the_bundle_alone(
    project_copy: Path,
) -> None:
    with Project.open(project_copy, read_only=True) as project:
        bundle = project.active_model().file
    before = bundle.read_bytes()
    with pytest.raises(ModelBundleError, match="cannot be stored"):
        replace_metrics(bundle, {"map": float(np.nan)})
    assert bundle.read_bytes() == before
    replace_metrics(bundle, {"map": 0.5, "per_class": {}})
    assert read_manifest(bundle)["metrics"]["map"] == 0.5
    assert not list(bundle.parent.glob("*.part"))
