"""The two File-menu entry points: pick files and open the import dialog, or open the export one.

Both open their dialog window-modal with ``open()`` rather than ``exec()``, so the app keeps
painting behind it (and tests can drive the dialog without a nested event loop); they return
the dialog so the caller can keep a reference or wait for its ``finished`` signal.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from app import file_dialogs
from app.annotations.export_dialog import ExportDialog
from app.annotations.import_dialog import ImportDialog
from app.dialogs import report_error

if TYPE_CHECKING:
    from app.context import AppContext

IMPORT_FILTER = (
    "Annotation files (*.txt *.tsv *.csv *.xml *.sv *.svl);;"
    "Raven selection tables (*.txt *.tsv);;"
    "Audacity labels (*.txt);;"
    "Sonic Visualiser layers (*.svl *.xml *.sv);;"
    "BirdNET results (*.txt *.csv);;"
    "All files (*)"
)


def _needs_project(context: AppContext, parent: QWidget | None, what: str) -> bool:
    if context.project is not None:
        return False
    report_error(parent, f"No project to {what}", "Open or create a project first.")
    return True


def import_annotations_action(
    context: AppContext, parent: QWidget | None = None
) -> ImportDialog | None:
    """Asks for annotation files, then opens the import dialog on them (None if cancelled)."""
    if _needs_project(context, parent, "import into"):
        return None
    assert context.project is not None
    if context.project.read_only:
        report_error(
            parent,
            "The project is open read-only",
            f"File: {context.project.path}\nCause: annotations cannot be imported into it.",
        )
        return None
    start = context.recording.path.parent if context.recording else context.project.directory
    paths, _ = file_dialogs.get_open_file_names(
        parent, "Import annotations", str(start), IMPORT_FILTER
    )
    if not paths:
        return None
    dialog = ImportDialog(context, [Path(p) for p in paths], parent)
    dialog.open()
    return dialog


def export_action(context: AppContext, parent: QWidget | None = None) -> ExportDialog | None:
    """Opens the export dialog for the open project."""
    if _needs_project(context, parent, "export from"):
        return None
    dialog = ExportDialog(context, parent)
    dialog.open()
    return dialog
