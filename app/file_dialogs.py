"""Every file dialog of the app, built so that it never opens the files it lists.

Qt's file dialog guesses each listed file's type from its content when the name does not tell
(``*.sonotag``, ``*.sonotag-wal`` ...): it opens the file, reads it and closes it. On Linux and
macOS closing any descriptor of a file drops every POSIX lock this process holds on it, so a
dialog showing the project's folder silently unlocked the open project, and the next worker
process to close the project deleted its write-ahead log (issue 9; ``model.project.guard``).
These dialogs name icons and types from the file name alone. Windows locks per handle, so the
native dialog is kept there; elsewhere Qt's own dialog is used, because the platform dialogs
that run inside this process may sniff files the same way.

Use these functions instead of ``QFileDialog``'s static ones (a test enforces it).
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QFileInfo
from PySide6.QtGui import QAbstractFileIconProvider, QIcon
from PySide6.QtWidgets import QFileDialog, QHeaderView, QTreeView, QWidget

IconType = QAbstractFileIconProvider.IconType
DIALOG_WIDTH, DIALOG_HEIGHT = 900, 560


class NameOnlyIcons(QAbstractFileIconProvider):
    """Folder or file icon and a type from the extension; never reads a file."""

    def icon(self, what: object) -> QIcon:  # type: ignore[override] - Qt overloads
        if isinstance(what, QFileInfo):
            return super().icon(IconType.Folder if what.isDir() else IconType.File)
        return super().icon(what)

    def type(self, info: QFileInfo) -> str:  # noqa: A003 - Qt's name
        if info.isDir():
            return "Folder"
        suffix = info.suffix()
        return f"{suffix.upper()} file" if suffix else "File"


_ICONS = NameOnlyIcons()  # one for the app's lifetime: dialogs keep only a pointer to it


def use_native() -> bool:
    return sys.platform == "win32"


def _dialog(parent: QWidget | None, caption: str, directory: str, filters: str = "") -> QFileDialog:
    dialog = QFileDialog(parent, caption, directory, filters)
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, not use_native())
    dialog.setIconProvider(_ICONS)
    if not use_native():
        _readable_columns(dialog)
    return dialog


def _readable_columns(dialog: QFileDialog) -> None:
    """Qt's own dialog opens at 600 px with a name column cut to a few letters; field file
    names (``20210415_050630.WAV``, ``XC663885 - European Storm Petrel.mp3``) need room.
    The details view gets a name column that takes the spare width, the others their text."""
    dialog.resize(max(dialog.width(), DIALOG_WIDTH), max(dialog.height(), DIALOG_HEIGHT))
    for view in dialog.findChildren(QTreeView):
        header = view.header()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(60)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, header.count()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)


def _run(dialog: QFileDialog) -> tuple[list[str], str]:
    """The chosen files (none when cancelled) and the name filter in use."""
    try:
        accepted = dialog.exec() == QFileDialog.DialogCode.Accepted
        return (dialog.selectedFiles() if accepted else []), dialog.selectedNameFilter()
    finally:
        dialog.deleteLater()


def get_open_file_name(
    parent: QWidget | None, caption: str, directory: str = "", filters: str = ""
) -> tuple[str, str]:
    dialog = _dialog(parent, caption, directory, filters)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    files, chosen = _run(dialog)
    return (files[0], chosen) if files else ("", "")


def get_open_file_names(
    parent: QWidget | None, caption: str, directory: str = "", filters: str = ""
) -> tuple[list[str], str]:
    dialog = _dialog(parent, caption, directory, filters)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
    files, chosen = _run(dialog)
    return (files, chosen) if files else ([], "")


def get_save_file_name(
    parent: QWidget | None, caption: str, directory: str = "", filters: str = ""
) -> tuple[str, str]:
    dialog = _dialog(parent, caption, directory, filters)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    files, chosen = _run(dialog)
    return (files[0], chosen) if files else ("", "")


def get_existing_directory(parent: QWidget | None, caption: str, directory: str = "") -> str:
    dialog = _dialog(parent, caption, directory)
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    files, _ = _run(dialog)
    return files[0] if files else ""
