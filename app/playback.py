"""Qt side of playback: a controller the window drives and a playhead line it draws.

``model.playback.Player`` does the audio; this controller only decides what to read, reads it
off the GUI thread when it is long, and polls the player ~30 times a second to move the
playhead. The audio thread never touches Qt: the timer reads two plain attributes and emits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import EllipsisType
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QObject, QTimer, Signal

from app.jobs import Job, JobRunner
from model.errors import SonotagError
from model.jobs import run_inline
from model.playback import (
    FROM_CURSOR_MAX_SECONDS,
    PAUSED,
    PLAYING,
    STOPPED,
    PlaybackError,
    Player,
    PreparedBuffer,
    load_clip,
)
from model.playback.buffer import check_speed

LOADING = "loading"
INLINE_SECONDS = 5.0  # spans up to this long are read on the GUI thread: faster than a worker


@dataclass(frozen=True)
class _Request:
    path: Path
    start: float
    end: float | None  # None: from the cursor, in chunks of FROM_CURSOR_MAX_SECONDS
    loop: bool
    speed: float
    band: tuple[float, float] | None


class PlaybackController(QObject):
    """Space/L/speed/band-pass for the window. States: stopped, loading, playing, paused."""

    position_changed = Signal(float)  # seconds in the recording
    state_changed = Signal(str)
    unavailable = Signal(str)  # why playback is off, for the status bar
    failed = Signal(str)  # a file could not be read or the sound card refused

    def __init__(
        self,
        jobs: JobRunner | None = None,
        *,
        player: Player | None = None,
        open_audio: Callable[[Path], Any] | None = None,
        poll_hz: float = 30.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.jobs = jobs if jobs is not None else JobRunner(self)
        self.player = player if player is not None else Player()
        self._open_audio = open_audio
        self._speed = 1.0
        self._loop = False
        self._band: tuple[float, float] | None = None
        self._request: _Request | None = None
        self._buffer: PreparedBuffer | None = None  # the one playing, kept past its end
        self._serial = 0  # only the newest load may start playing
        self._start_paused = False  # a speed/band change while paused stays paused
        self._pending: Job | None = None
        self._state = STOPPED
        self._last_position: float | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(max(5, round(1000 / poll_hz)))
        self._timer.timeout.connect(self._poll)
        if not self.player.available:
            # Queued so that whoever builds the window has connected the signal by then.
            QTimer.singleShot(0, self._announce_unavailable)

    # --- what the status bar and menus read --------------------------------------------------
    @property
    def available(self) -> bool:
        return self.player.available

    @property
    def unavailable_reason(self) -> str:
        return self.player.unavailable_reason

    @property
    def state(self) -> str:
        return self._state

    @property
    def position(self) -> float:
        return self.player.position

    @property
    def current_span(self) -> tuple[Path, float, float | None] | None:
        request = self._request
        return None if request is None else (request.path, request.start, request.end)

    # --- settings ----------------------------------------------------------------------------
    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        value = check_speed(value)
        if value != self._speed:
            self._speed = value
            self._restart_with(speed=value)

    @property
    def loop(self) -> bool:
        return self._loop

    @loop.setter
    def loop(self, value: bool) -> None:
        self._loop = bool(value)
        self.player.set_loop(self._loop)
        if self._request is not None:
            self._request = _replace(self._request, loop=self._loop)

    @property
    def band(self) -> tuple[float, float] | None:
        """Band-pass in recording Hz (the visible frequency range), None for full band.
        Changing it while playing re-prepares the sound from where it is."""
        return self._band

    @band.setter
    def band(self, value: tuple[float, float] | None) -> None:
        value = None if value is None else (float(value[0]), float(value[1]))
        if value != self._band:
            self._band = value
            self._restart_with(band=value)

    # --- commands ----------------------------------------------------------------------------
    def play_span(
        self,
        path: str | Path,
        t0: float,
        t1: float,
        *,
        loop: bool | None = None,
        speed: float | None = None,
        band: tuple[float, float] | None | EllipsisType = ...,
    ) -> bool:
        """Play ``t0``..``t1`` of a recording (a selected clip). False when playback is off.
        ``speed``/``band`` left out use the controller's; ``band=None`` plays the full band."""
        request = _Request(
            Path(path),
            float(t0),
            float(t1),
            self._loop if loop is None else bool(loop),
            self._speed if speed is None else check_speed(speed),
            self._band if band is ... else band,
        )
        return self._start(request)

    def play_from(self, path: str | Path, t: float, *, speed: float | None = None) -> bool:
        """Play from the cursor to the end of the file, read one minute at a time in a worker."""
        request = _Request(
            Path(path),
            float(t),
            None,
            False,
            self._speed if speed is None else check_speed(speed),
            self._band,
        )
        return self._start(request)

    def toggle(self) -> bool:
        """Space: pause or resume. False when nothing is loaded; then the window plays the
        selection or from the cursor."""
        if self._state == LOADING:
            self.stop()
            return True
        toggled = self.player.toggle()
        self._poll()
        return toggled

    def stop(self) -> None:
        self._serial += 1
        self._start_paused = False
        self._request = None
        self._cancel_pending()
        self.player.stop()
        self._poll()

    def close(self) -> None:
        self.stop()
        self._timer.stop()

    # --- internals ---------------------------------------------------------------------------
    def _announce_unavailable(self) -> None:
        self.unavailable.emit(self.player.unavailable_reason)

    def _start(self, request: _Request, offset: float = 0.0) -> bool:
        if not self.player.available and not self.player.recheck():
            self._announce_unavailable()
            return False
        self._serial += 1
        serial = self._serial
        self._cancel_pending()
        self.player.stop()
        self._request = request
        kwargs: dict[str, Any] = dict(
            speed=request.speed,
            band=request.band,
            output_rate=self.player.output_rate,
            open_audio=self._open_audio,
        )
        span = request.end - request.start if request.end is not None else None
        if span is not None and span <= INLINE_SECONDS:
            try:
                buffer = run_inline(load_clip, request.path, request.start, request.end, **kwargs)
            except (SonotagError, ValueError) as exc:
                self._fail(str(exc))
                return False
            self._begin(serial, request, offset, buffer)
            return True
        job = self.jobs.run_thread(
            "Preparing playback", load_clip, request.path, request.start, request.end, **kwargs
        )
        self._pending = job
        job.finished.connect(lambda buffer: self._begin(serial, request, offset, buffer))
        job.failed.connect(lambda message, _detail: self._load_failed(serial, message))
        self._set_state(LOADING)
        return True

    def _begin(self, serial: int, request: _Request, offset: float, buffer: PreparedBuffer) -> None:
        if serial != self._serial:
            return  # a newer request (or stop) came while this one was read
        self._pending = None
        self._buffer = buffer
        if buffer.frames == 0:
            self._request = None
            self._set_state(STOPPED)
            return
        try:
            self.player.play(buffer, loop=request.loop, offset=offset)
        except PlaybackError as exc:
            self._fail(str(exc))
            return
        if self._start_paused:
            self.player.pause()
        self._start_paused = False
        self._timer.start()
        self._poll()

    def _load_failed(self, serial: int, message: str) -> None:
        if serial == self._serial:
            self._pending = None
            self._fail(message)

    def _fail(self, message: str) -> None:
        self._request = None
        self._set_state(STOPPED)
        self.failed.emit(message)

    def _cancel_pending(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    def _restart_with(self, **changes: Any) -> None:
        """Speed or band changed while sounding: prepare again and go on from the same spot."""
        request = self._request
        if request is None or self._state not in (PLAYING, PAUSED):
            return
        position = self.player.position
        paused = self._state == PAUSED
        updated = _replace(request, **changes)
        if updated.end is None:  # from the cursor: the new chunk starts where we are
            updated = _replace(updated, start=position)
            offset = 0.0
        else:
            offset = max(0.0, position - updated.start)
        self._start_paused = paused  # applied when the new buffer is ready
        self._start(updated, offset)

    def _poll(self) -> None:
        state = self.player.state
        if state == STOPPED and self._state == LOADING:
            return  # the worker is still reading
        if state == STOPPED and self._state == PLAYING and self._continue_from_cursor():
            return
        position = self.player.position
        if position != self._last_position:
            self._last_position = position
            self.position_changed.emit(position)
        self._set_state(state)
        if state == STOPPED:
            self._timer.stop()

    def _continue_from_cursor(self) -> bool:
        """A from-cursor chunk ran out: read the next minute (a short gap is the price of never
        holding a whole hour of audio in memory)."""
        request, buffer = self._request, self._buffer
        if request is None or request.end is not None or buffer is None:
            return False
        if buffer.recording_duration < FROM_CURSOR_MAX_SECONDS - 1e-3:
            return False  # that chunk reached the end of the file
        return self._start(_replace(request, start=buffer.end_time))

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)


