"""Many clip images from one recording, reading the file once.

Scoring a recording means hundreds of overlapping 2-s windows; opening and seeking the file per
window would read every second of audio twice (hop 1 s) and pay the open cost each time. Windows
are therefore sorted and covered by consecutive spans of at most ``MAX_CHUNK_SECONDS`` of native
audio, each frame read once (the overlap between spans is carried over, not re-read), so memory
stays bounded for a year-long file. Each clip is still cut from the native samples and resampled
on its own, so its image is bit-identical to ``clip_image(AudioFile.read(...))`` whichever batch
it came in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from model.audio.reader import resample_span, resampling_margin
from model.clips.geometry import DEFAULT_CLIP_SECONDS, DEFAULT_HOP_SECONDS, ClipGeometry
from model.clips.image import clip_image
from model.clips.settings import ClipSettings

if TYPE_CHECKING:
    from model.audio import AudioFile
    from model.jobs import Reporter

#: Longest span of native audio held in memory at once (seconds).
MAX_CHUNK_SECONDS = 60.0
#: Progress is reported at least this often (images).
REPORT_EVERY = 16

BatchCallback = Callable[[np.ndarray, np.ndarray], None]


def window_starts(
    duration: float, clip_seconds: float = DEFAULT_CLIP_SECONDS, hop: float = DEFAULT_HOP_SECONDS
) -> np.ndarray:
    """Start times (s) of the windows that tile a recording: ``ClipGeometry.starts``, the one
    rule selection, review and scoring share (the last window is the first to reach the end)."""
    for name, value in (("duration", duration), ("clip_seconds", clip_seconds), ("hop", hop)):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
    if duration < 0:
        raise ValueError(f"duration must not be negative, got {duration}")
    if clip_seconds <= 0 or hop <= 0:
        raise ValueError(f"clip_seconds and hop must be positive, got {clip_seconds} and {hop}")
    return ClipGeometry(clip_seconds, hop).starts(duration)


def clip_images(
    audio: AudioFile | str | Path,
    starts: Sequence[float] | np.ndarray,
    settings: ClipSettings,
    *,
    channel: int | None = None,
    reporter: Reporter | None = None,
    batch_callback: BatchCallback | None = None,
) -> np.ndarray:
    """Images of the clips starting at ``starts`` (s): uint8 (N, size, size, 3), order of starts.

    ``audio`` is an open ``AudioFile`` (left open) or a path (opened and closed here).
    ``channel`` None mixes all channels down, as ``AudioFile.read`` does. Windows running past
    the end are padded with silence. ``reporter.update(done, N)`` is called every few images (and
    raises ``Cancelled`` when the user cancelled). ``batch_callback(indices, images)`` is called
    after each span of audio with the positions in ``starts`` just drawn and their images (a copy
    of those rows), so a caller can feed a model while later spans are still being drawn. The
    result holds all N images (150 kB each at 224 px): pass long recordings in portions.
    """
    from model.audio import AudioFile

    start_times = _validated_starts(starts)
    n = start_times.shape[0]
    images = np.zeros((n, *settings.image_shape), dtype=np.uint8)
    if n == 0:
        return images

    own = not isinstance(audio, AudioFile)
    af = AudioFile(audio) if own else audio
    try:
        cutter = _ClipCutter(af, settings, channel)
        first_frames = np.array([round(s * cutter.native) for s in start_times], dtype=np.int64)
        order = np.argsort(first_frames, kind="stable")
        max_frames = max(cutter.span, round(MAX_CHUNK_SECONDS * cutter.native))
        done = 0
        for chunk in _chunks(order, first_frames, cutter.span, max_frames):
            cutter.cover(int(first_frames[chunk[0]]), int(first_frames[chunk[-1]]))
            for index in chunk:
                samples = cutter.clip(float(start_times[index]), int(first_frames[index]))
                images[index] = clip_image(samples, settings)
                done += 1
                if reporter is not None and (done % REPORT_EVERY == 0 or done == n):
                    reporter.update(done, n, "drawing clip images")
            if batch_callback is not None:
                batch_callback(chunk.copy(), images[chunk])
    finally:
        if own:
            af.close()
    return images


def _validated_starts(starts: Sequence[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(starts, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"starts must be a flat sequence of seconds, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError("starts must be finite numbers of seconds")
    if (arr < 0).any():
        raise ValueError(f"clip starts must not be negative, got {float(arr.min())} s")
    return arr


def _chunks(
    order: np.ndarray, first_frames: np.ndarray, span: int, max_frames: int
) -> list[np.ndarray]:
    """Group sorted windows so each group needs at most max_frames native frames."""
    chunks: list[np.ndarray] = []
    begin = 0
    for i in range(1, len(order) + 1):
        if (
            i == len(order)
            or first_frames[order[i]] + span - first_frames[order[begin]] > max_frames
        ):
            chunks.append(order[begin:i])
            begin = i
    return chunks


class _ClipCutter:
    """Holds a span of native samples and cuts clips from it exactly as ``AudioFile.read`` does.

    ``AudioFile.read(start, clip_seconds, sample_rate=..., pad=True)`` resamples the clip together
    with ``margin`` real neighbouring frames on each side (zeros outside the file); this class
    cuts the same buffer from samples already in memory and hands it to the same
    ``resample_span``, so an image does not depend on which batch drew it. A test compares the
    two.
    """

    def __init__(self, af: AudioFile, settings: ClipSettings, channel: int | None) -> None:
        self._af = af
        self._channel = channel
        self.native = int(af.info.sample_rate)
        self._total = int(af.info.frames)
        self._rate = settings.sample_rate
        self._n_out = settings.clip_samples
        self._seconds = settings.clip_seconds
        self._n_native = round(settings.clip_seconds * self.native)
        self._margin = resampling_margin(self.native, self._rate)
        self.span = self._n_native + 2 * self._margin  # native frames one clip needs
        self._start = 0  # file frame of self._data[0]
        self._data = np.zeros(0, dtype=np.float32)

    def cover(self, first: int, last: int) -> None:
        """Hold what the clips starting at frames first..last need; never re-reads a frame."""
        lo = min(max(first - self._margin, 0), self._total)
        hi = min(last + self._n_native + self._margin, self._total)
        end = self._start + self._data.shape[0]
        if self._start <= lo <= end:
            kept, read_from = self._data[lo - self._start :], end
        else:
            kept, read_from = np.zeros(0, dtype=np.float32), lo
        if hi > read_from:
            fresh = self._af.read_frames(read_from, hi - read_from, channel=self._channel)
            fresh = np.asarray(fresh, dtype=np.float32).reshape(-1)
            kept = np.concatenate([kept, fresh]) if kept.size else fresh
        self._start, self._data = lo, kept

    def clip(self, start: float, first: int) -> np.ndarray:
        """The clip from ``start`` s (native frame ``first``) as float32 at the settings' rate."""
        lo = first - self._margin
        buf = np.zeros(self.span, dtype=np.float32)
        a = max(lo, self._start)
        b = min(lo + self.span, self._start + self._data.shape[0])
        if b > a:
            buf[a - lo : b - lo] = self._data[a - self._start : b - self._start]
        if self._margin == 0:
            return buf
        out = resample_span(buf, self.native, self._rate, self._margin, self._n_out)
        # Past the end of the file: exact zeros, not the filter's ringing (as AudioFile.read).
        real_end = min(start + self._seconds, self._total / self.native) if b > a else 0.0
        out[max(0, min(self._n_out, round((real_end - start) * self._rate))) :] = 0.0
        return out
