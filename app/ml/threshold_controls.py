"""One threshold slider per class, in the class's colour, with its value as a number.

The same thresholds can also be dragged as dashed lines in the score tracks (``ThresholdLine``);
both ends call ``set_value`` on the other without re-emitting, so a drag never loops back into
itself. The sliders sit at the top of their dock, one row each, and never get narrower than
``MIN_SLIDER_PX``: a squeezed slider looks like a checkbox.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QSlider, QVBoxLayout, QWidget

from model.project.records import LabelClass

STEPS = 100
#: Mouse travel (px) that moves a threshold line across the whole 0..1 range: a lane is only
#: about 30 px tall, so a line that followed the mouse would move 0.04 a pixel.
DRAG_PX_PER_UNIT = 100
MIN_SLIDER_PX = 120


def _swatch(colour: str, size: int = 12) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(colour))
    return pixmap


class ThresholdControls(QWidget):
    """Sliders for the classes given to ``set_classes``; emits (class id, threshold 0..1)."""

    threshold_changed = Signal(int, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self._grid = QGridLayout()
        outer.addLayout(self._grid)
        outer.addStretch(1)  # rows stay together at the top however tall the dock is
        self._grid.setContentsMargins(6, 6, 6, 6)
        self._grid.setHorizontalSpacing(6)
        self._grid.setVerticalSpacing(2)
        self._sliders: dict[int, QSlider] = {}
        self._values: dict[int, QLabel] = {}
        self._hint = QLabel("Thresholds appear once a model has scored this recording.")
        self._hint.setEnabled(False)
        self._hint.setWordWrap(True)
        self._grid.addWidget(self._hint, 0, 0, 1, 4)

    def set_classes(self, classes: Sequence[LabelClass], thresholds: Mapping[int, float]) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget()
            if widget is not None and widget is not self._hint:
                widget.deleteLater()
        self._sliders.clear()
        self._values.clear()
        self._hint.setVisible(not classes)
        if not classes:
            self._grid.addWidget(self._hint, 0, 0, 1, 4)
        for row, cls in enumerate(classes):
            swatch = QLabel()
            swatch.setPixmap(_swatch(cls.colour))
            name = QLabel(cls.name)
            name.setMinimumWidth(60)  # long names give way to the slider, not the reverse
            name.setToolTip(f"Detection threshold of {cls.name}")
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(0, STEPS)
            slider.setPageStep(5)
            slider.setObjectName(f"threshold-{cls.id}")
            slider.setMinimumWidth(MIN_SLIDER_PX)
            slider.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            slider.setToolTip(
                f"Windows whose top class is {cls.name} with a score at least this high are "
                "marked on the spectrogram"
            )
            value = thresholds.get(cls.id, 0.5)
            slider.setValue(round(value * STEPS))
            number = QLabel(f"{value:.2f}")
            number.setMinimumWidth(number.fontMetrics().horizontalAdvance("0.00") + 4)
            slider.valueChanged.connect(
                lambda v, cid=cls.id, label=number: self._on_slider(cid, v, label)
            )
            self._grid.addWidget(swatch, row, 0)
            self._grid.addWidget(name, row, 1)
            self._grid.addWidget(slider, row, 2)
            self._grid.addWidget(number, row, 3)
            self._sliders[cls.id] = slider
            self._values[cls.id] = number
        self._grid.setColumnStretch(2, 1)

    def slider(self, class_id: int) -> QSlider:
        return self._sliders[class_id]

    def class_ids(self) -> list[int]:
        return list(self._sliders)

    def set_value(self, class_id: int, value: float) -> None:
        """Moves a slider without emitting (the change came from elsewhere)."""
        slider = self._sliders.get(class_id)
        if slider is None:
            return
        slider.blockSignals(True)
        slider.setValue(round(value * STEPS))
        slider.blockSignals(False)
        self._values[class_id].setText(f"{value:.2f}")

    def _on_slider(self, class_id: int, steps: int, label: QLabel) -> None:
        value = steps / STEPS
        label.setText(f"{value:.2f}")
        self.threshold_changed.emit(class_id, value)


class ThresholdLine(pg.InfiniteLine):
    """A threshold line that moves DRAG_PX_PER_UNIT px of mouse travel per unit of score,
    whatever the lane's height, so a drag can land on any 0.01 step."""

    def __init__(self, y_per_score: float, **kwargs: Any) -> None:
        super().__init__(angle=0, movable=True, **kwargs)
        self.y_per_score = y_per_score
        self._drag_from: tuple[float, float] | None = None  # (line value, screen y)

    def mouseDragEvent(self, ev: Any) -> None:  # noqa: N802 - pyqtgraph API
        if not self.movable or ev.button() != Qt.MouseButton.LeftButton:
            return
        ev.accept()
        if ev.isStart():
            self.moving = True
            self._drag_from = (float(self.value()), float(ev.buttonDownScreenPos().y()))
        if not self.moving or self._drag_from is None:
            return
        value, screen_y = self._drag_from
        moved = (screen_y - float(ev.screenPos().y())) / DRAG_PX_PER_UNIT  # up is higher
        self.setValue(value + moved * self.y_per_score)
        self.sigDragged.emit(self)
        if ev.isFinish():
            self.moving = False
            self._drag_from = None
            self.sigPositionChangeFinished.emit(self)
