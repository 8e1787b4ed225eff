"""Every detection an activity summary counted, as columns: what the detections CSV holds.

A season's summary counts hundreds of thousands to millions of detections. They are listed only
for export, and then as numpy columns (recording, class, start, end, peak, UTC moment, offset)
built chunk by chunk from the same indexed score reads as the summary: no Python object and no
``datetime`` per detection, so exporting a season takes seconds, not minutes, and runs as a
background job. ``list_detections`` still gives ``Detection`` objects for the few callers that
want them (tests, small projects).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from model.activity import Activity, Detection, _candidates, _clocks
from model.activity_clock import US
from model.activity_scan import in_time_order, run_events
from model.errors import ProjectError

if TYPE_CHECKING:
    from model.jobs import Reporter
    from model.project.store import Project

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HEADER = ["file", "class", "start_s", "end_s", "peak_score", "clock_start", "site"]
ROWS_PER_WRITE = 50_000


@dataclass
class DetectionTable:
    """One row per detection, ordered by recording, class (as the summary lists them) and
    start. ``utc_us``/``offset_us`` hold meaning only where ``timed`` (the recording has a
    start time); ``offset_us`` is the summary's zone's UTC offset at that moment (or the
    recording's own offset when the summary kept each recording's own)."""

    recording_ids: np.ndarray  # int64
    class_ids: np.ndarray  # int64
    starts: np.ndarray  # float64 s into the recording
    ends: np.ndarray
    peaks: np.ndarray
    timed: np.ndarray  # bool
    utc_us: np.ndarray  # int64
    offset_us: np.ndarray  # int64

    def __len__(self) -> int:
        return len(self.starts)


def detection_table(
    project: Project, activity: Activity, reporter: Reporter | None = None
) -> DetectionTable:
    """The detections of ``activity`` (its classes, thresholds, model and zone), read again
    from the project's scores: the summary keeps counts only."""
    wanted = [c.id for c in activity.classes]
    rank = {class_id: k for k, class_id in enumerate(wanted)}
    only = activity.recording_ids
    clocks, _untimed, _n = _clocks(project, activity.model_id, only)
    steps = clocks.steps(activity.zone_info) if activity.zone_info is not None else None
    candidates = _candidates(project, activity.model_id, activity.thresholds, only)
    parts: list[tuple[np.ndarray, ...]] = []
    done = 0
    for chunk in project.iter_scores(activity.model_id, candidates, class_ids=wanted):
        chunk = in_time_order(chunk)
        for column, class_id in enumerate(chunk.class_ids):
            limit = activity.thresholds[class_id]
            recs, begins, ends, peaks = run_events(chunk, column, limit, activity.clip)
            parts.append((recs, np.full(len(recs), class_id, np.int64), begins, ends, peaks))
        done += 1 + int(np.count_nonzero(np.diff(chunk.recording_ids)))
        if reporter is not None:
            reporter.update(done, max(len(candidates), 1), "listing detections")
    if parts:
        recs, classes, starts, ends, peaks = (np.concatenate(c) for c in zip(*parts, strict=True))
    else:
        recs = classes = np.zeros(0, np.int64)
        starts = ends = peaks = np.zeros(0, np.float64)
    ranks = np.array([rank[c] for c in classes.tolist()], np.int64) if len(classes) else classes
    order = np.lexsort((starts, ranks, recs))
    recs, classes, starts, ends, peaks = (a[order] for a in (recs, classes, starts, ends, peaks))
    index = clocks.index_of(recs)
    timed = index >= 0
    at = np.where(timed, index, 0)
    utc = np.zeros(len(recs), np.int64)
    offset = np.zeros(len(recs), np.int64)
    if len(clocks.ids):
        utc = np.where(timed, clocks.start_us[at] + np.round(starts * US).astype(np.int64), 0)
        offset = steps.at(utc) if steps is not None else clocks.own_offset_us[at]
        offset = np.where(timed, offset, 0)
    return DetectionTable(recs, classes, starts, ends, peaks, timed, utc, offset)


