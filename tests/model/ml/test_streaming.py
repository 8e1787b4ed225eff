"""Heads trained from features on disk score like heads trained from features in memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.ml.feature_table import FeatureTable
from model.ml.head import HeadConfig, predict_scores, train_head
from model.ml.metrics import average_precision, mean_ap
from model.ml.streaming import batch_size_for, linear_steps


def _task(rows: int, dim: int = 96, classes: int = 3, seed: int = 0):
    """Overlapping classes (so the fit matters), a window may hold several or none, and
    targets are unknown where a label said nothing."""
    rng = np.random.default_rng(seed)
    truth = rng.random((rows, classes)) < 0.25
    prototypes = rng.normal(0, 1, (classes, dim))
    features = rng.normal(0, 1.5, (rows, dim)) + truth @ prototypes * 0.35
    features += rng.normal(0, 1, dim) * 3  # offsets the standardisation must remove
    targets = truth.astype(np.int8)
    targets[rng.random((rows, classes)) < 0.2] = -1
    return features.astype(np.float16).astype(np.float32), targets


def test_linear_head_from_disk_scores_like_the_exact_fit(tmp_path: Path) -> None:
    everything, known = _task(36_000)
    features, targets = everything[:30_000], known[:30_000]
    test_x, test_y = everything[30_000:], known[30_000:]
    exact = train_head(features, targets, None, HeadConfig())
    with FeatureTable.create(tmp_path, len(features), features.shape[1]) as table:
        table.write(np.arange(len(features)), features)
        streamed = train_head(table.select(), targets, None, HeadConfig())
        # scoring reads the table too, and gives what scoring the array gives
        np.testing.assert_allclose(
            predict_scores(streamed.model, table.select()[np.arange(0, 30_000, 7)]),
            predict_scores(streamed.model, features[::7]),
            atol=1e-5,
        )
    ap_exact = mean_ap(average_precision(test_y, predict_scores(exact.model, test_x)))
    ap_streamed = mean_ap(average_precision(test_y, predict_scores(streamed.model, test_x)))
    assert ap_exact > 0.6
    print(f"mAP exact {ap_exact:.4f}, from disk {ap_streamed:.4f}")
    assert abs(ap_streamed - ap_exact) < 0.01, (ap_streamed, ap_exact)


def test_mlp_head_trains_from_disk_with_early_stopping(tmp_path: Path) -> None:
    features, targets = _task(12_000)
    config = HeadConfig(kind="mlp", epochs=6, patience=2)
    with FeatureTable.create(tmp_path, len(features), features.shape[1]) as table:
        table.write(np.arange(len(features)), features)
        rows = table.select()
        fit = train_head(
            rows[np.arange(9_000)],
            targets[:9_000],
            (rows[np.arange(9_000, 12_000)], targets[9_000:]),
            config,
        )
    scores = predict_scores(fit.model, features[9_000:])
    assert mean_ap(average_precision(targets[9_000:], scores)) > 0.6
    assert 1 <= len(fit.history) <= 6 and fit.history[0]["val_ap"] is not None


def test_batches_grow_with_the_windows() -> None:
    assert batch_size_for(10_000, 64) == 64
    assert batch_size_for(300_000, 64) == 1024
    assert batch_size_for(10**8, 64) == 1024


def test_training_a_project_from_disk(project_copy: Path, no_backbone: None, monkeypatch) -> None:
    """Past the in-memory limit the job writes the labelled windows' features to a table
    beside the cache, trains and measures from it, and removes it afterwards."""
    from model.jobs import run_inline
    from model.ml import train
    from model.project.feature_cache import cache_folder

    in_memory = run_inline(train.train_job, str(project_copy), untrained_backbone=True, score=False)
    written = []
    real_create = FeatureTable.create

    def spy(*args, **kwargs):
        table = real_create(*args, **kwargs)
        written.append(table.path)
        return table

    monkeypatch.setattr(train, "IN_MEMORY_BYTES", 0)
    monkeypatch.setattr(train.FeatureTable, "create", spy)
    kinds: set[str] = set()
    real_write = FeatureTable.write
    monkeypatch.setattr(
        FeatureTable, "write", lambda self, i, v: kinds.add(v.dtype.name) or real_write(self, i, v)
    )
    from_disk = run_inline(train.train_job, str(project_copy), untrained_backbone=True)
    assert kinds == {"float16"}  # as the cache holds them: no round trip through float32
    assert len(written) == 1 and written[0].is_relative_to(cache_folder(project_copy))
    assert not written[0].exists()
    assert from_disk["features"]["computed"] == 0
    assert from_disk["metrics"]["map"] > 0.9
    assert abs(from_disk["metrics"]["map"] - in_memory["metrics"]["map"]) < 0.05
    assert from_disk["scoring"]["recordings_scored"] == 6


def test_linear_steps_grow_with_the_windows_between_bounds(monkeypatch) -> None:
    """A step costs the same whatever the data: 5,000 windows take 300 steps, not the 600
    that 300,000 windows need (two passes); always whole passes."""
    from model.ml import streaming

    assert linear_steps(5_000) == 300
    assert linear_steps(10_000) == 300  # 30 passes of 10
    assert linear_steps(20_000) == 400  # twenty passes of 20
    assert 550 <= linear_steps(300_000) <= 650 and linear_steps(300_000) % 293 == 0
    assert linear_steps(1) >= streaming.MIN_LINEAR_STEPS
    taken: list[int] = []
    real = streaming._adam_step
    monkeypatch.setattr(
        streaming, "_adam_step", lambda value, *rest: taken.append(1) or real(value, *rest)
    )
    features, targets = _task(5_000)
    fit = train_head(features, targets, None, HeadConfig())  # past the exact fit's limit
    assert len(taken) == 2 * 300  # weights and bias each step
    assert mean_ap(average_precision(targets, predict_scores(fit.model, features))) > 0.85


def test_features_stay_in_memory_unless_memory_needs_disk() -> None:
    from model.ml import train

    assert train.in_memory(10_000, 2048)  # 80 MB
    assert train.in_memory(60_000, 1024)
    assert not train.in_memory(300_000, 2048)  # 2.4 GB: from disk


def test_folds_are_fitted_like_the_final_head(monkeypatch, tmp_path: Path) -> None:
    """The evaluation's folds fit exactly only as far as the final head does
    (``EXACT_WINDOWS``): beyond it the exact fit took minutes per fold at 10,000 windows in
    memory, while the model itself was fitted by mini-batches in seconds. From disk too, the
    folds score with NumPy weights, chunk by chunk."""
    from model.ml import crossval
    from model.ml.dataset import Examples
    from model.ml.head import EXACT_WINDOWS

    features, targets = _task(EXACT_WINDOWS + 1_500)
    n = len(features)
    examples = Examples(
        np.arange(n) % 10, np.arange(n) // 10 * 2.0, targets, (1, 2, 3), ("a", "b", "c"), 2.0
    )
    exact: list[int] = []
    real = crossval.fit_linear_weights
    monkeypatch.setattr(
        crossval, "fit_linear_weights", lambda x, *a, **k: exact.append(len(x)) or real(x, *a, **k)
    )
    test = np.arange(EXACT_WINDOWS + 500, EXACT_WINDOWS + 1_500)
    none = np.empty(0, np.int64)
    small = np.arange(1_000)
    crossval._fit_and_score(features, examples, small, none, test, HeadConfig(), None)
    assert exact == [1_000]
    big = np.arange(EXACT_WINDOWS + 500)
    scores, _ = crossval._fit_and_score(features, examples, big, none, test, HeadConfig(), None)
    assert exact == [1_000]  # not again: past the limit by mini-batches
    assert mean_ap(average_precision(targets[test], scores)) > 0.8
    with FeatureTable.create(tmp_path, len(features), features.shape[1]) as table:
        table.write(np.arange(len(features)), features)
        from_disk, _ = crossval._fit_and_score(
            table.select(), examples, big, none, test, HeadConfig(), None
        )
    assert exact == [1_000] and from_disk.shape == scores.shape
    assert (
        abs(
            mean_ap(average_precision(targets[test], from_disk))
            - mean_ap(average_precision(targets[test], scores))
        )
        < 0.02
    )


def test_linear_folds_run_two_at_a_time_with_the_same_result(monkeypatch) -> None:
    """Five folds one after another left a core idle for most of a big retrain. Fitted two at
    a time they give exactly the scores fitted in turn give; a cancel stops them."""
    import threading

    import pytest

    from model.jobs import Cancelled, Reporter
    from model.ml import crossval
    from model.ml.dataset import Examples
    from model.ml.splitting import plan_folds

    features, targets = _task(3_000, dim=32)
    examples = Examples(
        np.repeat(np.arange(10), 300), np.tile(np.arange(300.0), 10), targets,
        (1, 2, 3), ("a", "b", "c"), 2.0,
    )  # fmt: skip
    plan = plan_folds(examples, 5)
    threads: set[str] = set()
    real = crossval._fit_and_score

    def spy(*args, **kwargs):
        threads.add(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(crossval, "_fit_and_score", spy)
    turns: list[int] = []
    together = crossval.out_of_fold_scores(
        features, examples, plan, HeadConfig(), on_fold=lambda n, total: turns.append(n)
    )
    assert turns == list(range(len(plan.folds))) and all(t.startswith("fold") for t in threads)
    monkeypatch.setattr(crossval, "FOLD_WORKERS", 1)
    threads.clear()
    alone = crossval.out_of_fold_scores(features, examples, plan, HeadConfig())
    assert threads == {threading.main_thread().name}
    np.testing.assert_array_equal(together[0], alone[0])
    np.testing.assert_array_equal(together[1], alone[1])
    monkeypatch.setattr(crossval, "FOLD_WORKERS", 2)
    reporter = Reporter()
    reporter.cancel()
    with pytest.raises(Cancelled):
        crossval.out_of_fold_scores(features, examples, plan, HeadConfig(), reporter=reporter)


def test_linear_batches_are_read_in_a_thread_that_ends_with_the_fit(monkeypatch) -> None:
    """Reading, shuffling and converting the next batch overlaps this step's products (a
    thread); it stops when the fit ends or is cancelled, and the fit is the same."""
    import threading

    import pytest

    from model.jobs import Cancelled, Reporter
    from model.ml import streaming

    features, targets = _task(5_000, dim=32)
    where: set[str] = set()
    real = streaming.batches

    def spy(*args, **kwargs):
        for item in real(*args, **kwargs):
            where.add(threading.current_thread().name)
            yield item

    monkeypatch.setattr(streaming, "batches", spy)
    fitted = streaming.linear_weights_by_adam(features, targets, HeadConfig())
    assert where == {"sonotag-batches"}
    assert not [t for t in threading.enumerate() if t.name == "sonotag-batches"]
    monkeypatch.setattr(streaming, "batches", real)
    again = streaming.linear_weights_by_adam(features, targets, HeadConfig())
    np.testing.assert_array_equal(fitted.weights, again.weights)
    reporter = Reporter()
    reporter.cancel()
    with pytest.raises(Cancelled):
        streaming.linear_weights_by_adam(features, targets, HeadConfig(), reporter=reporter)
    assert not [t for t in threading.enumerate() if t.name == "sonotag-batches"]
