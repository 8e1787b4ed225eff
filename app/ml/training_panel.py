"""Training panel: choose the backbone, train in a worker process, watch it, read the results.

Training never runs in the GUI process: ``model.ml.train:train_job`` runs in a spawned process
through ``JobRunner.run_process``, so running out of memory or a crash in TensorFlow ends the
job and leaves the app (and every saved label) alone. The panel asks the job not to score
recordings itself; the prediction controller re-scores the shown recording first as soon as the
new model is active, which is what the user is looking at.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.context import AppContext
from app.jobs import Job
from app.ml.job_control import cancel_within
from app.ml.training_results import LossPlot, ResultsView
from app.ml.weights_row import WeightsRow
from model.jobs import Progress
from model.ml import backbones
from model.ml.head import DEFAULT_HEAD, HEAD_TITLES
from model.project.records import ModelRecord
from model.timefmt import format_clock

TRAIN_TARGET = "model.ml.train:train_job"
UNTRAINED_WARNING = (
    "⚠ Untrained backbone (random weights): for trying Sonotag and for tests only. The model "
    "will be flagged as such everywhere; its scores say little about your sounds."
)


def format_seconds(seconds: float | None) -> str:
    return "–" if seconds is None else format_clock(seconds)


class TrainingPanel(QWidget):
    """Everything about training one model; give it the app's ``AppContext``."""

    trained = Signal(object)  # the train job's result dict
    training_ended = Signal()  # after any outcome

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.job: Job | None = None
        self._cancel_requested = False
        self._started = 0.0
        self._eta: tuple[float, float] | None = None  # (seconds left, when reported)
        # Classes each model trained in this session left out (the manifest keeps only the
        # classes a model knows), so showing that model again still says so.
        self._left_out: dict[str, list[str]] = {}
        self._min_present = 2
        self._left_out_reasons: dict[str, str] = {}

        self.backbone = QComboBox()
        self.backbone.setToolTip("The frozen network that turns each clip into features")
        self._infos = {i.name: i for i in backbones.describe_all()}
        for info in self._infos.values():
            state = "" if info.status.available else f" — {info.status.state}"
            self.backbone.addItem(f"{info.title}{state}", info.name)
            index = self.backbone.count() - 1
            self.backbone.setItemData(index, info.status.detail, Qt.ItemDataRole.ToolTipRole)
        self.licence_label = QLabel("")
        self.licence_label.setWordWrap(True)
        self.licence_label.setStyleSheet("color: #6a1b9a;")
        self.licence_label.hide()
        self.alternatives = QLabel("")
        self.alternatives.setWordWrap(True)
        self.alternatives.setOpenExternalLinks(False)
        self.alternatives.linkActivated.connect(self.set_backbone)
        self.alternatives.hide()
        self.head = QComboBox()
        for kind, title in HEAD_TITLES.items():
            self.head.addItem(title + (" — default" if kind == DEFAULT_HEAD else ""), kind)
        self.head.setToolTip(
            "The linear head measured best on our 3-species task and needs no early stopping; "
            "the study's head is trained for at most the epochs below."
        )
        self.untrained_warning = QLabel(UNTRAINED_WARNING)
        self.untrained_warning.setWordWrap(True)
        self.untrained_warning.setStyleSheet("color: #e65100;")
        self.untrained_warning.hide()
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
        self.fine_tune_epochs.setEnabled(False)
        self.score_all = QCheckBox("Then score every recording (the shown one first)")
        self.score_all.setToolTip("Without this only the shown recording is scored right away.")

        self.train_button = QPushButton("Train")
        self.train_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.status_label = QLabel("Label some clips, then train a model on them.")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(10)
        self.eta_label = QLabel("")
        self.eta_label.hide()
        self.device_label = QLabel("Device: decided by the worker when training starts")
        self.epoch_label = QLabel("")
        self.loss_plot = LossPlot()
        self.results = ResultsView()

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Backbone", self.backbone)
        form.addRow(self.untrained_warning)
        form.addRow(self.licence_label)
        form.addRow("Weights", self.weights)
        form.addRow(self.alternatives)
        form.addRow("Head", self.head)
        form.addRow("", self.epochs)
        fine = QHBoxLayout()
        fine.addWidget(self.fine_tune, 1)
        fine.addWidget(self.fine_tune_epochs)
        form.addRow(fine)
        form.addRow(self.score_all)
        buttons = QHBoxLayout()
        buttons.addWidget(self.train_button, 1)
        buttons.addWidget(self.cancel_button)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addLayout(form)
        layout.addLayout(buttons)
        for widget in (self.status_label, self.progress, self.eta_label, self.device_label):
            layout.addWidget(widget)
        layout.addWidget(self.epoch_label)
        layout.addWidget(self.loss_plot)
        layout.addWidget(self.results, 1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        self.content = content
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        self.backbone.currentIndexChanged.connect(self._on_backbone)
        self.head.currentIndexChanged.connect(
            lambda: self.epochs.setEnabled(self.head.currentData() == "mlp" and self.job is None)
        )
        self.fine_tune.toggled.connect(self.fine_tune_epochs.setEnabled)
        self.train_button.clicked.connect(self.start_training)
        self.cancel_button.clicked.connect(self.cancel_training)
        context.project_changed.connect(lambda _p: self._on_project())
        context.models_changed.connect(self._show_active_if_idle)
        self._on_backbone()
        self.epochs.setEnabled(False)  # the default head has no epochs
        self._on_project()

    # -- options -----------------------------------------------------------------------------
    @property
    def backbone_name(self) -> str:
        return str(self.backbone.currentData())

    @property
    def untrained_backbone(self) -> bool:
        return self._infos[self.backbone_name].flagged

    def set_backbone(self, name: str) -> None:
        self.backbone.setCurrentIndex(self.backbone.findData(name))

    def set_untrained_backbone(self, untrained: bool) -> None:
        self.set_backbone(backbones.UNTRAINED if untrained else backbones.IMAGENET)

    def _on_backbone(self) -> None:
        info = self._infos[self.backbone_name]
        self.untrained_warning.setVisible(info.flagged)
        self.weights.setVisible(info.name == backbones.IMAGENET)
        self.licence_label.setText(
            f"Licence: {info.licence}. {info.licence_notice}" if info.licence_notice else ""
        )
        self.licence_label.setVisible(bool(info.licence_notice))
        missing = info.name == backbones.IMAGENET and not info.status.available
        others = [
            f"<a href='{i.name}'>{i.title}</a>"
            for i in self._infos.values()
            if i.name != info.name and i.status.available
        ]
        self.alternatives.setText(
            "No ImageNet weights here yet (they download when training starts, if there is a "
            "connection). Offline? Train on another backbone now: " + " · ".join(others)
            if missing and others
            else ""
        )
        self.alternatives.setVisible(missing and bool(others))
        self.fine_tune.setEnabled(info.fine_tunable and self.job is None)
        if not info.fine_tunable:
            self.fine_tune.setChecked(False)

    def _on_project(self) -> None:
        project = self.context.project
        if self.job is not None:  # cancelled by the context: it was for the project just closed
            self._cancel_requested = True
            self.status_label.setStyleSheet("")
            self.status_label.setText("Training stopped: another project was opened.")
        self._update_buttons()
        if project is not None and project.read_only and self.job is None:
            self.status_label.setText("The project is open read-only: training cannot save.")
        self._show_active_if_idle()

    def _update_buttons(self) -> None:
        project = self.context.project
        running = self.job is not None
        self.train_button.setEnabled(not running and project is not None and not project.read_only)
        self.cancel_button.setEnabled(running and not self._cancel_requested)
        for widget in (self.backbone, self.head, self.epochs, self.fine_tune, self.score_all):
            widget.setEnabled(not running)
        self.fine_tune.setEnabled(not running and self._infos[self.backbone_name].fine_tunable)
        self.epochs.setEnabled(not running and self.head.currentData() == "mlp")
        self.fine_tune_epochs.setEnabled(not running and self.fine_tune.isChecked())

    # -- training ----------------------------------------------------------------------------
    def start_training(self) -> Job | None:
        """Starts the worker; returns its job (None when there is nothing to train on)."""
        project = self.context.project
        if project is None or project.read_only or self.job is not None:
            return None
        kwargs: dict[str, Any] = {
            "project_path": str(project.path),
            "epochs": int(self.epochs.value()),
            "fine_tune": self.fine_tune.isChecked(),
            "fine_tune_epochs": int(self.fine_tune_epochs.value()),
            "backbone": self.backbone_name,
            "head": {"kind": str(self.head.currentData())},
            "score": False,
        }
        job = self.context.run_process("Training a model", TRAIN_TARGET, **kwargs)
        job.progress.connect(self._on_progress)
        job.finished.connect(self._on_finished)
        job.failed.connect(self._on_failed)
        job.cancelled.connect(self._on_cancelled)
        job.ended.connect(self._on_ended)
        self.job = job
        self._cancel_requested = False
        self._started = time.monotonic()
        self._eta = None
        self.loss_plot.clear_rows()
        self.loss_plot.show()
        self.epoch_label.setText("")
        self.progress.setRange(0, 0)
        self.status_label.setStyleSheet("")
        self.status_label.setText("Starting the training worker…")
        self.device_label.setText("Device: starting the worker…")
        self._clock.start()
        self.eta_label.show()
        self._tick()
        self._update_buttons()
        return job

    def cancel_training(self) -> None:
        """Stops the worker within two seconds; the project keeps every label."""
        if self.job is None or self._cancel_requested:
            return
        self._cancel_requested = True
        self.status_label.setText("Cancelling…")
        cancel_within(self.job, parent=self)
        self._update_buttons()

    def _on_progress(self, progress: Progress) -> None:
        if self._cancel_requested:
            return
        data = progress.data
        if data.get("device"):
            self.device_label.setText(f"Device: {data['device']}")
        text = progress.message or self.status_label.text()
        if progress.total and progress.total > 1e6:  # bytes of the weights download
            text += f" ({progress.done / 1e6:.0f} of {progress.total / 1e6:.0f} MB)"
        self.status_label.setText(text[:1].upper() + text[1:])
        if progress.fraction is not None:
            self.progress.setRange(0, 1000)
            self.progress.setValue(round(1000 * progress.fraction))
        else:
            self.progress.setRange(0, 0)
        eta = data.get("eta_s")
        self._eta = (float(eta), time.monotonic()) if eta is not None else None
        stage = data.get("stage")
        if stage == "training" and "epoch" in data:
            self.loss_plot.add_epoch(data)
            self.epoch_label.setText(
                f"Epoch {data['epoch']}/{data.get('epochs', '?')}: loss {_num(data.get('loss'))}"
                f", held-out loss {_num(data.get('val_loss'))}, "
                f"held-out mAP {_num(data.get('val_ap'))}"
            )
        elif stage == "fine-tune" and "epoch" in data and "loss" in data:
            self.loss_plot.add_fine_tune_epoch(data)
            self.epoch_label.setText(
                f"Fine-tuning epoch {data['epoch']}/{data.get('epochs', '?')}: "
                f"loss {_num(data.get('loss'))}"
            )
        self._tick()

    def _tick(self) -> None:
        if self.job is None:
            return
        elapsed = time.monotonic() - self._started
        text = f"Elapsed {format_seconds(elapsed)}"
        if self._eta is not None:
            left = self._eta[0] - (time.monotonic() - self._eta[1])
            text += f" · about {format_seconds(max(left, 0))} left in this step"
        self.eta_label.setText(text)

    def _on_finished(self, result: dict[str, Any]) -> None:
        untrained = bool(result.get("untrained_backbone"))
        metrics = result.get("metrics") or {}
        history = result.get("history") or {}
        self.loss_plot.set_history(history.get("history") or [], history.get("fine_tune") or [])
        self.results.show_metrics(
            f"Model “{result.get('name')}”, held-out figures:",
            metrics,
            self._colours(),
            untrained,
        )
        early = " (stopped early)" if history.get("stopped_early") else ""
        steps = (
            f"{history.get('epochs_run', '?')} epochs{early}, best epoch "
            f"{history.get('best_epoch', '?')}"
            if history.get("history")
            else "linear head fitted in one step"
        )
        text = (
            f"Trained “{result.get('name')}” on {result.get('backbone', 'ResNet50')} in "
            f"{format_seconds(result.get('seconds'))} on "
            f"{result.get('device', 'an unknown device')}: {steps}. It is now the active model."
        )
        if untrained:
            text += " Flagged: untrained backbone, testing only."
        from model.ml.train import MIN_POSITIVES  # light: TensorFlow stays in the worker

        self._min_present = int(result.get("min_positives", MIN_POSITIVES))
        left_out = [str(n) for n in result.get("classes_left_out") or []]
        reasons = {str(k): str(v) for k, v in (result.get("left_out_reasons") or {}).items()}
        self._left_out[str(result.get("name"))] = left_out
        self._left_out_reasons.update(reasons)
        self.results.show_left_out(left_out, self._min_present, reasons)
        if left_out:
            text += f" Left out: {', '.join(left_out)} (see below)."
        for cause in (result.get("features") or {}).get("cache_errors") or []:
            text += f" Features could not be cached ({cause}): the next training recomputes them."
        self.loss_plot.setVisible(bool(history.get("history")))
        if not history.get("history"):
            self.epoch_label.setText("Linear head: fitted to convergence, no epochs to plot.")
        self.status_label.setText(text)
        self.progress.setRange(0, 1000)
        self.progress.setValue(1000)
        self.trained.emit(result)  # only delivered while its project is the open one
        self.context.models_changed.emit()
        self.context.status.emit(f"Model “{result.get('name')}” trained")

    def _on_failed(self, message: str, detail: str) -> None:
        if self._cancel_requested:  # the worker was ended after the grace period
            self._on_cancelled()
            return
        self.status_label.setStyleSheet("color: #c62828;")
        self.status_label.setText(f"Training failed: {message}")
        if "WeightsMissingError" in detail:
            self.weights.show_missing(message)
        self.context.error.emit(message, detail)

    def _on_cancelled(self) -> None:
        self.status_label.setStyleSheet("")
        self.status_label.setText(
            "Training cancelled. The project is as it was; clip features computed so far are "
            "kept and make the next training faster."
        )
        # A cancel that came as the worker was registering its model is too late for it:
        # let the lists show whatever the project now holds.
        self.context.models_changed.emit()

    def _on_ended(self) -> None:
        self.job = None
        self._cancel_requested = False
        self._clock.stop()
        self.eta_label.setText("")
        self.eta_label.hide()
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(0)
        self._update_buttons()
        self.training_ended.emit()

    # -- showing a stored model --------------------------------------------------------------
    def _project_path(self) -> str | None:
        project = self.context.project
        return str(project.path) if project is not None else None

    def _colours(self) -> dict[str, str]:
        project = self.context.project
        return {c.name: c.colour for c in project.classes()} if project is not None else {}

    def _show_active_if_idle(self) -> None:
        if self.job is not None:
            return
        project = self.context.project
        active = project.active_model() if project is not None else None
        if active is not None:
            self.show_model(active)
        else:
            self.loss_plot.clear_rows()
            self.loss_plot.hide()  # empty axes would read as a training that went nowhere
            self.results.show_nothing("No model trained yet." if project is not None else "")

    def show_model(self, record: ModelRecord) -> None:
        """Shows a stored model's training curve and held-out figures."""
        manifest = record.manifest or {}
        training = manifest.get("training") or {}
        history = training.get("history") or {}
        self.loss_plot.set_history(history.get("history") or [], history.get("fine_tune") or [])
        self.results.show_metrics(
            f"Model “{record.name}”, held-out figures:",
            record.metrics or manifest.get("metrics") or {},
            self._colours(),
            bool(manifest.get("untrained_backbone")),
        )
        self.results.show_left_out(
            self._left_out.get(record.name, []), self._min_present, self._left_out_reasons
        )
        self.loss_plot.setVisible(bool(history.get("history")))

    def import_weights_from(self, path: str | Path) -> Job:
        return self.weights.import_from(path)


def _num(value: Any) -> str:
    return "–" if value is None else f"{float(value):.3f}"
