"""Labels -> examples and the held-out split (pure NumPy, no TensorFlow)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from model.ml.dataset import (
    NEGATIVE,
    POSITIVE,
    UNKNOWN,
    build_examples,
    label_windows,
)
from model.ml.splitting import plan_folds
from model.project.records import Label, LabelClass, LabelState

CLASSES = [LabelClass(1, "wren", "#ff0000", "1", 0), LabelClass(2, "robin", "#00ff00", "2", 1)]


def _label(rec: int, start: float, end: float, cls: int, state: str = "present") -> Label:
    return Label(0, rec, start, end, cls, LabelState(state), "t", datetime.now(UTC))


def test_short_label_is_centred_and_clamped_inside_the_recording() -> None:
    assert label_windows(5.0, 5.5, 60.0, 2.0) == [4.25]
    assert label_windows(0.1, 0.3, 60.0, 2.0) == [0.0]
    assert label_windows(59.5, 59.9, 60.0, 2.0) == [58.0]
    assert label_windows(0.0, 0.5, 1.0, 2.0) == [0.0]  # recording shorter than a clip


def test_clips_at_the_end_of_a_short_recording_train_on_the_windows_that_are_scored() -> None:
    """A 2.2-s song labelled on the clip grid (0-2 s and 1-3 s): the scorer's last window is
    the first that reaches the end (1-3 s, padded with silence), so training must see that
    window, not a copy of the first moved back inside the recording (0.2-2.2 s), which the
    model would then learn from but never score."""
    from model.clips import window_starts

    duration = 2.213
    labels = [_label(1, 0.0, 2.0, 1), _label(1, 1.0, 3.0, 1)]
    examples = build_examples(labels, CLASSES, {1: duration}, 2.0)
    assert examples.starts.tolist() == window_starts(duration, 2.0, 1.0).tolist() == [0.0, 1.0]
    assert label_windows(1.0, 3.0, duration, 2.0, hop=1.0) == [1.0]
    # The last scored window of 5.5 s: 4-6 s on a 1-s hop, 3.5-5.5 s on a 0.5-s hop.
    assert label_windows(4.5, 5.5, 5.5, 2.0, hop=1.0) == [4.0]
    assert label_windows(4.5, 5.5, 5.5, 2.0, hop=0.5) == [3.5]


def test_long_label_gets_several_windows_spanning_it() -> None:
    assert label_windows(10.0, 16.0, 60.0, 2.0) == [10.0, 12.0, 14.0]
    assert label_windows(10.0, 15.0, 60.0, 2.0) == [10.0, 11.5, 13.0]


def test_targets_follow_the_rules() -> None:
    labels = [
        _label(1, 5.0, 5.5, 1),  # wren present: window 4.25
        _label(1, 5.9, 6.5, 2, "uncertain"),  # robin uncertain, overlaps that window
        _label(1, 20.0, 20.5, 1, "absent"),  # wren absent: window 19.25
        _label(1, 19.0, 19.5, 2),  # robin present, fully inside window 19.25
        _label(1, 40.0, 40.6, 2),  # robin present: window 39.3...
        _label(1, 41.2, 41.8, 1),  # ...which a wren call only grazes (0.1 s of 0.6)
    ]
    ex = build_examples(labels, CLASSES, {1: 60.0}, 2.0)
    rows = {float(s): tuple(int(v) for v in t) for s, t in zip(ex.starts, ex.targets, strict=True)}
    assert rows == {
        4.25: (POSITIVE, UNKNOWN),
        5.2: (POSITIVE, UNKNOWN),  # the robin's own window: 0.3 s of the 0.5-s wren call in it
        18.25: (NEGATIVE, POSITIVE),  # half the absent wren's span is in the window
        19.25: (NEGATIVE, POSITIVE),
        39.3: (UNKNOWN, POSITIVE),
        40.5: (POSITIVE, UNKNOWN),  # the wren's own window grazes the robin
    }
    assert ex.label_counts()["wren"] == {"present": 3, "absent": 2, "unknown": 1}


def test_unmentioned_class_is_a_negative_and_unknown_recordings_are_skipped() -> None:
    ex = build_examples([_label(1, 5.0, 5.5, 1), _label(9, 1, 2, 1)], CLASSES, {1: 60.0}, 2.0)
    assert ex.targets.tolist() == [[POSITIVE, NEGATIVE]]
    assert ex.recording_ids.tolist() == [1]


def _many(recordings: int, per_recording: int) -> list[Label]:
    labels = []
    for rec in range(1, recordings + 1):
        for i in range(per_recording):
            labels.append(_label(rec, 10.0 * i + 1, 10.0 * i + 1.5, 1 + i % 2))
    return labels


def test_folds_hold_out_whole_recordings_with_every_class_on_both_sides() -> None:
    ex = build_examples(_many(8, 6), CLASSES, {r: 100.0 for r in range(1, 9)}, 2.0)
    plan = plan_folds(ex)
    assert plan.method == "recording"
    for fold in plan.folds:
        held = set(ex.recording_ids[fold.test].tolist())
        assert held.isdisjoint(ex.recording_ids[fold.train].tolist())
        assert held.isdisjoint(ex.recording_ids[fold.validation].tolist())
        for col in range(2):
            assert (ex.targets[fold.train, col] == POSITIVE).any()
    for col in range(2):
        assert sum((ex.targets[f.test, col] == POSITIVE).any() for f in plan.folds) >= 3


def test_single_recording_is_split_by_time_without_overlapping_windows() -> None:
    labels = [_label(1, 3.0 * i + 1, 3.0 * i + 1.4, 1 + i % 2) for i in range(60)]
    ex = build_examples(labels, CLASSES, {1: 200.0}, 2.0)
    plan = plan_folds(ex)
    assert plan.method == "time-block"
    for fold in plan.folds:
        assert len(fold.test) > 0 and len(fold.train) > 0
        for i in fold.test:
            assert (np.abs(ex.starts[fold.train] - ex.starts[i]) >= 2.0).all()


def test_too_few_examples_are_not_split() -> None:
    ex = build_examples(_many(2, 2), CLASSES, {1: 60.0, 2: 60.0}, 2.0)
    plan = plan_folds(ex)
    assert plan.method == "none" and plan.folds == ()


def test_a_window_with_only_absent_labels_says_nothing_about_other_classes() -> None:
    """Review's "reject wren" must not teach "robin is absent" on that clip."""
    examples = build_examples(
        [_label(1, 10.0, 12.0, 1, "absent"), _label(1, 30.0, 32.0, 1, "uncertain")],
        CLASSES,
        {1: 60.0},
        2.0,
    )
    assert examples.targets.tolist() == [[NEGATIVE, UNKNOWN], [UNKNOWN, UNKNOWN]]


