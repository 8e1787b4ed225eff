"""Listening while labelling: Space plays the selected clip, L loops, speed and band-pass.

Separate from ``app.playback`` (the engine's Qt wrapper, which knows nothing of clips): this
decides *what* Space plays. With a clip selected it plays that clip; with none, it plays from
the left edge of the view (a selected time-frequency box is a selected span, band-passed to its
band when band-pass is on). Pressing Space again pauses and resumes the same sound; after the
selection moved, Space plays the new clip instead of resuming the old one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QLabel, QMenu, QWidget

from app.labelling.key_target import PLAY, taken
from app.labelling.selection import ClipSelection
from app.playback import PlaybackController
from app.settings import SPEEDS, Preferences
from app.spectrogram.view import SpectrogramView


class ListeningActions(QObject):
    """Builds the Playback menu and a status-bar label saying what playback is doing."""

    def __init__(
        self,
        window: QWidget,
        playback: PlaybackController,
        selection: ClipSelection,
        spectrogram: SpectrogramView,
        prefs: Preferences,
        menu: QMenu,
    ) -> None:
        super().__init__(window)
        self.playback = playback
        self.selection = selection
        self.spectrogram = spectrogram
        self.prefs = prefs
        self.path: Path | None = None
        #: The selected time-frequency box's band, if any (set by the box tool).
        self.box_band: Callable[[], tuple[float, float] | None] | None = None
        self.status_label = QLabel(window)
        self.status_label.setObjectName("playback-status")

        self.play = self._add(menu, window, "Play / pause", Qt.Key.Key_Space, self.play_pause)
        self.stop = self._add(menu, window, "Stop", Qt.Key.Key_Escape, self.playback.stop)
        self.loop = self._add(menu, window, "Loop", Qt.Key.Key_L, self._set_loop, checkable=True)
        self.loop.setChecked(prefs.playback_loop)
        self.band = self._add(menu, window, "Band-pass to the visible frequencies", None,
                              self._set_band, checkable=True)  # fmt: skip
        self.band.setChecked(prefs.playback_band_pass)
        speed_menu = menu.addMenu("Speed")
        self.speed_group = QActionGroup(self)
        self.speed_actions: dict[float, QAction] = {}
        for speed in SPEEDS:
            action = speed_menu.addAction(f"{speed:g}×")
            action.setCheckable(True)
            action.triggered.connect(lambda _=False, s=speed: self.set_speed(s))
            self.speed_group.addAction(action)
            self.speed_actions[speed] = action
        self.set_speed(prefs.playback_speed)
        playback.loop = self.loop.isChecked()

        playback.state_changed.connect(self._show_state)
        playback.unavailable.connect(self._show_unavailable)
        playback.failed.connect(lambda message: self.status_label.setText(message))
        spectrogram.view_box.sigYRangeChanged.connect(lambda *_: self._update_band())
        if not playback.available:
            self._show_unavailable(playback.unavailable_reason)

    @staticmethod
    def _add(
        menu: QMenu,
        window: QWidget,
        text: str,
        key: Qt.Key | None,
        slot: object,
        *,
        checkable: bool = False,
    ) -> QAction:
        action = menu.addAction(text)
        if key is not None:
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        window.addAction(action)
        return action

    def sheet_rows(self) -> list[tuple[str, str, str]]:
        return [
            ("Play", "Space", "play / pause the selected clip (or from the view's left edge)"),
            ("Play", "L", "loop on / off"),
            ("Play", "Esc", "stop"),
        ]

    def set_recording(self, path: Path | None) -> None:
        self.playback.stop()
        self.path = path

    def play_pause(self) -> bool:
        if taken(PLAY):  # the focused widget played a clip of its own (the Explorer's grid)
            return True
        if not self.playback.available:
            self._show_unavailable(self.playback.unavailable_reason)
            return False
        if self.path is None:
            return False
        clip = self.selection.clip
        span = self.playback.current_span
        if self.playback.state in ("playing", "paused", "loading") and span is not None:
            same = (
                span[0] == self.path
                and clip is not None
                and span[2] is not None
                and abs(span[1] - clip.start) < 1e-3
                and abs(span[2] - clip.end) < 1e-3
            )
            if same or (clip is None and span[2] is None):
                return self.playback.toggle()
        self._update_band()
        if clip is not None:
            return self.playback.play_span(self.path, clip.start, clip.end)
        return self.playback.play_from(self.path, self.spectrogram.view_range()[0])

    def set_speed(self, speed: float) -> None:
        speed = min(SPEEDS, key=lambda s: abs(s - speed))
        self.speed_actions[speed].setChecked(True)
        self.playback.speed = speed
        self.prefs.playback_speed = speed

    def _set_loop(self, checked: bool) -> None:
        self.playback.loop = checked
        self.prefs.playback_loop = checked

    def _set_band(self, checked: bool) -> None:
        self.prefs.playback_band_pass = checked
        self._update_band()

    def _update_band(self) -> None:
        """Band-pass to the selected box's band when a box is selected, else to the view's."""
        box = self.box_band() if self.box_band is not None else None
        band = (box or self.spectrogram.freq_range()) if self.band.isChecked() else None
        self.playback.band = band

    def _show_state(self, state: str) -> None:
        if not self.playback.available:
            return
        extra = f", {self.playback.speed:g}×" if self.playback.speed != 1 else ""
        extra += ", loop" if self.playback.loop else ""
        self.status_label.setText("" if state == "stopped" else f"{state.capitalize()}{extra}")

    def _show_unavailable(self, reason: str) -> None:
        self.status_label.setText(reason or "Playback off")
        self.status_label.setToolTip(
            "Sonotag works without sound; install PortAudio or connect an output device and "
            "restart to listen."
        )
