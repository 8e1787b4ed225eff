"""Which reader a file needs, so the GUI can offer one "Import annotations..." for all formats.

The format is recognised from the file's first line (and ``.xml``/``.sv``/``.svl`` for Sonic
Visualiser), not from the extension alone: Raven tables, Audacity tracks and BirdNET results
are all ``.txt``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from model.annotations.audacity import read_audacity
from model.annotations.birdnet import read_birdnet
from model.annotations.csv_table import read_csv_table
from model.annotations.raven import read_raven
from model.annotations.records import Annotation, parse_number
from model.annotations.sonic_visualiser import read_sonic_visualiser
from model.annotations.tables import norm, read_text

READERS: dict[str, Callable[..., list[Annotation]]] = {
    "raven": read_raven,
    "audacity": read_audacity,
    "sonic_visualiser": read_sonic_visualiser,
    "birdnet": read_birdnet,
    "csv": read_csv_table,
}

#: Formats whose rows name no audio file: the user must pick the recording.
SINGLE_FILE = frozenset({"audacity", "sonic_visualiser"})


def detect_format(path: str | Path) -> str:
    """One of ``READERS``' keys; plain CSV when nothing more specific fits."""
    path = Path(path)
    if path.suffix.lower() in (".xml", ".sv", ".svl"):
        return "sonic_visualiser"
    first = next((ln for ln in read_text(path).splitlines() if ln.strip()), "")
    keys = {norm(c) for c in first.replace("\t", ",").replace(";", ",").split(",")}
    if {"begintimes", "endtimes"} <= keys:
        return "raven"
    if {"scientificname", "commonname"} <= keys or {"infile", "offset", "duration"} <= keys:
        return "birdnet"
    parts = first.split("\t")
    if len(parts) >= 2 and _numbers(parts[:2]):
        return "birdnet" if len(parts) == 4 and _numbers(parts[3:]) else "audacity"
    return "csv"


def _numbers(cells: list[str]) -> bool:
    try:
        for c in cells:
            parse_number(c)
    except ValueError:
        return False
    return True


def read_annotations(path: str | Path, fmt: str | None = None, **options: Any) -> list[Annotation]:
    """Reads with the named reader (or the detected one); ``options`` go to that reader."""
    fmt = fmt or detect_format(path)
    if fmt not in READERS:
        known = ", ".join(READERS)
        raise ValueError(f"unknown annotation format {fmt!r} (expected one of {known})")
    return READERS[fmt](Path(path), **options)