def list_detections(project: Project, activity: Activity) -> list[Detection]:
    """``detection_table`` as ``Detection`` objects (clock times as aware ``datetime``)."""
    table = detection_table(project, activity)
    zone = activity.zone_info
    found = []
    for k in range(len(table)):
        clock = None
        if table.timed[k]:
            moment = _EPOCH + timedelta(microseconds=int(table.utc_us[k]))
            own = timezone(timedelta(microseconds=int(table.offset_us[k])))
            clock = moment.astimezone(zone if zone is not None else own)
        found.append(
            Detection(
                int(table.recording_ids[k]),
                int(table.class_ids[k]),
                float(table.starts[k]),
                float(table.ends[k]),
                float(table.peaks[k]),
                clock,
            )
        )
    return found


def iso_clock(utc_us: np.ndarray, offset_us: np.ndarray) -> list[str]:
    """``datetime.isoformat()`` of each moment in its offset, for whole arrays: seconds unless
    there are microseconds, offset as +HH:MM (+HH:MM:SS when it has seconds). The date and
    time come from numpy in one call; a season has a handful of distinct offsets."""
    local = (utc_us + offset_us).astype("datetime64[us]")
    whole = np.datetime_as_string(local, unit="s")
    if (utc_us % US).any():
        whole = np.where(utc_us % US == 0, whole, np.datetime_as_string(local, unit="us"))
    offsets, which = np.unique(offset_us, return_inverse=True)
    zones = [_offset_text(int(offset)) for offset in offsets.tolist()]
    return [stamp + zones[k] for stamp, k in zip(whole.tolist(), which.tolist(), strict=True)]


def _offset_text(offset_us: int) -> str:
    sign = "-" if offset_us < 0 else "+"
    minutes, seconds = divmod(abs(offset_us) // US, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


def export_detections_csv(
    activity: Activity,
    path: str | Path,
    project: Project,
    reporter: Reporter | None = None,
) -> Path:
    """Every detection with its file and clock time (empty for recordings without one).

    Written beside ``path`` and renamed over it at the end: a cancel or a full disk leaves
    the file that was there (or none), never half a table."""
    path = Path(path)
    table = detection_table(project, activity, reporter)
    recorded = np.unique(table.recording_ids).tolist()
    files = project.stored_paths(recorded)  # one pass if many
    sites = project.recording_sites(recorded)
    names = {c.id: c.name for c in activity.classes}
    write_rows = _row_writer(table, files, names, sites)
    part = path.with_name(path.name + ".part")
    try:
        with part.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            for first in range(0, len(table), ROWS_PER_WRITE):
                if reporter is not None:
                    reporter.update(first, max(len(table), 1), "writing detections")
                writer.writerows(write_rows(first, min(first + ROWS_PER_WRITE, len(table))))
        if reporter is not None:  # a cancel asked for during the last block lands here
            reporter.update(len(table), max(len(table), 1), "writing detections")
        part.replace(path)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise ProjectError(path, f"could not be written ({exc.strerror or exc})") from exc
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return path


def _row_writer(
    table: DetectionTable, files: dict[int, str], names: dict[int, str], sites: dict[int, str]
) -> Callable[[int, int], Any]:
    """Rows ``first:last`` of the CSV, formatted a block at a time."""

    def rows(first: int, last: int) -> Any:
        part = slice(first, last)
        timed = table.timed[part].tolist()
        clocks = iso_clock(table.utc_us[part], table.offset_us[part])
        recordings = table.recording_ids[part].tolist()
        return zip(
            [files.get(r, str(r)) for r in recordings],
            [names[c] for c in table.class_ids[part].tolist()],
            [f"{x:.3f}" for x in table.starts[part].tolist()],
            [f"{x:.3f}" for x in table.ends[part].tolist()],
            [f"{x:.4f}" for x in table.peaks[part].tolist()],
            [c if t else "" for c, t in zip(clocks, timed, strict=True)],
            [sites.get(r, "") for r in recordings],
            strict=True,
        )

    return rows


def export_detections_job(
    reporter: Reporter, project_path: str | Path, activity: Activity, path: str | Path
) -> Path:
    """``export_detections_csv`` as a job: a season lists a million detections. Takes the
    project's path (a handle of its own), never the window's open ``Project``."""
    from model.project.store import Project

    with Project.open(project_path) as project:
        return export_detections_csv(activity, path, project, reporter)
