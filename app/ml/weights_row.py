"""The ImageNet weights: are they here, and two ways to get them (download, or import a file).

Field stations are often offline, so next to "Download" there is always "Import weights
file…": the standard Keras file carried on a USB stick, checked against its published MD5
before it is copied into Keras' cache. Importing and downloading run in a worker process (they
go through Keras, which the GUI process never loads); the status check only hashes the file,
in a thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app import file_dialogs
from app.context import AppContext
from app.jobs import Job
from app.ml.worker_jobs import check_weights_job
from model.jobs import Progress
from model.ml import weights

OK_STYLE = "color: #2e7d32;"
BAD_STYLE = "color: #c62828;"


class WeightsRow(QWidget):
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.state = "unknown"  # "ok" | "missing" | "damaged" | "unknown"
        self.job: Job | None = None
        self.label = QLabel("Checking…")
        self.label.setWordWrap(True)
        self.import_button = QPushButton("Import weights file…")
        self.import_button.setToolTip(
            f"Use '{weights.FILE_NAME}' ({weights.SIZE_TEXT}) from a disk or USB stick; it is "
            "checked against its known checksum."
        )
        self.download_button = QPushButton("Download")
        self.download_button.setToolTip(f"Download {weights.SIZE_TEXT} from {weights.URL}")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.download_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addLayout(buttons)
        self.import_button.clicked.connect(self._choose_file)
        self.download_button.clicked.connect(self.download)
        self.refresh()

    def refresh(self) -> Job:
        """Looks for the weights in Keras' cache and checks their checksum (a thread job)."""
        job = self.context.jobs.run_thread("Checking the ImageNet weights", check_weights_job)
        job.finished.connect(self._on_checked)
        return job

    def _on_checked(self, result: dict[str, Any]) -> None:
        self.state = str(result["state"])
        path = result["path"]
        if self.state == "ok":
            self._show(f"ImageNet weights installed ({path}).", OK_STYLE)
        elif self.state == "damaged":
            self._show(
                "The cached weights file is damaged; it will be downloaded again when training "
                "starts, or import a good copy.",
                BAD_STYLE,
            )
        else:
            self._show(
                f"Not on this computer yet. They download ({weights.SIZE_TEXT}) when training "
                "starts; offline, import the file with “Import weights file…”.",
                "",
            )
        self.download_button.setVisible(self.state != "ok")

    def _show(self, text: str, style: str) -> None:
        self.label.setText(text)
        self.label.setStyleSheet(style)

    def show_missing(self, message: str) -> None:
        """Training failed for want of the weights: say so here, where the fix is."""
        self.state = "missing"
        self._show(
            f"No ImageNet weights and no connection. Import '{weights.FILE_NAME}' with "
            "“Import weights file…”, or choose the untrained backbone to try things out.",
            BAD_STYLE,
        )
        self.download_button.setVisible(True)
        self.import_button.setFocus()

    def _choose_file(self) -> None:
        path, _ = file_dialogs.get_open_file_name(
            self, "Import ResNet50 ImageNet weights", "", "Keras weights (*.h5);;All files (*)"
        )
        if path:
            self.import_from(path)

    def import_from(self, path: str | Path) -> Job:
        self._show(f"Checking {Path(path).name}…", "")
        return self._run(
            "Importing the ImageNet weights",
            "app.ml.worker_jobs:import_weights_job",
            source=str(path),
        )

    def download(self) -> Job:
        self._show("Downloading…", "")
        return self._run(
            "Downloading the ImageNet weights", "app.ml.worker_jobs:download_weights_job"
        )

    def _run(self, title: str, target: str, **kwargs: Any) -> Job:
        job = self.context.jobs.run_process(title, target, **kwargs)
        self.job = job
        self.import_button.setEnabled(False)
        self.download_button.setEnabled(False)
        job.progress.connect(self._on_progress)
        job.finished.connect(lambda _path: self.refresh())
        job.failed.connect(self._on_failed)
        job.ended.connect(self._on_ended)
        return job

    def _on_progress(self, progress: Progress) -> None:
        text = progress.message or "Working…"
        if progress.total:
            text += f" ({progress.done / 1e6:.0f} of {progress.total / 1e6:.0f} MB)"
        self._show(text[:1].upper() + text[1:], "")

    def _on_failed(self, message: str, detail: str) -> None:
        self._show(message, BAD_STYLE)
        self.context.error.emit(message, detail)

    def _on_ended(self) -> None:
        self.job = None
        self.import_button.setEnabled(True)
        self.download_button.setEnabled(True)
