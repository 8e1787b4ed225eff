"""The recordings list's columns: the name always readable, the others sized once, a header
menu to hide the ones a user does not need, and the layout kept between sessions.

The name is what a user looks for, yet with six columns in a 370-pixel dock a stretched name
column was left a few pixels wide ("…" on every row, the header reading "orr") and could not be
dragged wider. Now the name column takes the room the other columns leave, never less than an
AudioMoth file name (date and time readable); when the dock is narrower than that, the list
scrolls sideways instead of hiding the names.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QObject, QPoint, Qt
from PySide6.QtWidgets import QHeaderView, QMenu, QStyle, QTableView
from shiboken6 import isValid

from app.recordings_model import NAME, WIDEST

if TYPE_CHECKING:
    from app.settings import Preferences

#: The narrowest the name column goes by itself: a whole AudioMoth file name (``WIDEST``'s).
NAME_FLOOR_TEXT = WIDEST[NAME]
PREFS_KEY = "recordings"


def _padding(table: QTableView) -> int:
    return 2 * table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 12


def fit_number_columns(table: QTableView) -> None:
    """Number columns as wide as their widest likely text (``WIDEST``) or their header, and
    the user's to drag after that. Not ResizeToContents: that measures the rows on screen
    again at every count change, ten of the 20 ms a label key-press took at 100,000
    recordings; and a width that follows the data makes the name column jump while labelling."""
    header = table.horizontalHeader()
    metrics = table.fontMetrics()
    for column, widest in WIDEST.items():
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        text = metrics.horizontalAdvance(widest) + _padding(table)
        header.resizeSection(column, max(text, header.sectionSizeHint(column)))


class RecordingsColumns(QObject):
    """Sizes and remembers the columns of ``table`` (a view of ``RecordingsModel``)."""

    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self.table = table
        self.header = header = table.horizontalHeader()
        self._prefs: Preferences | None = None
        self._fitting = False
        self.name_dragged = False  # the user set the name's width: leave it to them
        header.setStretchLastSection(False)
        fit_number_columns(table)  # every WIDEST column, the name's included, Interactive
        header.sectionResized.connect(self._on_section_resized)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._show_menu)
        self._viewport = table.viewport()
        self._viewport.installEventFilter(self)
        self.refit()

    def name_floor(self) -> int:
        return self.table.fontMetrics().horizontalAdvance(NAME_FLOOR_TEXT) + _padding(self.table)

    def refit(self) -> None:
        """The name column takes what the shown columns leave, and at least ``name_floor``."""
        if self.name_dragged:
            return
        others = sum(
            self.header.sectionSize(c)
            for c in range(self.header.count())
            if c != NAME and not self.header.isSectionHidden(c)
        )
        width = max(self.name_floor(), self.table.viewport().width() - others)
        self._fitting = True
        try:
            self.header.resizeSection(NAME, width)
        finally:
            self._fitting = False

    def set_column_shown(self, column: int, shown: bool) -> None:
        if column == NAME:
            return  # the name always shows
        self.header.setSectionHidden(column, not shown)
        self.refit()
        self._save()

    def hidden_columns(self) -> list[int]:
        return [c for c in range(self.header.count()) if self.header.isSectionHidden(c)]

    def keep(self, prefs: Preferences) -> None:
        """Restores the layout saved in ``prefs`` and saves each change there from now on."""
        self._prefs = prefs
        state = prefs.header_state(PREFS_KEY)
        if state is not None and self.header.restoreState(state):
            self.header.setSectionHidden(NAME, False)
            self.header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Interactive)
            self.refit()

    def _save(self) -> None:
        if self._prefs is not None:
            self._prefs.set_header_state(PREFS_KEY, QByteArray(self.header.saveState()))

    def _on_section_resized(self, column: int, _old: int, _new: int) -> None:
        if self._fitting:
            return
        if column == NAME:
            self.name_dragged = True
        else:
            self.refit()
        self._save()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        # the viewport outlives the table by a moment while the window is torn down
        if watched is self._viewport and event.type() == QEvent.Type.Resize and isValid(self.table):
            self.refit()
        return False

    def _show_menu(self, pos: QPoint) -> None:
        self.menu().exec(self.header.mapToGlobal(pos))

    def menu(self) -> QMenu:
        """Which columns show (the name always does); the choice is kept."""
        menu = QMenu(self.table)
        model = self.table.model()
        for column in range(self.header.count()):
            if column == NAME:
                continue
            title = str(model.headerData(column, Qt.Orientation.Horizontal))
            action = menu.addAction(title)
            action.setCheckable(True)
            action.setChecked(not self.header.isSectionHidden(column))
            action.toggled.connect(partial(self.set_column_shown, column))
        menu.addSeparator()
        fit = menu.addAction("Fit the name column to the list")
        fit.triggered.connect(self._fit_name_again)
        return menu

    def _fit_name_again(self) -> None:
        self.name_dragged = False
        self.refit()
        self._save()
