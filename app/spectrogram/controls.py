"""A thin bar of display controls bound to one ``SpectrogramView``.

It holds no state of its own: every control writes through ``view.set_display`` /
``view.set_freq_range`` and is refreshed from ``view.display_changed``, so the bar and any
other way of changing the view (menu, saved preferences) never disagree.

Given ``Preferences``, the bar restores the display the user left (the frequency band with the
first recording shown, since a band means nothing without a Nyquist frequency) and saves every
change from then on, whichever way it was made.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QToolButton,
    QWidget,
)

from app.settings import Preferences
from app.spectrogram.view import SpectrogramView
from model.spectrogram import COLORMAPS, FFT_SIZES, SpectrogramSettings

#: Frequency zoom factor of the +/- buttons.
FREQ_ZOOM_STEP = 0.5
#: Smallest gap kept between dB floor and ceiling when one is dragged past the other.
MIN_DB_GAP = 5
CLOCK_TIP = "Label the time axis with the time of day, from the recording's start time"
CLOCK_UNKNOWN_TIP = " (not known for this recording: its file name and metadata give none)"
#: A frequency zoom is saved once the wheel comes to rest, not on every step.
SAVE_FREQ_DELAY_MS = 400


class SpectrogramControls(QWidget):
    """Colour map, dB floor/ceiling, FFT size, frequency zoom and clock-time toggle."""

    def __init__(
        self,
        view: SpectrogramView,
        parent: QWidget | None = None,
        *,
        prefs: Preferences | None = None,
    ) -> None:
        super().__init__(parent)
        self.view = view
        self.prefs = prefs
        self._pending_band: tuple[float, float | None] | None = None
        # The user's clock-time choice, kept (and shown) while a recording without a start
        # time is on screen, so the next recording with one shows clock time again.
        self._clock_choice = prefs.clock_time if prefs is not None else False
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)

        self.colormap = QComboBox()
        self.colormap.addItems(list(COLORMAPS))
        self.colormap.setToolTip("Colour map")
        self.floor = self._db_box("Darkest level (dB): quieter sounds are hidden")
        self.ceiling = self._db_box("Brightest level (dB): louder sounds all look the same")
        self.fft = QComboBox()
        for size in FFT_SIZES:
            self.fft.addItem(str(size), size)
        self.fft.setToolTip("FFT size: larger is sharper in frequency, blurrier in time")
        self.freq_in = self._button("F+", "Zoom in on frequency (Ctrl+wheel over the plot)")
        self.freq_out = self._button("F−", "Zoom out in frequency")
        self.freq_reset = self._button("F↕", "Show all frequencies")
        self.clock = QCheckBox("Clock time")
        self.clock.setToolTip(CLOCK_TIP)

        for label, widget in (
            ("Colours", self.colormap),
            ("Floor", self.floor),
            ("Ceiling", self.ceiling),
            ("FFT", self.fft),
        ):
            layout.addWidget(QLabel(label))
            layout.addWidget(widget)
        for widget in (self.freq_in, self.freq_out, self.freq_reset, self.clock):
            layout.addWidget(widget)
        layout.addStretch(1)

        self.colormap.currentTextChanged.connect(lambda name: view.set_display(colormap=name))
        self.floor.valueChanged.connect(self._on_floor)
        self.ceiling.valueChanged.connect(self._on_ceiling)
        self.fft.currentIndexChanged.connect(
            lambda i: view.set_display(n_fft=int(self.fft.itemData(i)))
        )
        self.freq_in.clicked.connect(lambda: self._zoom_freq(FREQ_ZOOM_STEP))
        self.freq_out.clicked.connect(lambda: self._zoom_freq(1 / FREQ_ZOOM_STEP))
        self.freq_reset.clicked.connect(self._reset_freq)
        self.clock.toggled.connect(self._on_clock)
        if prefs is not None:
            self._restore(prefs)
        view.display_changed.connect(self.refresh)
        view.recording_changed.connect(self._on_recording)
        if prefs is not None:
            self._band_timer = QTimer(self)
            self._band_timer.setSingleShot(True)
            self._band_timer.setInterval(SAVE_FREQ_DELAY_MS)
            self._band_timer.timeout.connect(self.save_display)
            view.display_changed.connect(lambda _s: self.save_display())
            view.view_box.sigYRangeChanged.connect(lambda *_: self._band_timer.start())
        self.refresh()

    # -- preferences ------------------------------------------------------------------------
    def _restore(self, prefs: Preferences) -> None:
        saved = prefs.spectrogram_settings()
        self.view.set_display(
            colormap=saved.colormap,
            db_floor=saved.db_floor,
            db_ceiling=saved.db_ceiling,
            n_fft=saved.n_fft,
            clock_time=prefs.clock_time,
        )
        if saved.freq_min > 0 or saved.freq_max is not None:
            self._pending_band = (saved.freq_min, saved.freq_max)
            if self.view.info() is not None:
                self._apply_pending_band()

    def _apply_pending_band(self) -> None:
        info = self.view.info()
        if self._pending_band is None or info is None:
            return
        f0, f1 = self._pending_band
        self._pending_band = None
        nyquist = info.sample_rate / 2.0
        if f0 < nyquist:
            self.view.set_freq_range(f0, nyquist if f1 is None else min(f1, nyquist))

    def save_display(self) -> None:
        """Stores what the view shows; the band only once one is shown and restored."""
        if self.prefs is None:
            return
        info = self.view.info()
        has_band = info is not None and self._pending_band is None
        self.prefs.save_spectrogram_settings(self.view.display(), frequencies=has_band)
        if info is not None and info.start_time is not None:  # also a change from the menu
            self.prefs.clock_time = self.view.clock_time()

    def _on_recording(self, _info: object) -> None:
        self._apply_pending_band()
        self.refresh()

    def _on_clock(self, on: bool) -> None:
        self._clock_choice = on
        if self.prefs is not None:
            self.prefs.clock_time = on
        self.view.set_display(clock_time=on)

    @staticmethod
    def _db_box(tip: str) -> QSpinBox:
        box = QSpinBox()
        # Apply on Enter or focus-out, not per keystroke: typing "-70" would pass through "-7",
        # and the floor/ceiling coupling would move the other box for good.
        box.setKeyboardTracking(False)
        box.setRange(-150, 0)
        box.setSingleStep(5)
        box.setSuffix(" dB")
        box.setToolTip(tip)
        return box

    @staticmethod
    def _button(text: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        return button

    def refresh(self, settings: SpectrogramSettings | None = None) -> None:
        """Show the view's current settings without sending them back."""
        s = settings or self.view.display()
        blockers = [
            QSignalBlocker(w)
            for w in (self.colormap, self.floor, self.ceiling, self.fft, self.clock)
        ]
        self.colormap.setCurrentText(s.colormap)
        self.floor.setValue(round(s.db_floor))
        self.ceiling.setValue(round(s.db_ceiling))
        self.fft.setCurrentIndex(self.fft.findData(s.n_fft))
        info = self.view.info()
        has_clock = info is not None and info.start_time is not None
        if has_clock:
            self._clock_choice = self.view.clock_time()
        self.clock.setEnabled(has_clock)
        self.clock.setChecked(self._clock_choice)
        self.clock.setToolTip(
            CLOCK_TIP if has_clock or info is None else CLOCK_TIP + CLOCK_UNKNOWN_TIP
        )
        del blockers
        for button in (self.freq_in, self.freq_out, self.freq_reset):
            button.setEnabled(info is not None)

    def _on_floor(self, value: int) -> None:
        ceiling = max(self.ceiling.value(), value + MIN_DB_GAP)
        self.view.set_display(db_floor=float(value), db_ceiling=float(ceiling))

    def _on_ceiling(self, value: int) -> None:
        floor = min(self.floor.value(), value - MIN_DB_GAP)
        self.view.set_display(db_floor=float(floor), db_ceiling=float(value))

    def _zoom_freq(self, factor: float) -> None:
        f0, f1 = self.view.freq_range()
        self.view.zoom_freq(factor, f0 if f0 <= 1.0 else (f0 + f1) / 2)

    def _reset_freq(self) -> None:
        info = self.view.info()
        if info is not None:
            self.view.set_freq_range(0.0, info.sample_rate / 2.0)
