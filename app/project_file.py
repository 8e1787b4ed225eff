"""File ▸ Save a copy… and File ▸ Check project…, and keeping the project file copy-safe.

The project file works in SQLite's write-ahead-log mode: a change is first appended to
``<name>.sonotag-wal`` and moved into the main file by a *checkpoint*. This module checkpoints a
few seconds after the last edit and when the project closes, so a ``.sonotag`` file copied to a
USB stick mid-session holds all but the last seconds of work. Save a copy writes a consistent,
self-contained copy while the project stays open. After an unclean shutdown (a crash, a power
cut) the whole-file check runs in the background instead of delaying the opening.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import dialogs, file_dialogs
from app.jobs import Job
from model.project import Project
from model.project.feature_cache import cache_folder
from model.project.maintenance import CheckResult, check_job, checkpoint_job, save_copy_job

if TYPE_CHECKING:
    from app.main_window import MainWindow

IDLE_CHECKPOINT_S = 3.0  # a pause in labelling this long moves the edits into the main file
POLL_MS = 1000
WORKER_CHECKPOINT_S = 30.0  # workers' writes (scores, models) are moved in at least this often


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


class SaveCopyDialog(QDialog):
    """Where the copy goes, and whether the (rebuildable) feature cache goes with it."""

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Save a copy of the project")
        self.project = project
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"Writes a complete copy of <b>{project.path.name}</b> (labels, classes, scores and "
            "trained models) while the project stays open. Recordings are not copied: the copy "
            "refers to them where they are."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        row = QHBoxLayout()
        self.target = QLineEdit(str(project.path.with_name(f"{project.path.stem} copy.sonotag")))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row.addWidget(QLabel("Copy to"))
        row.addWidget(self.target, 1)
        row.addWidget(browse)
        layout.addLayout(row)
        cache = cache_folder(project.path)
        self.include_cache = QCheckBox("Also copy the feature cache")
        if cache.is_dir():
            size = folder_size(cache) / 1e6
            self.include_cache.setText(
                f"Also copy the feature cache ({size:,.0f} MB; it is rebuilt when missing)"
            )
        else:
            self.include_cache.setText("Also copy the feature cache (there is none yet)")
            self.include_cache.setEnabled(False)
        layout.addWidget(self.include_cache)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(620, self.sizeHint().height())

    def _browse(self) -> None:
        chosen, _ = file_dialogs.get_save_file_name(
            self, "Save a copy as", self.target.text(), dialogs.PROJECT_FILTER
        )
        if chosen:
            if not chosen.lower().endswith(".sonotag"):
                chosen += ".sonotag"
            self.target.setText(chosen)

    def chosen(self) -> tuple[Path, bool]:
        return Path(self.target.text()).expanduser(), self.include_cache.isChecked()


class ProjectFileActions(QObject):
    """The File-menu entries about the project file itself, and the idle checkpoint."""

    def __init__(self, window: MainWindow, menu: QMenu) -> None:
        super().__init__(window)
        self.window = window
        self.context = window.context
        self.save_copy_action = menu.addAction("Save a &copy…", self.ask_save_copy)
        self.check_action = menu.addAction("Chec&k project…", self.check_project)
        self.check_job: Job | None = None
        self._checkpoint_job: Job | None = None
        self._since_worker_checkpoint = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self.context.project_changed.connect(self._on_project)
        self._on_project(self.context.project)

    def _on_project(self, project: Project | None) -> None:
        self.check_job = None
        for action in (self.save_copy_action, self.check_action):
            action.setEnabled(project is not None)
        if project is not None and project.check_due:
            self.check_project(after_crash=True)

    # -- copy safety ---------------------------------------------------------------------------
    def _tick(self) -> None:
        """Checkpoints in the background once edits have paused, and now and then for what
        the worker processes wrote."""
        project = self.context.project
        if project is None or project.read_only or self._checkpoint_job is not None:
            return
        self._since_worker_checkpoint += POLL_MS / 1000
        idle = project.seconds_since_edit()
        due = idle is not None and idle >= IDLE_CHECKPOINT_S
        if not due and self._since_worker_checkpoint < WORKER_CHECKPOINT_S:
            return
        self._since_worker_checkpoint = 0.0
        job = self.context.run_thread("Saving to the project file", checkpoint_job, project.path)
        job.ended.connect(lambda: setattr(self, "_checkpoint_job", None))
        self._checkpoint_job = job

    # -- save a copy ---------------------------------------------------------------------------
    def ask_save_copy(self) -> Job | None:
        project = self.context.project
        if project is None:
            return None
        dialog = SaveCopyDialog(project, self.window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        target, include_cache = dialog.chosen()
        return self.save_copy(target, include_cache)

    def save_copy(self, target: Path, include_cache: bool = False) -> Job | None:
        project = self.context.project
        if project is None:
            return None
        job = self.context.run_thread(
            "Saving a copy", save_copy_job, project.path, target, include_cache=include_cache
        )
        dialogs.JobProgressDialog(job, self.window)
        job.finished.connect(
            lambda path: self.context.status.emit(f"Saved a copy as {Path(path).name}")
        )
        job.failed.connect(
            lambda msg, detail: dialogs.report_error(self.window, "Cannot save a copy", msg, detail)
        )
        job.cancelled.connect(lambda: self.context.status.emit("Save a copy cancelled"))
        return job

    # -- check ---------------------------------------------------------------------------------
    def check_project(self, after_crash: bool = False) -> Job | None:
        """The whole-file check off the GUI thread, with progress and cancel; after an unclean
        shutdown it starts by itself and only speaks up when something is wrong."""
        project = self.context.project
        if project is None or self.check_job is not None:
            return None
        job = self.context.run_thread("Checking the project file", check_job, project.path)
        self.check_job = job
        if after_crash:
            self.context.status.emit(
                f"{project.path.name} was not closed properly last time: checking it in the "
                "background…"
            )
        else:
            dialogs.JobProgressDialog(job, self.window)
        job.finished.connect(lambda result: self._checked(result, after_crash))
        job.failed.connect(
            lambda msg, detail: dialogs.report_error(
                self.window, "The check could not run", msg, detail
            )
        )
        job.cancelled.connect(lambda: self.context.status.emit("Check cancelled"))
        job.ended.connect(lambda j=job: self._check_ended(j))
        return job

    def _check_ended(self, job: Job) -> None:
        if self.check_job is job:
            self.check_job = None

    def _checked(self, result: CheckResult, after_crash: bool) -> None:
        project = self.context.project
        if not result.ok:
            dialogs.report_error(
                self.window,
                "The project file is damaged",
                f"File: {result.path}\nCause: {'; '.join(result.problems[:5])}\n\nSave a copy "
                "now keeps what can still be read; an earlier copy or the backup made before an "
                "upgrade (<name>.v<N>.bak) can be opened instead.",
                "\n".join(result.problems),
            )
            return
        if project is not None:
            project.mark_checked()
        self.context.status.emit(result.summary())
        if not after_crash:
            box = QMessageBox(self.window)
            box.setIcon(QMessageBox.Icon.Information)
            box.setWindowTitle("Check project")
            box.setText(result.summary())
            box.setObjectName("sonotag-check-result")
            box.open()
