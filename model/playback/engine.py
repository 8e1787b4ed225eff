"""The player: one output stream per buffer, a callback that only copies, a frame counter.

The real-time callback runs on PortAudio's thread. Anything slow there (allocation, locks, I/O)
becomes an audible click, so all work happens in ``buffer.prepare_buffer`` beforehand and the
callback only slices the prepared array into ``outdata`` and moves an integer counter. The GUI
never waits on the audio thread: it polls ``position``/``state`` (Friture's pattern).

PortAudio is optional. ``import sounddevice`` raises OSError when the shared library is missing
(common on Linux) and opening the default output raises when a machine has no sound card;
both leave the app usable with ``available`` False and a reason for the status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from model.errors import SonotagError
from model.playback.buffer import DEFAULT_OUTPUT_RATE, PreparedBuffer

STOPPED, PLAYING, PAUSED = "stopped", "playing", "paused"
NO_PORTAUDIO = "Playback off: PortAudio library not found (on Linux install libportaudio2)"
NO_SOUNDDEVICE = "Playback off: the sounddevice package is not installed"
NO_DEVICE = "Playback off: no audio output device"
DEFAULT_BLOCKSIZE = 1024


class PlaybackError(SonotagError):
    """The sound card refused to play (busy, unplugged, unsupported rate)."""


class OutputStream(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def close(self) -> None: ...


StreamFactory = Callable[[int, int, Callable[..., None], int], OutputStream]


def _import_sounddevice() -> Any:
    import sounddevice

    return sounddevice


def check_output_available(factory: Any = None) -> tuple[bool, str]:
    """(True, "") when there is something to play on, else (False, a reason for the status bar).

    With ``factory`` (a test double, or any object with ``probe()``) the factory decides.
    """
    if factory is not None:
        probe = getattr(factory, "probe", None)
        return probe() if probe is not None else (True, "")
    try:
        sd = _import_sounddevice()
    except OSError:
        return False, NO_PORTAUDIO
    except ImportError:
        return False, NO_SOUNDDEVICE
    try:
        device = sd.query_devices(kind="output")
    except Exception:  # noqa: BLE001 - sd.PortAudioError or ValueError: no default output
        return False, NO_DEVICE
    if not device or int(device.get("max_output_channels", 0)) < 1:
        return False, NO_DEVICE
    return True, ""


class SoundDeviceOutput:
    """The real stream factory: sounddevice.OutputStream on the default output device."""

    def __init__(self) -> None:
        self._sd = _import_sounddevice()
        self.callback_stop = self._sd.CallbackStop

    def probe(self) -> tuple[bool, str]:
        return check_output_available()

    def default_samplerate(self) -> int:
        try:
            rate = self._sd.query_devices(kind="output")["default_samplerate"]
        except Exception:  # noqa: BLE001 - fall back to the commonest rate
            return DEFAULT_OUTPUT_RATE
        return int(rate) if rate else DEFAULT_OUTPUT_RATE

    def __call__(
        self, samplerate: int, channels: int, callback: Callable[..., None], blocksize: int
    ) -> OutputStream:
        return self._sd.OutputStream(
            samplerate=samplerate,
            channels=channels,
            dtype="float32",
            callback=callback,
            blocksize=blocksize,
        )


class _Session:
    """State shared with the audio thread for one buffer. Plain attributes: under the GIL an
    int or bool assignment is atomic, so neither side needs a lock."""

    __slots__ = (
        "data",
        "frames",
        "frame",
        "first_frame",
        "wraps",
        "loop",
        "paused",
        "ended",
        "stop_exc",
        "buffer",
    )

    def __init__(
        self, buffer: PreparedBuffer, first_frame: int, loop: bool, stop_exc: type | None
    ) -> None:
        self.buffer = buffer
        self.data = buffer.data
        self.frames = buffer.frames
        self.frame = first_frame
        self.first_frame = first_frame
        self.wraps = 0
        self.loop = loop
        self.paused = False
        self.ended = False
        self.stop_exc = stop_exc

    def callback(self, outdata: Any, frames: int, time: Any, status: Any) -> None:
        """Audio thread. Copies from the prepared buffer; allocates nothing but slice views."""
        if self.paused or self.ended:
            outdata.fill(0)
            return
        data, total, pos = self.data, self.frames, self.frame
        if self.loop and total:
            written = 0
            while written < frames:
                take = min(frames - written, total - pos)
                outdata[written : written + take] = data[pos : pos + take]
                written += take
                pos += take
                if pos >= total:
                    pos = 0
                    self.wraps += 1
            self.frame = pos
            return
        take = min(frames, total - pos)
        outdata[:take] = data[pos : pos + take]
        if take < frames:
            outdata[take:].fill(0)
        self.frame = pos + take
        if self.frame >= total:
            self.ended = True
            if self.stop_exc is not None:
                raise self.stop_exc()


class Player:
    """Plays one ``PreparedBuffer`` at a time; ``position`` is in seconds of the recording."""

    def __init__(
        self, stream_factory: StreamFactory | None = None, *, blocksize: int = DEFAULT_BLOCKSIZE
    ) -> None:
        self._factory: Any = stream_factory
        self.blocksize = blocksize
        self._stream: Any = None
        self._session: _Session | None = None
        self._paused = False
        self._cursor = 0.0
        self.available = False
        self.unavailable_reason = ""
        self.recheck()

    def recheck(self) -> bool:
        """Probe the output again (headphones plugged in since start-up)."""
        self.available, self.unavailable_reason = check_output_available(self._factory)
        if self.available and self._factory is None:
            try:
                self._factory = SoundDeviceOutput()
            except OSError:
                self.available, self.unavailable_reason = False, NO_PORTAUDIO
        return self.available

    @property
    def output_rate(self) -> int:
        """The rate to prepare buffers at: the device's own, so PortAudio need not resample."""
        rate = getattr(self._factory, "default_samplerate", None)
        return int(rate()) if callable(rate) else DEFAULT_OUTPUT_RATE

    # --- commands (GUI thread) -------------------------------------------------------------
    def play(
        self,
        buffer: PreparedBuffer,
        *,
        loop: bool = False,
        start_time_in_recording: float | None = None,
        offset: float = 0.0,
    ) -> None:
        """Start ``buffer`` from ``offset`` seconds (recording time) into it; a loop wraps back
        to its first frame. ``start_time_in_recording`` overrides ``buffer.start_time``."""
        if not self.available:
            raise PlaybackError(None, self.unavailable_reason)
        self.stop()
        if start_time_in_recording is not None and start_time_in_recording != buffer.start_time:
            buffer = _with_start(buffer, start_time_in_recording)
        first = buffer.frame_at(buffer.start_time + offset)
        if first >= buffer.frames:
            first = 0  # an offset at (or past) the end replays from the start
        session = _Session(buffer, first, loop, getattr(self._factory, "callback_stop", None))
        try:
            stream = self._factory(buffer.output_rate, 1, session.callback, self.blocksize)
            stream.start()
        except Exception as exc:  # noqa: BLE001 - sd.PortAudioError and friends
            raise PlaybackError(None, f"Playback failed: the sound card refused ({exc})") from exc
        self._session, self._stream, self._paused = session, stream, False
        self._cursor = buffer.start_time

    def pause(self) -> None:
        if self.state == PLAYING and self._session is not None:
            self._session.paused = True
            self._paused = True

    def resume(self) -> None:
        if self.state == PAUSED and self._session is not None:
            self._session.paused = False
            self._paused = False

    def toggle(self) -> bool:
        """Pause or resume; False when there was nothing to pause or resume."""
        state = self.state
        if state == PLAYING:
            self.pause()
        elif state == PAUSED:
            self.resume()
        return state != STOPPED

    def stop(self) -> None:
        stream, self._stream, self._session = self._stream, None, None
        self._paused = False
        if stream is not None:
            for step in (stream.stop, stream.close):
                try:
                    step()
                except Exception:  # noqa: BLE001, S110 - a vanished device must not block stop
                    pass

    def set_loop(self, loop: bool) -> None:
        """Takes effect at once: turning it off lets the current pass run to the buffer's end."""
        if self._session is not None:
            self._session.loop = bool(loop)

    # --- queries (GUI thread, polled) ------------------------------------------------------
    @property
    def loop(self) -> bool:
        return bool(self._session and self._session.loop)

    @property
    def buffer(self) -> PreparedBuffer | None:
        return self._session.buffer if self._session is not None else None

    @property
    def state(self) -> str:
        self._reap()
        if self._session is None:
            return STOPPED
        return PAUSED if self._paused else PLAYING

    @property
    def position(self) -> float:
        """Seconds in the recording now heard: the frame counter minus the output latency."""
        self._reap()
        session = self._session
        if session is None:
            return self._cursor
        index = session.frame
        if not self._paused:
            latency = float(getattr(self._stream, "latency", 0.0) or 0.0)
            index -= int(latency * session.buffer.output_rate)
        if session.wraps:
            index %= max(session.frames, 1)
        else:
            index = max(index, session.first_frame)
        return session.buffer.time_at(index)

    def _reap(self) -> None:
        """Close a stream whose buffer ran out, once the card has played its last block."""
        session = self._session
        if session is None or not session.ended:
            return
        if session.stop_exc is not None and getattr(self._stream, "active", False):
            return
        self._cursor = session.buffer.start_time
        self.stop()

    def close(self) -> None:
        self.stop()


def _with_start(buffer: PreparedBuffer, start: float) -> PreparedBuffer:
    from dataclasses import replace

    return replace(buffer, start_time=float(start))
