"""The recordings list as a Qt model, sized for a season (100,000 recordings and more).

``RecordingsModel`` keeps the list as columns (numpy arrays and lists), reads them once when a
project is opened, and after that only touches what changed: a label edit updates the rows of
the recordings it touched, Add Folder appends the new recordings, nothing is rebuilt. The view
asks for the cells it shows, so whether a file is missing is checked for shown rows only.

Sorting is done here with numpy (one ``argsort``); ``app.recordings_filter.RecordingsFilter``
(the proxy the view talks to) passes sort requests down and filters in C++.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor

from app.recording_coverage import SHOWN_AHEAD, UNREAD, CoverageColumn
from app.recording_sites import SITE, SiteColumn
from model.pathtext import display
from model.project import Project
from model.timefmt import format_clock

ID_ROLE = Qt.ItemDataRole.UserRole
FILTER_ROLE = Qt.ItemDataRole.UserRole + 2
# Short headers: the recording's name is what the narrow dock must show.
COLUMNS = ("Recording", "Length", "Labels", "Labelled", "Scored", "Site")
NAME, DURATION, LABELS, LABELLED, PREDICTIONS = range(5)  # then SITE
TOOLTIPS = {
    SITE: "Where it was recorded (GUANO, AudioMoth id or folder); double-click or F2 to edit. "
    "Activity is split by site",
    DURATION: "Length of the recording",
    LABELS: "Labels in the recording (one per class and clip)",
    LABELLED: "Share of the recording covered by labelled clips",
    PREDICTIONS: "Predictions: windows scored by the active model (“old model”: scored by an "
    "earlier model only)",
}
OLD_MODEL = "old model"
# The widest text each number column is likely to show (the view sizes the columns by them
# once, instead of measuring the rows at every count change).
WIDEST = {DURATION: "10:00:00", LABELS: "888888", LABELLED: "100%", PREDICTIONS: OLD_MODEL}
WIDEST[SITE] = "Wytham North"  # a typical site name; the user drags it wider
WIDEST[NAME] = "20240501_040000.WAV"  # an AudioMoth name, whole; longer ones are elided
_MUTED = QColor("#8a8a8a")
_MISSING = QColor("#c0392b")
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_Index = QModelIndex | QPersistentModelIndex


def format_duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    return f"{seconds:.1f} s" if seconds < 60 else format_clock(seconds)


class RecordingsModel(CoverageColumn, SiteColumn, QAbstractTableModel):
    """One row per recording: name, duration, label count, windows scored by the active model.

    Items are kept in id order (ids only grow); ``_order`` maps a row to its item, so sorting
    permutes one index array and a new recording is one appended item.
    """

    def __init__(self, parent: object | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self._clear()

    def _clear(self) -> None:
        self._ids = np.zeros(0, np.int64)
        self._stored: list[str | None] = []  # read when a row is first shown (or all at once)
        self._names: list[str | None] = []
        self._durations = np.zeros(0, np.float64)
        self._labels = np.zeros(0, np.int64)
        self._scored = np.zeros(0, np.int64)
        self._covered = np.zeros(0, np.int64)  # milliseconds under at least one label
        self._stale = np.zeros(0, np.int64)  # 1: scored by an earlier model, not the active one
        self._order = np.zeros(0, np.int64)  # row -> item
        self._row_of = np.zeros(0, np.int64)  # item -> row
        self._exists: dict[int, bool] = {}  # item -> file found (checked when first shown)
        self._haystacks: list[str | None] = []
        self._name_keys: np.ndarray | None = None
        self._sites: list[str] = []
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder

    # ----------------------------------------------------------------- loading
    def set_project(self, project: Project | None) -> None:
        """The one full load: a few column reads, no object per recording."""
        column, order = self._sort_column, self._sort_order
        self.beginResetModel()
        self._clear()
        self.project = project
        if project is not None:
            self._append_columns(project)
            self._labels = self._count_array(project.label_counts())
            self._scored = self._count_array(project.scored_window_counts())
            self._covered = np.full(len(self._ids), UNREAD, np.int64)  # read when shown
            self._stale = self._count_array(_flags(project.scored_by_other_models()))
        self._sort_column, self._sort_order = column, order
        self._order = self._sorted_order()
        self._row_of = _inverse(self._order)
        self.endResetModel()

    def _append_columns(self, project: Project) -> int:
        after = int(self._ids[-1]) if len(self._ids) else 0
        new = project.recording_columns(after_id=after)
        if not len(new):
            return 0
        self._ids = np.concatenate([self._ids, new.ids])
        self._stored += [None] * len(new)
        self._names += [None] * len(new)
        self._durations = np.concatenate([self._durations, new.durations])
        zeros = np.zeros(len(new), np.int64)
        self._labels = np.concatenate([self._labels, zeros])
        self._scored = np.concatenate([self._scored, zeros])
        self._covered = np.concatenate([self._covered, np.full(len(new), UNREAD, np.int64)])
        self._stale = np.concatenate([self._stale, zeros])
        self._haystacks += [None] * len(new)
        self._name_keys = None
        sites = project.recording_sites(None if not after else new.ids.tolist())
        self._sites += [sites.get(int(i), "") for i in new.ids.tolist()]
        return len(new)

    def refresh(self) -> list[int]:
        """Appends recordings added since the last look; returns their ids.

        Missing-file marks are checked again as rows are shown (files come back or go). A
        recording removed behind the panel's back (not something the app does) reloads all.
        """
        project = self.project
        if project is None:
            return []
        self._exists.clear()
        before = len(self._ids)
        after = int(self._ids[-1]) if before else 0
        new = project.recording_columns(after_id=after)
        if project.recording_count() != before + len(new):
            self.set_project(project)
            return [int(i) for i in new.ids]
        if len(new):
            self.beginInsertRows(QModelIndex(), before, before + len(new) - 1)
            self._append_columns(project)
            counts = project.label_counts(new.ids)
            scored = project.scored_window_counts(new.ids)
            stale = project.scored_by_other_models(new.ids)
            for k, rec_id in enumerate(new.ids.tolist()):
                self._labels[before + k] = counts.get(rec_id, 0)
                self._scored[before + k] = scored.get(rec_id, 0)
                self._stale[before + k] = int(rec_id in stale)
            self._order = np.concatenate([self._order, np.arange(before, len(self._ids))])
            self._row_of = _inverse(self._order)
            self.endInsertRows()
            if self._sort_column >= 0:
                self.sort(self._sort_column, self._sort_order)
        if before:
            self.dataChanged.emit(
                self.index(0, NAME),
                self.index(before - 1, NAME),
                [Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.ToolTipRole],
            )
        return [int(i) for i in new.ids]

    def _count_array(self, counts: dict[int, int]) -> np.ndarray:
        out = np.zeros(len(self._ids), np.int64)
        if counts:
            keys = np.fromiter(counts.keys(), np.int64, len(counts))
            values = np.fromiter(counts.values(), np.int64, len(counts))
            items = np.searchsorted(self._ids, keys)
            inside = np.minimum(items, max(len(self._ids) - 1, 0))
            found = (items < len(self._ids)) & (self._ids[inside] == keys)
            out[items[found]] = values[found]
        return out

    # ----------------------------------------------------------------- counts
    def update_label_counts(self, recording_ids: Iterable[int] | None) -> None:
        """Re-reads the label counts of these recordings (None: of all, one pass)."""
        if self.project is not None:
            self._update(self._labels, LABELS, recording_ids, self.project.label_counts)
            self._update(self._covered, LABELLED, recording_ids, self.project.labelled_ms)

    def update_scored_counts(self, recording_ids: Iterable[int] | None) -> None:
        """Re-reads the scored-window counts (None: all, as after another model became active)."""
        if self.project is not None:
            project = self.project
            self._update(self._scored, PREDICTIONS, recording_ids, project.scored_window_counts)
            self._update(
                self._stale,
                PREDICTIONS,
                recording_ids,
                lambda ids: _flags(project.scored_by_other_models(ids)),
            )

    def _update(
        self,
        values: np.ndarray,
        column: int,
        recording_ids: Iterable[int] | None,
        read: Callable[[Iterable[int] | None], dict[int, int]],
    ) -> None:
        if recording_ids is None:
            fresh = self._count_array(read(None))
            changed = np.flatnonzero(fresh != values)
            values[:] = fresh
        else:
            items = [i for i in (self.item_of(r) for r in recording_ids) if i is not None]
            if not items:
                return
            counts = read([int(self._ids[i]) for i in items])
            changed_items = []
            for item in items:
                value = counts.get(int(self._ids[item]), 0)
                if values[item] != value:
                    values[item] = value
                    changed_items.append(item)
            changed = np.array(changed_items, np.int64)
        if not len(changed):
            return
        if self._sort_column == column:
            self.sort(self._sort_column, self._sort_order)  # the changed rows move
        rows = self._row_of[changed]
        if len(rows) > 64:  # a bulk change: one signal for the span
            top, bottom = self.index(int(rows.min()), column), self.index(int(rows.max()), column)
            self.dataChanged.emit(top, bottom, [Qt.ItemDataRole.DisplayRole])
            return
        for row in rows.tolist():
            cell = self.index(row, column)
            self.dataChanged.emit(cell, cell, [Qt.ItemDataRole.DisplayRole])

    # ----------------------------------------------------------------- lookups
    def item_of(self, rec_id: int) -> int | None:
        item = int(np.searchsorted(self._ids, rec_id))
        return item if item < len(self._ids) and self._ids[item] == rec_id else None

    def row_of(self, rec_id: int) -> int | None:
        item = self.item_of(rec_id)
        return None if item is None else int(self._row_of[item])

    def recording_id(self, row: int) -> int:
        return int(self._ids[self._order[row]])

    def counts_of(self, rec_id: int) -> tuple[int, int]:
        item = self.item_of(rec_id)
        return (0, 0) if item is None else (int(self._labels[item]), int(self._scored[item]))

    def _stored_path(self, item: int) -> str:
        stored = self._stored[item]
        if stored is None:
            assert self.project is not None
            stored = self.project.stored_paths([int(self._ids[item])]).get(int(self._ids[item]))
            self._stored[item] = stored = stored or ""
        return stored

    def _load_all_paths(self) -> None:
        """Every path in one read, for sorting by name or filtering (a row at a time is for
        the rows on screen)."""
        if self.project is None or None not in self._stored:
            return
        paths = self.project.stored_path_column(self._ids)
        self._stored = [old if old is not None else new for old, new in zip(
            self._stored, paths, strict=True
        )]  # fmt: skip

    def _load_all_names(self) -> None:
        """Every name in one pass (sorting by name), not a method call per row."""
        self._load_all_paths()
        base = os.path.basename
        self._names = [old if old is not None else display(base(path)) for old, path in zip(
            self._names, self._stored, strict=True
        )]  # fmt: skip

    def _name(self, item: int) -> str:
        name = self._names[item]
        if name is None:  # Qt cannot take the bytes of a name that is not UTF-8: shown as U+FFFD
            name = self._names[item] = display(os.path.basename(self._stored_path(item)))
        return name

    def _path(self, item: int) -> str:
        assert self.project is not None
        return str(self.project.absolute_path(self._stored_path(item)))

    def _file_exists(self, item: int) -> bool:
        found = self._exists.get(item)
        if found is None:
            found = self._exists[item] = os.path.isfile(self._path(item))
        return found

    # ----------------------------------------------------------------- Qt model
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802 - Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return TOOLTIPS.get(section)
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        item, column = int(self._order[index.row()]), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == NAME:
                return self._name(item)
            if column == DURATION:
                return format_duration(float(self._durations[item]))
            if column == LABELLED:
                if self._covered[item] == UNREAD:  # this row and the rows shown below it
                    self._read_covered(self._order[index.row() : index.row() + SHOWN_AHEAD])
                return f"{self.labelled_share(item):.0%}"
            if column == PREDICTIONS and not self._scored[item] and self._stale[item]:
                return OLD_MODEL
            if column == SITE:
                return self._sites[item]
            return str(int((self._labels if column == LABELS else self._scored)[item]))
        if role == ID_ROLE:
            return int(self._ids[item])
        if column == SITE:
            if role == Qt.ItemDataRole.EditRole:
                return self._sites[item]
            if role == Qt.ItemDataRole.ToolTipRole:
                return TOOLTIPS[SITE]
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column != NAME:
            return int(_RIGHT.value)
        if column == PREDICTIONS and not self._scored[item] and self._stale[item]:
            if role == Qt.ItemDataRole.ForegroundRole:
                return _MUTED
            if role == Qt.ItemDataRole.ToolTipRole:
                return (
                    "Scored by an earlier model, not by the active one: it is scored again when "
                    "shown, or with “Score whole project”."
                )
        if column != NAME:
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            return None if self._file_exists(item) else _MISSING
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = display(self._path(item))
            return tip if self._file_exists(item) else tip + "\n(file missing: moved or deleted?)"
        if role == FILTER_ROLE:
            text = self._haystacks[item]
            if text is None:
                self._load_all_paths()  # the filter is about to ask for every row
                path = display(self._path(item))
                text = self._haystacks[item] = f"{self._name(item)} {path} {self._sites[item]}"
            return text
        return None

    # ----------------------------------------------------------------- sorting
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Numpy sort of one column (stable: equal values stay in the order added)."""
        self._sort_column, self._sort_order = column, order
        new_order = self._sorted_order()
        if np.array_equal(new_order, self._order):
            return
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        items = [int(self._order[i.row()]) for i in old]
        self._order = new_order
        self._row_of = _inverse(new_order)
        rows = [int(self._row_of[item]) for item in items]
        moved = [self.index(r, i.column()) for r, i in zip(rows, old, strict=True)]
        self.changePersistentIndexList(old, moved)
        self.layoutChanged.emit()

    def _sorted_order(self) -> np.ndarray:
        n = len(self._ids)
        if self._sort_column < 0 or n == 0:
            return np.arange(n, dtype=np.int64)
        if self._sort_column == NAME:
            if self._name_keys is None:  # rank of each lower-case name, computed once
                self._load_all_names()
                names = np.array([name.lower() for name in self._names])
                self._name_keys = np.unique(names, return_inverse=True)[1].astype(np.int64)
            key: np.ndarray = self._name_keys
        elif self._sort_column == LABELLED:
            self._read_all_covered()
            key = self._covered / np.maximum(self._durations * 1000.0, 1e-9)
        elif self._sort_column == SITE:
            folded = np.array([site.casefold() for site in self._sites] or [""])[:n]
            key = np.unique(folded, return_inverse=True)[1].astype(np.int64)
        else:
            key = {
                DURATION: self._durations,
                LABELS: self._labels,
                PREDICTIONS: self._scored + 0.5 * self._stale,  # old scores above none
            }[self._sort_column]
        if self._sort_order == Qt.SortOrder.DescendingOrder:
            key = -key
        return np.argsort(key, kind="stable").astype(np.int64)


def _flags(ids: set[int]) -> dict[int, int]:
    return dict.fromkeys(ids, 1)


def _inverse(order: np.ndarray) -> np.ndarray:
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order), dtype=order.dtype)
    return inverse
