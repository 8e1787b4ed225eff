"""The recordings list as columns, and the per-recording counts, for views of any size.

A season is 100,000 recordings: building a ``Recording`` object (with its ``Path``) for each
costs a second before anything is shown, and one ``GROUP BY`` over every label after each key
press makes labelling slower the bigger the project. So the list comes back as plain columns
(ids, stored paths, durations) read once, and counts are read either for all recordings (one
indexed pass, when a project is opened) or for the few recordings an edit touched (one indexed
lookup each).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from model.pathtext import from_db
from model.project.base import StoreBase

_MANY = 500  # more ids than this: one pass over everything beats a lookup per id


def _plain(relative: str) -> bool:
    """A relative posix path that ``normpath`` would leave as it is (no empty, ``.`` or
    ``..`` part)."""
    wrapped = f"/{relative}/"
    return "//" not in wrapped and "/./" not in wrapped and "/../" not in wrapped


@dataclass(frozen=True)
class RecordingColumns:
    """Recordings in id order: ``ids[i]`` and ``durations[i]`` go together. Paths are read
    separately (``stored_paths``), for the rows a view shows, since they are most of the bytes."""

    ids: np.ndarray  # int64
    durations: np.ndarray  # float64 seconds

    def __len__(self) -> int:
        return len(self.ids)


class ListingMixin(StoreBase):
    """Column reads and counts for ``Project`` (which provides the plumbing)."""

    directory: Path

    def recording_columns(self, after_id: int = 0) -> RecordingColumns:
        """Recordings with an id above ``after_id`` (ids only grow, so this is "the new ones")."""
        rows = self._rows(
            "SELECT id, duration FROM recordings WHERE id > ? ORDER BY id", (after_id,)
        )
        return RecordingColumns(
            np.fromiter((r[0] for r in rows), np.int64, len(rows)),
            np.fromiter((r[1] for r in rows), np.float64, len(rows)),
        )

    def stored_paths(self, recording_ids: Iterable[int] | None = None) -> dict[int, str]:
        """recording id -> path as stored in the file (``absolute_path`` resolves it)."""
        if recording_ids is None:
            return {
                rec_id: from_db(path)
                for rec_id, path in self._rows("SELECT id, path FROM recordings")
            }
        ids = sorted({int(i) for i in recording_ids})
        if len(ids) > _MANY:
            wanted = set(ids)
            return {k: v for k, v in self.stored_paths().items() if k in wanted}
        paths: dict[int, str] = {}
        for rec_id in ids:
            row = self._one("SELECT path FROM recordings WHERE id = ?", (int(rec_id),))
            if row is not None:
                paths[int(rec_id)] = from_db(row[0])
        return paths

    def stored_path_column(self, recording_ids: np.ndarray) -> list[str]:
        """Stored paths of ``recording_ids`` (ascending, as ``recording_columns`` gives them),
        in that order, "" for an id no longer there: one ordered read for a whole list."""
        ids = recording_ids.tolist()
        if not ids:
            return []
        rows = self._rows(
            "SELECT id, path FROM recordings WHERE id BETWEEN ? AND ? ORDER BY id",
            (ids[0], ids[-1]),
        )
        if len(rows) == len(ids) and rows[0][0] == ids[0] and rows[-1][0] == ids[-1]:
            return [from_db(path) for _, path in rows]  # no gaps: the rows are the ids
        found = dict(rows)
        return [from_db(found[i]) if i in found else "" for i in ids]

    def find_recordings(self, text: str, limit: int | None = None) -> list[tuple[int, str]]:
        """(id, stored path) of recordings whose stored path contains ``text`` (ASCII letters
        in any case), in id order, at most ``limit``: picking one recording out of 100,000 by
        typing part of its name or folder, without listing them all."""
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        sql = "SELECT id, path FROM recordings WHERE path LIKE ? ESCAPE '\\' ORDER BY id"
        params: tuple[Any, ...] = (f"%{escaped}%",)
        if limit is not None:
            sql += " LIMIT ?"
            params += (int(limit),)
        return [(int(rec_id), from_db(path)) for rec_id, path in self._rows(sql, params)]

    def recording_count(self) -> int:
        row = self._one("SELECT count(*) FROM recordings")
        return int(row[0]) if row else 0

    def absolute_path(self, stored_path: str) -> Path:
        """Where a path as stored in the file (``RecordingColumns.stored_paths``) points."""
        return self._absolute(stored_path)

    def recording_path_texts(self) -> set[str]:
        """Every recording's absolute path as text, for recognising files already added.

        Stored paths were resolved when added (relative ones against the project folder, which
        is resolved too), so joining text gives the resolved path without touching the disk.
        A relative path is stored as a plain posix path below the folder, so SQLite joins it
        to the folder and absolute ones come back as they are (no Python per recording: a
        season's card added again checks 100,000 of them); ``normpath`` only for a relative
        one with ``.``/``..`` parts or doubled slashes, and a name that is not UTF-8.
        """
        folder = str(self.directory)
        prefix = folder if folder.endswith(os.sep) else folder + os.sep
        texts: set[str] = set()
        if os.sep == "/":  # absolute: starts at the root; Windows' drive letters below
            absolute = "substr(path, 1, 1) = '/'"
            joined = "?1 || path"
        else:
            absolute = "(substr(path, 2, 1) = ':' OR substr(path, 1, 1) IN ('/', '\\'))"
            joined = "?1 || replace(path, '/', '\\')"
        plain = (
            f"typeof(path) = 'text' AND path != '' AND NOT {absolute} AND "
            "instr('/' || path || '/', '/./') = 0 AND instr('/' || path || '/', '/../') = 0 "
            "AND instr(path, '//') = 0"
        )
        text = "typeof(path) = 'text'"
        # Fixed SQL pieces only; the folder goes in as a parameter.
        relative_sql = f"SELECT {joined} FROM recordings WHERE {plain}"  # noqa: S608
        absolute_sql = f"SELECT path FROM recordings WHERE {text} AND {absolute}"  # noqa: S608
        rest_sql = f"SELECT path FROM recordings WHERE NOT ({text} AND ({plain} OR {absolute}))"  # noqa: S608
        texts.update(r for (r,) in self._rows(relative_sql, (prefix,)))
        texts.update(r for (r,) in self._rows(absolute_sql))
        for (value,) in self._rows(rest_sql):
            stored = from_db(value)  # bytes for a name that is not UTF-8
            if os.path.isabs(stored):
                texts.add(stored)
            elif _plain(stored):
                texts.add(prefix + (stored.replace("/", os.sep) if os.sep != "/" else stored))
            else:
                texts.add(os.path.normpath(os.path.join(folder, stored)))
        return texts

    def first_recording_id(self) -> int | None:
        row = self._one("SELECT min(id) FROM recordings")
        return None if row is None or row[0] is None else int(row[0])

    # ----------------------------------------------------------------- counts
    def label_total(self, class_id: int | None = None) -> int:
        """Clip labels in the project (of one class: the ``labels_class`` index counts them)."""
        if class_id is None:
            row = self._one("SELECT count(*) FROM labels")
        else:
            row = self._one("SELECT count(*) FROM labels WHERE class_id = ?", (class_id,))
        return int(row[0]) if row else 0

    def box_total(self, class_id: int) -> int:
        """Time-frequency boxes of one class (the ``boxes_class`` index counts them)."""
        row = self._one("SELECT count(*) FROM boxes WHERE class_id = ?", (class_id,))
        return int(row[0]) if row else 0

    def label_counts(self, recording_ids: Iterable[int] | None = None) -> dict[int, int]:
        """recording id -> number of clip labels and time-frequency boxes; recordings with
        neither are left out."""
        if recording_ids is None:
            return dict(
                self._rows(
                    "SELECT recording_id, count(*) FROM (SELECT recording_id FROM labels "
                    "UNION ALL SELECT recording_id FROM boxes) GROUP BY 1"
                )
            )
        ids = sorted({int(i) for i in recording_ids})
        if len(ids) > _MANY:
            wanted = set(ids)
            return {k: n for k, n in self.label_counts().items() if k in wanted}
        counts: dict[int, int] = {}
        for rec_id in ids:  # the (recording_id, ...) indexes answer each one
            row = self._one(
                "SELECT (SELECT count(*) FROM labels WHERE recording_id = ?) + "
                "(SELECT count(*) FROM boxes WHERE recording_id = ?)",
                (rec_id, rec_id),
            )
            if row and row[0]:
                counts[rec_id] = int(row[0])
        return counts

    def scored_window_counts(self, recording_ids: Iterable[int] | None = None) -> dict[int, int]:
        """recording id -> windows scored by the active model; unscored recordings left out."""
        active = self._one("SELECT id FROM models WHERE active = 1 LIMIT 1")
        if active is None:
            return {}
        sql = "SELECT recording_id, n_windows FROM predictions WHERE model_id = ?"
        if recording_ids is None:
            return dict(self._rows(sql, (active[0],)))
        ids = sorted({int(i) for i in recording_ids})
        if len(ids) > _MANY:
            wanted = set(ids)
            return {k: n for k, n in self.scored_window_counts().items() if k in wanted}
        counts: dict[int, int] = {}
        for rec_id in ids:
            row = self._one(sql + " AND recording_id = ?", (active[0], rec_id))
            if row is not None:
                counts[rec_id] = int(row[1])
        return counts

    def labelled_ms(self, recording_ids: Iterable[int] | None = None) -> dict[int, int]:
        """recording id -> milliseconds covered by at least one label (overlapping clips
        counted once); recordings without labels are left out.

        One pass in SQLite: each distinct span adds what reaches past the furthest end of the
        spans before it (a window function), so 1,800 clips a recording cost no Python loop.
        """
        where, args = "", ()
        if recording_ids is not None:
            ids = sorted({int(i) for i in recording_ids})
            if len(ids) > _MANY:
                wanted = set(ids)
                return {k: n for k, n in self.labelled_ms().items() if k in wanted}
            if not ids:
                return {}
            where = f"WHERE recording_id IN ({','.join('?' * len(ids))})"
            args = tuple(ids)
        sql = f"""
            SELECT recording_id,
                   SUM(MAX(0, end_ms - MAX(start_ms, COALESCE(reach, start_ms))))
            FROM (
                SELECT recording_id, start_ms, end_ms,
                       MAX(end_ms) OVER (
                           PARTITION BY recording_id ORDER BY start_ms, end_ms
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                       ) AS reach
                FROM (SELECT DISTINCT recording_id, start_ms, end_ms FROM labels {where})
            )
            GROUP BY recording_id
        """  # noqa: S608 - the only text put in is a list of "?" placeholders
        return {int(r): int(ms) for r, ms in self._rows(sql, args) if ms}

    def scored_by_other_models(self, recording_ids: Iterable[int] | None = None) -> set[int]:
        """Recordings with scores from a model that is not the active one and none from the
        active one (scored before the model changed): "old model", not "not scored"."""
        active = self._one("SELECT id FROM models WHERE active = 1 LIMIT 1")
        active_id = int(active[0]) if active is not None else -1
        sql = (
            "SELECT DISTINCT recording_id FROM predictions p WHERE model_id != ? AND NOT EXISTS "
            "(SELECT 1 FROM predictions q WHERE q.recording_id = p.recording_id "
            "AND q.model_id = ?)"
        )
        if recording_ids is None:  # two index scans, not a lookup per row (4x at 100,000)
            every = (
                "SELECT recording_id FROM predictions WHERE model_id != ?1 "
                "EXCEPT SELECT recording_id FROM predictions WHERE model_id = ?1"
            )
            return {int(r) for (r,) in self._rows(every, (active_id,))}
        found: set[int] = set()
        for rec_id in sorted({int(i) for i in recording_ids}):
            if self._one(sql + " AND recording_id = ?", (active_id, active_id, rec_id)):
                found.add(rec_id)
        return found

    def counts(self) -> dict[int, tuple[int, int]]:
        """recording id -> (labels, scored windows of the active model), for every recording."""
        labels, scored = self.label_counts(), self.scored_window_counts()
        return {  # tolist: Python ints at once, not a numpy scalar converted three times
            rec_id: (labels.get(rec_id, 0), scored.get(rec_id, 0))
            for rec_id in self.recording_columns().ids.tolist()
        }


class RecordingLookup:
    """Recordings read by id when first asked for, then kept: a view over a season's project
    needs the few recordings its user points at, and building all 100,000 ``Recording``
    objects up front costs seconds before the window can paint."""

    def __init__(self, project: Any) -> None:
        self.project = project
        self._read: dict[int, Any] = {}

    def get(self, rec_id: int) -> Any:
        """The ``Recording``, or None when the project has none with that id (any more)."""
        rec_id = int(rec_id)
        if rec_id not in self._read:
            self._read[rec_id] = self._fetch(rec_id)
        return self._read[rec_id]

    def __contains__(self, rec_id: object) -> bool:
        return isinstance(rec_id, int | np.integer) and self.get(int(rec_id)) is not None

    def stored_paths(self, recording_ids: Iterable[int]) -> dict[int, str]:
        """Paths as stored, for many ids at once (a name per recording, no object each)."""
        return {} if self.project is None else self.project.stored_paths(recording_ids)

    def _fetch(self, rec_id: int) -> Any:
        if self.project is None:
            return None
        from model.errors import ProjectError

        try:
            return self.project.recording(rec_id)
        except ProjectError:
            return None
