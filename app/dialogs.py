"""The app's dialogs: one place errors are shown, the shortcut sheet, and job progress.

Every error goes through ``report_error`` so the user always sees which file failed and why, and
so tests (and a future log panel) can listen to ``notifier().error_reported`` instead of
clicking away modal boxes. Error boxes open window-modal but do not block the event loop
(``QMessageBox.open``), so the app keeps painting and keeps working behind them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMessageBox,
    QProgressBar,
    QProgressDialog,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import file_dialogs
from app.jobs import Job
from model.errors import SonotagError
from model.jobs import Progress
from model.pathtext import display, recover


class ErrorNotifier(QObject):
    """Broadcasts every reported error: (title, message naming file and cause, detail)."""

    error_reported = Signal(str, str, str)


_NOTIFIER: ErrorNotifier | None = None


def notifier() -> ErrorNotifier:
    global _NOTIFIER
    if _NOTIFIER is None:
        _NOTIFIER = ErrorNotifier()
    return _NOTIFIER


def describe_error(error: BaseException, path: Path | None = None) -> str:
    """File and cause in plain words; unexpected exceptions keep their type for bug reports."""
    if isinstance(error, SonotagError):
        where = error.path or path
        return f"File: {display(where)}\nCause: {error.cause}" if where else error.cause
    if isinstance(error, OSError):
        where = error.filename or path
        cause = error.strerror or str(error)
        return f"File: {display(where)}\nCause: {cause}" if where else cause
    text = f"{type(error).__name__}: {error}"
    return f"File: {path}\nCause: {text}" if path else text


def report_error(parent: QWidget | None, title: str, message: str, detail: str = "") -> QMessageBox:
    """Shows a non-blocking error box and tells listeners; returns the box (tests close it)."""
    notifier().error_reported.emit(title, message, detail)
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(title)
    box.setInformativeText(message)
    if detail:
        box.setDetailedText(detail)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setObjectName("sonotag-error")
    box.open()
    return box


def report_exception(
    parent: QWidget | None, title: str, error: BaseException, path: Path | None = None
) -> QMessageBox:
    import traceback

    detail = "" if isinstance(error, SonotagError) else "".join(traceback.format_exception(error))
    return report_error(parent, title, describe_error(error, path), detail)


def report_skipped_files(
    parent: QWidget | None, title: str, skipped: Sequence[tuple[Path, str]]
) -> QMessageBox | None:
    """One dialog for a batch: the first files in the message, all of them in the details."""
    if not skipped:
        return None
    return _report_files(parent, title, "could not be read and were skipped", skipped)


def report_file_warnings(
    parent: QWidget | None,
    title: str,
    warned: Sequence[tuple[Path, str]],
    what: str = "were added, but with a problem",
) -> QMessageBox | None:
    """Files that were added with something to know, each with what it is (not whole, or a
    sample rate too low for the project's band)."""
    if not warned:
        return None
    return _report_files(parent, title, what, warned)


def _report_files(
    parent: QWidget | None, title: str, what: str, files: Sequence[tuple[Path, str]]
) -> QMessageBox:
    lines = [f"{display(path)}: {cause}" for path, cause in files]
    shown = "\n".join(lines[:5])
    if len(lines) > 5:
        shown += f"\n… and {len(lines) - 5} more (see details)"
    message = f"{len(lines)} file(s) {what}:\n{shown}"
    return report_error(parent, title, message, "\n".join(lines))


def confirm(parent: QWidget | None, title: str, question: str) -> bool:
    """A yes/no question where No is the default, for destructive actions."""
    answer = QMessageBox.question(
        parent,
        title,
        question,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


PROJECT_FILTER = "Sonotag projects (*.sonotag)"


def audio_filter() -> str:
    """Name filter of the Add recordings dialog: every audio extension Sonotag reads, in
    lower, upper and title case (Qt's own dialog matches case on Linux and macOS, and
    recorders write ``.WAV``)."""
    from model.audio.info import AUDIO_EXTENSIONS

    patterns = []
    for ext in sorted(AUDIO_EXTENSIONS):
        for variant in (ext.lower(), ext.upper(), "." + ext[1:].capitalize()):
            pattern = f"*{variant}"
            if pattern not in patterns:
                patterns.append(pattern)
    return f"Audio ({' '.join(patterns)});;All files (*)"


AUDIO_FILTER = audio_filter()


def ask_project_path(parent: QWidget | None, *, new: bool) -> Path | None:
    """A project file to create (``new``, ".sonotag" added when missing) or to open."""
    if new:
        path, _ = file_dialogs.get_save_file_name(parent, "New project", "", PROJECT_FILTER)
        if path and not path.lower().endswith(".sonotag"):
            path += ".sonotag"
    else:
        path, _ = file_dialogs.get_open_file_name(parent, "Open project", "", PROJECT_FILTER)
    return recover(Path(path)) if path else None


def ask_audio_files(parent: QWidget | None, start: Path | None) -> list[Path]:
    paths, _ = file_dialogs.get_open_file_names(
        parent, "Add recordings", str(start or ""), AUDIO_FILTER
    )
    return [recover(Path(p)) for p in paths]


def ask_folder(parent: QWidget | None, start: Path | None) -> Path | None:
    folder = file_dialogs.get_existing_directory(
        parent, "Add a folder of recordings (searched with its subfolders)", str(start or "")
    )
    return recover(Path(folder)) if folder else None


def show_about(parent: QWidget | None) -> None:
    QMessageBox.about(
        parent,
        "About Sonotag",
        "Sonotag: label two-second clips of wildlife recordings and train a classifier.\n"
        "Demo recordings from the pykanto package (MIT licence, © 2020 Nilo M. Recalde).",
    )


class ShortcutSheet(QDialog):
    """The Help ▸ Keyboard Shortcuts sheet; rows come from the actions that define the keys,
    so the sheet cannot drift from what the keys really do."""

    def __init__(self, rows: Iterable[tuple[str, str, str]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = list(rows)
        table = QTableWidget(len(rows), 3, self)
        table.setHorizontalHeaderLabels(["Area", "Keys", "Action"])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                table.setItem(row, column, QTableWidgetItem(value))
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table = table
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(560, 520)


class ProgressDialog(QProgressDialog):
    """The app's progress window: ``setValue`` moves the bar and nothing else.

    A modal QProgressDialog, once shown, runs ``QCoreApplication.processEvents()`` inside
    ``setValue``: whatever was queued (the job's end, which deletes the dialog, a second
    job's results, a user's click) then ran inside our progress slot, the nested loop the app
    rules out. Qt also shows the dialog only from ``setValue``, so a job that reports no
    fraction (or none after the first) never showed one; here a timer shows it once
    ``minimumDuration`` has passed, whatever the job reports, until ``finish_quietly``.
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self._bar = QProgressBar(self)
        self.setBar(self._bar)  # the dialog owns it; we keep a handle to set it directly
        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.timeout.connect(self._show_late)
        self._show_timer.start(self.minimumDuration())

    def setMinimumDuration(self, ms: int) -> None:  # noqa: N802 - Qt's name, on purpose
        super().setMinimumDuration(ms)
        if self._show_timer.isActive():
            self._show_timer.start(ms)

    def setValue(self, value: int) -> None:  # noqa: N802 - Qt's name, on purpose
        self._bar.setValue(value)

    def bar_value(self) -> int:
        return self._bar.value()

    def _show_late(self) -> None:
        if not self.wasCanceled():
            self.forceShow()

    def finish_quietly(self) -> None:
        """Hidden for good and deleted later; the late show is called off."""
        self._show_timer.stop()
        self.hide()
        self.deleteLater()


class JobProgressDialog(ProgressDialog):
    """Progress of one ``app.jobs.Job``; Cancel asks the job to stop at its next step.

    The dialog closes itself when the job ends, whatever the outcome; the owner handles the
    job's ``finished``/``failed`` signals.
    """

    def __init__(self, job: Job, parent: QWidget | None = None) -> None:
        super().__init__(job.title, "Cancel", 0, 0, parent)
        self.job = job
        self.setWindowTitle(job.title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumDuration(400)  # quick jobs finish without a flash of a dialog
        self.setAutoClose(False)
        self.setAutoReset(False)
        self.canceled.connect(self._cancel)
        job.progress.connect(self._on_progress)
        job.ended.connect(self._on_ended)

    def _cancel(self) -> None:
        self.setLabelText(f"{self.job.title}: cancelling…")
        self.job.cancel()

    def _on_progress(self, progress: Progress) -> None:
        if self.wasCanceled():
            return
        if progress.total:
            self.setMaximum(1000)
            self.setValue(round(1000 * (progress.fraction or 0.0)))
        text = self.job.title
        if progress.message:
            text += f"\n{progress.message}"
        if progress.total:
            text += f"  ({progress.done:g} of {progress.total:g})"
        self.setLabelText(text)

    def _on_ended(self) -> None:
        # close() would emit ``canceled`` (QProgressDialog.closeEvent); the job is over already.
        self.canceled.disconnect(self._cancel)
        self.finish_quietly()
