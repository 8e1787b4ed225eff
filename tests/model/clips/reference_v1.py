"""The clip image as it was drawn up to the fast path (one dense product per stage), frozen.

Models and cached features made before the fast path came from these numbers; the tests hold the
fast path to them within the tolerance stated in ``test_fast_path.py``. Not used by the app.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from model.clips import filters
from model.clips.image import colour_lut
from model.clips.settings import ClipSettings


def clip_image_v1(samples: np.ndarray, settings: ClipSettings) -> np.ndarray:
    x = np.zeros(settings.clip_samples, np.float32)
    given = np.nan_to_num(np.asarray(samples, np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    x[: given.size] = given
    n_fft, hop = settings.n_fft, settings.hop_length
    window = filters.hann(n_fft).astype(np.float32)
    reference = float((window.astype(np.float64).sum() / 2.0) ** 2)
    padded = np.pad(x, n_fft // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop]
    spectrum = scipy.fft.rfft(frames * window, axis=1, overwrite_x=True)
    power = np.square(spectrum.real)
    power += np.square(spectrum.imag)
    fb = filters.mel_filterbank(
        settings.sample_rate, n_fft, settings.n_mels, settings.fmin, settings.fmax
    )
    mel = fb @ power.T
    np.maximum(mel, np.float32(1e-20), out=mel)
    level = np.log10(mel, out=mel)
    level *= np.float32(10.0)
    level -= np.float32(10.0 * np.log10(reference))
    size = settings.image_size
    level -= np.float32(settings.db_floor)
    level /= np.float32(settings.db_ceiling - settings.db_floor)
    rows = filters.linear_resize(level.shape[0], size)[:, ::-1].astype(np.float32)
    level = rows @ level
    if level.shape[1] != size:
        level = level @ filters.linear_resize(level.shape[1], size).astype(np.float32).T
    np.clip(level, 0.0, 1.0, out=level)
    level *= np.float32(255.0)
    index = np.rint(level, out=level).astype(np.uint8)
    return np.take(colour_lut(settings.colormap), index, axis=0)
