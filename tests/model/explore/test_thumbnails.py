"""Thumbnails: the clip image the backbone sees, halved; an unreadable file is named, not fatal."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.clips import ClipSettings
from model.explore.thumbnails import thumbnails_job
from model.jobs import Reporter


def test_pictures_and_a_missing_file(real_data: Path, tmp_path: Path) -> None:
    out: list[tuple[object, object]] = []
    wav = str(real_data / "pykanto-raw/STORM-PETREL/XC46092.wav")
    clips = [("a", wav, 0.0), ("b", str(tmp_path / "gone.wav"), 0.0), ("c", wav, 3.0)]
    done = thumbnails_job(Reporter(on_emit=out.append), clips, ClipSettings().to_dict())
    assert done == 3 and [key for key, _ in out] == ["a", "b", "c"]
    assert isinstance(out[0][1], np.ndarray) and out[0][1].shape == (112, 112, 3)
    assert isinstance(out[1][1], str) and "gone.wav" in out[1][1]
    assert not np.array_equal(out[0][1], out[2][1])
