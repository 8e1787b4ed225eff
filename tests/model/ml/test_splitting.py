"""Folds for honest evaluation: test never stops training, one-recording classes are cut in
time blocks instead of dropped, overlapping windows never straddle a boundary."""

from __future__ import annotations

import numpy as np

from model.ml.dataset import Examples
from model.ml.splitting import final_split, plan_folds


def _examples(layout: dict[int, tuple[int, int]], windows: int = 12) -> Examples:
    """``layout``: recording id -> (class column with positives or -1, windows)."""
    rec, starts, rows = [], [], []
    for rid, (column, count) in layout.items():
        for w in range(count or windows):
            row = np.zeros(3, np.int8)
            if column >= 0 and w % 2 == 0:
                row[column] = 1
            rec.append(rid)
            starts.append(float(w))  # hop 1 s, 2-s clips: neighbours overlap
            rows.append(row)
    return Examples(
        np.asarray(rec, np.int64),
        np.asarray(starts),
        np.asarray(rows),
        (1, 2, 3),
        ("a", "b", "c"),
        2.0,
    )


def test_every_window_is_tested_once_and_never_validates_its_own_fold() -> None:
    ex = _examples({r: (r % 3, 0) for r in range(1, 10)})
    plan = plan_folds(ex, folds=3)
    assert plan.method == "recording" and len(plan.folds) == 3
    tested = np.concatenate([f.test for f in plan.folds])
    assert sorted(tested.tolist()) == list(range(len(ex)))
    for fold in plan.folds:
        parts = [set(fold.train), set(fold.validation), set(fold.test)]
        assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
        assert len(fold.validation) > 0
        # whole recordings: no recording on both sides of the test boundary
        test_recs = set(ex.recording_ids[fold.test])
        other = set(ex.recording_ids[np.concatenate([fold.train, fold.validation])])
        assert not test_recs & other
        # every class keeps positives to learn from
        assert (ex.targets[fold.train] == 1).any(axis=0).all()


def test_class_living_in_one_recording_is_split_by_time_blocks_not_dropped() -> None:
    layout = {r: (0, 0) for r in range(1, 7)}
    layout[7] = (2, 40)  # class "c" only here, one long recording
    ex = _examples(layout)
    plan = plan_folds(ex, folds=4)
    assert plan.block_recordings == (7,)
    assert plan.method == "recording+time-block"
    tested_c = [f for f in plan.folds if (ex.targets[f.test, 2] == 1).any()]
    assert len(tested_c) >= 3, "class c is tested in several folds"
    for fold in plan.folds:
        assert (ex.targets[fold.train, 2] == 1).any(), "and learnt from in each"
        # no training or validation window shares audio with a test window of recording 7
        test7 = ex.starts[fold.test][ex.recording_ids[fold.test] == 7]
        for part in (fold.train, fold.validation):
            mine = ex.starts[part][ex.recording_ids[part] == 7]
            if len(test7) and len(mine):
                assert np.abs(mine[:, None] - test7[None, :]).min() >= 2.0


def test_folds_are_reproducible_and_need_enough_windows() -> None:
    ex = _examples({r: (r % 3, 0) for r in range(1, 10)})
    a, b = plan_folds(ex, seed=3), plan_folds(ex, seed=3)
    assert all(np.array_equal(x.test, y.test) for x, y in zip(a.folds, b.folds, strict=True))
    tiny = ex.subset(np.arange(5))
    assert plan_folds(tiny).folds == () and plan_folds(tiny).method == "none"


def test_final_split_keeps_positives_of_every_class_in_training() -> None:
    layout = {r: (r % 3, 0) for r in range(1, 7)}
    ex = _examples(layout)
    split = final_split(ex)
    assert len(split.validation) > 0 and len(split.test) == 0
    assert (ex.targets[split.train] == 1).any(axis=0).all()
    assert not set(split.train) & set(split.validation)
