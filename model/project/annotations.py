"""Classes and clip labels for ``Project``: the part of the file that is human work.

Labels are keyed by (recording, start ms, end ms, class): one row per class per clip, so a clip
can carry several classes, and setting a class again on the same clip updates it in place.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from types import EllipsisType
from typing import Any

from model.class_names import class_name_problem
from model.errors import ProjectError
from model.project.base import StoreBase, recording_class_filter
from model.project.records import (
    Label,
    LabelClass,
    LabelState,
    dt_from_text,
    dt_to_text,
    now_utc,
    to_ms,
)

# Tableau 10: distinct on dark and light spectrograms, and familiar from plotting libraries.
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip
SHORTCUT_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_LABEL_COLUMNS = "id, recording_id, start_ms, end_ms, class_id, state, author, created, note"
# A stored state -> its member by a dict lookup: calling LabelState per row was a quarter of
# reading 300,000 labels for training. Anything else still goes through LabelState (its error).
_STATES = {state.value: state for state in LabelState}


class AnnotationsMixin(StoreBase):
    """Class and label storage for ``Project`` (which provides the plumbing)."""

    path: Path
    author: str

    # ----------------------------------------------------------------- classes
    def classes(self) -> list[LabelClass]:
        rows = self._rows("SELECT id, name, colour, shortcut, position FROM classes ORDER BY 5, 1")
        return [LabelClass(*row) for row in rows]

    def label_class(self, id: int) -> LabelClass:  # noqa: A002
        row = self._one(
            "SELECT id, name, colour, shortcut, position FROM classes WHERE id = ?", (id,)
        )
        if row is None:
            raise ProjectError(self.path, f"has no class number {id}")
        return LabelClass(*row)

    def class_by_name(self, name: str) -> LabelClass | None:
        row = self._one(
            "SELECT id, name, colour, shortcut, position FROM classes WHERE name = ?",
            (name.strip(),),
        )
        return None if row is None else LabelClass(*row)

    def _check_class(
        self, name: str | None, colour: str | None, shortcut: str | None, exclude: int = -1
    ) -> None:
        if name is not None:
            if not name.strip():
                raise ProjectError(self.path, "a class needs a name")
            problem = class_name_problem(name)
            if problem:
                raise ProjectError(self.path, problem)
            other = self.class_by_name(name)
            if other is not None and other.id != exclude:
                raise ProjectError(self.path, f'already has a class named "{other.name}"')
        if colour is not None and not _COLOUR.match(colour):
            raise ProjectError(self.path, f'"{colour}" is not a colour like "#1f77b4"')
        if shortcut is not None:
            if len(shortcut) != 1 or shortcut.isspace():
                raise ProjectError(self.path, f'"{shortcut}" is not a single key')
            row = self._one(
                "SELECT name FROM classes WHERE shortcut = ? AND id != ?", (shortcut, exclude)
            )
            if row is not None:
                raise ProjectError(self.path, f'key "{shortcut}" is already used by "{row[0]}"')

    def add_class(
        self, name: str, colour: str | None = None, shortcut: str | None = None
    ) -> LabelClass:
        """Adds a class; colour from the palette and the next free key 1-9, 0 unless given.

        ``shortcut=None`` picks the next free key (none when all ten are taken); ``""`` means
        no key.
        """
        classes = self.classes()
        if colour is None:
            used = {c.colour for c in classes}
            free = [c for c in PALETTE if c not in used]
            colour = free[0] if free else PALETTE[len(classes) % len(PALETTE)]
        if shortcut is None:
            keys = {c.shortcut for c in classes}
            shortcut = next((k for k in SHORTCUT_KEYS if k not in keys), None)
        elif shortcut == "":
            shortcut = None
        name = name.strip()
        self._check_class(name, colour, shortcut)
        position = max((c.position for c in classes), default=-1) + 1
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO classes(name, colour, shortcut, position) VALUES (?, ?, ?, ?)",
                (name, colour.lower(), shortcut, position),
            )
        return self.label_class(int(cur.lastrowid))

    def update_class(
        self,
        id: int,  # noqa: A002
        *,
        name: str | None = None,
        colour: str | None = None,
        shortcut: str | None | EllipsisType = ...,
        position: int | None = None,
    ) -> LabelClass:
        """Changes what is given; ``shortcut=None`` removes the key, leaving it out keeps it."""
        current = self.label_class(id)
        if shortcut == "":
            shortcut = None
        name = None if name is None else name.strip()
        self._check_class(name, colour, None if shortcut is ... else shortcut, exclude=id)
        with self.transaction() as conn:
            conn.execute(
                "UPDATE classes SET name = ?, colour = ?, shortcut = ?, position = ? WHERE id = ?",
                (
                    current.name if name is None else name,
                    current.colour if colour is None else colour.lower(),
                    current.shortcut if shortcut is ... else shortcut,
                    current.position if position is None else position,
                    id,
                ),
            )
        return self.label_class(id)

    def delete_class(self, id: int) -> None:  # noqa: A002
        """Deletes a class and every label of it (``DeleteClass`` keeps them for undo)."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM classes WHERE id = ?", (id,))

    def restore_class(self, cls: LabelClass) -> None:
        """Re-inserts a deleted class with its old id and position (for undo)."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO classes(id, name, colour, shortcut, position) VALUES (?, ?, ?, ?, ?)",
                (cls.id, cls.name, cls.colour, cls.shortcut, cls.position),
            )

    # ----------------------------------------------------------------- labels
    @staticmethod
    def _label(row: tuple[Any, ...]) -> Label:
        return Label(
            id=row[0],
            recording_id=row[1],
            start=row[2] / 1000,
            end=row[3] / 1000,
            class_id=row[4],
            state=_STATES.get(row[5]) or LabelState(row[5]),
            author=row[6],
            created=dt_from_text(row[7]) or now_utc(),
            note=row[8],
        )

    def label_tally(self) -> Counter[tuple[int, str]]:
        """(class id, state) -> number of clip labels and (class id, ``"boxes"``) -> number of
        time-frequency boxes in the whole project, in one pass over each table."""
        rows = self._rows(
            "SELECT class_id, state, count(*) FROM labels GROUP BY 1, 2 "
            "UNION ALL SELECT class_id, 'boxes', count(*) FROM boxes GROUP BY 1"
        )
        return Counter({(int(cid), str(state)): int(n) for cid, state, n in rows})

    def labels(self, recording_id: int | None = None, class_id: int | None = None) -> list[Label]:
        where, params = recording_class_filter(recording_id, class_id)
        order = "recording_id, start_ms, end_ms, class_id"
        sql = f"SELECT {_LABEL_COLUMNS} FROM labels {where} ORDER BY {order}"
        return [self._label(row) for row in self._rows(sql, params)]

    def labels_in(self, recording_id: int, start: float, end: float) -> list[Label]:
        """Labels overlapping [start, end) of one recording, for drawing the visible page."""
        rows = self._rows(
            f"SELECT {_LABEL_COLUMNS} FROM labels WHERE recording_id = ? AND start_ms < ? "
            "AND end_ms > ? ORDER BY start_ms, end_ms, class_id",
            (recording_id, to_ms(end), to_ms(start)),
        )
        return [self._label(row) for row in rows]

    def label_states(
        self, class_id: int, clips: Sequence[tuple[int, int, int]]
    ) -> dict[tuple[int, int, int], LabelState]:
        """State of ``class_id`` on each (recording, start ms, end ms) that has a label of it:
        one query through the unique clip index, however many labels the project holds."""
        if not clips:
            return {}
        rows = self._rows(
            "SELECT l.recording_id, l.start_ms, l.end_ms, l.state FROM json_each(?) AS j CROSS "
            "JOIN labels AS l ON l.recording_id = json_extract(j.value, '$[0]') "
            "AND l.start_ms = json_extract(j.value, '$[1]') "
            "AND l.end_ms = json_extract(j.value, '$[2]') AND l.class_id = ?",
            (json.dumps([list(c) for c in clips]), class_id),
        )
        return {(r, a, b): LabelState(state) for r, a, b, state in rows}

    def label(self, id: int) -> Label | None:  # noqa: A002
        row = self._one(f"SELECT {_LABEL_COLUMNS} FROM labels WHERE id = ?", (id,))
        return None if row is None else self._label(row)

    def label_at(self, recording_id: int, start: float, end: float, class_id: int) -> Label | None:
        """The label of one class on one clip, if any (a clip can carry several classes)."""
        row = self._one(
            f"SELECT {_LABEL_COLUMNS} FROM labels WHERE recording_id = ? AND start_ms = ? "
            "AND end_ms = ? AND class_id = ?",
            (recording_id, to_ms(start), to_ms(end), class_id),
        )
        return None if row is None else self._label(row)

    def put_label(
        self,
        recording_id: int,
        start: float,
        end: float,
        class_id: int,
        state: LabelState | str,
        author: str | None = None,
        note: str = "",
    ) -> Label:
        """Sets the state of one class on one clip (insert or update; the id is kept)."""
        state = LabelState(state)
        start_ms, end_ms = to_ms(start), to_ms(end)
        if start_ms < 0 or end_ms <= start_ms:
            raise ProjectError(self.path, f"a label must end after it starts ({start}-{end} s)")
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO labels(recording_id, start_ms, end_ms, class_id, state, author, "
                "created, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(recording_id, start_ms, end_ms, class_id) DO UPDATE SET "
                "state = excluded.state, author = excluded.author, created = excluded.created, "
                "note = excluded.note",
                (
                    recording_id,
                    start_ms,
                    end_ms,
                    class_id,
                    state.value,
                    self.author if author is None else author,
                    dt_to_text(now_utc()),
                    note,
                ),
            )
            row = conn.execute(
                f"SELECT {_LABEL_COLUMNS} FROM labels WHERE recording_id = ? AND start_ms = ? "
                "AND end_ms = ? AND class_id = ?",
                (recording_id, start_ms, end_ms, class_id),
            ).fetchone()
        return self._label(row)

    def delete_label(self, id: int) -> None:  # noqa: A002
        with self.transaction() as conn:
            conn.execute("DELETE FROM labels WHERE id = ?", (id,))

    def restore_label(self, label: Label) -> None:
        """Puts a label back exactly as it was, same id (for undo); replaces that clip+class."""
        with self.transaction() as conn:
            conn.execute(
                "DELETE FROM labels WHERE recording_id = ? AND start_ms = ? AND end_ms = ? "
                "AND class_id = ? AND id != ?",
                (label.recording_id, label.start_ms, label.end_ms, label.class_id, label.id),
            )
            conn.execute(
                f"INSERT OR REPLACE INTO labels({_LABEL_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    label.id,
                    label.recording_id,
                    label.start_ms,
                    label.end_ms,
                    label.class_id,
                    LabelState(label.state).value,
                    label.author,
                    dt_to_text(label.created),
                    label.note,
                ),
            )
