"""Output side of batch runs: which table each recording gets, and writing tables atomically.

Kept apart from the job in ``model.batch`` because the CLI's single-run ``predict`` writes the
same tables.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from model.annotations.dialect import SUFFIXES
from model.errors import SonotagError
from model.pathtext import TABLE_ERRORS, resolved

if TYPE_CHECKING:
    from model.batch import BatchFile, BatchState

FORMATS = {fmt: SUFFIXES[fmt] for fmt in ("csv", "raven", "audacity")}
STATE_FILE = "sonotag-batch.jsonl"
ERRORS_FILE = "errors.csv"


def atomic_write(target: Path, write: Callable[[Path], Any]) -> None:
    """Writes through a sibling ``.part`` file and renames it: readers never see half a file."""
    part = target.with_name(target.name + ".part")
    try:
        write(part)
        os.replace(part, target)
    except OSError as exc:  # e.g. the old table is open in a spreadsheet on Windows
        part.unlink(missing_ok=True)
        raise SonotagError(target, f"cannot write the file ({exc.strerror or exc})") from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def assign_outputs(
    files: Sequence[BatchFile], fmt: str, state: BatchState, key: str, out_dir: Path
) -> None:
    """Each file's table: mirrors its folder below the input folder. Names that would clash
    (same file name in two inputs, or on a case-insensitive disk) get ``-2``, ``-3``...;
    files already done keep the name they were written under."""
    suffix = FORMATS[fmt]
    taken = {STATE_FILE.casefold(), ERRORS_FILE.casefold()}
    claimed: dict[str, str] = {}
    for path, entry in state.entries.items():
        if entry.get("status") == "done" and entry.get("output"):
            claimed[str(entry["output"]).casefold()] = path
    taken |= set(claimed)
    for item in files:
        entry = state.entries.get(item.key)
        if entry is not None and entry.get("output") and entry.get("run") == key:
            item.output = str(entry["output"])
            continue
        folder = item.path.parent.relative_to(item.root) if item.root else Path()
        stem, number = item.path.stem, 1
        while True:
            name = (folder / f"{stem}{'' if number == 1 else f'-{number}'}{suffix}").as_posix()
            owner = claimed.get(name.casefold())
            if name.casefold() not in taken or owner == item.key:
                break
            number += 1
        item.output = name
        taken.add(name.casefold())


def write_detections(
    target: Path,
    fmt: str,
    audio: Path,
    starts: Any,
    scores: Any,
    bundle: Any,
    threshold: float,
    sample_rate: float | None = None,
    start_time: datetime | None = None,
) -> int:
    """One row per (window, class) scoring at least ``threshold``, in the dialect the project
    exporter writes too (``model.annotations.dialect``), written atomically; returns the row
    count. A file with no detection still gets its (empty) table, so "scored, nothing found"
    differs from "not scored". Each row has its clock time when the recording's start is known
    (read with the sample rate when that is not given: GUANO, AudioMoth comment or name, UTC
    for AudioMoth names); the column is there either way, so tables stack."""
    from model.annotations.dialect import band_for, detection_rows, write_table

    if sample_rate is None:
        from model.audio import probe

        info = probe(audio)
        sample_rate, start_time = info.sample_rate, info.start_time
    names, declared = bundle.class_names, bundle.info.detection_band_hz
    band = band_for(sample_rate, declared)
    rows = detection_rows(
        resolved(audio),
        starts,
        scores,
        names,
        [threshold] * len(names),
        bundle.clip_settings.clip_seconds,
        band,
        merge=False,
        start_time=start_time,
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    flag = declared is not None

    def write(part: Path) -> None:
        write_table(part, fmt, rows, scored=True, declared_band=flag, clocks=True)

    atomic_write(target, write)
    return len(rows)


def write_errors(out_dir: Path, failed: Sequence[tuple[str, str]]) -> Path:
    """``errors.csv``: one row per file that could not be scored, with the cause in words."""
    target = out_dir / ERRORS_FILE

    def write(part: Path) -> None:
        with part.open("w", encoding="utf-8", errors=TABLE_ERRORS, newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(["file", "cause"])
            writer.writerows(failed)

    atomic_write(target, write)
    return target
