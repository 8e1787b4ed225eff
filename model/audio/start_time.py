"""When did the recording start? Pure parsers for each clue a recorder leaves behind.

Field recorders rarely share a convention, so the reader tries several clues in a fixed order
(see ``find_start_time``): GUANO metadata (bat detectors, AudioMoth with GUANO firmware), the
AudioMoth WAV comment, the AudioMoth file name, and a pykanto-style JSON sidecar. Every parser
works on plain strings/bytes so it can be tested without audio files, and returns ``None``
instead of raising: a missing clock time never stops a recording from opening.

Every result keeps its time zone. Clues that state their zone (GUANO, the comment's
``(UTC+1)``) come before the file name, whose zone is not written anywhere: AudioMoth names
files in UTC unless its configuration app was told otherwise, so the zone of file names is an
argument (a per-project setting, ``model.project.clock``), UTC by default. Named zones come from
``zoneinfo`` (daylight saving included), so a name like ``Europe/London`` means GMT in winter and
BST in summer; the ``tzdata`` package supplies the zone database where the system has none
(Windows).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cache
from pathlib import Path
from typing import Any

SOURCE_GUANO = "guano"
SOURCE_FILENAME = "audiomoth-filename"
SOURCE_COMMENT = "audiomoth-comment"
SOURCE_SIDECAR = "json-sidecar"

# AudioMoth names files YYYYMMDD_HHMMSS.WAV (UTC by default); users and tools often add a prefix
# (site or device id) or a suffix, so only the two digit groups separated by "_" are required.
_NAME_RE = re.compile(r"(?:^|[^0-9])(\d{8})_(\d{6})(?:$|[^0-9])")

# "Recorded at 05:00:00 15/04/2021 (UTC) by AudioMoth ..." and later firmware with
# "(UTC+1)", "(UTC-5)", "(UTC+5:30)" or "(UTC+0530)".
_COMMENT_RE = re.compile(
    r"Recorded at (\d{1,2}):(\d{2}):(\d{2}) (\d{1,2})/(\d{1,2})/(\d{4})\s*"
    r"\(UTC(?:\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?)?\)",
    re.IGNORECASE,
)


def parse_audiomoth_filename(name: str, zone: tzinfo = UTC) -> datetime | None:
    """Start time from an AudioMoth-style name (``20210502_040000.WAV``, ``SITE1_2021...``),
    read as a wall-clock time in ``zone`` (the zone the recorder named its files in). A time
    that a daylight-saving change skips or repeats is read with the offset before the change."""
    stem = Path(name).stem
    for match in _NAME_RE.finditer(stem):
        try:
            wall = datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M%S")
        except ValueError:
            continue
        return wall.replace(tzinfo=zone)
    return None


def parse_audiomoth_comment(comment: str) -> datetime | None:
    """Start time from the WAV comment AudioMoth firmware writes, with its UTC offset."""
    match = _COMMENT_RE.search(comment or "")
    if match is None:
        return None
    hh, mm, ss, day, month, year, sign, off_h, off_m = match.groups()
    tz: tzinfo = UTC
    if sign is not None:
        minutes = int(off_h) * 60 + int(off_m or 0)
        if minutes > 14 * 60:
            return None
        tz = timezone(timedelta(minutes=minutes if sign == "+" else -minutes))
    try:
        return datetime(int(year), int(month), int(day), int(hh), int(mm), int(ss), tzinfo=tz)
    except ValueError:
        return None


def zone_named(name: str) -> tzinfo | None:
    """A zone from its name: ``UTC``, a fixed offset (``+02:00``, ``UTC-5``) or an IANA name
    (``Europe/London``, with daylight saving); None when it names none."""
    name = name.strip()
    if not name:
        return None
    if name.upper() in ("UTC", "GMT", "Z", "UTC+0", "UTC0"):
        return UTC
    offset = re.fullmatch(r"(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?", name, re.IGNORECASE)
    if offset:
        minutes = int(offset.group(2)) * 60 + int(offset.group(3) or 0)
        if minutes > 14 * 60:
            return None
        return timezone(timedelta(minutes=minutes if offset.group(1) == "+" else -minutes))
    from zoneinfo import ZoneInfo

    key = zone_names().get(name.lower())  # the database's spelling, on any file system
    try:
        return ZoneInfo(key) if key is not None else None
    except (KeyError, ValueError, OSError):
        return None


@cache
def zone_names() -> dict[str, str]:
    """Every IANA zone name this machine knows, by its lower-case spelling."""
    from zoneinfo import available_timezones

    names = available_timezones() - {"localtime", "Factory", "posixrules", "posix/localtime"}
    return {name.lower(): name for name in names}


def parse_sidecar(data: Any) -> datetime | None:
    """Start time from a pykanto JSON sidecar: ``"datetime"`` plus ``"timezone"`` (name/offset).

    A datetime without any zone is not guessed: the caller would show a wrong clock time.
    """
    if not isinstance(data, dict):
        return None
    raw = data.get("datetime")
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        when = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    if when.tzinfo is not None:
        return when
    zone_name = data.get("timezone")
    zone = zone_named(zone_name) if isinstance(zone_name, str) else None
    return when.replace(tzinfo=zone) if zone is not None else None


def parse_guano(metadata: bytes | str) -> datetime | None:
    """Start time from a GUANO ``guan`` chunk; zone-less timestamps are local time -> None."""
    try:
        import guano

        text = metadata.decode("utf-8", "replace") if isinstance(metadata, bytes) else metadata
        value = guano.GuanoFile.from_string(text.strip("\x00"), strict=False).get("Timestamp")
    except Exception:  # noqa: BLE001 - a broken metadata block must not stop the file opening
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        return None
    return value


def sidecar_path(path: Path) -> Path | None:
    """The JSON next to a recording with the same stem (``.json`` or ``.JSON``), if any."""
    for suffix in (".json", ".JSON", ".Json"):
        candidate = path.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None


def read_sidecar(path: Path) -> datetime | None:
    side = sidecar_path(path)
    if side is None:
        return None
    try:
        return parse_sidecar(json.loads(side.read_text(encoding="utf-8", errors="replace")))
    except (OSError, ValueError):
        return None


def find_start_time(
    path: Path,
    *,
    guano_chunk: bytes | None = None,
    comment: str | None = None,
    filename_zone: tzinfo = UTC,
) -> tuple[datetime | None, str | None]:
    """(start time, source) from the first clue that gives one, in order of trustworthiness:
    clues that state their zone before the file name, whose zone is ``filename_zone``."""
    if guano_chunk:
        when = parse_guano(guano_chunk)
        if when is not None:
            return when, SOURCE_GUANO
    if comment:
        when = parse_audiomoth_comment(comment)
        if when is not None:
            return when, SOURCE_COMMENT
    when = parse_audiomoth_filename(path.name, filename_zone)
    if when is not None:
        return when, SOURCE_FILENAME
    when = read_sidecar(path)
    if when is not None:
        return when, SOURCE_SIDECAR
    return None, None
