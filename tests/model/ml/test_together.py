"""The evaluation's folds (and the kept head) fitted together on one stream of batches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.ml import crossval, streaming, together
from model.ml.dataset import Examples
from model.ml.feature_table import FeatureTable
from model.ml.head import EXACT_WINDOWS, HeadConfig
from model.ml.metrics import average_precision, mean_ap
from model.ml.splitting import plan_folds
from tests.model.ml.test_streaming import _task

ROWS = EXACT_WINDOWS + 3_000  # every fold's training part is past the exact fit's limit


def _examples(targets: np.ndarray, recordings: int = 20) -> Examples:
    n = len(targets)
    return Examples(
        np.arange(n) % recordings, np.arange(n) // recordings * 2.0, targets,
        (1, 2, 3), ("a", "b", "c"), 2.0,
    )  # fmt: skip


def _map(examples: Examples, scores: np.ndarray, fold_of: np.ndarray) -> float:
    tested = fold_of >= 0
    return mean_ap(average_precision(examples.targets[tested], scores[tested]))


def test_big_folds_read_the_features_once_and_score_like_folds_fitted_in_turn(
    monkeypatch,
) -> None:
    """Five folds after a 300,000-clip retrain were five fits, each reading and converting
    every batch itself: 150 s of CPU. Fitted on one stream they read the batches once and
    score as the folds fitted one by one do."""
    features, targets = _task(ROWS, dim=64)
    examples = _examples(targets)
    plan = plan_folds(examples, 5)
    assert together.fitted_together(features, plan, HeadConfig())
    streams: list[int] = []
    real = streaming.batches
    monkeypatch.setattr(streaming, "batches", lambda *a, **k: streams.append(1) or real(*a, **k))
    turns: list[int] = []
    jointly = crossval.out_of_fold_scores(
        features, examples, plan, HeadConfig(), on_fold=lambda n, total: turns.append(n)
    )
    assert len(streams) == 1
    assert turns == sorted(turns) and turns[0] == 0 and turns[-1] == len(plan.folds) - 1
    monkeypatch.setattr(together, "fitted_together", lambda *a: False)
    in_turn = crossval.out_of_fold_scores(features, examples, plan, HeadConfig())
    assert len(streams) == 1 + len(plan.folds)
    np.testing.assert_array_equal(jointly[1], in_turn[1])  # the same windows held out
    assert (jointly[1] >= 0).all()
    ap_together, ap_in_turn = _map(examples, *jointly[:2]), _map(examples, *in_turn[:2])
    print(f"mAP together {ap_together:.4f}, in turn {ap_in_turn:.4f}")
    assert ap_in_turn > 0.6 and abs(ap_together - ap_in_turn) < 0.01


def test_a_folds_head_never_learns_from_windows_it_does_not_train_on() -> None:
    """Replacing every window model 0 does not train on (features and labels) leaves model
    0 exactly as it was: its statistics, strength and gradient come from its own windows."""
    features, targets = _task(6_000, dim=32)
    members = np.ones((len(features), 2), bool)
    members[:1_500, 0] = False  # model 0's held-out windows
    members[4_500:, 1] = False
    first = streaming.linear_models_by_adam(features, targets, members, HeadConfig())
    garbage_x, garbage_y = features.copy(), targets.copy()
    rng = np.random.default_rng(5)
    garbage_x[:1_500] = rng.normal(50, 30, (1_500, 32)).astype(np.float32)
    garbage_y[:1_500] = 1 - np.clip(garbage_y[:1_500], 0, 1)
    second = streaming.linear_models_by_adam(garbage_x, garbage_y, members, HeadConfig())
    for field in ("weights", "bias", "mean", "variance"):
        np.testing.assert_array_equal(getattr(first[0], field), getattr(second[0], field))
    assert not np.array_equal(first[1].weights, second[1].weights)  # model 1 trains on them


def test_one_model_over_every_window_is_the_final_heads_fit() -> None:
    features, targets = _task(5_000, dim=32)
    alone = streaming.linear_weights_by_adam(features, targets, HeadConfig())
    (together,) = streaming.linear_models_by_adam(
        features, targets, np.ones((len(features), 1), bool), HeadConfig()
    )
    np.testing.assert_allclose(alone.weights, together.weights, rtol=1e-5, atol=1e-6)


def test_folds_together_from_disk_and_cancel(tmp_path: Path) -> None:
    """From a feature table the folds fit together too and every held-out window is scored
    in one pass; a cancel stops the shared fit."""
    from model.jobs import Cancelled, Reporter

    features, targets = _task(ROWS, dim=64)
    examples = _examples(targets)
    plan = plan_folds(examples, 5)
    in_memory = crossval.out_of_fold_scores(features, examples, plan, HeadConfig())
    with FeatureTable.create(tmp_path, len(features), features.shape[1]) as table:
        table.write(np.arange(len(features)), features)
        rows = table.select()
        from_disk = crossval.out_of_fold_scores(rows, examples, plan, HeadConfig())
        reporter = Reporter()
        reporter.cancel()
        with pytest.raises(Cancelled):
            crossval.out_of_fold_scores(rows, examples, plan, HeadConfig(), reporter=reporter)
    np.testing.assert_array_equal(in_memory[1], from_disk[1])
    assert abs(_map(examples, *in_memory[:2]) - _map(examples, *from_disk[:2])) < 0.01
    assert all(note["together"] for note in from_disk[2])


def test_a_big_retrain_fits_the_kept_head_with_its_folds_on_one_stream(
    project_copy: Path, no_backbone: None, monkeypatch
) -> None:
    """``sonotag train`` measures after fitting: past the in-memory limit the kept head is
    one more model on the folds' stream (one stream for the whole job), and both it and the
    figures are as good as when they are fitted apart."""
    from model.jobs import run_inline
    from model.ml import train

    monkeypatch.setattr(train, "IN_MEMORY_BYTES", 0)
    streams: list[int] = []
    real = streaming.batches
    monkeypatch.setattr(streaming, "batches", lambda *a, **k: streams.append(1) or real(*a, **k))
    joint = run_inline(train.train_job, str(project_copy), untrained_backbone=True)
    assert len(streams) == 1 and joint["history"]["fitted_with_folds"] == 5
    assert all(note["together"] for note in joint["metrics"]["split"]["per_fold"])
    monkeypatch.setattr(together, "plan_with_final", lambda *a: None)
    apart = run_inline(train.train_job, str(project_copy), untrained_backbone=True)
    assert len(streams) == 3  # the kept head's, then the folds'
    assert joint["metrics"]["map"] > 0.9
    assert abs(joint["metrics"]["map"] - apart["metrics"]["map"]) < 0.02
    assert joint["scoring"]["recordings_scored"] == apart["scoring"]["recordings_scored"] == 6
