"""The one way Sonotag writes tables of labels and detections, from the GUI and the CLI alike.

``sonotag predict`` and File ▸ Export used to write Raven tables of their own (other columns,
other band, other file names), so a table from one did not stack with a table from the other.
Both now go through here:

- **File names**: ``<recording>.Table.1.selections.txt`` as Raven names its tables,
  ``<recording>.labels.txt`` for Audacity, ``<recording>.csv``.
- **Columns**: fixed per format and kind, never depending on the rows (``write_raven``), with
  ``Score`` on every detection table and the class in ``Annotation``.
- **Band**: a clip or window covers every frequency, so rows get 0 Hz to half the recording's
  sample rate, unless the model declares a band of its own (``detection_band_hz`` in its
  manifest), in which case detections get that band. Audacity tracks get frequency lines only
  for a declared band: a full-band line says nothing, and crowsetta's ``aud-seq`` (like many
  scripts) cannot read tracks that have them.

The CSV is Sonotag's own fixed-column table (``model.annotations.csv_table``), not crowsetta's
``generic-seq``: that schema is strict (exactly its nine columns, no score, band or state), so
it cannot carry a detection's score. pandas, R and spreadsheets read the CSV as it is; crowsetta
reads the Raven tables through its ``raven`` format (tested).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np

from model.annotations.audacity import write_audacity
from model.annotations.csv_table import write_csv_table
from model.annotations.raven import write_raven
from model.annotations.records import Annotation, clock_at

FORMATS: tuple[str, ...] = ("raven", "audacity", "csv")
SUFFIXES = {"raven": ".Table.1.selections.txt", "audacity": ".labels.txt", "csv": ".csv"}

Band = tuple[float, float]


def full_band(sample_rate: float) -> Band:
    return (0.0, float(sample_rate) / 2.0)


def band_for(sample_rate: float, declared: Band | None = None) -> Band:
    """The band a row is given: the model's own band if it declares one, else 0 to Nyquist."""
    return declared if declared is not None else full_band(sample_rate)


def with_band(rows: Sequence[Annotation], band: Band) -> list[Annotation]:
    return [replace(a, low_hz=band[0], high_hz=band[1]) for a in rows]


def detection_spans(
    starts: np.ndarray, scores: np.ndarray, threshold: float, clip: float, merge: bool
) -> list[tuple[float, float, float]]:
    """(start, end, best score) of windows scoring at least ``threshold``, merged if asked:
    with ``merge`` a run of overlapping or touching windows becomes one row, as a person would
    draw it; without, one row per window (as BirdNET writes them)."""
    out: list[tuple[float, float, float]] = []
    for i in np.flatnonzero(np.asarray(scores) >= threshold):
        start, score = float(starts[i]), float(scores[i])
        end = start + clip
        if merge and out and start <= out[-1][1] + 1e-6:
            s0, e0, best = out[-1]
            out[-1] = (s0, max(e0, end), max(best, score))
        else:
            out.append((start, end, score))
    return out


def detection_rows(
    file: Path,
    starts: np.ndarray,
    scores: np.ndarray,
    class_names: Sequence[str],
    thresholds: Sequence[float],
    clip: float,
    band: Band,
    *,
    merge: bool,
    start_time: datetime | None = None,
) -> list[Annotation]:
    """Rows of one recording's detections: ``scores`` is (windows, classes). With the
    recording's ``start_time`` each row gets its clock time (``clock_start``)."""
    rows: list[Annotation] = []
    for k, name in enumerate(class_names):
        spans = detection_spans(starts, scores[:, k], thresholds[k], clip, merge)
        rows += [
            Annotation(
                file,
                s,
                e,
                band[0],
                band[1],
                label=name,
                score=round(score, 4),
                clock_start=clock_at(start_time, s),
            )  # fmt: skip
            for s, e, score in spans
        ]
    return rows


def write_table(
    path: Path,
    fmt: str,
    rows: Sequence[Annotation],
    *,
    scored: bool,
    declared_band: bool = False,
    file_durations: Mapping[Path, float] | None = None,
    clocks: bool | None = None,
) -> None:
    """Writes one table in the dialect: ``scored`` tables (detections) always have a score
    column, label tables never; a Raven table with ``file_durations`` spans several files;
    ``declared_band``: the rows' band is the model's own, worth a line in Audacity tracks;
    ``clocks``: a Raven clock-time column (None: when a row has a clock time; the CSV always
    has one)."""
    if fmt == "raven":
        write_raven(path, rows, scores=scored, file_durations=file_durations, clocks=clocks)
    elif fmt == "audacity":
        write_audacity(path, rows, frequencies=declared_band)
    elif fmt == "csv":
        write_csv_table(path, rows)
    else:
        raise ValueError(f"unknown table format {fmt!r} (expected one of {', '.join(FORMATS)})")
