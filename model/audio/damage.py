"""Samples that are not numbers (NaN, ±Inf) in a floating-point recording.

A float WAV written by a crashed script or a broken converter can hold NaN or infinite samples.
The network turns them into confident nonsense (scores of 0.995 on a NaN span), and the
spectrogram into a blank. Only float subtypes can hold them (integer PCM, FLAC and the lossy
decoders cannot), so only those are scanned: once per file version, block by block at disk
speed, and the result is kept for the process so that every later open is free.

Reading replaces such samples with zeros (silence, which the view shows as such); scoring uses
``SampleDamage.spans`` to leave out every window that touches one, and the warning names the
share of bad samples so the user knows what was left out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from model.pathtext import resolved

if TYPE_CHECKING:
    import soundfile as sf

FLOAT_SUBTYPES = frozenset({"FLOAT", "DOUBLE"})
_BLOCK = 1 << 16
_MERGE_GAP_S = 0.05  # bad spans closer than this are one span (keeps the list short)
_CACHE_SIZE = 256


@dataclass(frozen=True)
class SampleDamage:
    """``bad`` of ``total`` samples (frames × channels) are NaN or infinite, in ``spans`` (s)."""

    bad: int = 0
    total: int = 0
    spans: tuple[tuple[float, float], ...] = ()

    @property
    def share(self) -> float:
        return self.bad / self.total if self.total else 0.0

    def __bool__(self) -> bool:
        return self.bad > 0

    def describe(self) -> str:
        percent = 100.0 * self.share
        shown = f"{percent:.2g} %" if percent < 1 else f"{percent:.1f} %"
        return (
            f"{shown} of the samples ({self.bad} of {self.total}) are not numbers (NaN or "
            f"infinite) in {len(self.spans)} span(s): they play and show as silence, and "
            "windows touching them are not scored"
        )

    def touches(self, start: float, end: float) -> bool:
        """True when the span [start, end) s overlaps a bad span."""
        return any(a < end and start < b for a, b in self.spans)

    def usable(self, starts: np.ndarray, clip_seconds: float) -> np.ndarray:
        """Boolean mask over window ``starts``: True where the window has no bad sample."""
        starts = np.asarray(starts, dtype=np.float64)
        keep = np.ones(len(starts), dtype=bool)
        for a, b in self.spans:
            keep &= ~((starts < b) & (a < starts + clip_seconds))
        return keep


NO_DAMAGE = SampleDamage()

_cache: OrderedDict[tuple[str, int, int], SampleDamage] = OrderedDict()
_lock = threading.Lock()


def _cache_key(path: Path) -> tuple[str, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (str(resolved(path)), st.st_size, st.st_mtime_ns)


def scan(handle: sf.SoundFile, path: Path, frames: int) -> SampleDamage:
    """Counts non-finite samples of an open float file (its position is left undefined).

    Cached by (path, size, modification time): a file is scanned once per version."""
    if (handle.subtype or "") not in FLOAT_SUBTYPES:
        return NO_DAMAGE
    key = _cache_key(path)
    with _lock:
        if key is not None and key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    damage = _scan(handle, frames)
    if key is not None:
        with _lock:
            _cache[key] = damage
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return damage


def _scan(handle: sf.SoundFile, frames: int) -> SampleDamage:
    rate, channels = handle.samplerate, handle.channels
    merge = int(_MERGE_GAP_S * rate)
    spans: list[list[int]] = []
    bad = 0
    handle.seek(0)
    buf = np.empty((_BLOCK, channels), dtype=np.float32)
    at = 0
    while at < frames:
        block = handle.read(min(_BLOCK, frames - at), dtype="float32", always_2d=True, out=buf)
        if len(block) == 0:
            break
        finite = np.isfinite(block)
        if not finite.all():
            bad += int(finite.size - np.count_nonzero(finite))
            _add_runs(spans, at, ~finite.all(axis=1), merge)
        at += len(block)
    return SampleDamage(
        bad=bad,
        total=at * channels,
        spans=tuple((a / rate, b / rate) for a, b in spans),
    )


def _add_runs(spans: list[list[int]], offset: int, frame_bad: np.ndarray, merge: int) -> None:
    """Appends the runs of True in ``frame_bad`` (frames from ``offset``) to ``spans``."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], frame_bad.view(np.int8), [0]))))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        start, end = offset + int(a), offset + int(b)
        if spans and start - spans[-1][1] <= merge:
            spans[-1][1] = end
        else:
            spans.append([start, end])


def zero_non_finite(data: np.ndarray) -> np.ndarray:
    """``data`` with NaN/±Inf samples set to 0 (a copy only when there are any)."""
    if np.isfinite(data).all():
        return data
    return np.where(np.isfinite(data), data, np.float32(0.0)).astype(np.float32, copy=False)
