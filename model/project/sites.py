"""Each recording's site: read, listed, edited (``Project`` mixin).

A site is a short name in the ``recordings`` table (schema version 6): set when a recording is
added (``model.audio.site``: GUANO, AudioMoth id, else the folder) and edited by the user in the
recordings table, for one recording or many at once. Results (activity, detections) are split by
it. An edited site is marked ``edited`` so the user can tell it from a guessed one.
"""

from __future__ import annotations

from collections.abc import Iterable

from model.audio.site import SITE_USER, clean_site
from model.errors import ProjectError
from model.project.base import StoreBase


class SitesMixin(StoreBase):
    read_only: bool

    def recording_sites(self, recording_ids: Iterable[int] | None = None) -> dict[int, str]:
        """Recording id -> site (empty string when none)."""
        if recording_ids is None:
            return {int(i): str(s) for i, s in self._rows("SELECT id, site FROM recordings")}
        ids = [int(i) for i in recording_ids]
        found: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            sql = f"SELECT id, site FROM recordings WHERE id IN ({marks})"  # noqa: S608
            found.update((int(i), str(s)) for i, s in self._rows(sql, part))
        return found

    def site_sources(self, recording_ids: Iterable[int]) -> dict[int, tuple[str, str | None]]:
        """Recording id -> (site, where it came from): what an undo of a site edit restores."""
        ids = [int(i) for i in recording_ids]
        found: dict[int, tuple[str, str | None]] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            sql = f"SELECT id, site, site_source FROM recordings WHERE id IN ({marks})"  # noqa: S608
            found.update((int(i), (str(s), src)) for i, s, src in self._rows(sql, part))
        return found

    def restore_sites(self, sites: dict[int, tuple[str, str | None]]) -> None:
        """Puts back sites and their sources as ``site_sources`` read them (undo)."""
        if self.read_only:
            raise ProjectError(self.path, "project is open read-only")
        rows = [(site, source, int(i)) for i, (site, source) in sites.items()]
        with self.transaction() as conn:
            conn.executemany("UPDATE recordings SET site = ?, site_source = ? WHERE id = ?", rows)

    def sites(self) -> list[tuple[str, int]]:
        """(site, number of recordings) for every site, A→Z (case-insensitive)."""
        rows = self._rows("SELECT site, count(*) FROM recordings GROUP BY site")
        return sorted(((str(s), int(n)) for s, n in rows), key=lambda r: (r[0].casefold(), r[0]))

    def set_site(self, recording_ids: Iterable[int], site: str) -> int:
        """Gives recordings a site typed by the user; returns how many changed."""
        if self.read_only:
            raise ProjectError(self.path, "project is open read-only")
        name = clean_site(site)
        ids = [(name, SITE_USER, int(i), name) for i in recording_ids]
        with self.transaction() as conn:
            before = conn.total_changes
            conn.executemany(
                "UPDATE recordings SET site = ?, site_source = ? WHERE id = ? AND site != ?", ids
            )
            return conn.total_changes - before
