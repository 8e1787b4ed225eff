"""Starting the GUI: which project to open, the QApplication, the event loop.

``sonotag`` alone reopens the last project (or the demo on first run); ``sonotag open P`` opens
a project; ``sonotag open a.wav b/`` puts the audio in a new scratch project in the user data
folder, so listening and labelling a few files never asks where to save first.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from model.errors import SonotagError
from model.pathtext import display

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon

    from app.main_window import MainWindow
    from app.settings import Preferences

APP_NAME = "Sonotag"


def user_data_dir() -> Path:
    from platformdirs import user_data_dir as platform_data_dir

    return Path(platform_data_dir(APP_NAME, appauthor=False))


def scratch_project_path(data_dir: Path | None = None) -> Path:
    """A new, unused ``scratch/untitled-<timestamp>.sonotag`` under the user data folder."""
    folder = (data_dir if data_dir is not None else user_data_dir()) / "scratch"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = folder / f"untitled-{stamp}.sonotag"
    counter = 2
    while path.exists():
        path = folder / f"untitled-{stamp}-{counter}.sonotag"
        counter += 1
    return path


def startup_project(
    project: Path | None,
    audio: list[Path],
    last_project: Path | None,
    data_dir: Path | None = None,
) -> tuple[Path, bool]:
    """(project to open, whether it must be created first) for the command-line arguments."""
    if project is not None:
        return project, False
    if audio:
        return scratch_project_path(data_dir), True
    if last_project is not None and last_project.is_file():
        return last_project, False
    from model.demo import ensure_demo_project

    return ensure_demo_project(data_dir), False


def build_window(
    project: Path | None,
    audio: list[Path],
    *,
    prefs: Preferences | None = None,
    data_dir: Path | None = None,
) -> MainWindow:
    """The shown main window with the right project open (needs a QApplication)."""

    from app import dialogs
    from app.main_window import MainWindow
    from app.settings import Preferences

    prefs = prefs if prefs is not None else Preferences()
    window = MainWindow(prefs)
    window.show()
    try:
        path, create = startup_project(project, audio, prefs.last_project, data_dir)
    except SonotagError as exc:
        dialogs.report_exception(window, "Cannot open the demo project", exc)
        return window
    opened = window.new_project(path) if create else window.open_project(path)
    if not opened and project is None and not create:
        # The last project is unreadable now: say so (done above) and fall back to the demo.
        from model.demo import ensure_demo_project

        try:
            window.open_project(ensure_demo_project(data_dir))
        except SonotagError as exc:
            dialogs.report_exception(window, "Cannot open the demo project", exc)
    if audio and window.project is not None:
        window.add_recordings(list(audio))
    return window


def launch_gui(project: Path | None, audio: list[Path]) -> int:
    """Entry point used by ``app.entry``: runs the app until the window closes."""
    from PySide6.QtWidgets import QApplication

    # Qt parses argv as UTF-8 and crashes on a file name that is not (caf\xe9.wav on Linux);
    # the arguments are ours (argparse has taken them), so Qt only gets the program name.
    app = QApplication.instance() or QApplication([display(sys.argv[0] if sys.argv else APP_NAME)])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName("sonotag")  # Wayland matches the window to sonotag.desktop
    app.setWindowIcon(application_icon())
    window = build_window(project, audio)
    _report_unexpected_errors(window)
    window.raise_()
    quit_after = os.environ.get("SONOTAG_SMOKE_QUIT_AFTER_MS")
    if quit_after:  # packaging/smoke_test.sh: show the window, then close it as Ctrl+Q would
        from PySide6.QtCore import QTimer

        QTimer.singleShot(int(quit_after), window.close)
    return int(app.exec())


def _report_unexpected_errors(window: MainWindow) -> None:
    """A bug in a slot must not vanish into a terminal nobody watches: show it, keep running."""
    import traceback

    from app import dialogs

    def hook(kind: type[BaseException], value: BaseException, tb: object) -> None:
        sys.__excepthook__(kind, value, tb)  # type: ignore[arg-type]
        detail = "".join(traceback.format_exception(kind, value, tb))  # type: ignore[arg-type]
        dialogs.report_error(window, "Unexpected error", f"{kind.__name__}: {value}", detail)

    sys.excepthook = hook


def application_icon() -> QIcon:
    """Every rendered size, so each desktop picks a sharp one (taskbar 16 px to dock 512 px)."""
    from PySide6.QtGui import QIcon

    from model.resources import all_icon_paths

    icon = QIcon()
    for path in all_icon_paths():
        icon.addFile(str(path))
    return icon
