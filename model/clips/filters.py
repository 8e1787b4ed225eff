"""The fixed matrices of the clip image, in NumPy: Hann window, mel filterbank, resize weights.

They used to come from ``scipy.signal.get_window``, ``librosa.filters.mel`` and
``scipy.ndimage.zoom``, which are the definitions these functions follow. Importing those three
packages cost 3-4 s (SciPy's signal and stats modules, numba behind librosa) before the first
image, a cost ``sonotag predict`` paid on every start for three small arrays. Tests hold each
function to the library it replaces, value for value.
"""

from __future__ import annotations

import numpy as np

# librosa's Slaney mel scale: linear below 1 kHz, logarithmic above.
_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = np.log(6.4) / 27.0


def hann(n: int) -> np.ndarray:
    """Periodic Hann window (``scipy.signal.get_window("hann", n, fftbins=True)``), float64."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)


def hz_to_mel(hz: np.ndarray) -> np.ndarray:
    hz = np.asarray(hz, np.float64)
    mels = hz / _F_SP
    log_part = hz >= _MIN_LOG_HZ
    mels[log_part] = _MIN_LOG_MEL + np.log(hz[log_part] / _MIN_LOG_HZ) / _LOGSTEP
    return mels


def mel_to_hz(mels: np.ndarray) -> np.ndarray:
    mels = np.asarray(mels, np.float64)
    hz = _F_SP * mels
    log_part = mels >= _MIN_LOG_MEL
    hz[log_part] = _MIN_LOG_HZ * np.exp(_LOGSTEP * (mels[log_part] - _MIN_LOG_MEL))
    return hz


def mel_filterbank(sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) float32 triangles of height 1 on the Slaney mel scale:
    ``librosa.filters.mel(sr=..., htk=False, norm=None, dtype=np.float32)``."""
    weights = np.zeros((n_mels, n_fft // 2 + 1), np.float32)
    fft_hz = np.fft.rfftfreq(n=n_fft, d=1.0 / sr)
    edges = mel_to_hz(
        np.linspace(hz_to_mel(np.array([fmin]))[0], hz_to_mel(np.array([fmax]))[0], n_mels + 2)
    )
    widths = np.diff(edges)
    ramps = np.subtract.outer(edges, fft_hz)
    for i in range(n_mels):
        lower = -ramps[i] / widths[i]
        upper = ramps[i + 2] / widths[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    return weights


def linear_resize(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) float64 weights of a pixel-centre-aligned linear resize with the edge
    value held beyond the ends: ``scipy.ndimage.zoom(eye, order=1, mode="nearest",
    grid_mode=True, prefilter=False)`` along the first axis."""
    x = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    x = np.clip(x, 0.0, n_in - 1)
    low = np.floor(x).astype(np.int64)
    high = np.minimum(low + 1, n_in - 1)
    frac = x - low
    matrix = np.zeros((n_out, n_in), np.float64)
    rows = np.arange(n_out)
    np.add.at(matrix, (rows, low), 1.0 - frac)
    np.add.at(matrix, (rows, high), frac)
    return matrix