def _replace(request: _Request, **changes: Any) -> _Request:
    return replace(request, **changes)


class Playhead:
    """A vertical line over a spectrogram that follows a ``PlaybackController``.

    ``time_to_x`` maps seconds in the recording to the plot's x (identity when the x axis is
    recording time); the line is hidden while playback is stopped.
    """

    def __init__(
        self,
        plot: pg.PlotItem,
        *,
        pen: Any = None,
        time_to_x: Callable[[float], float] | None = None,
    ) -> None:
        self.plot = plot
        self.time_to_x = time_to_x or (lambda t: t)
        self.line = pg.InfiniteLine(
            angle=90, movable=False, pen=pen if pen is not None else pg.mkPen("#ffd000", width=2)
        )
        self.line.setZValue(1_000)
        self.line.hide()
        plot.addItem(self.line, ignoreBounds=True)

    def follow(self, controller: PlaybackController) -> Playhead:
        controller.position_changed.connect(self.set_position)
        controller.state_changed.connect(self._on_state)
        return self

    def set_position(self, seconds: float) -> None:
        self.line.setPos(self.time_to_x(seconds))

    def _on_state(self, state: str) -> None:
        self.line.setVisible(state in (PLAYING, PAUSED))

    @property
    def visible(self) -> bool:
        return self.line.isVisible()

    @property
    def x(self) -> float:
        return float(self.line.value())

    def remove(self) -> None:
        self.plot.removeItem(self.line)
