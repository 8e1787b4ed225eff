"""Training panel ▸ Compare…: which backbone suits *these* labels?

The user ticks the backbones to try (those that cannot run here are listed, greyed, with how
to get them), and ``model.ml.compare:compare_job`` trains the panel's head on each with the
same folds by recording, in a worker process like training, with progress and Cancel. Features
are cached per backbone, so a second comparison, or training the winner, reuses them. Nothing
is saved as a model: "Train with this backbone" selects it in the panel and trains it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QGroupBox,
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
from app.ml.backbone_choice import how_to_get
from app.ml.compare_view import CompareView
from app.ml.job_control import cancel_within
from model.jobs import Progress
from model.ml import backbones
from model.ml.head import HEAD_TITLES
from model.ml.splitting import DEFAULT_FOLDS

TARGET = "model.ml.compare:compare_job"


class CompareDialog(QDialog):
    train_requested = Signal(str)  # backbone name

    def __init__(self, context: AppContext, head: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare backbones on your labels")
        self.context = context
        self.head = head
        self.job: Job | None = None
        self.result: dict[str, Any] | None = None
        self.checks: dict[str, QCheckBox] = {}
        self.missing: dict[str, QLabel] = {}
        choose = QGroupBox("Backbones")
        rows = QVBoxLayout(choose)
        for info in backbones.describe_all():
            check = QCheckBox(("⚠ " if info.flagged else "") + info.title)
            check.setChecked(info.status.available)
            check.setEnabled(info.status.available)
            check.setToolTip(f"{info.input_text}; {info.dim}-d features. Licence: {info.licence}")
            self.checks[info.name] = check
            rows.addWidget(check)
            if not info.status.available:
                hint = QLabel(how_to_get(info))
                hint.setWordWrap(True)
                hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                hint.setStyleSheet("color: gray; margin-left: 22px;")
                self.missing[info.name] = hint
                rows.addWidget(hint)
        self.folds = QSpinBox()
        self.folds.setRange(3, 10)
        self.folds.setValue(DEFAULT_FOLDS)
        self.folds.setSuffix(" folds by recording")
        self.compare_button = QPushButton("Compare")
        self.compare_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.status = QLabel(self._intro())
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(10)
        self.view = CompareView()
        self.view.train_requested.connect(self._train)
        controls = QHBoxLayout()
        controls.addWidget(self.folds)
        controls.addStretch(1)
        controls.addWidget(self.compare_button)
        controls.addWidget(self.cancel_button)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(choose)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addWidget(self.view, 1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.addWidget(scroll)
        self.resize(860, 760)
        self.compare_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.checks_changed()
        for check in self.checks.values():
            check.toggled.connect(lambda _on: self.checks_changed())

    def chosen(self) -> list[str]:
        return [name for name, check in self.checks.items() if check.isChecked()]

    def checks_changed(self) -> None:
        project = self.context.project
        self.compare_button.setEnabled(
            self.job is None and bool(self.chosen()) and project is not None
        )

    def start(self) -> Job | None:
        project = self.context.project
        if self.job is not None or project is None or not self.chosen():
            return None
        job = self.context.run_process(
            "Comparing backbones", TARGET, project_path=str(project.path), names=self.chosen(),
            head={"kind": self.head}, folds=int(self.folds.value()),
            allow_download=False,
        )  # fmt: skip
        self.job = job
        job.progress.connect(self._on_progress)
        job.finished.connect(self._on_finished)
        job.failed.connect(self._on_failed)
        job.cancelled.connect(lambda: self.status.setText("Comparison cancelled."))
        job.ended.connect(self._on_ended)
        self.view.clear()
        self.status.setStyleSheet("")
        self.status.setText("Starting the worker…")
        self.progress.setRange(0, 0)
        self._set_running(True)
        return job

    def cancel(self) -> None:
        if self.job is not None:
            self.status.setText("Cancelling…")
            self.cancel_button.setEnabled(False)
            cancel_within(self.job, parent=self)

    def _set_running(self, running: bool) -> None:
        self.cancel_button.setEnabled(running)
        self.folds.setEnabled(not running)
        for name, check in self.checks.items():
            check.setEnabled(not running and name not in self.missing)
        self.checks_changed()

    def set_head(self, head: str) -> None:
        """The head the comparison trains: the Training panel's choice when it is opened."""
        self.head = head
        if self.job is None and self.result is None:
            self.status.setText(self._intro())

    def _intro(self) -> str:
        return (
            f"Head: {HEAD_TITLES.get(self.head, self.head)} (the Training panel's choice). Each "
            "ticked backbone gets the same folds; features are computed once and cached."
        )

    def _train(self, name: str) -> None:
        self.status.setText(f"Training on {name} in the Training panel…")
        self.train_requested.emit(name)

    def _on_progress(self, progress: Progress) -> None:
        self.status.setText(progress.message or self.status.text())  # starts with a name
        if progress.fraction is None:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(round(1000 * progress.fraction))

    def _on_finished(self, result: dict[str, Any]) -> None:
        self.result = result
        self.progress.setRange(0, 1000)
        self.progress.setValue(1000)
        compared = [e["name"] for e in result.get("backbones") or [] if e.get("metrics")]
        self.status.setText(
            f"Compared {len(compared)} backbone(s) in {result.get('seconds', 0):.0f} s. Train "
            "the one you prefer with the button under its column."
            if compared
            else "No backbone could be compared (see below)."
        )
        self.view.show_result(result)

    def _on_failed(self, message: str, detail: str) -> None:
        self.status.setStyleSheet("color: #c62828;")
        self.status.setText(f"Comparison failed: {message}")
        self.context.error.emit(message, detail)

    def _on_ended(self) -> None:
        self.job = None
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(0)
        self._set_running(False)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        """Closing stops a running comparison: nothing would show its result."""
        self.cancel()
        super().closeEvent(event)
