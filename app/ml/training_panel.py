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
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.context import AppContext
from app.jobs import Job
from app.ml.job_control import cancel_within
from app.ml.model_figures import ModelFigures
from app.ml.training_options import TrainingOptions
from model.jobs import Progress
from model.jobs.eta import StageEta
from model.ml import backbones
from model.project.records import ModelRecord
from model.timefmt import format_clock

TRAIN_TARGET = "model.ml.train:train_job"


def format_seconds(seconds: float | None) -> str:
    return "–" if seconds is None else format_clock(seconds)


class TrainingPanel(QWidget):
    """Everything about training one model; give it the app's ``AppContext``."""

    trained = Signal(object)  # the train job's result dict
    training_ended = Signal()  # after any outcome
    evaluated = Signal(object)  # the evaluation job's result dict (figures of a new model)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.job: Job | None = None
        self._cancel_requested = False
        self._started = 0.0
        self._eta = StageEta()

        self.options = TrainingOptions(context, self)
        self.choice = self.options.choice
        # The options by name, as tests and the Compare view reach them.
        self.backbone = self.choice.combo
        self.untrained_warning = self.choice.untrained_warning
        self.licence_label = self.choice.licence_label
        self.alternatives = self.choice.alternatives
        self.head, self.weights = self.options.head, self.options.weights
        self.epochs, self.fine_tune = self.options.epochs, self.options.fine_tune
        self.fine_tune_epochs = self.options.fine_tune_epochs
        self.score_all = self.options.score_all
        self.figures = ModelFigures(context, self)
        self.results, self.loss_plot = self.figures.results, self.figures.loss_plot
        self.evaluation = self.figures.evaluation
        self._pending_start = False  # Train pressed while an evaluation was stopping

        self.train_button = QPushButton("Train")
        self.train_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.compare_button = QPushButton("Compare…")
        self.compare_button.setToolTip(
            "Train a head on each backbone with the same folds and compare per-class AP and "
            "precision-recall curves on your own labels"
        )
        self._compare_dialog: Any = None
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
        self.device_label.setWordWrap(True)
        self.epoch_label = QLabel("")

        buttons = QHBoxLayout()
        buttons.addWidget(self.train_button, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.compare_button)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(self.options)
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
        # Up and down only: a sideways scroll cut the panel's left edge off after training.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll = scroll
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        self.train_button.clicked.connect(self.start_training)
        self.cancel_button.clicked.connect(self.cancel_training)
        self.compare_button.clicked.connect(self.open_compare)
        self.figures.evaluated.connect(self.evaluated.emit)
        context.project_changed.connect(lambda _p: self._on_project())
        context.models_changed.connect(self._show_active_if_idle)
        self._on_project()

    # -- options -----------------------------------------------------------------------------
    @property
    def backbone_name(self) -> str:
        return self.choice.name

    @property
    def untrained_backbone(self) -> bool:
        return self.choice.info.flagged

    def set_backbone(self, name: str) -> None:
        self.choice.set(name)

    def set_untrained_backbone(self, untrained: bool) -> None:
        self.set_backbone(backbones.UNTRAINED if untrained else backbones.IMAGENET)

    def _on_project(self) -> None:
        project = self.context.project
        if self.job is not None:  # cancelled by the context: it was for the project just closed
            self._cancel_requested = True
            self.status_label.setStyleSheet("")
            self.status_label.setText("Training stopped: another project was opened.")
        else:  # one current state: the last project's message is not about this one
            self.status_label.setStyleSheet("")
            self.status_label.setText("")
        self._update_buttons()
        if project is not None and project.read_only and self.job is None:
            self.status_label.setText("The project is open read-only: training cannot save.")
        self._show_active_if_idle()

    def _update_buttons(self) -> None:
        project = self.context.project
        running = self.job is not None
        self.train_button.setEnabled(not running and project is not None and not project.read_only)
        self.cancel_button.setEnabled(running and not self._cancel_requested)
        self.options.set_running(running)

    # -- training ----------------------------------------------------------------------------
    def start_training(self) -> Job | None:
        """Starts the worker; returns its job (None when there is nothing to train on, or
        when the previous model's evaluation must stop first: training then starts as soon
        as it has, in the warm worker process)."""
        project = self.context.project
        if project is None or project.read_only or self.job is not None:
            return None
        if self.evaluation.running:
            if not self._pending_start:
                self._pending_start = True
                self.status_label.setText("Stopping the previous model's measurement…")
                self.train_button.setEnabled(False)
                self.evaluation.stop(then=self._start_deferred)
            return None
        kwargs: dict[str, Any] = {
            **self.options.job_kwargs(),
            "project_path": str(project.path),
            "score": False,
            "evaluate": False,  # measured afterwards by self.evaluation, scores come first
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
        self._eta = StageEta()
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

    def open_compare(self) -> Any:
        """Training panel ▸ Compare…: one dialog per panel, kept with its last result."""
        from app.ml.compare_dialog import CompareDialog

        if self._compare_dialog is None:
            self._compare_dialog = CompareDialog(self.context, self.options.head_kind, self)
            self._compare_dialog.setWindowFlag(Qt.WindowType.Window, True)
            self._compare_dialog.train_requested.connect(self._train_compared)
        self._compare_dialog.set_head(self.options.head_kind)
        self._compare_dialog.show()
        self._compare_dialog.raise_()
        return self._compare_dialog

    def _train_compared(self, name: str) -> None:
        self.set_backbone(name)
        if self.job is None:
            self.start_training()
        else:
            self.status_label.setText(
                f"{name} is selected; a training is already running, train again when it ends."
            )

    def _start_deferred(self) -> None:
        self._pending_start = False
        self._update_buttons()
        self.start_training()

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
        self._eta.update(progress)
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
        left = self._eta.seconds_left()
        if left is not None:
            text += f" · about {format_seconds(left)} left in this step"
        self.eta_label.setText(text)

    def _on_finished(self, result: dict[str, Any]) -> None:
        untrained = bool(result.get("untrained_backbone"))
        history = result.get("history") or {}
        request = result.get("evaluation")
        left_out = self.figures.show_trained(result)
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
        if result.get("backbone_device"):
            text += f" Backbone features: {result['backbone_device']}."
        if result.get("device"):  # the training's device and backend, not the features' engine
            extra = result.get("backbone_device")
            self.device_label.setText(
                f"Device: {result['device']}"
                + (f"; backbone features: {extra}" if extra and extra != result["device"] else "")
            )
        if untrained:
            text += " Flagged: untrained backbone, testing only."
        if left_out:
            text += f" Left out: {', '.join(left_out)} (see below)."
        for cause in (result.get("features") or {}).get("cache_errors") or []:
            text += f" Features could not be cached ({cause}): the next training recomputes them."
        if not history.get("history"):
            self.epoch_label.setText("Linear head: fitted to convergence, no epochs to plot.")
        self.status_label.setText(text)
        self.progress.setRange(0, 1000)
        self.progress.setValue(1000)
        # Delivered only while its project is the open one (``AppContext.run_process``).
        self.trained.emit(result)  # the prediction controller re-scores: it goes first
        project = self.context.project
        if request is not None and project is not None:
            self.evaluation.start(str(project.path), request)
        self.context.models_changed.emit()  # after: the lists see it being measured
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

    def _show_active_if_idle(self) -> None:
        if self.job is None:
            self.figures.show_active()

    def show_model(self, record: ModelRecord) -> None:
        """Shows a stored model's training curve and held-out figures."""
        self.figures.show_model(record)

    def import_weights_from(self, path: str | Path) -> Job:
        return self.weights.import_from(path)


def _num(value: Any) -> str:
    return "–" if value is None else f"{float(value):.3f}"
