"""The two lists of the import preview: new classes to confirm, and rows that cannot be placed.

Kept apart from the dialog so each list owns its own filling and copying; the dialog only
hands them the latest ``Preview``.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from app.annotations.sources import Unplaced


class NewClassList(QListWidget):
    """New class names as check boxes, ticked unless the user unticked that name before."""

    def show_names(self, names: Sequence[str], refused: set[str]) -> None:
        """``refused``: lower-cased names to show unticked (kept across re-plans)."""
        self.blockSignals(True)
        self.clear()
        for name in names:
            item = QListWidgetItem(name, self)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            ticked = name.lower() not in refused
            item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
        if not names:
            item = QListWidgetItem("(none: every class exists)", self)
            item.setFlags(Qt.ItemFlag.NoItemFlags)
        self.blockSignals(False)

    def items(self) -> list[QListWidgetItem]:
        return [
            item
            for item in (self.item(i) for i in range(self.count()))
            if item.flags() & Qt.ItemFlag.ItemIsUserCheckable
        ]


class UnplacedTable(QTableWidget):
    """Rows the import leaves out, with the reason; copyable as tab-separated text."""

    HEADER = ("File", "Row", "Annotation", "Reason")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(self.HEADER), parent)
        self.entries: list[Unplaced] = []
        self.setHorizontalHeaderLabels(list(self.HEADER))
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # long Raven names keep both ends
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 150)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)

    def show_entries(self, entries: Sequence[Unplaced]) -> None:
        self.entries = list(entries)
        self.setRowCount(len(self.entries))
        for i, entry in enumerate(self.entries):
            values = (entry.path.name, entry.where(), entry.what(), entry.reason)
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(str(entry.path) if column == 0 else value)
                self.setItem(i, column, item)

    def text(self) -> str:
        """Tab-separated with a header and full paths: pastes straight into a spreadsheet."""
        lines = ["\t".join(self.HEADER)]
        lines += [f"{u.path}\t{u.where()}\t{u.what()}\t{u.reason}" for u in self.entries]
        return "\n".join(lines)

    def copy(self) -> None:
        QApplication.clipboard().setText(self.text())
