"""Clip images of the real recordings: calls must stand out from the background."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from model.audio import AudioFile
from model.clips import ClipSettings, clip_images, window_starts


def _image_row(freq_hz: float, s: ClipSettings) -> float:
    """Image row (0 = top) where a frequency is drawn."""
    import librosa

    centres = librosa.mel_frequencies(s.n_mels + 2, fmin=s.fmin, fmax=s.fmax)[1:-1]
    band = float(np.interp(freq_hz, centres, np.arange(s.n_mels)))
    return (s.n_mels - 1 - band + 0.5) * s.image_size / s.n_mels - 0.5


def test_great_tit_song_band_is_bright_and_the_band_above_dark(
    real_data: Path, settings: ClipSettings, levels: Callable
) -> None:
    """Each JSON gives the song's frequency range; in the first 2 s the song is drawn bright
    inside it and the sky above 7-8 kHz (no song) stays dark, on a fixed dB scale."""
    files = sorted((real_data / "great_tit").glob("*.wav"))
    assert len(files) == 20
    for wav in files:
        meta = json.loads(wav.with_suffix(".JSON").read_text())
        low, high = float(meta["lower_freq"]), float(meta["upper_freq"])
        lv = levels(clip_images(wav, [0.0], settings)[0])
        song = lv[int(_image_row(high, settings)) : int(_image_row(low, settings))]
        above = lv[: int(_image_row(min(high + 1500, 11000), settings))]
        p90_song = np.percentile(song, 90)
        assert p90_song > 110, wav.name
        assert p90_song > 1.8 * above.mean(), (wav.name, p90_song, above.mean())


def test_end_of_a_real_recording_is_padded_with_the_floor_colour(
    real_data: Path, settings: ClipSettings, levels: Callable
) -> None:
    wav = real_data / "great_tit" / "2021-SW83-0418_04-92.wav"  # 1.65 s: shorter than a clip
    with AudioFile(wav) as af:
        duration = af.info.duration
    assert window_starts(duration).tolist() == [0.0]
    lv = levels(clip_images(wav, [0.0], settings)[0])
    col_end = int(np.ceil(duration / settings.clip_seconds * settings.image_size)) + 2
    assert lv[:, col_end:].max() == 0
    assert lv[:, : col_end - 6].mean() > 30


@pytest.mark.parametrize(
    ("relpath", "starts"),
    [
        ("great_tit/2021-SW83-0418_04-79.wav", [0.0, 1.0, 2.0, 3.0]),
        ("pykanto-raw/STORM-PETREL/XC663885.wav", [0.0, 2.0, 4.0, 6.0]),
        ("pykanto-raw/BENGALESE_FINCH/bird_3/363.wav", [2.0, 4.0, 6.0, 8.0]),
        ("pykanto-raw/AM/20210502_040000.WAV", [0.0]),
    ],
)
def test_example_strips_for_a_person_to_look_at(
    real_data: Path, output_dir: Path, settings: ClipSettings, relpath: str, starts: list[float]
) -> None:
    """Writes tests/output/clips_<name>.png: consecutive clip images side by side."""
    from matplotlib.image import imsave

    images = clip_images(real_data / relpath, starts, settings)
    assert images.shape == (len(starts), *settings.image_shape)
    gap = np.full((settings.image_size, 4, 3), 255, np.uint8)
    strip = np.concatenate([p for img in images for p in (img, gap)][:-1], axis=1)
    out = output_dir / f"clips_{Path(relpath).stem}.png"
    imsave(out, strip)
    assert out.stat().st_size > 10_000
