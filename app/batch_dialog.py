"""File ▸ Run model on a folder…: score a folder of recordings into tables, or the whole project.

The folder run is ``model.batch.batch_predict_job`` in the shared worker process (the same job
as ``sonotag predict``), so it resumes where an earlier run stopped and lists bad files instead
of stopping. Whole-project scoring is the prediction controller's (scores go into the project,
the shown recording first); this dialog only adds a progress window to it, so there is one
scoring path for projects, not two.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import file_dialogs
from app.batch_progress import (
    BatchProgressDialog,
    ProjectScoringProgress,
)
from app.cluster_choice import ClusterChoice
from app.context import AppContext
from app.dialogs import report_error
from app.jobs import Job
from model.annotations.dialect import SUFFIXES
from model.batch import ERRORS_FILE
from model.errors import SonotagError

if TYPE_CHECKING:
    from app.ml.predict_controller import PredictController

TARGET = "model.batch:batch_predict_job"
FORMAT_CHOICES = (
    ("csv", f"CSV table ({SUFFIXES['csv']})"),
    ("raven", f"Raven selection table ({SUFFIXES['raven']})"),
    ("audacity", f"Audacity labels ({SUFFIXES['audacity']})"),
)
MODEL_FILTER = "Sonotag models (*.sonotag-model);;All files (*)"


def summary_text(result: dict[str, Any]) -> str:
    return (
        f"{len(result['done'])} file(s) scored, {len(result['skipped'])} skipped as already "
        f"done by an earlier run, {len(result['failed'])} failed.\n"
        f"{result['detections']} detection(s) written to {result['out_dir']}"
    )


class BatchDialog(QDialog):
    """Model, folder, output folder, hop, table format and threshold, then Run."""

    batch_finished = Signal(object)  # the job's result dict

    def __init__(
        self,
        context: AppContext,
        predictor: PredictController | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Run model on a folder")
        self.context = context
        self.predictor = predictor
        self.job: Job | None = None
        self.progress_dialog: QProgressDialog | None = None
        self.summary_box: QMessageBox | None = None
        self.last_result: dict[str, Any] | None = None
        self._out_edited = False
        self._cancelling = False

        self.model = QComboBox()
        self.model.setToolTip("A model of the open project, or a .sonotag-model file")
        self.model_browse = QPushButton("Model file…")
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("folder of recordings (subfolders included)")
        self.folder_browse = QPushButton("Browse…")
        self.out = QLineEdit()
        self.out.setPlaceholderText("where the tables go")
        self.out_browse = QPushButton("Browse…")
        self.hop = QDoubleSpinBox()
        self.hop.setRange(0.1, 10.0)
        self.hop.setDecimals(1)
        self.hop.setSingleStep(0.5)
        self.hop.setValue(1.0)
        self.hop.setSuffix(" s")
        self.hop.setToolTip("Step between the starts of the windows that are scored")
        self.format = QComboBox()
        for key, text in FORMAT_CHOICES:
            self.format.addItem(text, key)
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setDecimals(2)
        self.threshold.setSingleStep(0.05)
        self.threshold.setValue(0.5)
        self.threshold.setToolTip("Windows scoring at least this for a class are written")
        self.note = QLabel(
            "A run that is cancelled or interrupted goes on where it stopped when started again "
            f"with the same settings. Files that cannot be read are listed in {ERRORS_FILE}."
        )
        self.note.setWordWrap(True)
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c62828")

        form = QFormLayout()
        form.addRow("Model", _row(self.model, self.model_browse))
        form.addRow("Recordings", _row(self.folder, self.folder_browse))
        form.addRow("Output folder", _row(self.out, self.out_browse))
        for spin in (self.hop, self.threshold):
            spin.setMaximumWidth(120)
        form.addRow("Hop", self.hop)
        form.addRow("Table format", self.format)
        form.addRow("Threshold", self.threshold)
        self.place = ClusterChoice()
        if self.place.offered():  # the cluster extra is installed
            form.addRow("Run", self.place)
        else:
            self.place.hide()
        self.run_button = QPushButton("Run on folder")
        self.run_button.setDefault(True)
        self.project_button = QPushButton("Score whole project")
        self.project_button.setToolTip(
            "Score every recording of the open project with its active model; the scores are "
            "stored in the project (as Models ▸ Score all recordings does)"
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.project_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.run_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.project_button.setVisible(predictor is not None)  # after addButton, which shows it
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.resize(640, self.sizeHint().height())

        self.model_browse.clicked.connect(self._browse_model)
        self.folder_browse.clicked.connect(self._browse_folder)
        self.out_browse.clicked.connect(self._browse_out)
        self.folder.textEdited.connect(lambda text: self.set_folder(text, typed=True))
        self.out.textEdited.connect(lambda _t: setattr(self, "_out_edited", True))
        self.run_button.clicked.connect(self.run)
        self.project_button.clicked.connect(self.score_project)
        context.project_changed.connect(lambda _p: self.refresh_models())
        context.models_changed.connect(self.refresh_models)
        self.refresh_models()

    # -- choices -------------------------------------------------------------------------------
    def refresh_models(self) -> None:
        """The project's models (the active one first), then any model files picked here."""
        files = [
            self.model.itemData(i)
            for i in range(self.model.count())
            if self.model.itemData(i, Qt.ItemDataRole.UserRole + 1) == "file"
        ]
        self.model.clear()
        project = self.context.project
        records = []
        if project is not None:
            try:
                records = sorted(project.models(), key=lambda r: not r.active)
            except SonotagError as exc:
                self.context.error.emit(str(exc), "")
        for record in records:
            self.model.addItem(
                f"{record.name}{' (active)' if record.active else ''}", str(record.file)
            )
        for path in files:
            self.add_model_file(path, select=False)
        has_active = project is not None and any(r.active for r in records)
        self.project_button.setEnabled(self.predictor is not None and has_active)

    def add_model_file(self, path: str | Path, select: bool = True) -> None:
        path = str(Path(path))
        index = self.model.findData(path)
        if index < 0:
            self.model.addItem(f"{Path(path).name} — {Path(path).parent}", path)
            index = self.model.count() - 1
            self.model.setItemData(index, "file", Qt.ItemDataRole.UserRole + 1)
        if select:
            self.model.setCurrentIndex(index)

    def set_folder(self, path: str | Path, typed: bool = False) -> None:
        """Takes the folder; proposes "<folder> detections" beside it for the tables, unless
        the user wrote an output folder of their own (a recorder's card may be read-only)."""
        if not typed:
            self.folder.setText(str(path))
        folder = Path(str(path).strip())
        # Only for a real folder with a name: while a path is being typed ("/", "/wo") there
        # is nothing sensible to propose, and "/" has no name to build one from.
        if not self._out_edited and folder.name and folder.is_dir():
            self.out.setText(str(folder.with_name(folder.name + " detections")))

    def set_output(self, path: str | Path) -> None:
        self.out.setText(str(path))
        self._out_edited = True

    def _browse_model(self) -> None:
        path, _ = file_dialogs.get_open_file_name(self, "Choose a model", "", MODEL_FILTER)
        if path:
            self.add_model_file(path)

    def _browse_folder(self) -> None:
        path = file_dialogs.get_existing_directory(self, "Folder of recordings", self.folder.text())
        if path:
            self.set_folder(path)

    def _browse_out(self) -> None:
        path = file_dialogs.get_existing_directory(self, "Output folder", self.out.text())
        if path:
            self.set_output(path)

    def request(self) -> dict[str, Any] | None:
        """The job's keyword arguments, or None with the reason shown under the form."""
        model = self.model.currentData()
        folder = Path(self.folder.text().strip()) if self.folder.text().strip() else None
        out = self.out.text().strip()
        problem = ""
        if not model or not Path(model).is_file():
            problem = "Choose a model: one of the project's, or a .sonotag-model file."
        elif folder is None or not folder.is_dir():
            problem = "Choose an existing folder of recordings."
        elif not out:
            problem = "Choose an output folder for the tables."
        self.problem.setText(problem)
        if problem:
            return None
        return {
            "model_path": str(model),
            "inputs": [str(folder)],
            "out_dir": out,
            "hop": float(self.hop.value()),
            "fmt": str(self.format.currentData()),
            "threshold": float(self.threshold.value()),
            **(self.place.kwargs() if self.place.offered() else {}),
        }

    # -- running -------------------------------------------------------------------------------
    def run(self) -> Job | None:
        kwargs = self.request()
        if kwargs is None or self.job is not None:
            return None
        title = f"Running model on {Path(kwargs['inputs'][0]).name}"
        if kwargs.get("cluster"):
            title += " on a Ray cluster"
        job = self.context.jobs.run_process(title, TARGET, **kwargs)
        job.finished.connect(self._on_finished)
        job.failed.connect(self._on_failed)
        job.cancelled.connect(self._on_cancelled)
        job.ended.connect(self._on_ended)
        self.job = job
        self._cancelling = False
        self.run_button.setEnabled(False)
        self.progress_dialog = BatchProgressDialog(job, self)
        self.progress_dialog.canceled.connect(lambda: setattr(self, "_cancelling", True))
        return job

    def _on_failed(self, message: str, detail: str) -> None:
        if self._cancelling:
            # Cancel ends the worker if it does not stop within a second; every finished
            # file is already on disk, so that is a cancel, not a failure to report.
            self._on_cancelled()
        else:
            report_error(self, "Batch run failed", message, detail)

    def _on_finished(self, result: dict[str, Any]) -> None:
        self.last_result = result
        text = summary_text(result)
        self.context.status.emit(text.replace("\n", " "))
        failed = result["failed"]
        if failed:
            lines = [f"{path}: {cause}" for path, cause in failed]
            shown = "\n".join(lines[:5]) + (
                f"\n… and {len(lines) - 5} more" if len(lines) > 5 else ""
            )
            message = f"{text}\n\nFailed (all listed in {result['errors_file']}):\n{shown}"
            self.summary_box = report_error(
                self, f"Batch run: {len(failed)} file(s) failed", message, "\n".join(lines)
            )
        else:
            box = QMessageBox(QMessageBox.Icon.Information, "Batch run finished", text, parent=self)
            box.setStandardButtons(QMessageBox.StandardButton.Ok)
            show = box.addButton("Open output folder", QMessageBox.ButtonRole.ActionRole)
            show.clicked.connect(
                lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(result["out_dir"]))
            )
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
            self.summary_box = box
        self.batch_finished.emit(result)

    def _on_cancelled(self) -> None:
        text = "Batch run cancelled: finished files are kept; Run again to go on."
        self.problem.setText(text)
        self.context.status.emit(text)

    def _on_ended(self) -> None:
        self.job = None
        self.progress_dialog = None
        self.run_button.setEnabled(True)

    def score_project(self) -> None:
        """The prediction controller scores every recording; a window shows how far it is."""
        project = self.context.project
        if self.predictor is None or project is None:
            return
        columns = project.recording_columns()  # no Recording object per recording
        durations = dict(zip(columns.ids.tolist(), columns.durations.tolist(), strict=True))
        dialog = ProjectScoringProgress(self.predictor, durations, self)
        dialog.scoring_ended.connect(lambda: setattr(self, "progress_dialog", None))
        self.progress_dialog = dialog
        self.predictor.predict(None)
        if not self.predictor.busy:  # nothing to score with (no active model, read-only)
            dialog.finish()


def _row(*widgets: QWidget) -> QWidget:
    holder = QWidget()
    box = QHBoxLayout(holder)
    box.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        box.addWidget(widget, 1 if isinstance(widget, (QLineEdit, QComboBox)) else 0)
    return holder


def install_batch_menu(
    window: QWidget, file_menu: QMenu, predictor: PredictController | None = None
) -> QAction:
    """File ▸ Run model on a folder…; one dialog per window, kept while it is open."""
    action = file_menu.addAction("Run &model on a folder…")
    dialogs: list[BatchDialog] = []

    def open_dialog() -> None:
        if not dialogs:
            context: AppContext = window.context  # type: ignore[attr-defined]
            dialogs.append(BatchDialog(context, predictor, window))
        dialogs[0].show()
        dialogs[0].raise_()
        dialogs[0].activateWindow()

    action.triggered.connect(open_dialog)
    return action
