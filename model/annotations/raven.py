"""Raven selection tables (Raven Pro/Lite, and BirdNET's "table" output), read and written.

A selection table is tab-separated with ``Selection, View, Channel, Begin Time (s), End Time
(s), Low Freq (Hz), High Freq (Hz)`` and annotation columns (``Species``, ``Annotation``...).
A *multi-file* table, made when Raven opens a list of files as one long timeline, adds
``Begin Path`` / ``Begin File`` and ``File Offset (s)``: ``Begin Time (s)`` then counts from the
start of the first file, and the time inside the file is ``File Offset (s)``.

crowsetta's ``raven`` format reads single-file tables, but it ignores the multi-file columns,
needs frequency columns, and rejects the whole table for one bad cell; this reader keeps every
row (bad ones marked) and places multi-file rows by their own file and offset. The tests check
that crowsetta reads back what ``write_raven`` writes.

Sonotag writes one dialect (``write_raven``), for labels and detections, from the GUI and the
command line alike; ``model.annotations.dialect`` decides band and file names.

Raven lists a selection once per view (``Spectrogram 1``, ``Waveform 1``) when a table is saved
with several views open; such repeats (same ``Selection`` number) are read once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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

BEGIN, END = "Begin Time (s)", "End Time (s)"
LOW, HIGH = "Low Freq (Hz)", "High Freq (Hz)"
BEGIN_PATH, BEGIN_FILE, FILE_OFFSET = "Begin Path", "Begin File", "File Offset (s)"
# Not Raven's own "Begin Clock Time" (hh:mm:ss, no date, no zone), which Raven would recompute.
CLOCK = "Begin Clock Time (ISO 8601)"

#: Columns tried, in order, for the class name when the caller does not name one.
LABEL_COLUMNS = (
    "Annotation",
    "Species",
    "Label",
    "Class",
    "Common Name",
    "Species Code",
    "Call Type",
    "Sound Type",
    "ID",
)
SCORE_COLUMNS = ("Score", "Confidence", "Probability")
#: What Sonotag writes: Raven Pro names its default annotation column "Annotation".
LABEL_COLUMN, SCORE = "Annotation", "Score"


def read_raven(path: str | Path, *, label_column: str | None = None) -> list[Annotation]:
    """Every selection of a Raven table; ``label_column`` names the class column if not guessed."""
    path = Path(path)
    header, rows = read_rows(path, "\t")
    cols = Columns(header)
    if not cols.has(BEGIN) or not cols.has(END):
        raise AnnotationFormatError(
            path,
            f"this is not a Raven selection table: it has no '{BEGIN}' and '{END}' columns "
            f"(columns found: {', '.join(header) or 'none'})",
        )
    label_at = _label_index(path, cols, label_column)
    rows = _one_row_per_selection(cols, rows)
    return [a for n, cells in rows if (a := _row(cols, label_at, n, cells)) is not None]


def _label_index(path: Path, cols: Columns, label_column: str | None) -> int | None:
    if label_column is None:
        return cols.find(*LABEL_COLUMNS)
    index = cols.find(label_column)
    if index is None:
        raise AnnotationFormatError(
            path,
            f"the table has no column '{label_column}' (columns: {', '.join(cols.header)})",
        )
    return index


def _one_row_per_selection(
    cols: Columns, rows: list[tuple[int, list[str]]]
) -> list[tuple[int, list[str]]]:
    """Drops the extra per-view copies of a selection, keeping its spectrogram row."""
    sel_at, view_at = cols.find("Selection"), cols.find("View")
    if sel_at is None or view_at is None:
        return rows
    chosen: dict[str, tuple[int, list[str]]] = {}
    order: list[str] = []
    for number, cells in rows:
        key = cell(cells, sel_at)
        if not key:
            key = f"line {number}"
        if key not in chosen:
            chosen[key] = (number, cells)
            order.append(key)
        elif cell(cells, view_at).lower().startswith("spectrogram") and not cell(
            chosen[key][1], view_at
        ).lower().startswith("spectrogram"):
            chosen[key] = (number, cells)
    return [chosen[k] for k in order]


def _row(cols: Columns, label_at: int | None, number: int, cells: list[str]) -> Annotation | None:
    label = cell(cells, label_at)
    file = file_path(cell(cells, cols.find(BEGIN_PATH))) or file_path(
        cell(cells, cols.find(BEGIN_FILE))
    )
    if label.lower() == "nocall" and cell(cells, cols.find("Species Code")).lower() == "nocall":
        return None  # BirdNET's placeholder row for a file without detections
    try:
        begin = parse_number(cell(cells, cols.find(BEGIN)))
        end = parse_number(cell(cells, cols.find(END)))
    except ValueError:
        text = f"{cell(cells, cols.find(BEGIN))!r} / {cell(cells, cols.find(END))!r}"
        return broken(number, f"begin/end time is not a number ({text})", file=file, label=label)
    offset = optional_number(cell(cells, cols.find(FILE_OFFSET)))
    if offset is not None:
        begin, end = offset, offset + (end - begin)
    return Annotation(
        file=file,
        start=begin,
        end=end,
        low_hz=optional_number(cell(cells, cols.find(LOW))),
        high_hz=optional_number(cell(cells, cols.find(HIGH))),
        label=label,
        score=optional_number(cell(cells, cols.find(*SCORE_COLUMNS))),
        state=cell(cells, cols.find("State")) or None,
        row=number,
    )


def write_raven(
    path: str | Path,
    annotations: Sequence[Annotation],
    *,
    label_column: str = LABEL_COLUMN,
    scores: bool | None = None,
    states: bool | None = None,
    file_durations: Mapping[Path, float] | None = None,
    clocks: bool | None = None,
) -> None:
    """Writes a selection table; with ``file_durations`` a multi-file table over those files.

    The columns do not depend on the rows (an empty table of a file with no detections has
    the same header as a full one, so tables can be stacked): the seven Raven columns, then
    ``Begin Path, File Offset (s), Begin File`` (blank for rows naming no file), the class
    column, then ``Score`` when ``scores`` and ``State`` when ``states`` (None: when any row
    has one), then ``Begin Clock Time (ISO 8601)`` when ``clocks`` (None: when any row has
    one; the moment the selection begins, with its UTC offset). For a multi-file table the
    files are laid end to end in the order of ``file_durations`` (the order Raven must open
    them in), so ``Begin Time (s)`` is the file's start on that timeline plus the offset
    inside it. Unknown frequencies are left blank, so
    give rows a band (``model.annotations.dialect`` gives 0 to Nyquist) for Raven itself.
    """
    path = Path(path)
    timeline = _timeline(annotations, file_durations)
    scores = any(a.score is not None for a in annotations) if scores is None else scores
    states = any(a.state for a in annotations) if states is None else states
    clocks = any(a.clock_start for a in annotations) if clocks is None else clocks
    header = ["Selection", "View", "Channel", BEGIN, END, LOW, HIGH]
    header += [BEGIN_PATH, FILE_OFFSET, BEGIN_FILE, label_column]
    header += ([SCORE] if scores else []) + (["State"] if states else [])
    header += [CLOCK] if clocks else []
    ordered = sorted(annotations, key=lambda a: (timeline.get(a.file, 0.0) + a.start, a.end))
    rows = []
    for number, a in enumerate(ordered, start=1):
        shift = timeline.get(a.file, 0.0)
        row = [str(number), "Spectrogram 1", "1"]
        row += [format_number(shift + a.start), format_number(shift + a.end)]
        row += [_hz(a.low_hz), _hz(a.high_hz)]
        if a.file is None:
            row += ["", format_number(a.start), ""]
        else:
            row += [str(a.file), format_number(a.start), a.file.name]
        row.append(a.label)
        row += [_score(a.score)] if scores else []
        row += [a.state or ""] if states else []
        row += [clock_text(a.clock_start)] if clocks else []
        rows.append(row)
    write_rows(path, header, rows, "\t")


def _timeline(
    annotations: Sequence[Annotation], file_durations: Mapping[Path, float] | None
) -> dict[Path | None, float]:
    """Start of each file on a multi-file table's timeline (empty for a single-file table)."""
    if file_durations is None:
        return {}
    starts: dict[Path | None, float] = {}
    total = 0.0
    for file, duration in file_durations.items():
        starts[file] = total
        total += duration
    missing = {a.file for a in annotations} - set(starts)
    if missing:
        names = ", ".join(sorted(str(m) for m in missing))
        raise ValueError(f"multi-file Raven table: no duration given for {names}")
    return starts


def _hz(value: float | None) -> str:
    return "" if value is None else format_number(value, 3)


def _score(value: float | None) -> str:
    return "" if value is None else format_number(value, 4)
