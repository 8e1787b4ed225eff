"""Many clip images from one recording, reading the file once.

Scoring a recording means hundreds of overlapping 2-s windows; opening and seeking the file per
window would read every second of audio twice (hop 1 s) and pay the open cost each time. Windows
are therefore sorted and covered by consecutive spans of at most ``MAX_CHUNK_SECONDS`` of native
audio, each frame read once (the overlap between spans is carried over, not re-read), so memory
stays bounded for a year-long file.

Each span is also resampled once (``_ClipCutter.share``) and every window whose first frame
lies on the span's output grid (any whole-second hop; 1/3 s is not at 48 kHz) takes its samples
from it, at the very instants and with the same filter and margins ``AudioFile.read`` resamples
a clip alone with: the two agree to float32 rounding (2e-6 of a 0.04 peak), which moves a
handful of pixels per million by one colour step (``tests/model/clips/tolerance.py``). At hop
1 s that halves the resampling, a third of a clip's cost. A window off the grid, or windows so
sparse that the span would be mostly gaps, are resampled on their own, exactly as
``AudioFile.read`` does.

Why not one STFT per file, sharing frames between windows: a window's frames sit on its own
grid (frame j at start + j * hop_length samples, zero-padded at the clip's edges, as training
drew them), and at a 1-s hop the windows are 22,050 samples apart, not a multiple of the 197
samples between frames, so no two windows share a frame. Putting frames on one grid per file
would change what every image shows by up to half a frame: a new image version
(``ClipSettings.version``), refused by every model trained so far, to save about half of the
FFTs (~0.3 ms a clip on the development machine).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from model.audio.reader import resample, resample_span, resampling_margin
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
            first, last = int(first_frames[chunk[0]]), int(first_frames[chunk[-1]])
            cutter.cover(first, last)
            cutter.share(first, last, len(chunk))
            for index in chunk:
                samples = cutter.clip(float(start_times[index]), int(first_frames[index]))
                clip_image(samples, settings, out=images[index])
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
        self._shared: np.ndarray | None = None  # the current chunk resampled once (``share``)
        self._shared_first = 0

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

    def share(self, first: int, last: int, count: int) -> None:
        """Resamples the span of the clips starting at frames first..last once, for every clip
        on its output grid (``clip``): at hop 1 s each second of audio is in two clips, and
        resampling was a third of a clip's cost. Left to each clip where the windows are
        sparse (the span would be more audio than the clips hold)."""
        self._shared = None
        length = last - first + self.span
        if self._margin == 0 or count < 2 or length > count * self.span:
            return
        self._shared_first = first
        self._shared = resample(self._cut(first - self._margin, length), self.native, self._rate)

    def clip(self, start: float, first: int) -> np.ndarray:
        """The clip from ``start`` s (native frame ``first``) as float32 at the settings' rate."""
        lo = first - self._margin
        has_data = lo < self._start + self._data.shape[0] and lo + self.span > self._start
        if self._margin == 0:
            return self._cut(lo, self.span)
        out = self._from_shared(first)
        if out is None:
            out = resample_span(
                self._cut(lo, self.span), self.native, self._rate, self._margin, self._n_out
            )
        # Past the end of the file: exact zeros, not the filter's ringing (as AudioFile.read).
        real_end = min(start + self._seconds, self._total / self.native) if has_data else 0.0
        out[max(0, min(self._n_out, round((real_end - start) * self._rate))) :] = 0.0
        return out

    def _from_shared(self, first: int) -> np.ndarray | None:
        """The clip's samples from the shared resampled span, when its first frame lies on the
        span's output grid: the same instants ``resample_span`` gives it, the same filter, so
        the samples agree to float32 rounding (``tests/model/clips/test_fast_path.py``)."""
        if self._shared is None:
            return None
        shift = (first - self._shared_first) * self._rate
        if shift < 0 or shift % self.native:
            return None
        offset = shift // self.native + round(self._margin * self._rate / self.native)
        out = np.zeros(self._n_out, dtype=np.float32)
        piece = self._shared[offset : offset + self._n_out]
        out[: len(piece)] = piece
        return out

    def _cut(self, lo: int, length: int) -> np.ndarray:
        """Native frames lo..lo+length from the held span, zeros where it holds none."""
        buf = np.zeros(length, dtype=np.float32)
        a = max(lo, self._start)
        b = min(lo + length, self._start + self._data.shape[0])
        if b > a:
            buf[a - lo : b - lo] = self._data[a - self._start : b - self._start]
        return buf
