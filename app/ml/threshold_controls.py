"""One threshold slider per class, in the class's colour, with its value as a number.

The same thresholds can also be dragged as dashed lines in the score tracks; both ends call
``set_value`` on the other without re-emitting, so a drag never loops back into itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QSlider, QWidget

from model.project.records import LabelClass

STEPS = 100


def _swatch(colour: str, size: int = 12) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(colour))
    return pixmap


class ThresholdControls(QWidget):
    """Sliders for the classes given to ``set_classes``; emits (class id, threshold 0..1)."""

    threshold_changed = Signal(int, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(4, 2, 4, 2)
        self._grid.setHorizontalSpacing(6)
        self._grid.setVerticalSpacing(2)
        self._sliders: dict[int, QSlider] = {}
        self._values: dict[int, QLabel] = {}
        self._hint = QLabel("Thresholds appear once a model has scored this recording.")
        self._hint.setEnabled(False)
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
            name.setToolTip(f"Detection threshold of {cls.name}")
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(0, STEPS)
            slider.setPageStep(5)
            slider.setObjectName(f"threshold-{cls.id}")
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
