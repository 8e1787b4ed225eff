"""The recordings list's Site column: shown, sorted and filtered with the rest, edited in place.

A mixin of ``RecordingsModel`` (kept apart so the list's own module stays about counts and
sorting): a typed site is stored at once as an undoable command (``SetSite``), and "Set site of
the listed recordings" gives every row the filter shows one site in one undo step, e.g. all of a
folder or AudioMoth id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from model.audio.site import clean_site
from model.project.site_commands import SetSite

if TYPE_CHECKING:
    import numpy as np

    from model.project import Project, UndoStack

SITE = 5  # the last column: RecordingsModel.COLUMNS
_Index = QModelIndex | QPersistentModelIndex


class SiteColumn:
    project: Project | None
    undo: UndoStack | None = None  # the open project's history (ProjectPanel.set_project)
    _sites: list[str]
    _haystacks: list[str | None]
    _row_of: np.ndarray
    _sort_column: int
    _sort_order: Qt.SortOrder
    dataChanged: Any  # noqa: N815 - Qt's signal

    if TYPE_CHECKING:  # RecordingsModel's and Qt's, for the type checker only

        def item_of(self, rec_id: int) -> int | None: ...

        def recording_id(self, row: int) -> int: ...

        def index(self, row: int, column: int) -> QModelIndex: ...

        def sort(self, column: int, order: Qt.SortOrder = ...) -> None: ...

    def flags(self, index: _Index) -> Qt.ItemFlag:
        flags = super().flags(index)  # type: ignore[misc]
        if index.isValid() and index.column() == SITE and self.editable:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    @property
    def editable(self) -> bool:
        return self.project is not None and not self.project.read_only

    def setData(self, index: _Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802 - Qt API
        """A site typed in the table: stored at once (``Project.set_site``)."""
        if not index.isValid() or index.column() != SITE or role != Qt.ItemDataRole.EditRole:
            return False
        return self.set_sites([self.recording_id(index.row())], str(value)) > 0

    def set_sites(self, recording_ids: Iterable[int], site: str) -> int:
        """Gives recordings one site (the filtered list's, or one typed cell) as one step of
        Edit ▸ Undo (``SetSite``, stored at once); returns how many changed."""
        if not self.editable:
            return 0
        assert self.project is not None
        ids = [int(i) for i in recording_ids]
        if all(self.site_of(i) == clean_site(site) for i in ids):
            return 0  # nothing to change: no empty step in the undo history
        command = SetSite(ids, site)
        if self.undo is not None:
            self.undo.push(command)  # its listeners redraw the cells (show_sites) at once
        else:
            command.do(self.project)
        self.show_sites(ids)
        return command.changed

    def show_sites(self, recording_ids: Iterable[int]) -> None:
        """Re-reads these recordings' sites (after an edit, undo or redo); the column follows
        without a reload and ``dataChanged`` tells the activity to recount."""
        if self.project is None:
            return
        ids = [int(i) for i in recording_ids]
        fresh = self.project.recording_sites(ids)
        rows = []
        for rec_id in ids:
            item = self.item_of(rec_id)
            if item is not None and self._sites[item] != fresh.get(rec_id, ""):
                self._sites[item] = fresh.get(rec_id, "")
                self._haystacks[item] = None
                rows.append(int(self._row_of[item]))
        if self._sort_column == SITE and rows:
            self.sort(self._sort_column, self._sort_order)
            rows = [int(self._row_of[self.item_of(i)]) for i in ids if self.item_of(i) is not None]
        if rows:
            top, bottom = self.index(min(rows), SITE), self.index(max(rows), SITE)
            self.dataChanged.emit(top, bottom, [Qt.ItemDataRole.DisplayRole])

    def site_of(self, rec_id: int) -> str:
        item = self.item_of(rec_id)
        return "" if item is None else self._sites[item]