def _reference_targets(labels: list[Label], window: float, clip: float) -> tuple[int, ...]:
    """The rules applied the slow, obvious way: every label against the window."""
    from model.ml.dataset import _RANK, _state_value

    column = {c.id: i for i, c in enumerate(CLASSES)}
    row, rank = [NEGATIVE] * len(CLASSES), [0] * len(CLASSES)
    for label in labels:
        value = _state_value(label, window, clip)
        col = column[label.class_id]
        if value is not None and _RANK[value] > rank[col]:
            row[col], rank[col] = value, _RANK[value]
    if POSITIVE not in row:
        row = [UNKNOWN if r == 0 else v for v, r in zip(row, rank, strict=True)]
    return tuple(row)


def test_one_sweep_gives_what_every_label_against_every_window_gives() -> None:
    rng = np.random.default_rng(5)
    labels = []
    for rec in (1, 2):
        for _ in range(400):
            start = round(float(rng.uniform(0, 290)), 3)
            length = float(rng.choice([0.2, 0.8, 1.9, 2.0, 3.5, 12.0]))
            state = str(rng.choice(["present", "absent", "uncertain"], p=[0.6, 0.3, 0.1]))
            labels.append(
                _label(rec, start, round(start + length, 3), int(rng.integers(1, 3)), state)
            )
    ex = build_examples(labels, CLASSES, {1: 300.0, 2: 300.0}, 2.0)
    assert len(ex) > 700
    assert ex.recording_ids.tolist() == sorted(ex.recording_ids.tolist())
    for rid, start, row in zip(ex.recording_ids, ex.starts, ex.targets, strict=True):
        mine = [lb for lb in labels if lb.recording_id == rid]
        assert tuple(int(v) for v in row) == _reference_targets(mine, float(start), 2.0)


def test_by_recording_groups_indices() -> None:
    ex = build_examples(_many(3, 4), CLASSES, {r: 100.0 for r in range(1, 4)}, 2.0)
    groups = ex.by_recording()
    assert sorted(groups) == [1, 2, 3]
    for rid, index in groups.items():
        assert (ex.recording_ids[index] == rid).all() and len(index) == 4
