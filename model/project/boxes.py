"""Time-frequency boxes for ``Project``: a span of time and a band of frequencies per class.

Boxes sit beside clip labels rather than inside them: a clip label says what a whole clip holds
(one state per class per clip), a box says where in time and frequency a call is, and boxes of
one class may overlap. Training sees a box through the clips it covers
(``model.annotations.box_rule``), so the stored box is the one truth an edit or an undo changes.
"""

from __future__ import annotations

import math
from typing import Any

from model.errors import ProjectError
from model.project.base import StoreBase, recording_class_filter
from model.project.records import Box, LabelState, dt_from_text, dt_to_text, now_utc

_BOX_COLUMNS = (
    "id, recording_id, start_s, end_s, low_hz, high_hz, class_id, state, author, created, note"
)


class BoxesMixin(StoreBase):
    """Box storage for ``Project`` (which provides the plumbing)."""

    author: str

    @staticmethod
    def _box(row: tuple[Any, ...]) -> Box:
        return Box(
            id=row[0],
            recording_id=row[1],
            start=row[2],
            end=row[3],
            low_hz=row[4],
            high_hz=row[5],
            class_id=row[6],
            state=LabelState(row[7]),
            author=row[8],
            created=dt_from_text(row[9]) or now_utc(),
            note=row[10],
        )

    def _check_box(self, start: float, end: float, low_hz: float, high_hz: float) -> None:
        values = (start, end, low_hz, high_hz)
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
            raise ProjectError(self.path, f"a box needs finite times and frequencies, got {values}")
        if start < 0 or end <= start:
            raise ProjectError(self.path, f"a box must end after it starts ({start}-{end} s)")
        if low_hz < 0 or high_hz <= low_hz:
            raise ProjectError(
                self.path, f"a box's band must run from 0 Hz up ({low_hz:g}-{high_hz:g} Hz)"
            )

    def boxes(self, recording_id: int | None = None, class_id: int | None = None) -> list[Box]:
        where, params = recording_class_filter(recording_id, class_id)
        sql = f"SELECT {_BOX_COLUMNS} FROM boxes {where} ORDER BY recording_id, start_s, end_s, id"
        return [self._box(row) for row in self._rows(sql, params)]

    def boxes_in(self, recording_id: int, start: float, end: float) -> list[Box]:
        """Boxes overlapping [start, end) of one recording (a clip under review, a page)."""
        rows = self._rows(
            f"SELECT {_BOX_COLUMNS} FROM boxes WHERE recording_id = ? AND start_s < ? "
            "AND end_s > ? ORDER BY start_s, id",
            (recording_id, float(end), float(start)),
        )
        return [self._box(row) for row in rows]

    def box(self, id: int) -> Box | None:  # noqa: A002
        row = self._one(f"SELECT {_BOX_COLUMNS} FROM boxes WHERE id = ?", (id,))
        return None if row is None else self._box(row)

    def add_box(
        self,
        recording_id: int,
        start: float,
        end: float,
        low_hz: float,
        high_hz: float,
        class_id: int,
        state: LabelState | str = LabelState.PRESENT,
        author: str | None = None,
        note: str = "",
    ) -> Box:
        start, end, low_hz, high_hz = float(start), float(end), float(low_hz), float(high_hz)
        self._check_box(start, end, low_hz, high_hz)
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO boxes(recording_id, start_s, end_s, low_hz, high_hz, class_id, "
                "state, author, created, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    recording_id, start, end, low_hz, high_hz, class_id,
                    LabelState(state).value, self.author if author is None else author,
                    dt_to_text(now_utc()), note,
                ),
            )  # fmt: skip
            box = self.box(int(cur.lastrowid))
        assert box is not None
        return box

    def update_box(
        self,
        id: int,  # noqa: A002
        *,
        start: float | None = None,
        end: float | None = None,
        low_hz: float | None = None,
        high_hz: float | None = None,
        class_id: int | None = None,
        state: LabelState | str | None = None,
    ) -> Box:
        """Changes what is given (a move, a resize, another class or state); the id stays."""
        current = self.box(id)
        if current is None:
            raise ProjectError(self.path, f"has no box number {id}")
        new = (
            current.start if start is None else float(start),
            current.end if end is None else float(end),
            current.low_hz if low_hz is None else float(low_hz),
            current.high_hz if high_hz is None else float(high_hz),
        )
        self._check_box(*new)
        with self.transaction() as conn:
            conn.execute(
                "UPDATE boxes SET start_s = ?, end_s = ?, low_hz = ?, high_hz = ?, class_id = ?, "
                "state = ?, author = ?, created = ? WHERE id = ?",
                (
                    *new,
                    current.class_id if class_id is None else class_id,
                    current.state.value if state is None else LabelState(state).value,
                    self.author,
                    dt_to_text(now_utc()),
                    id,
                ),
            )
        box = self.box(id)
        assert box is not None
        return box

    def delete_box(self, id: int) -> None:  # noqa: A002
        with self.transaction() as conn:
            conn.execute("DELETE FROM boxes WHERE id = ?", (id,))

    def restore_box(self, box: Box) -> None:
        """Puts a box back exactly as it was, same id and time stamp (for undo and redo)."""
        with self.transaction() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO boxes({_BOX_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    box.id, box.recording_id, box.start, box.end, box.low_hz, box.high_hz,
                    box.class_id, LabelState(box.state).value, box.author,
                    dt_to_text(box.created), box.note,
                ),
            )  # fmt: skip
