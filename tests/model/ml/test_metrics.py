"""Average precision, mAP and PR curves, with unknown targets ignored."""

from __future__ import annotations

import numpy as np

from model.ml.metrics import average_precision, evaluate, mean_ap, pr_curve


def test_average_precision_by_hand() -> None:
    # Ranking: pos, neg, pos -> precision at the positives 1 and 2/3 -> AP 5/6.
    targets = np.array([[1], [0], [1]])
    scores = np.array([[0.9], [0.8], [0.7]])
    assert np.isclose(average_precision(targets, scores)[0], 5 / 6)


def test_unknown_targets_are_left_out() -> None:
    targets = np.array([[1], [-1], [0], [1]])
    scores = np.array([[0.9], [0.95], [0.1], [0.8]])
    assert average_precision(targets, scores) == [1.0]


def test_class_without_positives_or_negatives_has_no_ap() -> None:
    targets = np.array([[1, 0, -1], [1, 0, -1]])
    assert average_precision(targets, np.ones((2, 3))) == [None, None, None]
    assert mean_ap([None, 0.5, 1.0]) == 0.75
    assert mean_ap([None]) is None


def test_pr_curve_is_thinned_and_aligned() -> None:
    rng = np.random.default_rng(0)
    targets = rng.integers(0, 2, 1000)
    scores = rng.random(1000)
    curve = pr_curve(targets, scores, max_points=50)
    assert len(curve["precision"]) == len(curve["recall"]) == len(curve["thresholds"]) <= 50
    assert curve["recall"][0] == 1.0 and curve["recall"][-1] == 0.0


def test_evaluate_reports_every_class() -> None:
    targets = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    scores = np.array([[0.9, 0.1], [0.2, 0.7], [0.8, 0.6], [0.1, 0.2]])
    result = evaluate(targets, scores, ["a", "b"])
    assert result["map"] == 1.0 and result["clips"] == 4
    assert result["per_class"]["a"]["positives"] == 2 and result["per_class"]["b"]["negatives"] == 2
