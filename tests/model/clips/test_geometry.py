"""One clip geometry: clip length from the clip settings, hop from the project, one ceil rule."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from model.clips import ClipGeometry, ClipSettings, geometry_of, window_starts
from model.clips.geometry import HOP_META, set_hop
from model.ml.features import CLIP_SETTINGS_META
from model.project import Project


@pytest.mark.parametrize(
    ("duration", "expected"),
    [(0.0, [0.0]), (1.5, [0.0]), (2.0, [0.0]), (2.2, [0.0, 1.0]), (5.5, [0, 1, 2, 3, 4])],
)
def test_windows_end_with_the_first_one_that_reaches_the_end(duration, expected) -> None:
    geometry = ClipGeometry(2.0, 1.0)
    np.testing.assert_array_equal(geometry.starts(duration), expected)
    np.testing.assert_array_equal(window_starts(duration, 2.0, 1.0), expected)
    assert geometry.last_start(duration) == expected[-1]


def test_snap_never_leaves_the_windows() -> None:
    geometry = ClipGeometry(2.0, 1.0)
    assert geometry.snap(-3.0, 5.5) == 0.0
    assert geometry.snap(3.6, 5.5) == 4.0
    assert geometry.snap(99.0, 5.5) == 4.0


@pytest.mark.parametrize(
    ("clip", "hop", "words"),
    [
        (2.0, 0.0, "hop_seconds must be a positive"),
        (2.0, -1.0, "hop_seconds must be a positive"),
        (2.0, math.nan, "hop_seconds must be a positive"),
        (2.0, math.inf, "hop_seconds must be a positive"),
        (2.0, "1", "hop_seconds must be a number"),
        (2.0, True, "hop_seconds must be a number"),
        (0.0, 1.0, "clip_seconds must be a positive"),
    ],
)
def test_bad_geometry_is_refused(clip, hop, words) -> None:
    with pytest.raises(ValueError, match=words):
        ClipGeometry(clip, hop)


def test_the_project_decides_clip_length_and_hop(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.sonotag") as project:
        assert geometry_of(project) == ClipGeometry(2.0, 1.0)
        settings = ClipSettings(clip_seconds=3.0)
        project.set_meta(CLIP_SETTINGS_META, json.dumps(settings.to_dict()))
        assert set_hop(project, 0.5) == ClipGeometry(3.0, 0.5)
    with Project.open(tmp_path / "p.sonotag") as project:
        assert geometry_of(project) == ClipGeometry(3.0, 0.5)
        with pytest.raises(ValueError):
            set_hop(project, 0.0)
        project.set_meta(HOP_META, "nan")  # edited by hand: the default, not a broken project
        assert geometry_of(project) == ClipGeometry(3.0, 1.0)
