"""One neutral record for every annotation format, so import and export meet in one shape.

Each reader turns its format's rows into ``Annotation``s and each writer takes them back; the
importer and exporter never see a format. A row that a reader cannot make sense of is still
returned, with ``problem`` saying why, so the import can list it instead of dropping it quietly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePath, PureWindowsPath


@dataclass(frozen=True)
class Annotation:
    """A time span (and frequency band when known) with a class name, from or for one file.

    ``file`` is the recording the row names (Raven ``Begin Path``, BirdNET ``File``, a CSV file
    column); None for single-file formats, where the caller says which recording is meant.
    ``state`` is a Sonotag label state ("present", "absent", "uncertain") when the file carries
    one, None otherwise (read as present). ``row`` is the 1-based line (or point) number in the
    source, for messages; ``problem`` is non-empty when the row could not be read properly.
    """

    file: Path | None
    start: float
    end: float
    low_hz: float | None = None
    high_hz: float | None = None
    label: str = ""
    score: float | None = None
    state: str | None = None
    row: int | None = None
    problem: str = ""
    clock_start: datetime | None = None  # when ``start`` was, where the recording's start is known

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def has_band(self) -> bool:
        return self.low_hz is not None and self.high_hz is not None

    def describe(self) -> str:
        """Short human description used in 'could not place' lists."""
        where = f"row {self.row}: " if self.row is not None else ""
        label = f" {self.label!r}" if self.label else ""
        if math.isfinite(self.start) and math.isfinite(self.end):
            return f"{where}{self.start:.3f}-{self.end:.3f} s{label}"
        return f"{where}{label.strip() or 'unreadable row'}"


def broken(row: int, problem: str, *, file: Path | None = None, label: str = "") -> Annotation:
    """A row a reader could not parse: kept (with NaN times) so the import can list it."""
    return Annotation(
        file=file, start=math.nan, end=math.nan, label=label, row=row, problem=problem
    )


def file_path(text: str) -> Path | None:
    """A file name/path as written by another program (possibly on Windows), or None if blank.

    Raven on Windows writes ``C:\\data\\x.wav``; on Linux ``Path`` would take that whole string as
    one file name, so backslash paths are read the Windows way and kept with forward slashes.
    """
    text = text.strip().strip('"')
    if not text:
        return None
    if "\\" in text and "/" not in text:
        return Path(PureWindowsPath(text).as_posix())
    return Path(text)


def path_parts(path: PurePath) -> tuple[str, ...]:
    """Lower-cased path components, for case-insensitive matching of Windows/macOS names."""
    return tuple(part.lower() for part in path.parts if part not in ("/", "\\"))


def parse_number(text: str) -> float:
    """A number as another program wrote it; accepts a decimal comma ('1,5'). Raises ValueError."""
    cleaned = text.strip()
    try:
        return float(cleaned)
    except ValueError:
        if cleaned.count(",") == 1 and "." not in cleaned:
            return float(cleaned.replace(",", "."))
        raise


def optional_number(text: str | None) -> float | None:
    """Blank, missing or non-finite cells mean 'not known' (frequency, score)."""
    if text is None or not text.strip():
        return None
    try:
        value = parse_number(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def format_number(value: float, decimals: int = 6) -> str:
    """Plain decimal to ``decimals`` places without trailing zeros, but always with a point.

    '58.0', not '58': pandas (hence crowsetta) reads a column of whole numbers as integers and
    its Raven schema then refuses it.
    """
    text = f"{value:.{decimals}f}".rstrip("0")
    text = text + "0" if text.endswith(".") else text
    return "0.0" if text == "-0.0" else text


def clock_at(start_time: datetime | None, seconds: float) -> datetime | None:
    """The moment ``seconds`` into a recording that started at ``start_time`` (None: unknown)."""
    return None if start_time is None else start_time + timedelta(seconds=float(seconds))


def clock_text(moment: datetime | None) -> str:
    """ISO 8601 with the UTC offset and milliseconds (``2021-05-02T04:00:01.500+00:00``), as
    Python, R (``ymd_hms``), pandas and spreadsheets read it; blank when unknown."""
    return "" if moment is None else moment.isoformat(timespec="milliseconds")
