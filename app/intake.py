"""How recordings and projects come into the window: Add recordings / Add a folder (a worker
job with progress, a dialog listing what was skipped), New / Open project, and drops.

A mixin of ``MainWindow``, split off so the window module stays about composing its parts; it
uses the window's project, panel, context and preferences.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QStatusBar

from app import dialogs
from app.jobs import Job
from model.ingest import IngestResult
from model.pathtext import recover

if TYPE_CHECKING:
    from app.context import AppContext
    from app.project_panel import ProjectPanel
    from app.settings import Preferences
    from model.project import Project, Recording


class RecordingIntake:
    """Adding recordings, creating and opening projects, drag and drop."""

    context: AppContext
    panel: ProjectPanel
    prefs: Preferences
    project: Project | None
    recording: Recording | None
    _active_jobs: set[Job]
    open_project: Callable[[str | Path], bool]
    new_project: Callable[..., bool]
    statusBar: Callable[[], QStatusBar]  # noqa: N815 - QMainWindow's

    def add_recordings(self, paths: list[Path]) -> Job | None:
        """Adds files and folders (searched recursively) in a worker with a progress dialog;
        unreadable files are listed in one dialog at the end."""
        if self.project is None or not paths:
            return None
        if self.project.read_only:
            dialogs.report_error(
                self, "Cannot add recordings", f"File: {self.project.path}\nCause: read-only"
            )
            return None
        from model.ingest import add_audio_job

        job = self.context.run_thread(
            "Adding recordings", add_audio_job, str(self.project.path), paths
        )
        dialogs.JobProgressDialog(job, self)
        job.finished.connect(self._recordings_added)
        job.failed.connect(
            lambda msg, detail: dialogs.report_error(self, "Adding failed", msg, detail)
        )
        job.cancelled.connect(self._recordings_cancelled)
        self._active_jobs.add(job)
        job.ended.connect(lambda: self._active_jobs.discard(job))
        return job

    def _recordings_added(self, result: IngestResult) -> None:
        new_ids = self.panel.refresh()  # appends the new rows; nothing else is re-read
        self.statusBar().showMessage(result.summary(), 10_000)
        dialogs.report_skipped_files(self, "Some files were skipped", result.skipped)
        dialogs.report_file_warnings(self, "Some recordings are damaged", result.warned)
        dialogs.report_file_warnings(
            self,
            "Some recordings cannot hold the project's band",
            result.band,
            "were added, but their sample rate is too low for the band this project hears",
        )
        if self.recording is None and new_ids:
            self.panel.select_recording(new_ids[0])

    def _recordings_cancelled(self) -> None:
        self.panel.refresh()  # files added before the cancel stay added
        self.statusBar().showMessage("Adding recordings cancelled", 10_000)

    def ask_new_project(self) -> None:
        """What is recorded first (it decides what the model hears), then where the file goes."""
        from app.new_project_dialog import ask_clip_settings

        settings = ask_clip_settings(self, self.context.jobs)
        if settings is None:
            return
        path = dialogs.ask_project_path(self, new=True)
        if path is not None:
            self.new_project(path, settings)

    def ask_open_project(self) -> None:
        path = dialogs.ask_project_path(self, new=False)
        if path is not None:
            self.open_project(path)

    def ask_add_recordings(self) -> None:
        paths = dialogs.ask_audio_files(self, self.prefs.last_audio_dir)
        if paths:
            self.prefs.last_audio_dir = paths[0].parent
            self.add_recordings(paths)

    def ask_add_folder(self) -> None:
        folder = dialogs.ask_folder(self, self.prefs.last_audio_dir)
        if folder is not None:
            self.prefs.last_audio_dir = folder
            self.add_recordings([folder])

    # -- drag and drop ------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if urls and all(url.isLocalFile() for url in urls):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        # Qt decodes file names lossily (U+FFFD for bytes that are not UTF-8): find the real one.
        urls = event.mimeData().urls()
        paths = [recover(Path(url.toLocalFile())) for url in urls if url.isLocalFile()]
        event.acceptProposedAction()
        self.handle_dropped(paths)

    def handle_dropped(self, paths: list[Path]) -> None:
        projects = [p for p in paths if p.suffix.lower() == ".sonotag"]
        if projects:
            self.open_project(projects[0])
        others = [p for p in paths if p.suffix.lower() != ".sonotag"]
        if others:
            self.add_recordings(others)
