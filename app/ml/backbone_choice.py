"""Choosing the backbone: the list with each one's status, and what the choice implies.

Shown with the list, because they matter at the moment of choosing: the untrained backbone's
"testing only" warning, BirdNET's non-commercial licence, and, when the ImageNet weights are
missing (offline), links to the backbones that can train right now instead of a failure after a
download attempt. Missing extras and weights say how to get them (tooltip and ``how_to_get``).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from model.ml import backbones
from model.ml.backbones import BackboneInfo

UNTRAINED_WARNING = (
    "⚠ Untrained backbone (random weights): for trying Sonotag and for tests only. The model "
    "will be flagged as such everywhere; its scores say little about your sounds."
)


def how_to_get(info: BackboneInfo) -> str:
    """One line for people: the state, and what to do about it when it is not available."""
    if info.status.available:
        return "available"
    return f"{info.status.state}: {info.status.detail}"


def fit_narrow_dock(combo: QComboBox) -> None:
    """A combo whose items are long sentences asks for their full width, and the Training
    dock then scrolls sideways and cuts off its left edge (issue 15: "header text clipped").
    The box itself shows ~20 characters; its list still opens as wide as its longest item."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(20)
    widest = max((combo.fontMetrics().horizontalAdvance(combo.itemText(i)) for i in
                  range(combo.count())), default=0)  # fmt: skip
    combo.view().setMinimumWidth(widest + 40)


class BackboneChoice(QObject):
    """The combo box and the labels that go with it; the panel lays them out."""

    changed = Signal(str)  # registry name

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.combo = QComboBox(parent)
        self.combo.setToolTip("The frozen network that turns each clip into features")
        fit_narrow_dock(self.combo)
        self.untrained_warning = QLabel(UNTRAINED_WARNING, parent)
        self.untrained_warning.setWordWrap(True)
        self.untrained_warning.setStyleSheet("color: #e65100;")
        self.untrained_warning.hide()
        self.licence_label = QLabel("", parent)
        self.licence_label.setWordWrap(True)
        self.licence_label.setStyleSheet("color: #6a1b9a;")
        self.licence_label.hide()
        self.alternatives = QLabel("", parent)
        self.alternatives.setWordWrap(True)
        self.alternatives.setOpenExternalLinks(False)
        self.alternatives.linkActivated.connect(self.set)
        self.alternatives.hide()
        self.infos: dict[str, BackboneInfo] = {}
        self.refresh()
        self.combo.currentIndexChanged.connect(self._on_changed)
        self._on_changed()

    @property
    def name(self) -> str:
        return str(self.combo.currentData())

    @property
    def info(self) -> BackboneInfo:
        return self.infos[self.name]

    def set(self, name: str) -> None:
        index = self.combo.findData(name)
        if index >= 0:
            self.combo.setCurrentIndex(index)

    def refresh(self) -> None:
        """Re-reads every backbone's status (weights imported, extra installed meanwhile)."""
        current = self.combo.currentData()
        self.infos = {i.name: i for i in backbones.describe_all()}
        blocked = self.combo.blockSignals(True)
        self.combo.clear()
        for info in self.infos.values():
            state = "" if info.status.available else f" — {info.status.state}"
            self.combo.addItem(f"{info.title}{state}", info.name)
            index = self.combo.count() - 1
            self.combo.setItemData(index, how_to_get(info), Qt.ItemDataRole.ToolTipRole)
        self.combo.blockSignals(blocked)
        fit_narrow_dock(self.combo)
        if current is not None:
            self.set(str(current))
        if current is not None and current != self.combo.currentData():
            self._on_changed()

    def _on_changed(self) -> None:
        info = self.info
        self.untrained_warning.setVisible(info.flagged)
        self.licence_label.setText(
            f"Licence: {info.licence}. {info.licence_notice}" if info.licence_notice else ""
        )
        self.licence_label.setVisible(bool(info.licence_notice))
        missing = info.name == backbones.IMAGENET and not info.status.available
        others = [
            f"<a href='{i.name}'>{i.title}</a>"
            for i in self.infos.values()
            if i.name != info.name and i.status.available
        ]
        self.alternatives.setText(
            "No ImageNet weights here yet (they download when training starts, if there is a "
            "connection). Offline? Train on another backbone now: " + " · ".join(others)
            if missing and others
            else ""
        )
        self.alternatives.setVisible(missing and bool(others))
        self.changed.emit(info.name)
