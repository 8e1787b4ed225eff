"""One clip of audio -> the model's input picture (Morales et al. 2022: colour STFT-Mel, 224x224x3).

Pipeline: Hann STFT (centred frames, zero padding: librosa.stft's convention) -> power -> mel
filterbank -> dB against a *fixed* reference (a full-scale sine is 0 dB) -> clipped to
[db_floor, db_ceiling] -> bilinear resize to image_size -> 256-entry colour lookup table. Nothing
depends on the clip's own loudness, so a quiet clip looks quiet, and identical samples give
identical bytes. Everything that can be computed once per settings (window, filterbank, resize
matrices, colour table) is cached, so a clip costs about 2 ms on one core, most of it the FFTs.

Intermediate arrays are reused in place rather than copied between steps, and the fixed
matrices come from ``model.clips.filters`` (NumPy), not from SciPy's signal and image modules or
librosa, whose imports cost seconds before the first image. The colour table is read from
matplotlib once and kept in the user's cache folder, so scoring does not import matplotlib.

The STFT is framed by hand around ``scipy.fft.rfft`` instead of calling ``librosa.stft``: same
numbers (a test holds them to librosa's), a third of the time per clip, since librosa re-validates
and re-plans on each call. The resize is a pair of interpolation matrices taken from
``scipy.ndimage.zoom`` (applied to an identity) so it is zoom's bilinear resize done as one
matrix product.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from model.clips import filters
from model.clips.settings import ClipSettings

#: Shape of every image made with the default settings (height, width, RGB).
IMAGE_SHAPE = (224, 224, 3)

# Power below this is treated as this (-200 dB re full scale): keeps log10 finite for silence.
_AMIN = 1e-20


@lru_cache(maxsize=16)
def _mel_filterbank(settings: ClipSettings) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) float32, triangles of height 1 (``norm=None``).

    Height-1 triangles keep the dB scale absolute: a pure tone at a band's centre reads its own
    level whatever the band's width (librosa's default area normalisation would shift every band
    by a different, width-dependent amount).
    """
    fb = filters.mel_filterbank(
        settings.sample_rate, settings.n_fft, settings.n_mels, settings.fmin, settings.fmax
    )
    fb.setflags(write=False)
    return fb


@lru_cache(maxsize=16)
def _window(n_fft: int) -> np.ndarray:
    """Periodic Hann window, float32, as librosa.stft uses."""
    window = filters.hann(n_fft).astype(np.float32)
    window.setflags(write=False)
    return window


@lru_cache(maxsize=16)
def _reference_power(n_fft: int) -> float:
    """STFT power of a full-scale sine at its bin: (sum of the window / 2) ** 2."""
    return float((_window(n_fft).astype(np.float64).sum() / 2.0) ** 2)


@lru_cache(maxsize=32)
def _resize_matrix(n_in: int, n_out: int, flip: bool) -> np.ndarray | None:
    """(n_out, n_in) float32 bilinear interpolation weights, pixel-centre aligned; None = identity.

    ``flip`` reverses the input axis, so low frequencies land in the bottom image row.
    """
    if n_in == n_out and not flip:
        return None
    matrix = filters.linear_resize(n_in, n_out)
    if flip:
        matrix = matrix[:, ::-1]
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    matrix.setflags(write=False)
    return matrix


@lru_cache(maxsize=16)
def colour_lut(colormap: str) -> np.ndarray:
    """(256, 3) uint8 RGB table of a matplotlib colour map; index 0 is the dB floor. Kept on
    disk after the first use (``model.clips.lut_cache``): matplotlib takes a second to import."""
    from model.clips.lut_cache import cached_lut

    lut = cached_lut(colormap)
    lut.setflags(write=False)
    return lut


def mel_db(samples: np.ndarray, settings: ClipSettings) -> np.ndarray:
    """Mel power in dB re full scale, (n_mels, frames) float32, row 0 = lowest band.

    Not clipped to the settings' range, so it doubles as a level meter when tuning db_floor/ceiling.
    """
    import scipy.fft

    x = _prepare(samples, settings)
    n_fft, hop = settings.n_fft, settings.hop_length
    padded = np.pad(x, n_fft // 2)  # centred frames, zeros beyond the clip (librosa "constant")
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop]
    windowed = frames * _window(n_fft)
    spectrum = scipy.fft.rfft(windowed, axis=1, overwrite_x=True)  # (frames, bins) complex64
    power = np.square(spectrum.real)
    power += np.square(spectrum.imag)
    mel = _mel_filterbank(settings) @ power.T
    np.maximum(mel, np.float32(_AMIN), out=mel)
    db = np.log10(mel, out=mel)
    db *= np.float32(10.0)
    db -= np.float32(10.0 * np.log10(_reference_power(n_fft)))
    return db


def clip_image(samples: np.ndarray, settings: ClipSettings) -> np.ndarray:
    """The model input for one clip: uint8 (image_size, image_size, 3), C-contiguous.

    ``samples``: mono audio at ``settings.sample_rate``, exactly ``settings.clip_samples`` long;
    shorter input (the end of a recording) is padded with silence at the end. Image row 0 is the
    highest frequency, so the picture reads like a spectrogram.
    """
    level = mel_db(samples, settings)
    size = settings.image_size
    level -= np.float32(settings.db_floor)
    level /= np.float32(settings.db_ceiling - settings.db_floor)
    level = _resize_matrix(level.shape[0], size, True) @ level  # also flips: low at the bottom
    columns = _resize_matrix(level.shape[1], size, False)
    if columns is not None:
        level = level @ columns.T
    np.clip(level, 0.0, 1.0, out=level)
    level *= np.float32(255.0)
    index = np.rint(level, out=level).astype(np.uint8)
    return np.take(colour_lut(settings.colormap), index, axis=0)


def _prepare(samples: np.ndarray, settings: ClipSettings) -> np.ndarray:
    """Validated float32 1-D clip of exactly clip_samples, zero-padded, no NaN/inf."""
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"clip samples must be mono (1-D), got shape {x.shape}")
    n = settings.clip_samples
    if x.shape[0] > n:
        raise ValueError(
            f"clip has {x.shape[0]} samples, more than {n} ({settings.clip_seconds} s at "
            f"{settings.sample_rate} Hz)"
        )
    if x.shape[0] < n:
        x = np.concatenate([x, np.zeros(n - x.shape[0], dtype=np.float32)])
    if not np.isfinite(x).all():
        # A damaged float WAV can hold NaN/inf; draw it as silence rather than garbage colours.
        x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
    return x
