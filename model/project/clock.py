"""The project's clock settings: which zone file names are in, and which zone plots bin in.

A recorder's file name holds a wall-clock time but not its zone. AudioMoth writes UTC unless
its configuration app was given a local offset, and other recorders write local time, so the
project says which (``filename_zone``, UTC unless set); recordings whose start time came from
the file name are dated in that zone when they are added, and dated again when the setting
changes. Clues that state their own zone (GUANO, the AudioMoth comment) are never changed.

``activity_zone`` is where the activity plots (hour of day, date) were last binned, so they
open as the user left them.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from model.audio.start_time import SOURCE_FILENAME, parse_audiomoth_filename, zone_named
from model.errors import ProjectError
from model.project.records import dt_to_text

FILENAME_ZONE_META = "filename_zone"
ACTIVITY_ZONE_META = "activity_zone"
UTC_NAME = "UTC"


def zone_or_error(name: str, project: Any = None) -> tzinfo:
    """The zone ``name`` names, or ProjectError saying what a zone name looks like."""
    zone = zone_named(name) if isinstance(name, str) else None
    if zone is None:
        raise ProjectError(
            getattr(project, "path", None),
            f"{name!r} is not a time zone: give a name such as 'UTC', 'Europe/London' or "
            "'America/Santiago', or a fixed offset such as '+02:00'",
        )
    return zone


def filename_zone_name(project: Any) -> str:
    """The zone setting as the user gave it ('UTC' if never set)."""
    return project.get_meta(FILENAME_ZONE_META) or UTC_NAME


def filename_zone(project: Any) -> tzinfo:
    """The zone file names are read in; UTC if the stored name is unknown here (a project
    made on a machine with a newer zone database), rather than failing to add recordings."""
    return zone_named(filename_zone_name(project)) or UTC


def project_start_time(info: Any, project: Any) -> datetime | None:
    """The start time a recording gets in this project: the file name read in the project's
    zone when that is where it came from, the file's own clue otherwise."""
    start = getattr(info, "start_time", None)
    if start is None or getattr(info, "start_time_source", None) != SOURCE_FILENAME:
        return start
    path = getattr(info, "path", None)
    zone = filename_zone(project)
    redone = parse_audiomoth_filename(path.name, zone) if path is not None else None
    return redone if redone is not None else start.replace(tzinfo=zone)


def set_filename_zone(project: Any, name: str) -> int:
    """Stores the zone file names are in and dates again every recording whose start time came
    from its file name; returns how many changed."""
    if project.read_only:
        raise ProjectError(project.path, "is open read-only; its time zone cannot be changed")
    zone = zone_or_error(name, project)
    changed: list[tuple[str | None, int]] = []
    for rec in project.recordings():
        if rec.start_time_source != SOURCE_FILENAME:
            continue
        start = parse_audiomoth_filename(rec.path.name, zone)
        if start is not None and (rec.start_time is None or not _same(start, rec.start_time)):
            changed.append((dt_to_text(start), rec.id))
    with project.transaction() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
            (FILENAME_ZONE_META, str(zone)),  # the database's spelling
        )
        conn.executemany("UPDATE recordings SET start_time = ? WHERE id = ?", changed)
    return len(changed)


def _same(a: datetime, b: datetime) -> bool:
    return a == b and a.utcoffset() == b.utcoffset()


def filename_dated(project: Any) -> int:
    """How many recordings take their start time from their file name."""
    return sum(1 for r in project.recordings() if r.start_time_source == SOURCE_FILENAME)
