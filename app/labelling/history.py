"""Edit ▸ Undo / Redo over the open project's undo stack (labels and classes alike).

The menu texts name what would be undone ("Undo Label 4–6 s Great tit present"), so a user
can see what Ctrl+Z is about to do before pressing it. A failed undo (the file went read-only,
the disk is full) is reported and leaves the stack as it was.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from app import dialogs
from app.context import AppContext
from model.errors import ProjectError
from model.project import Command


class UndoActions(QObject):
    def __init__(self, window: QMainWindow, context: AppContext, menu: QMenu) -> None:
        super().__init__(window)
        self.window = window
        self.context = context
        self.undo_action: QAction = menu.addAction("&Undo")
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.undo_action.triggered.connect(self.undo)
        self.redo_action: QAction = menu.addAction("&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo_action.triggered.connect(self.redo)
        context.labels_changed.connect(self.update)
        context.project_changed.connect(lambda _project: self.update())
        self.update()

    def update(self) -> None:
        stack = self.context.undo_stack
        can_undo, can_redo = bool(stack and stack.can_undo), bool(stack and stack.can_redo)
        self.undo_action.setEnabled(can_undo)
        self.redo_action.setEnabled(can_redo)
        self.undo_action.setText(f"&Undo {stack.undo_text}" if stack and can_undo else "&Undo")
        self.redo_action.setText(f"&Redo {stack.redo_text}" if stack and can_redo else "&Redo")

    def undo(self) -> None:
        stack = self.context.undo_stack
        if stack is not None and stack.can_undo:
            self._run(stack.undo, "Undo")

    def redo(self) -> None:
        stack = self.context.undo_stack
        if stack is not None and stack.can_redo:
            self._run(stack.redo, "Redo")

    def _run(self, step: Callable[[], Command | None], verb: str) -> None:
        try:
            command = step()
        except ProjectError as exc:
            dialogs.report_exception(self.window, f"Could not {verb.lower()}", exc)
            return
        if command is not None:
            self.window.statusBar().showMessage(f"{verb}: {command.text}", 5000)
