"""Plain CSV tables: what people make in Excel or R, and what Sonotag writes for them.

Reading is forgiving about spelling, because every lab names its columns differently: the
start column may be ``start``, ``start_s``, ``Start (s)``, ``begin``, ``onset_s``...; commas,
semicolons and tabs are all accepted as separators. crowsetta's ``generic-seq`` CSV
(``label, onset_s, offset_s, notated_path``) reads as well. Writing uses one fixed set of
columns, ``file, start_s, end_s, low_hz, high_hz, label, score, state``, so scripts can rely on
them; cells that are not known are left empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from model.annotations.records import (
    Annotation,
    broken,
    clock_text,
    file_path,
    format_number,
    optional_number,
    parse_number,
)
from model.annotations.tables import Columns, cell, read_rows, write_rows
from model.errors import AnnotationFormatError

FILE = ("file", "path", "file path", "filepath", "filename", "file name", "recording",
        "audio file", "audio", "notated_path", "Begin Path", "Begin File")  # fmt: skip
START = ("start_s", "start", "start (s)", "start time", "start time (s)", "begin",
         "begin time (s)", "begin_time_s", "onset_s", "onset", "t_start", "tmin")  # fmt: skip
END = ("end_s", "end", "end (s)", "end time", "end time (s)", "stop", "end_time_s",
       "offset_s", "t_end", "tmax")  # fmt: skip
DURATION = ("duration_s", "duration", "duration (s)", "length")
LOW = ("low_hz", "low freq (hz)", "low_freq_hz", "low freq", "low_freq", "fmin", "min_freq",
       "freq_min", "low frequency")  # fmt: skip
HIGH = ("high_hz", "high freq (hz)", "high_freq_hz", "high freq", "high_freq", "fmax",
        "max_freq", "freq_max", "high frequency")  # fmt: skip
LABEL = ("label", "class", "class_name", "species", "annotation", "common name", "name", "tag")
SCORE = ("score", "confidence", "probability", "prob")
STATE = ("state",)

HEADER = [
    "file", "start_s", "end_s", "low_hz", "high_hz", "label", "score", "state", "clock_start",
]  # fmt: skip


def read_csv_table(path: str | Path, *, label_column: str | None = None) -> list[Annotation]:
    """Every row of a CSV with at least a start and an end (or duration) column."""
    path = Path(path)
    header, rows = read_rows(path)
    cols = Columns(header)
    start_at, end_at, length_at = cols.find(*START), cols.find(*END), cols.find(*DURATION)
    if start_at is None or (end_at is None and length_at is None):
        raise AnnotationFormatError(
            path,
            "the table needs a start and an end (or duration) column, e.g. 'start_s' and "
            f"'end_s' (columns found: {', '.join(header)})",
        )
    label_at = cols.find(label_column) if label_column else cols.find(*LABEL)
    if label_column and label_at is None:
        raise AnnotationFormatError(path, f"the table has no column '{label_column}'")
    out = []
    for number, cells in rows:
        label, file = cell(cells, label_at), file_path(cell(cells, cols.find(*FILE)))
        try:
            start = parse_number(cell(cells, start_at))
            if end_at is not None:
                end = parse_number(cell(cells, end_at))
            else:
                end = start + parse_number(cell(cells, length_at))
        except ValueError:
            out.append(broken(number, "start/end time is not a number", file=file, label=label))
            continue
        out.append(
            Annotation(
                file=file,
                start=start,
                end=end,
                low_hz=optional_number(cell(cells, cols.find(*LOW))),
                high_hz=optional_number(cell(cells, cols.find(*HIGH))),
                label=label,
                score=optional_number(cell(cells, cols.find(*SCORE))),
                state=cell(cells, cols.find(*STATE)) or None,
                row=number,
            )
        )
    return out


def write_csv_table(path: str | Path, annotations: Sequence[Annotation]) -> None:
    """Writes the fixed Sonotag columns, rows sorted by file then time."""
    ordered = sorted(annotations, key=lambda a: (str(a.file or ""), a.start, a.end, a.label))
    rows = [
        [
            "" if a.file is None else str(a.file),
            format_number(a.start),
            format_number(a.end),
            _opt(a.low_hz, 3),
            _opt(a.high_hz, 3),
            a.label,
            _opt(a.score, 6),
            a.state or "",
            clock_text(a.clock_start),
        ]
        for a in ordered
    ]
    write_rows(Path(path), HEADER, rows, ",")


def _opt(value: float | None, decimals: int) -> str:
    return "" if value is None else format_number(value, decimals)
