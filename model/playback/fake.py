"""A sound card that plays nothing but remembers everything: the test double for playback.

Model tests and GUI tests both drive the real ``Player`` through it, so the callback under test
is the one the sound card would call. ``advance`` plays the part of PortAudio's thread: it calls
the callback block by block into one reused ``outdata`` array that is filled with NaN first, as
a real driver hands over a dirty buffer, so a callback that forgets to write a frame shows up.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from model.playback.buffer import DEFAULT_OUTPUT_RATE


class FakeCallbackStop(Exception):  # noqa: N818 - mirrors sounddevice.CallbackStop
    """What the callback raises to end the stream after its last block (like sd.CallbackStop)."""


class FakeOutputStream:
    """Behaves like ``sounddevice.OutputStream`` opened with a callback, minus the sound."""

    def __init__(
        self,
        samplerate: int,
        channels: int,
        callback: Callable[..., None],
        blocksize: int,
        *,
        latency: float = 0.0,
    ) -> None:
        self.samplerate = int(samplerate)
        self.channels = int(channels)
        self.callback = callback
        self.blocksize = int(blocksize) or 512
        self.latency = latency
        self.active = False
        self.closed = False
        self.finished = False  # the callback raised CallbackStop
        self._drain_left = 0  # frames of latency still to play out after that
        self.calls = 0
        self._outdata = np.empty((self.blocksize, self.channels), dtype=np.float32)
        self._blocks: list[np.ndarray] = []

    def start(self) -> None:
        if self.closed:
            raise RuntimeError("stream is closed")
        self.active = True

    def stop(self) -> None:
        self.active = False

    def close(self) -> None:
        self.active = False
        self.closed = True

    def advance(self, n_frames: int) -> int:
        """Run the callback for ``n_frames`` frames (blocks of ``blocksize``, the last one
        possibly shorter, as with blocksize=0); returns the frames that passed, fewer when the
        stream stops or was never started. After CallbackStop the stream stays active for
        ``latency`` seconds more, without callbacks, like a card playing out its buffer."""
        done = 0
        while done < n_frames and self.active:
            frames = min(self.blocksize, n_frames - done)
            if self.finished:  # the card plays out what it holds, then goes inactive
                frames = min(frames, self._drain_left)
                self._drain_left -= frames
                self.active = self._drain_left > 0
                done += frames
                continue
            out = self._outdata[:frames]
            out.fill(np.nan)
            self.calls += 1
            try:
                self.callback(out, frames, None, None)
            except FakeCallbackStop:
                self.finished = True
                self._drain_left = round(self.latency * self.samplerate)
                self.active = self._drain_left > 0
            self._blocks.append(out.copy())
            done += frames
        return done

    @property
    def written(self) -> np.ndarray:
        """Every frame handed to the 'sound card' so far, shape (n, channels)."""
        if not self._blocks:
            return np.zeros((0, self.channels), dtype=np.float32)
        return np.concatenate(self._blocks)

    @property
    def frames_written(self) -> int:
        return sum(block.shape[0] for block in self._blocks)


class FakeOutput:
    """Stream factory for ``Player(stream_factory=FakeOutput())``; keeps every stream it opened.

    ``available=False`` with a ``reason`` stands in for a machine without sound.
    """

    callback_stop = FakeCallbackStop

    def __init__(
        self,
        *,
        available: bool = True,
        reason: str = "",
        samplerate: int = DEFAULT_OUTPUT_RATE,
        latency: float = 0.0,
        fail_open: Exception | None = None,
    ) -> None:
        self.available = available
        self.reason = reason
        self.samplerate = samplerate
        self.latency = latency
        self.fail_open = fail_open
        self.streams: list[FakeOutputStream] = []

    def probe(self) -> tuple[bool, str]:
        return self.available, "" if self.available else self.reason

    def default_samplerate(self) -> int:
        return self.samplerate

    def __call__(
        self, samplerate: int, channels: int, callback: Callable[..., None], blocksize: int
    ) -> FakeOutputStream:
        if self.fail_open is not None:
            raise self.fail_open
        stream = FakeOutputStream(samplerate, channels, callback, blocksize, latency=self.latency)
        self.streams.append(stream)
        return stream

    @property
    def stream(self) -> FakeOutputStream:
        """The stream opened last (what is playing now, if anything)."""
        if not self.streams:
            raise LookupError("no stream was opened")
        return self.streams[-1]

    def advance(self, n_frames: int) -> int:
        return self.stream.advance(n_frames) if self.streams else 0

    def advance_seconds(self, seconds: float) -> int:
        """Play ``seconds`` of output time (not recording time) on the current stream."""
        if not self.streams:
            return 0
        return self.stream.advance(round(seconds * self.stream.samplerate))
