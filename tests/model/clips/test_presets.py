"""Taxon presets: the rule that derives their settings, and each preset's demo call shown."""

from __future__ import annotations

import numpy as np
import pytest

from model.clips import ClipSettings
from model.clips.demo_calls import demo_image
from model.clips.image import _mel_filterbank
from model.clips.presets import (
    PRESETS,
    custom_settings,
    derive_settings,
    describe,
    preset_named,
    preset_of,
    rate_for_band,
)
from tests.model.clips.call_region import box_mask


def test_songbirds_are_the_studys_settings_and_the_rule_gives_them_back() -> None:
    # Existing projects and models carry the default fingerprint: it must not move.
    assert PRESETS["songbirds"].settings == ClipSettings()
    assert derive_settings(22_050, 150.0, 11_025.0) == ClipSettings()
    assert preset_of(ClipSettings()) == "songbirds"


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_draws_a_full_image(name: str) -> None:
    s = PRESETS[name].settings
    frames = 1 + s.clip_samples // s.hop_length
    assert 224 <= frames <= 227  # ~9 ms a column, as the study's clips
    assert s.n_fft >= 1.5 * s.hop_length  # no instant between two windows' tails
    empty = ~(_mel_filterbank(s) > 0).any(axis=1)
    assert not empty.any(), f"{name}: mel bands with no FFT bin: {np.flatnonzero(empty)}"
    assert preset_of(s) == name


def test_bands_of_the_presets() -> None:
    bats = PRESETS["bats"].settings
    assert (bats.fmin, bats.fmax) == (15_000, 120_000) and bats.sample_rate >= 240_000
    low = PRESETS["low"].settings
    assert (low.fmin, low.fmax) == (50, 4_000)
    assert "15–120 kHz" in describe(bats)


@pytest.mark.parametrize("name", [*PRESETS, "custom"])
def test_each_preset_shows_its_demo_call(name: str, levels) -> None:
    settings = custom_settings(2_000, 60_000) if name == "custom" else PRESETS[name].settings
    image, call = demo_image(name, settings)
    level = levels(image).astype(np.float64)
    calls = box_mask([(b.start, b.end, b.low_hz, b.high_hz) for b in call.boxes], settings)
    inside, outside = level[calls].mean(), level[~calls].mean()
    # 30 of 255 is 7 dB of the 60-dB scale, averaged over whole boxes (calls fill part of them).
    assert inside - outside > 30, (name, inside, outside)
    assert outside < 15, (name, outside)  # the background stays dark


def test_the_songbird_preset_does_not_hear_bats(levels) -> None:
    image, _ = demo_image("bats", PRESETS["songbirds"].settings)
    assert levels(image).max() < 10  # everything above 11 kHz is gone: why bats need a preset


def test_every_bat_call_shows_in_the_bat_preset(levels) -> None:
    """Each call, however short and wherever it falls between STFT frames, gets a bright column:
    with too short an FFT window some 3-ms calls fell between two frames and vanished."""
    settings = PRESETS["bats"].settings
    image, call = demo_image("bats", settings)
    level = levels(image).astype(np.float64)
    background = np.median(level[box_mask([(0, 2, 32_000, 78_000)], settings)])
    for box in call.boxes:
        one = box_mask([(box.start, box.end, 32_000, 78_000)], settings)
        assert level[one].max() - background > 100, box  # 2,048-point window: 61


def test_custom_band_rules() -> None:
    assert rate_for_band(11_025) == 22_050 and rate_for_band(60_000) == 192_000
    s = custom_settings(2_000, 60_000)
    assert (s.fmin, s.fmax, s.sample_rate) == (2_000, 60_000, 192_000)
    assert custom_settings(100, 3_000, 16_000).sample_rate == 16_000
    with pytest.raises(ValueError, match="must be below"):
        custom_settings(5_000, 1_000)
    with pytest.raises(ValueError, match="does not fit"):
        custom_settings(100, 3_000, 4_000)
    with pytest.raises(ValueError, match="no sample rate"):
        custom_settings(100, 500_000)
    with pytest.raises(ValueError, match="no preset 'whales'"):
        preset_named("whales")
