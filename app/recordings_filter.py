"""What the recordings view shows of ``RecordingsModel``: rows whose name or path holds every
typed word, in the model's own (numpy) sort order.

The filter stays Qt's: a regular expression over a text role, evaluated in C++ and only while a
filter is set. Sort requests go down to the model, since Qt's proxy sort would call back into
Python for every comparison (about 1.7 million calls for 100,000 rows).
"""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, QSortFilterProxyModel, Qt

from app.recordings_model import FILTER_ROLE, NAME, RecordingsModel


class RecordingsFilter(QSortFilterProxyModel):
    """What the view shows: rows whose name or path holds every typed word, in the model's
    sort order (sort requests go to ``RecordingsModel.sort``)."""

    def __init__(self, source: RecordingsModel, parent: object | None = None) -> None:
        super().__init__(parent)
        self.setSourceModel(source)
        self.setFilterRole(FILTER_ROLE)
        self.setFilterKeyColumn(NAME)
        self.words: list[str] = []

    def source(self) -> RecordingsModel:
        model = self.sourceModel()
        assert isinstance(model, RecordingsModel)
        return model

    def set_words(self, text: str) -> None:
        """Every word must appear (any case, any order): one look-ahead per word."""
        words = text.lower().split()
        if words == self.words:
            return
        self.words = words
        pattern = "".join(f"(?=.*{QRegularExpression.escape(w)})" for w in words)
        options = (
            QRegularExpression.PatternOption.CaseInsensitiveOption
            | QRegularExpression.PatternOption.DotMatchesEverythingOption
        )
        self.setFilterRegularExpression(QRegularExpression("^" + pattern if words else "", options))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.source().sort(column, order)
