from __future__ import annotations

import pytest

from model.annotations.clips import clip_starts, clips_for_span
from model.clips import window_starts


def test_candidates_are_the_windows_the_classifier_scores():
    for duration in (0.98, 2.0, 10.0, 14.0016, 15.38, 22.888):
        assert clip_starts(duration) == pytest.approx(list(window_starts(duration, 2.0, 1.0)))
    assert clip_starts(10.0, 2.0, 0.5)[-1] == 8.0


def test_short_call_inside_a_clip_labels_the_clips_holding_most_of_it():
    # 0.3 s call at 3.2-3.5 s: wholly inside [2,4) and [3,5), nowhere near [1,3) or [4,6).
    assert clips_for_span(3.2, 3.5, 14.0) == [(2.0, 4.0), (3.0, 5.0)]
    # A call straddling 3.0 s by 0.1/0.3: [2,4) holds all of it, [1,3) only a third, [3,5) 2/3.
    assert clips_for_span(2.9, 3.2, 14.0) == [(2.0, 4.0), (3.0, 5.0)]


def test_long_span_labels_every_clip_it_covers_by_half():
    assert clips_for_span(3.0, 9.0, 14.0) == [(s, s + 2.0) for s in range(2, 9)]
    # Stricter overlap: only clips wholly inside the span.
    assert clips_for_span(3.0, 9.0, 14.0, min_overlap=1.0) == [(s, s + 2.0) for s in range(3, 8)]


def test_point_in_time_labels_the_clips_containing_it():
    assert clips_for_span(5.0, 5.0, 14.0) == [(4.0, 6.0), (5.0, 7.0)]
    assert clips_for_span(0.0, 0.0, 14.0) == [(0.0, 2.0)]


def test_spans_are_cut_to_the_recording():
    assert clips_for_span(12.5, 20.0, 14.0) == [(12.0, 14.0)]
    # The last window runs past the end (padded), so the tail of 15.38 s is covered.
    assert clips_for_span(15.1, 15.3, 15.38) == [(14.0, 16.0)]
    assert clips_for_span(-1.0, 0.5, 14.0) == [(0.0, 2.0)]
    assert clips_for_span(0.1, 0.5, 0.98) == [(0.0, 2.0)]


def test_spans_outside_or_only_touching_the_recording_label_nothing():
    assert clips_for_span(-3.0, 0.0, 14.0) == []
    assert clips_for_span(14.0, 15.0, 14.0) == []
    assert clips_for_span(20.0, 21.0, 14.0) == []


def test_coarse_grid_can_leave_a_straddling_span_unlabelled():
    # 1.5 s span across the boundary of 2-s clips laid every 2 s: 0.75 s in each < 90 % of 1.5.
    assert clips_for_span(1.25, 2.75, 10.0, grid=2.0, min_overlap=0.9) == []
    assert clips_for_span(1.25, 2.75, 10.0, grid=2.0) == [(0.0, 2.0), (2.0, 4.0)]


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError):
        clips_for_span(1, 2, 10, min_overlap=0)
    with pytest.raises(ValueError):
        clip_starts(10, grid=0)


def test_a_span_that_is_exactly_a_clip_labels_only_that_clip():
    assert clips_for_span(2.0, 4.0, 14.0) == [(2.0, 4.0)]
    assert clips_for_span(14.0, 16.0, 15.38) == [(14.0, 16.0)]  # the padded last window
    assert clips_for_span(2.5, 4.5, 14.0) == [(2.0, 4.0), (3.0, 5.0)]  # off the grid: rule 3
