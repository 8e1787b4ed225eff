"""A thin bar of display controls bound to one ``SpectrogramView``.

It holds no state of its own: every control writes through ``view.set_display`` /
``view.set_freq_range`` and is refreshed from ``view.display_changed``, so the bar and any
other way of changing the view (menu, saved preferences) never disagree.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QToolButton,
    QWidget,
)

from app.spectrogram.view import SpectrogramView
from model.spectrogram import COLORMAPS, FFT_SIZES, SpectrogramSettings

#: Frequency zoom factor of the +/- buttons.
FREQ_ZOOM_STEP = 0.5
#: Smallest gap kept between dB floor and ceiling when one is dragged past the other.
MIN_DB_GAP = 5


class SpectrogramControls(QWidget):
    """Colour map, dB floor/ceiling, FFT size, frequency zoom and clock-time toggle."""

    def __init__(self, view: SpectrogramView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
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
        self.clock.setToolTip("Label the time axis with the time of day the recording started")

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
        self.clock.toggled.connect(lambda on: view.set_display(clock_time=on))
        view.display_changed.connect(self.refresh)
        view.recording_changed.connect(lambda _info: self.refresh())
        self.refresh()

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
        self.clock.setEnabled(has_clock)
        self.clock.setChecked(self.view.clock_time())
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
