"""Reading and writing the delimited text tables that Raven, BirdNET and plain CSV share.

Written with the standard ``csv`` module rather than pandas (which crowsetta uses): pandas
rejects or coerces a whole column when one cell is bad, while an import must point at the one
bad row. Headers are matched loosely ("Begin Time (s)", "begin_time_s" and "begin time s" are
the same column) because every program spells them a little differently.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from model.errors import AnnotationFormatError
from model.pathtext import TABLE_ERRORS

_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


def read_text(path: Path) -> str:
    """The file's text; Raven and Excel on Windows write cp1252, so that is tried after UTF-8."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise AnnotationFormatError(path, "the file does not exist") from None
    except IsADirectoryError:
        raise AnnotationFormatError(path, "this is a folder, not an annotation file") from None
    except OSError as exc:
        raise AnnotationFormatError(path, f"the file cannot be read ({exc.strerror})") from None
    if b"\x00" in data[:4096]:
        raise AnnotationFormatError(path, "this is not a text file (is it an audio file?)")
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AnnotationFormatError(path, "the text encoding is not recognised")  # pragma: no cover


def norm(name: str) -> str:
    """Header key: lower case, letters and digits only ('Begin Time (s)' -> 'begintimes')."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def sniff_delimiter(first_line: str) -> str:
    """Tab for Raven-style tables, else whichever of ',' and ';' (Excel in many locales) wins."""
    counts = {d: first_line.count(d) for d in ("\t", ",", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_rows(
    path: Path, delimiter: str | None = None
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line number, cells) of each non-blank row; raises if there is no header."""
    text = read_text(path)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise AnnotationFormatError(path, "the file is empty")
    delimiter = delimiter or sniff_delimiter(first)
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    reader = csv.reader(lines, delimiter=delimiter, quoting=quoting)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for number, cells in enumerate(reader, start=1):
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = [c.strip() for c in cells]
        else:
            rows.append((number, cells))
    assert header is not None
    return header, rows


class Columns:
    """Finds columns of a header by any of several spellings."""

    def __init__(self, header: Sequence[str]) -> None:
        self.header = list(header)
        self._index: dict[str, int] = {}
        for i, name in enumerate(header):
            self._index.setdefault(norm(name), i)

    def find(self, *names: str) -> int | None:
        for name in names:
            i = self._index.get(norm(name))
            if i is not None:
                return i
        return None

    def has(self, *names: str) -> bool:
        return self.find(*names) is not None


def cell(cells: Sequence[str], index: int | None) -> str:
    """The stripped text of a cell, '' where the column is absent or the row is short."""
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()


def one_line(path: Path, text: str) -> str:
    """``text`` for an unquoted one-line cell (Raven, Audacity); a tab or line break in it
    would split the row, so it is refused rather than quietly changed: class names cannot hold
    them (``model.class_names``), so this is a file path or an older project's name."""
    if "\t" in text or "\n" in text or "\r" in text:
        raise AnnotationFormatError(
            path,
            f"cannot be written: {text!r} contains a tab or line break, which this table "
            "format cannot hold (rename the class or file)",
        )
    return text


def write_rows(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[str]], delimiter: str
) -> None:
    """Writes a table as UTF-8 with '\\n' line ends; failures become AnnotationFormatError.

    Tab-separated tables are written unquoted, as Raven writes them (Raven does not read CSV
    quoting), so a cell holding a tab or line break is refused (``one_line``).
    """
    if delimiter == "\t":
        lines = ["\t".join(one_line(path, c) for c in r) for r in [header, *rows]]
        write_lines(path, lines)
        return
    try:
        with path.open("w", encoding="utf-8", errors=TABLE_ERRORS, newline="") as fh:
            writer = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
    except OSError as exc:
        raise AnnotationFormatError(path, f"cannot write the file ({exc.strerror})") from None


def write_lines(path: Path, lines: Iterable[str]) -> None:
    """Writes plain text lines (Audacity, XML) as UTF-8; failures become AnnotationFormatError."""
    try:
        with path.open("w", encoding="utf-8", errors=TABLE_ERRORS, newline="\n") as fh:
            for line in lines:
                fh.write(line + "\n")
    except OSError as exc:
        raise AnnotationFormatError(path, f"cannot write the file ({exc.strerror})") from None
