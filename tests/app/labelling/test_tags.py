"""The tag rules without pixels: one tag per clip, rows for overlaps, runs at low zoom."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from app.labelling.tags import (
    MIN_TAG_PX,
    RUN_GAP_PX,
    describe,
    fit_tag_text,
    group_by_clip,
    readable,
    rows_of,
    run_bounds,
    stripe_segments,
)
from model.project.records import Label, LabelState


def _label(i: int, start: float, class_id: int, state: str = "present", length: float = 2.0):
    return Label(i, 1, start, start + length, class_id, LabelState(state), "me", datetime.now(UTC))


def test_labels_of_one_clip_share_a_group_in_class_order() -> None:
    labels = [_label(1, 4.0, 3), _label(2, 0.0, 1), _label(3, 4.0, 1, "absent"), _label(4, 1.0, 2)]
    groups = group_by_clip(labels, {1: 5, 2: 1, 3: 0})
    assert [(g.start, g.end) for g in groups] == [(0.0, 2.0), (1.0, 3.0), (4.0, 6.0)]
    assert [la.class_id for la in groups[2].labels] == [3, 1]  # position 0 before position 5
    names = {1: "Great tit", 3: "Robin"}
    assert (
        describe(groups[2], names.__getitem__) == "4.00–6.00 s\nRobin: present\nGreat tit: absent"
    )


def test_overlapping_clips_take_the_lowest_free_row() -> None:
    labels = [_label(i, start, 1) for i, start in enumerate((0.0, 1.0, 2.0, 3.0, 2.5, 10.0))]
    groups = group_by_clip(labels, {})
    assert [(g.start, rows) for g, rows in zip(groups, rows_of(groups), strict=True)] == [
        (0.0, 0),
        (1.0, 1),
        (2.0, 0),  # 0-2 has ended: back to the first row
        (2.5, 2),
        (3.0, 1),
        (10.0, 0),
    ]


def test_narrow_clips_that_touch_merge_into_runs() -> None:
    x0 = np.array([0.0, 4.0 + RUN_GAP_PX, 5.0, 100.0])
    x1 = np.array([4.0, 8.0, 6.0, 104.0])
    assert run_bounds(x0, x1) == [(0, 3), (3, 4)]
    assert run_bounds(np.zeros(0), np.zeros(0)) == []
    assert MIN_TAG_PX > 8.0  # such clips are narrow enough to be merged at all


def test_a_run_stripe_is_one_piece_a_pixel_column_and_one_a_class() -> None:
    """Thousands of clips at whole-file zoom: the last clip starting in a column paints it,
    and neighbours of one class join, so a paint draws pixels' worth of rectangles."""
    x0 = np.array([0.1, 0.4, 0.8, 1.2, 2.0, 2.5, 7.0])
    x1 = x0 + 0.3
    classes = np.array([1, 2, 3, 3, 3, 1, 2])
    assert stripe_segments(x0, x1, classes) == [(0.0, 2.0, 3), (2.0, 3.0, 1), (7.0, 8.0, 2)]
    many = np.sort(np.random.default_rng(2).uniform(0, 500, 20_000))
    pieces = stripe_segments(many, many + 0.2, np.arange(len(many)) % 11)
    assert len(pieces) <= 501
    assert all(a < b for a, b, _ in pieces)


def test_a_shortened_name_must_keep_three_letters() -> None:
    assert readable("Great tit", "Great tit")
    assert readable("Gre\u2026", "Great tit")
    assert not readable("G\u2026", "Great tit")
    assert not readable("\u2026", "Great tit")
    assert not readable("", "Great tit")


def _elide(text: str, room: float) -> str:
    """Monospaced stand-in for QFontMetrics.elidedText: 8 px a character."""
    if len(text) * 8 <= room:
        return text
    keep = int(room // 8) - 1
    return text[:keep] + "\u2026" if keep > 0 else ""


def test_a_narrow_tag_keeps_three_letters_or_just_its_state_mark() -> None:
    present, absent = LabelState.PRESENT, LabelState.ABSENT
    assert fit_tag_text("Great tit", present, 200, _elide) == "Great tit"
    assert fit_tag_text("Great tit", present, 40, _elide) == "Grea\u2026"
    assert fit_tag_text("Great tit", present, 24, _elide) == ""  # never "G…"
    assert fit_tag_text("Great tit", absent, 56, _elide) == "\u2717 Grea\u2026"
    assert fit_tag_text("Great tit", absent, 30, _elide) == "\u2717"  # "✗ G…" says nothing more
    assert fit_tag_text("Great tit", LabelState.UNCERTAIN, 12, _elide) == "?"
    assert fit_tag_text("Great tit", absent, 4, _elide) == ""
