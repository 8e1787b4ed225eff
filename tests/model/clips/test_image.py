"""clip_image: the 224x224x3 model input drawn from one clip of samples."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import numpy as np
import pytest

from model.clips import IMAGE_SHAPE, ClipSettings, clip_image
from model.clips.image import colour_lut, mel_db
from tests.model.clips.signals import noise, tone

RATE = 22050


def test_shape_dtype_and_layout(settings: ClipSettings) -> None:
    img = clip_image(noise(2.0, RATE), settings)
    assert img.shape == IMAGE_SHAPE == settings.image_shape
    assert img.dtype == np.uint8
    assert img.flags.c_contiguous


def test_other_sizes_follow_the_settings() -> None:
    s = ClipSettings(clip_seconds=3.0, image_size=128, n_mels=64, hop_length=512)
    img = clip_image(noise(3.0, RATE), s)
    assert img.shape == (128, 128, 3)
    assert img.flags.c_contiguous


def test_same_samples_give_identical_bytes(settings: ClipSettings) -> None:
    x = noise(2.0, RATE, seed=3) + tone(3000, 2.0, RATE, 0.05)
    a = clip_image(x, settings)
    b = clip_image(x.copy(), settings)
    c = clip_image(x.astype(np.float64), settings)  # dtype of the input does not matter
    assert a.tobytes() == b.tobytes() == c.tobytes()


def test_input_is_not_modified(settings: ClipSettings) -> None:
    x = noise(1.5, RATE)
    before = x.copy()
    clip_image(x, settings)
    assert np.array_equal(x, before)


def test_different_sounds_give_different_images(settings: ClipSettings) -> None:
    a = clip_image(tone(2000, 2.0, RATE, 0.1), settings)
    b = clip_image(tone(5000, 2.0, RATE, 0.1), settings)
    c = clip_image(noise(2.0, RATE, seed=1), settings)
    d = clip_image(noise(2.0, RATE, seed=2), settings)
    assert len({a.tobytes(), b.tobytes(), c.tobytes(), d.tobytes()}) == 4
    # Not a near-duplicate either: a good share of pixels differs.
    assert (a != b).any(axis=2).mean() > 0.05


def test_short_clip_is_zero_padded_at_the_end(settings: ClipSettings) -> None:
    short = tone(1000, 1.2, RATE, 0.3)
    padded = np.concatenate([short, np.zeros(settings.clip_samples - short.size, np.float32)])
    assert clip_image(short, settings).tobytes() == clip_image(padded, settings).tobytes()


def test_silence_is_the_floor_colour(settings: ClipSettings) -> None:
    img = clip_image(np.zeros(settings.clip_samples, np.float32), settings)
    floor = colour_lut(settings.colormap)[0]
    assert (img == floor).all()
    empty = clip_image(np.zeros(0, np.float32), settings)
    assert (empty == floor).all()


def test_loud_sound_reaches_the_ceiling_colour(settings: ClipSettings) -> None:
    img = clip_image(tone(2000, 2.0, RATE, 0.5), settings)  # -6 dB, above the -20 dB ceiling
    top = colour_lut(settings.colormap)[255]
    saturated = (img == top).all(axis=2)
    assert saturated[:, 10:-10].any(axis=0).all()  # in every column away from the edges


def test_level_is_absolute_not_normalised_per_clip(
    settings: ClipSettings, levels: Callable
) -> None:
    loud = levels(clip_image(tone(3000, 2.0, RATE, 0.1), settings))
    quiet = levels(clip_image(tone(3000, 2.0, RATE, 0.001), settings))  # 40 dB lower
    row = int(np.argmax(loud.mean(axis=1)))
    assert int(np.argmax(quiet.mean(axis=1))) == row
    assert loud[row].mean() > quiet[row].mean() + 100


def test_full_scale_tone_reads_zero_db(settings: ClipSettings) -> None:
    db = mel_db(tone(2000, 2.0, RATE, 1.0), settings)
    peak = db[:, 20:-20].max(axis=0)  # away from the zero-padded clip edges
    assert np.all(np.abs(peak) < 3.0), (peak.min(), peak.max())
    db_quiet = mel_db(tone(2000, 2.0, RATE, 0.01), settings)
    assert abs((db.max() - db_quiet.max()) - 40.0) < 0.5


def test_low_frequencies_at_the_bottom(settings: ClipSettings, levels: Callable) -> None:
    def brightest_row(freq: float) -> int:
        return int(np.argmax(levels(clip_image(tone(freq, 2.0, RATE, 0.1), settings)).mean(1)))

    rows = [brightest_row(f) for f in (300, 1000, 3000, 8000)]
    assert rows == sorted(rows, reverse=True)
    assert rows[0] > 180 and rows[-1] < 60


def test_time_runs_left_to_right(settings: ClipSettings, levels: Callable) -> None:
    x = np.concatenate([np.zeros(RATE // 2, np.float32), tone(2500, 1.5, RATE, 0.1)])
    lv = levels(clip_image(x, settings))
    columns = lv.max(axis=0)
    onset = round(0.5 * 224 / 2.0)  # column of 0.5 s
    assert columns[: onset - 4].max() < 10  # silent until the window reaches the onset
    assert columns[onset + 4 :].min() > 150


def test_nan_and_inf_samples_are_drawn_as_silence(settings: ClipSettings) -> None:
    x = np.zeros(settings.clip_samples, np.float32)
    x[100] = np.nan
    x[200] = np.inf
    img = clip_image(x, settings)
    assert (img == colour_lut(settings.colormap)[0]).all()


def test_fmin_hides_rumble_below_it(settings: ClipSettings, levels: Callable) -> None:
    rumble = levels(clip_image(tone(40, 2.0, RATE, 0.1), settings))
    voice = levels(clip_image(tone(400, 2.0, RATE, 0.1), settings))
    assert voice.max() > 240
    # Away from the clip edges (where the tone starts abruptly and splatters), nothing shows.
    assert rumble[:, 4:-4].max() < 10


@pytest.mark.parametrize(
    "bad",
    [np.zeros((2, 44100), np.float32), np.zeros(44101, np.float32)],
    ids=["stereo", "too-long"],
)
def test_wrong_shape_is_refused(settings: ClipSettings, bad: np.ndarray) -> None:
    with pytest.raises(ValueError):
        clip_image(bad, settings)


def test_unknown_colour_map_is_refused() -> None:
    with pytest.raises(ValueError, match="colour map"):
        clip_image(np.zeros(44100, np.float32), ClipSettings(colormap="no-such-map"))


def test_other_colour_maps_change_colours_not_levels(settings: ClipSettings) -> None:
    x = tone(2500, 2.0, RATE, 0.05)
    a = clip_image(x, settings)
    b = clip_image(x, ClipSettings(colormap="magma"))
    assert a.tobytes() != b.tobytes()
    assert (b[..., 0] >= 0).all() and b.shape == a.shape


def test_importing_the_package_stays_light() -> None:
    """librosa, scipy and matplotlib are imported on first use, not at import time."""
    code = (
        "import sys, model.clips\n"
        "heavy = [m for m in ('librosa', 'matplotlib', 'scipy', 'soxr') if m in sys.modules]\n"
        "print(heavy); sys.exit(1 if heavy else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_spectrogram_matches_librosa_melspectrogram(settings: ClipSettings) -> None:
    """The hand-framed STFT is librosa's (centred, zero-padded, periodic Hann), only faster."""
    import librosa

    x = noise(2.0, RATE, 0.01, seed=5) + tone(3100, 2.0, RATE, 0.05)
    mel = librosa.feature.melspectrogram(
        y=x,
        sr=settings.sample_rate,
        n_fft=settings.n_fft,
        hop_length=settings.hop_length,
        window="hann",
        center=True,
        pad_mode="constant",
        power=2.0,
        n_mels=settings.n_mels,
        fmin=settings.fmin,
        fmax=settings.fmax,
        norm=None,
        htk=False,
    )
    reference = 10 * np.log10(np.maximum(mel, 1e-20)) - 20 * np.log10(settings.n_fft / 4)
    ours = mel_db(x, settings)
    assert ours.shape == reference.shape == (settings.n_mels, settings.image_size)
    np.testing.assert_allclose(ours, reference, atol=1e-3)
