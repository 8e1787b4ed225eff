"""One clip of audio -> the model's input picture (Morales et al. 2022: colour STFT-Mel, 224x224x3).

Pipeline: Hann STFT (centred frames, zero padding: librosa.stft's convention) -> power -> mel
filterbank -> dB against a *fixed* reference (a full-scale sine is 0 dB) -> clipped to
[db_floor, db_ceiling] -> bilinear resize to image_size -> 256-entry colour lookup table. Nothing
depends on the clip's own loudness, so a quiet clip looks quiet, and identical samples give
identical bytes. Everything that depends only on the settings (window, filterbank blocks, resize
taps, dB scale: ``_Plan``) is computed once, and the working arrays are kept per thread
(``_Workspace``), so a clip allocates little more than its FFT output.

Where the time goes and why each step is done this way (``bench/bench_clip_images.py`` splits
it): the FFTs are most of a clip (``scipy.fft.rfft`` over a strided view of the frames, framed
by hand: librosa re-validates and re-plans on each call). The mel filterbank is a band matrix
(1.5 % of the 128 x 513 default is non-zero), so it is applied as blocks of 16 bands over only
the FFT bins those bands touch: a fifth of the dense product's time. The bilinear resize is two
taps per output pixel (a gather, not a product with a mostly-zero matrix), and the colour table
is applied straight into the caller's array.

These change the order of float32 roundings, not the arithmetic: against the clip image as it
was drawn with dense products (``tests/model/clips/reference_v1.py``) a pixel differs by at most
one colour-table step, in a few pixels per million (``tests/model/clips/test_fast_path.py``
states the bounds, and that the backbone's features and a model's scores do not move).

The fixed matrices come from ``model.clips.filters`` (NumPy), not from SciPy's signal and image
modules or librosa, whose imports cost seconds before the first image. The colour table is read
from matplotlib once and kept in the user's cache folder, so scoring does not import matplotlib.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from model.clips import filters
from model.clips.settings import ClipSettings

#: Shape of every image made with the default settings (height, width, RGB).
IMAGE_SHAPE = (224, 224, 3)

# Power below this is treated as this (-200 dB re full scale): keeps log10 finite for silence.
_AMIN = 1e-20
#: Mel bands per block of the filterbank product (``_Plan.blocks``).
_BAND_GROUP = 16


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


@lru_cache(maxsize=16)
def colour_lut(colormap: str) -> np.ndarray:
    """(256, 3) uint8 RGB table of a matplotlib colour map; index 0 is the dB floor. Kept on
    disk after the first use (``model.clips.lut_cache``): matplotlib takes a second to import."""
    from model.clips.lut_cache import cached_lut

    lut = cached_lut(colormap)
    lut.setflags(write=False)
    return lut


@dataclass(frozen=True)
class _Taps:
    """A pixel-centre-aligned bilinear resize as two taps per output pixel:
    ``out = x[low] * w_low + x[high] * w_high`` (``filters.linear_resize``'s weights)."""

    low: np.ndarray
    high: np.ndarray
    w_low: np.ndarray
    w_high: np.ndarray

    def along_first(self, x: np.ndarray) -> np.ndarray:
        """Resized along axis 0 (whole rows gathered: fast on a C-ordered array)."""
        out = np.take(x, self.low, axis=0)
        out *= self.w_low[:, None]
        high = np.take(x, self.high, axis=0)
        high *= self.w_high[:, None]
        out += high
        return out

    def along_last(self, x: np.ndarray) -> np.ndarray:
        """Resized along axis 1, as (along_first of x.T).T."""
        return self.along_first(np.ascontiguousarray(x.T)).T


@lru_cache(maxsize=32)
def _taps(n_in: int, n_out: int, flip: bool) -> _Taps | None:
    """The resize from n_in to n_out samples; None = identity. ``flip`` reverses the input
    axis, so low frequencies land in the bottom image row."""
    if n_in == n_out and not flip:
        return None
    matrix = filters.linear_resize(n_in, n_out)
    if flip:
        matrix = matrix[:, ::-1]
    low = np.empty(n_out, np.intp)
    high = np.empty(n_out, np.intp)
    for row in range(n_out):
        used = np.flatnonzero(matrix[row])  # one or two neighbours
        low[row], high[row] = used[0], used[-1]
    rows = np.arange(n_out)
    w_low = matrix[rows, low].astype(np.float32)
    w_high = np.where(high != low, matrix[rows, high], 0.0).astype(np.float32)
    return _Taps(low, high, w_low, w_high)


@dataclass(frozen=True)
class _Plan:
    """Everything about a clip image that depends only on its settings."""

    window: np.ndarray  # (n_fft,) float32
    frames: int
    bins: tuple[int, int]  # the FFT bins any mel band uses: [lo, hi)
    # (first band, end band, first bin, end bin, (bins, bands) weights or None where empty)
    blocks: tuple[tuple[int, int, int, int, np.ndarray | None], ...]
    db_offset: float  # 10 log10 of the reference power
    scale: np.float32  # log10(mel power) * scale + offset = colour-table index (unclipped)
    offset: np.float32
    rows: _Taps  # mel bands -> image rows, flipped
    columns: _Taps | None  # STFT frames -> image columns


@lru_cache(maxsize=16)
def _plan(settings: ClipSettings) -> _Plan:
    fb = _mel_filterbank(settings)
    used = np.flatnonzero(fb.any(axis=0))
    lo, hi = (int(used[0]), int(used[-1]) + 1) if used.size else (0, 1)
    blocks = []
    for first in range(0, settings.n_mels, _BAND_GROUP):
        end = min(first + _BAND_GROUP, settings.n_mels)
        cols = np.flatnonzero(fb[first:end].any(axis=0))
        if not cols.size:
            blocks.append((first, end, lo, lo, None))
            continue
        a, b = int(cols[0]), int(cols[-1]) + 1
        weights = np.ascontiguousarray(fb[first:end, a:b].T)
        weights.setflags(write=False)
        blocks.append((first, end, a, b, weights))
    db_offset = 10.0 * np.log10(_reference_power(settings.n_fft))
    span = settings.db_ceiling - settings.db_floor
    frames = 1 + settings.clip_samples // settings.hop_length
    rows = _taps(settings.n_mels, settings.image_size, True)
    assert rows is not None  # flipped: never the identity
    return _Plan(
        window=_window(settings.n_fft),
        frames=frames,
        bins=(lo, hi),
        blocks=tuple(blocks),
        db_offset=float(db_offset),
        scale=np.float32(10.0 * 255.0 / span),
        offset=np.float32((-db_offset - settings.db_floor) * 255.0 / span),
        rows=rows,
        columns=_taps(frames, settings.image_size, False),
    )


class _Workspace:
    """The arrays one clip is worked in, kept between clips (one set per thread and settings)."""

    def __init__(self, settings: ClipSettings, plan: _Plan) -> None:
        half = settings.n_fft // 2
        self.padded = np.zeros(settings.clip_samples + 2 * half, np.float32)
        self.clip = self.padded[half : half + settings.clip_samples]
        self.framed = np.lib.stride_tricks.sliding_window_view(self.padded, settings.n_fft)[
            :: settings.hop_length
        ]
        self.windowed = np.empty((plan.frames, settings.n_fft), np.float32)
        self.power = np.empty((plan.frames, plan.bins[1] - plan.bins[0]), np.float32)
        self.imag = np.empty_like(self.power)
        self.mel = np.empty((plan.frames, settings.n_mels), np.float32)


_LOCAL = threading.local()


def _workspace(settings: ClipSettings, plan: _Plan) -> _Workspace:
    spaces: dict[ClipSettings, _Workspace] = getattr(_LOCAL, "spaces", None) or {}
    _LOCAL.spaces = spaces
    space = spaces.get(settings)
    if space is None:
        if len(spaces) >= 4:  # a settings preview cycles through presets: keep a few
            spaces.clear()
        space = spaces[settings] = _Workspace(settings, plan)
    return space


def _mel_power(samples: np.ndarray, settings: ClipSettings) -> np.ndarray:
    """Mel power, (frames, n_mels) float32, at least ``_AMIN``; the thread's workspace array
    (valid until this thread's next clip)."""
    import scipy.fft

    plan = _plan(settings)
    space = _workspace(settings, plan)
    _fill(space.clip, samples, settings)
    np.multiply(space.framed, plan.window, out=space.windowed)
    spectrum = scipy.fft.rfft(space.windowed, axis=1)  # (frames, bins) complex64
    lo, hi = plan.bins
    used = spectrum[:, lo:hi]
    np.square(used.real, out=space.power)
    space.power += np.square(used.imag, out=space.imag)
    for first, end, a, b, weights in plan.blocks:
        if weights is None:
            space.mel[:, first:end] = 0.0
        else:
            np.matmul(space.power[:, a - lo : b - lo], weights, out=space.mel[:, first:end])
    np.maximum(space.mel, np.float32(_AMIN), out=space.mel)
    return space.mel


def mel_db(samples: np.ndarray, settings: ClipSettings) -> np.ndarray:
    """Mel power in dB re full scale, (n_mels, frames) float32, row 0 = lowest band.

    Not clipped to the settings' range, so it doubles as a level meter when tuning db_floor/ceiling.
    """
    db = np.log10(_mel_power(samples, settings).T)
    db *= np.float32(10.0)
    db -= np.float32(_plan(settings).db_offset)
    return db


def clip_image(
    samples: np.ndarray, settings: ClipSettings, out: np.ndarray | None = None
) -> np.ndarray:
    """The model input for one clip: uint8 (image_size, image_size, 3), C-contiguous.

    ``samples``: mono audio at ``settings.sample_rate``, exactly ``settings.clip_samples`` long;
    shorter input (the end of a recording) is padded with silence at the end. Image row 0 is the
    highest frequency, so the picture reads like a spectrogram. ``out``: an array of that shape
    to draw into (a row of a batch), returned.
    """
    plan = _plan(settings)
    level = np.log10(_mel_power(samples, settings))  # (frames, n_mels)
    level *= plan.scale
    level += plan.offset  # the colour-table index, before clipping
    # (image rows, frames), flipped: low at the bottom (rows gathered from the transposed copy)
    level = plan.rows.along_first(np.ascontiguousarray(level.T))
    if plan.columns is not None:
        level = np.ascontiguousarray(plan.columns.along_last(level))
    np.clip(level, 0.0, 255.0, out=level)
    index = np.rint(level, out=level).astype(np.uint8)
    if out is None:
        out = np.empty(settings.image_shape, np.uint8)
    return np.take(colour_lut(settings.colormap), index, axis=0, out=out)


def _fill(clip: np.ndarray, samples: np.ndarray, settings: ClipSettings) -> None:
    """Validated mono samples into the workspace's clip, zero-padded, NaN/inf as silence."""
    x = np.asarray(samples)
    if x.ndim != 1:
        raise ValueError(f"clip samples must be mono (1-D), got shape {x.shape}")
    n = settings.clip_samples
    if x.shape[0] > n:
        raise ValueError(
            f"clip has {x.shape[0]} samples, more than {n} ({settings.clip_seconds} s at "
            f"{settings.sample_rate} Hz)"
        )
    clip[: x.shape[0]] = x
    clip[x.shape[0] :] = 0.0
    if not np.isfinite(clip).all():
        # A damaged float WAV can hold NaN/inf; draw it as silence rather than garbage colours.
        np.nan_to_num(clip, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
