"""What to train: backbone, head, epochs, fine-tuning and what to score afterwards.

The Training panel lays this form above its Train button and reads it into the training job's
arguments; the Compare view selects a backbone in it before training the winner.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QSpinBox, QWidget

from app.context import AppContext
from app.ml.backbone_choice import BackboneChoice, fit_narrow_dock
from app.ml.weights_row import WeightsRow
from model.ml import backbones
from model.ml.head import DEFAULT_HEAD, HEAD_TITLES, MLP


class TrainingOptions(QWidget):
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choice = BackboneChoice(self)
        self.head = QComboBox()
        for kind, title in HEAD_TITLES.items():
            self.head.addItem(title + (" — default" if kind == DEFAULT_HEAD else ""), kind)
        fit_narrow_dock(self.head)
        self.head.setToolTip(
            "The linear head measured as well as the study's head on our 3-species task, needs "
            "no early stopping and fits in a fraction of a second; the study's head is trained "
            "for at most the epochs below."
        )
        self.weights = WeightsRow(context, self)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 1000)
        self.epochs.setValue(60)
        self.epochs.setSuffix(" epochs at most")
        self.epochs.setToolTip(
            "Training stops early once the held-out loss has not improved for 8 epochs, and "
            "keeps the best epoch's weights."
        )
        self.fine_tune = QCheckBox("Fine-tune the last backbone stage afterwards")
        self.fine_tune.setToolTip(
            "Second stage of the method: unfreeze ResNet50's last block at a low learning rate. "
            "Much slower (works on clip images, not cached features)."
        )
        self.fine_tune_epochs = QSpinBox()
        self.fine_tune_epochs.setRange(1, 100)
        self.fine_tune_epochs.setValue(5)
        self.fine_tune_epochs.setSuffix(" epochs")
        self.score_all = QCheckBox("Then score every recording (the shown one first)")
        self.score_all.setToolTip("Without this only the shown recording is scored right away.")

        form = self.form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Backbone", self.choice.combo)
        form.addRow(self.choice.untrained_warning)
        form.addRow(self.choice.licence_label)
        form.addRow("Weights", self.weights)
        form.addRow(self.choice.alternatives)
        form.addRow("Head", self.head)
        form.addRow("", self.epochs)
        fine = QHBoxLayout()
        fine.addWidget(self.fine_tune, 1)
        fine.addWidget(self.fine_tune_epochs)
        form.addRow(fine)
        form.addRow(self.score_all)

        self._running = False
        self.choice.changed.connect(lambda _name: self._sync())
        self.head.currentIndexChanged.connect(lambda _index: self._sync())
        self.fine_tune.toggled.connect(lambda _on: self._sync())
        self._sync()

    @property
    def head_kind(self) -> str:
        return str(self.head.currentData())

    def set_running(self, running: bool) -> None:
        """Options are fixed while a training runs: the job has already read them."""
        self._running = running
        self._sync()

    def job_kwargs(self) -> dict[str, Any]:
        return {
            "epochs": int(self.epochs.value()),
            "fine_tune": self.fine_tune.isChecked(),
            "fine_tune_epochs": int(self.fine_tune_epochs.value()),
            "backbone": self.choice.name,
            "head": {"kind": self.head_kind},
        }

    def _sync(self) -> None:
        info = self.choice.info
        free = not self._running
        # The whole row, label included: "Weights" beside nothing reads as a missing field.
        self.form.setRowVisible(self.weights, info.name == backbones.IMAGENET)
        if not info.fine_tunable:
            self.fine_tune.setChecked(False)
        for widget in (self.choice.combo, self.head, self.score_all):
            widget.setEnabled(free)
        self.fine_tune.setEnabled(free and info.fine_tunable)
        self.fine_tune_epochs.setEnabled(free and self.fine_tune.isChecked())
        self.epochs.setEnabled(free and self.head_kind == MLP)
