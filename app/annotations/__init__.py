"""Import and export of annotations (Raven, Audacity, Sonic Visualiser, BirdNET, CSV) in the GUI.

The formats, the clip rule and the undoable import live in ``model.annotations``; this package
only holds the dialogs and the two File-menu actions that open them.
"""

from __future__ import annotations

from app.annotations.actions import export_action, import_annotations_action
from app.annotations.export_dialog import ExportDialog
from app.annotations.import_dialog import ImportDialog

__all__ = ["ExportDialog", "ImportDialog", "export_action", "import_annotations_action"]
