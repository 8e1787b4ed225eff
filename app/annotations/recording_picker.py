"""Choosing one recording of a season's project by typing part of its name or folder.

A combo box listing 100,000 recordings takes seconds to fill and cannot be searched; this
asks SQLite for the recordings whose path holds the typed text, a few hundred at a time, so it
opens at once however big the project is.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from model.pathtext import display

if TYPE_CHECKING:
    from app.annotations.sources import ProjectRecordings
    from model.project import Project

SHOWN = 200  # matches listed at once; typing more narrows them
OTHER, OTHER_TEXT = -1, "Other recording…"  # the combo entry that opens the picker
_DEBOUNCE_MS = 150


class RecordingPicker(QDialog):
    """Type to find, then double-click (or OK) to choose; ``chosen`` carries the id."""

    chosen = Signal(int)

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.setWindowTitle("Choose a recording")
        layout = QVBoxLayout(self)
        self.search = QLineEdit(self, placeholderText="Part of the file name or folder")
        self.search.setClearButtonEnabled(True)
        self.matches = QListWidget(self)
        self.note = QLabel(self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        for widget in (self.search, self.matches, self.note, buttons):
            layout.addWidget(widget)
        self._timer = QTimer(self, singleShot=True, interval=_DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _text: self._timer.start())
        self.matches.itemDoubleClicked.connect(lambda _item: self.accept())
        self.matches.currentItemChanged.connect(lambda *_: self._update())
        self.resize(520, 420)
        self.refresh()

    def refresh(self) -> None:
        """The first ``SHOWN`` recordings whose stored path holds the text, in the order added."""
        self._timer.stop()
        found = self.project.find_recordings(self.search.text().strip(), limit=SHOWN + 1)
        self.matches.clear()
        for rec_id, stored in found[:SHOWN]:
            item = QListWidgetItem(display(os.path.basename(stored)), self.matches)
            item.setData(Qt.ItemDataRole.UserRole, rec_id)
            item.setToolTip(display(str(self.project.absolute_path(stored))))
        if found:
            self.matches.setCurrentRow(0)
        more = len(found) > SHOWN
        self.note.setText(
            f"The first {SHOWN} matches: type more of the name to narrow them."
            if more
            else f"{len(found)} recording(s) match."
            if found
            else "No recording matches."
        )
        self._update()

    def selected_id(self) -> int | None:
        item = self.matches.currentItem()
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def _update(self) -> None:
        self.ok_button.setEnabled(self.selected_id() is not None)

    def accept(self) -> None:
        rec_id = self.selected_id()
        if rec_id is None:
            return
        super().accept()
        self.chosen.emit(rec_id)


class RecordingCombo(QComboBox):
    """A file's recording: a first entry for "none", the recordings put in (the guess, the one
    on screen, any picked) and "Other recording…", which opens the picker; ``picked`` carries
    the id chosen there. A list of a season's 100,000 would take seconds to fill."""

    picked = Signal(int)

    def __init__(self, known: ProjectRecordings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.known = known
        self.picker: RecordingPicker | None = None
        self.addItem("(choose a recording)", None)
        self.addItem(OTHER_TEXT, OTHER)

    def ensure(self, rec_id: int | None) -> None:
        """An entry for the recording (before "Other recording…"), if it has none yet."""
        if rec_id is None or self.findData(rec_id) >= 0:
            return
        rec = self.known.get(rec_id)
        if rec is None:
            return
        at = self.count() - 1
        blocked = self.blockSignals(True)
        self.insertItem(at, display(rec.path.name), rec.id)
        self.setItemData(at, display(str(rec.path)), Qt.ItemDataRole.ToolTipRole)
        self.blockSignals(blocked)

    def wants_other(self) -> bool:
        """True when "Other recording…" was chosen: the picker is then open (the caller puts
        the previous choice back)."""
        if self.currentData() != OTHER:
            return False
        self.picker = RecordingPicker(self.known.project, self.window())
        self.picker.chosen.connect(self.picked.emit)
        self.picker.open()
        return True
