"""Audacity label tracks (File > Export > Export Labels), with or without frequency lines.

Each label is ``start<TAB>end<TAB>text``; Audacity 2.1+ follows a label that has a spectral
selection with ``\\<TAB>low_hz<TAB>high_hz`` (an unset bound is written as a negative number).
BirdNET's "audacity" output adds the confidence as a fourth column.

crowsetta has two readers for this ('aud-seq' and 'aud-bbox'), but each needs the whole file in
one shape: aud-seq fails on frequency lines and aud-bbox needs one after *every* label. Real
files mix both (a band is only saved where one was drawn), so this reader takes each line as it
comes. The tests check that crowsetta reads back what ``write_audacity`` writes in either shape.
A label track names no audio file: the caller says which recording it belongs to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from model.annotations.records import Annotation, broken, optional_number, parse_number
from model.annotations.tables import one_line, read_text, write_lines


def read_audacity(path: str | Path) -> list[Annotation]:
    """Every label of the track, with its band where the file has one."""
    path = Path(path)
    annotations: list[Annotation] = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.rstrip("\r\n").split("\t")
        if parts[0].strip() == "\\":
            _attach_band(annotations, number, parts)
        else:
            annotations.append(_label(number, parts))
    return annotations


def _label(number: int, parts: list[str]) -> Annotation:
    try:
        start = parse_number(parts[0])
        end = parse_number(parts[1]) if len(parts) > 1 else start
    except ValueError:
        return broken(number, f"not a label line: {chr(9).join(parts)[:60]!r}")
    label, score = "\t".join(parts[2:]).strip(), None
    if len(parts) == 4 and (value := optional_number(parts[3])) is not None:
        label, score = parts[2].strip(), value  # BirdNET: start, end, name, confidence
    return Annotation(file=None, start=start, end=end, label=label, score=score, row=number)


def _attach_band(annotations: list[Annotation], number: int, parts: list[str]) -> None:
    """Puts a frequency line's band on the label above it (a stray one is reported)."""
    if not annotations or annotations[-1].problem:
        annotations.append(broken(number, "frequency line without a label line above it"))
        return
    low = optional_number(parts[1]) if len(parts) > 1 else None
    high = optional_number(parts[2]) if len(parts) > 2 else None
    annotations[-1] = replace(
        annotations[-1],
        low_hz=low if low is not None and low >= 0 else None,
        high_hz=high if high is not None and high >= 0 else None,
    )


def write_audacity(
    path: str | Path, annotations: Sequence[Annotation], *, frequencies: bool = True
) -> None:
    """Writes a label track, sorted by time; a band line follows each label that has a band."""
    path = Path(path)
    lines: list[str] = []
    for a in sorted(annotations, key=lambda a: (a.start, a.end)):
        lines.append(f"{a.start:.6f}\t{a.end:.6f}\t{one_line(path, a.label)}")
        if frequencies and a.has_band:
            lines.append(f"\\\t{a.low_hz:.6f}\t{a.high_hz:.6f}")
    write_lines(path, lines)
