"""BirdNET-Analyzer result files, whichever of its output types the user saved.

BirdNET-Analyzer (``--rtype``) writes:

- ``csv``: ``Start (s),End (s),Scientific name,Common name,Confidence,File`` (+ optional columns);
- ``table``: a Raven selection table with ``Common Name, Species Code, Confidence, Begin Path,
  File Offset (s)`` (combined tables lay files end to end, so the offset is what counts);
- ``kaleidoscope``: ``INDIR,FOLDER,IN FILE,OFFSET,DURATION,scientific_name,common_name,
  confidence,...``;
- ``r`` (older versions): ``filepath,start,end,scientific_name,common_name,confidence,...``;
- ``audacity``: ``start<TAB>end<TAB>Scientific, Common<TAB>confidence``, no file named.

The type is recognised from the header. Every detection is returned with its confidence as
``score``; choosing a threshold is the import's job, so rows under it can be listed. BirdNET's
``nocall`` placeholder rows (written for files without detections) are not detections and are
skipped.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Literal

from model.annotations.audacity import read_audacity
from model.annotations.raven import read_raven
from model.annotations.records import Annotation, broken, file_path, optional_number, parse_number
from model.annotations.tables import Columns, cell, norm, read_rows, read_text
from model.errors import AnnotationFormatError

NameChoice = Literal["common", "scientific", "both"]


def read_birdnet(path: str | Path, *, name: NameChoice = "common") -> list[Annotation]:
    """Detections of a BirdNET result file; ``name`` picks the common or scientific species name.

    ``both`` gives BirdNET's own label form ``Scientific_Common``. Raven-table output carries
    only the common name, which is then used whatever ``name`` asks for.
    """
    path = Path(path)
    first = next((ln for ln in read_text(path).splitlines() if ln.strip()), "")
    keys = {norm(c) for c in first.replace("\t", ",").split(",")}
    if {"begintimes", "endtimes"} <= keys:
        return read_raven(path, label_column="Common Name" if "commonname" in keys else None)
    if {"starts", "ends"} <= keys:
        return _table(path, name, ("Start (s)",), ("End (s)",), None, ("File",))
    if {"infile", "offset", "duration"} <= keys:
        return _table(path, name, ("OFFSET",), None, ("DURATION",), ("INDIR", "FOLDER", "IN FILE"))
    if {"filepath", "start", "end"} <= keys:
        return _table(path, name, ("start",), ("end",), None, ("filepath",))
    if _looks_like_label_track(first):
        return [_split_audacity_name(a, name) for a in read_audacity(path)]
    raise AnnotationFormatError(
        path, "this does not look like a BirdNET result file (unknown columns: " + first[:80] + ")"
    )


def _looks_like_label_track(line: str) -> bool:
    parts = line.split("\t")
    try:
        parse_number(parts[0])
        parse_number(parts[1])
    except (ValueError, IndexError):
        return False
    return True


def _table(
    path: Path,
    name: NameChoice,
    start_col: tuple[str, ...],
    end_col: tuple[str, ...] | None,
    length_col: tuple[str, ...] | None,
    file_cols: tuple[str, ...],
) -> list[Annotation]:
    header, rows = read_rows(path)
    cols = Columns(header)
    out: list[Annotation] = []
    for number, cells in rows:
        label = _species(cols, cells, name)
        file = _file(cols, cells, file_cols)
        if label.lower() == "nocall":
            continue
        try:
            start = parse_number(cell(cells, cols.find(*start_col)))
            if end_col is not None:
                end = parse_number(cell(cells, cols.find(*end_col)))
            else:
                assert length_col is not None
                end = start + parse_number(cell(cells, cols.find(*length_col)))
        except ValueError:
            out.append(broken(number, "start/end time is not a number", file=file, label=label))
            continue
        score = optional_number(cell(cells, cols.find("Confidence")))
        out.append(Annotation(file, start, end, label=label, score=score, row=number))
    return out


def _species(cols: Columns, cells: list[str], name: NameChoice) -> str:
    scientific = cell(cells, cols.find("Scientific name", "scientific_name"))
    common = cell(cells, cols.find("Common name", "common_name"))
    return _choose(scientific, common, name)


def _choose(scientific: str, common: str, name: NameChoice) -> str:
    if name == "scientific":
        return scientific or common
    if name == "both" and scientific and common:
        return f"{scientific}_{common}"
    return common or scientific


def _file(cols: Columns, cells: list[str], file_cols: tuple[str, ...]) -> Path | None:
    """One path from one column, or (Kaleidoscope) from folder + sub-folder + file name."""
    parts = [cell(cells, cols.find(c)) for c in file_cols]
    parts = [p for p in parts if p]
    if not parts:
        return None
    if len(parts) == 1:
        return file_path(parts[0])
    joined = [file_path(p) for p in parts]
    return Path(*[p for p in joined if p is not None])


def _split_audacity_name(a: Annotation, name: NameChoice) -> Annotation:
    """BirdNET's label-track text is 'Scientific, Common'."""
    scientific, sep, common = a.label.partition(", ")
    if not sep:
        return a
    return replace(a, label=_choose(scientific.strip(), common.strip(), name))
