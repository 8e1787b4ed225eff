"""The recordings list's Labelled column: the share of each recording under labels.

A mixin of ``RecordingsModel`` (kept apart so the list's own module stays about counts and
sorting). Figures are read as rows are shown, a screenful at a time, and all of them only to
sort by the column: reading every recording's share when a project opened was one pass over
every label, 0.3-0.8 s of opening a season of 100,000 recordings before the window painted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from model.project import Project

UNREAD = -1  # a Labelled figure not read yet
SHOWN_AHEAD = 256  # Labelled figures read at once: the row asked for and those below it


class CoverageColumn:
    project: Project | None
    _ids: np.ndarray
    _durations: np.ndarray
    _covered: np.ndarray  # milliseconds under at least one label, or UNREAD

    if TYPE_CHECKING:  # RecordingsModel's, for the type checker only

        def _count_array(self, counts: dict[int, int]) -> np.ndarray: ...

    def labelled_share(self, item: int) -> float:
        """Fraction of the recording under labels (0-1)."""
        duration = float(self._durations[item])
        if duration <= 0:
            return 0.0
        if self._covered[item] == UNREAD:
            self._read_covered(np.array([item], np.int64))
        return min(float(self._covered[item]) / 1000.0 / duration, 1.0)

    def _read_covered(self, items: np.ndarray) -> None:
        """The Labelled figures of these items, where not read yet."""
        unread = items[self._covered[items] == UNREAD]
        if self.project is None or not len(unread):
            return
        read = self.project.labelled_ms(self._ids[unread].tolist())
        self._covered[unread] = [read.get(int(i), 0) for i in self._ids[unread].tolist()]

    def _read_all_covered(self) -> None:
        """Every Labelled figure (sorting by the column needs them all): one pass."""
        if self.project is not None and (self._covered == UNREAD).any():
            self._covered = self._count_array(self.project.labelled_ms())
