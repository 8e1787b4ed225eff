"""``Project``: one ``*.sonotag`` SQLite file holding recordings, classes, labels and results.

Every public method that changes something commits before it returns (``synchronous=FULL`` in
WAL mode), so a crash or a killed process loses at most the edit in flight, never a saved label.
There is no "Save": the GUI's undo stack (``commands.py``) sits on top of these methods.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from model.audio.site import SITE_FOLDER, folder_site
from model.errors import ProjectError
from model.pathtext import from_db, resolved, to_db
from model.project.annotations import AnnotationsMixin
from model.project.boxes import BoxesMixin
from model.project.feature_cache import forget_recording
from model.project.handle import ProjectHandle
from model.project.listing import ListingMixin
from model.project.records import (
    Recording,
    dt_from_text,
    dt_to_text,
    now_utc,
)
from model.project.results import ResultsMixin
from model.project.score_index import ScoreIndexMixin
from model.project.sites import SitesMixin

_REC_COLUMNS = (
    "id, path, fingerprint, sample_rate, channels, frames, duration, start_time, added, "
    "start_time_source, format, site, site_source"
)


class Project(
    ProjectHandle,
    AnnotationsMixin,
    BoxesMixin,
    ResultsMixin,
    ListingMixin,
    ScoreIndexMixin,
    SitesMixin,
):
    """An open project file. Use ``Project.create`` / ``Project.open``, then ``close``."""

    def _stored(self, path: str | Path) -> str | bytes:
        """Posix path relative to the project folder when under it, so both can move together;
        the name's raw bytes (``pathtext.to_db``) when it is not valid UTF-8."""
        absolute = resolved(Path(path).expanduser())
        if absolute.is_relative_to(self.directory):
            return to_db(absolute.relative_to(self.directory).as_posix())
        return to_db(str(absolute))

    def _absolute(self, stored: str | bytes) -> Path:
        candidate = Path(from_db(stored))
        return candidate if candidate.is_absolute() else self.directory / candidate

    # ----------------------------------------------------------------- meta
    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, str(value)),
            )

    def get_meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else row[0]

    def meta_items(self, prefix: str) -> list[tuple[str, str]]:
        """(key, value) of every meta entry whose key starts with ``prefix``."""
        return [
            (str(k), str(v))
            for k, v in self._rows(
                "SELECT key, value FROM meta WHERE substr(key, 1, ?) = ? ORDER BY key",
                (len(prefix), prefix),
            )
        ]

    def delete_meta(self, key: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM meta WHERE key = ?", (key,))

    def integrity_check(self) -> str:
        return "\n".join(str(row[0]) for row in self._rows("PRAGMA integrity_check"))

    # ----------------------------------------------------------------- recordings
    def _recording(self, row: tuple[Any, ...]) -> Recording:
        return Recording(
            id=row[0],
            path=self._absolute(row[1]),
            stored_path=from_db(row[1]),
            fingerprint=row[2],
            sample_rate=row[3],
            channels=row[4],
            frames=row[5],
            duration=row[6],
            start_time=dt_from_text(row[7]),
            added=dt_from_text(row[8]) or now_utc(),
            start_time_source=row[9],
            format=row[10],
            site=row[11],
            site_source=row[12],
        )

    def add_recording(
        self, audio_path: str | Path, info: Any | None = None, fingerprint: str | None = None
    ) -> Recording:
        """Adds a file (probing it unless ``info`` is given); a path already there is returned."""
        stored = self._stored(audio_path)
        row = self._one(f"SELECT {_REC_COLUMNS} FROM recordings WHERE path = ?", (stored,))
        if row is not None:
            return self._recording(row)
        if self.read_only:
            raise ProjectError(self.path, "project is open read-only")
        absolute = self._absolute(stored)
        if info is None or fingerprint is None:
            from model.audio import content_fingerprint, probe

            if info is None:
                info = probe(absolute)
            if fingerprint is None:
                fingerprint = content_fingerprint(absolute)
        from model.project.clock import project_start_time

        start = project_start_time(info, self)  # a file name's time in the project's zone
        site, site_source = getattr(info, "site", ""), getattr(info, "site_source", None)
        if not site:
            site, site_source = folder_site(absolute), SITE_FOLDER
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO recordings(path, fingerprint, sample_rate, channels, frames, "
                "duration, start_time, added, start_time_source, format, site, site_source) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    stored,
                    fingerprint,
                    int(info.sample_rate),
                    int(info.channels),
                    int(info.frames),
                    float(info.duration),
                    dt_to_text(start),
                    dt_to_text(now_utc()),
                    getattr(info, "start_time_source", None),
                    str(getattr(info, "format", "") or ""),
                    site,
                    site_source,
                ),
            )
            new_id = cur.lastrowid
        return self.recording(int(new_id))

    def recordings(self) -> list[Recording]:
        rows = self._rows(f"SELECT {_REC_COLUMNS} FROM recordings ORDER BY id")
        return [self._recording(row) for row in rows]

    def recording(self, id: int) -> Recording:  # noqa: A002 - the public API says id
        row = self._one(f"SELECT {_REC_COLUMNS} FROM recordings WHERE id = ?", (id,))
        if row is None:
            raise ProjectError(self.path, f"has no recording number {id}")
        return self._recording(row)

    def relocate_recording(self, id: int, new_path: str | Path) -> Recording:  # noqa: A002
        """Points a recording at its file's new place (labels stay attached)."""
        self.recording(id)
        stored = self._stored(new_path)
        other = self._one("SELECT id FROM recordings WHERE path = ? AND id != ?", (stored, id))
        if other is not None:
            raise ProjectError(self.path, f"{new_path} is already recording number {other[0]}")
        with self.transaction() as conn:
            conn.execute("UPDATE recordings SET path = ? WHERE id = ?", (stored, id))
        return self.recording(id)

    def find_moved(self, search_dirs: Iterable[str | Path]) -> dict[int, Path]:
        """Missing recordings found again under ``search_dirs`` by content fingerprint.

        Files with the same name are fingerprinted first (the common case: a folder moved), and
        the search stops as soon as every missing file is found. Nothing is changed: call
        ``relocate_recording`` for the matches the user accepts.
        """
        missing: dict[str, list[int]] = {}
        for rec in self.recordings():
            if not rec.path.is_file() and rec.fingerprint:
                missing.setdefault(rec.fingerprint, []).append(rec.id)
        if not missing:
            return {}
        from model.audio import content_fingerprint, find_audio_files

        wanted_names = {Path(r.stored_path).name.lower() for r in self.recordings()}
        candidates = sorted(
            find_audio_files([Path(d) for d in search_dirs]),
            key=lambda p: (p.name.lower() not in wanted_names, str(p)),
        )
        found: dict[int, Path] = {}
        for candidate in candidates:
            try:
                fp = content_fingerprint(candidate)
            except Exception:  # noqa: BLE001 - an unreadable candidate is simply not a match
                continue
            for rec_id in missing.pop(fp, []):
                found[rec_id] = candidate.resolve()
            if not missing:
                break
        return found

    def remove_recording(self, id: int) -> None:  # noqa: A002
        """Removes a recording with its labels, scores and cached features (not the audio)."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM recordings WHERE id = ?", (id,))
        forget_recording(self.path, id)
