"""Acoustic phenology without Qt: detections per class by hour of day and by date.

A detection is a run of consecutive windows scoring at or above the class threshold (with the
usual 1-s hop a 2-s call lights up two or three overlapping windows; counting windows would
count it two or three times). Each is placed on the clock through its recording's start time.

Counts alone mislead when recording effort is uneven (a recorder that ran 3 hours on Monday and
24 on Tuesday), so the tables also carry the hours recorded per bin and a rate per recorded hour.
Recordings without a start time cannot be placed on the clock: they are listed as excluded and
their detections kept (with no clock time) in the detection table, never dropped silently.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from model.errors import ProjectError
from model.project.records import LabelClass, Recording
from model.review import clip_seconds_of, resolve_model

if TYPE_CHECKING:
    from model.jobs import Reporter
    from model.project.store import Project

DEFAULT_THRESHOLD = 0.5
_TOUCH = 1e-3  # windows this close (s) still belong to one detection


@dataclass(frozen=True)
class Detection:
    recording_id: int
    class_id: int
    start: float  # seconds into the recording
    end: float
    peak_score: float
    clock_start: datetime | None  # in the summary's time zone; None without a start time


@dataclass
class Activity:
    classes: tuple[LabelClass, ...]
    thresholds: dict[int, float]
    model_name: str
    zone: str  # how clock times were expressed, for titles and CSV readers
    detections: list[Detection]
    excluded: list[Recording]  # scored, but no start time: not on the clock
    by_hour: np.ndarray  # (classes, 24) detection counts
    hour_effort: np.ndarray  # (24,) seconds recorded in each hour of day
    dates: list[date]
    by_date: np.ndarray  # (classes, dates)
    date_effort: np.ndarray  # (dates,) seconds recorded on each date
    recordings: int = 0  # scored recordings looked at
    extra: dict[str, Any] = field(default_factory=dict)

    def rate(self, counts: np.ndarray, effort: np.ndarray) -> np.ndarray:
        """Detections per recorded hour; NaN where nothing was recorded (unknown, not zero)."""
        hours = effort / 3600.0
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(hours > 0, counts / np.where(hours > 0, hours, 1.0), np.nan)

    def hour_rate(self) -> np.ndarray:
        return self.rate(self.by_hour, self.hour_effort)

    def date_rate(self) -> np.ndarray:
        return self.rate(self.by_date, self.date_effort)

    def total(self, class_id: int) -> int:
        return sum(1 for d in self.detections if d.class_id == class_id)


def detection_events(
    starts: np.ndarray, scores: np.ndarray, threshold: float, clip: float
) -> list[tuple[float, float, float]]:
    """(start, end, peak score) of each run of consecutive windows at or above ``threshold``.

    Windows join a run only if no window between them scored low and they overlap or touch:
    a low window across the gap says the two high ones heard different calls.
    """
    order = np.argsort(starts, kind="stable")
    starts = np.asarray(starts, np.float64)[order]
    scores = np.asarray(scores, np.float64)[order]
    index = np.flatnonzero(scores >= threshold)
    if not len(index):
        return []
    begin, score = starts[index], scores[index]
    end = begin + clip
    new = np.ones(len(index), bool)
    new[1:] = (index[1:] != index[:-1] + 1) | (begin[1:] > end[:-1] + _TOUCH)
    first = np.flatnonzero(new)
    ends = np.maximum.reduceat(end, first)
    peaks = np.maximum.reduceat(score, first)
    return list(zip(begin[first].tolist(), ends.tolist(), peaks.tolist(), strict=True))


def _local(moment: datetime, zone: tzinfo | None, recording: Recording) -> datetime:
    assert recording.start_time is not None
    return moment.astimezone(zone if zone is not None else recording.start_time.tzinfo)


def effort_pieces(recording: Recording, zone: tzinfo | None) -> Iterable[tuple[datetime, float]]:
    """(local start, seconds) of the recording cut at each local hour boundary."""
    if recording.start_time is None or recording.duration <= 0:
        return
    current = recording.start_time.astimezone(UTC)
    stop = current + timedelta(seconds=recording.duration)
    while current < stop:
        local = _local(current, zone, recording)
        boundary = (
            local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        ).astimezone(UTC)
        boundary = max(boundary, current + timedelta(seconds=1))  # guard at DST changes
        piece_end = min(boundary, stop)
        yield local, (piece_end - current).total_seconds()
        current = piece_end


def _thresholds(
    thresholds: float | Mapping[int, float], class_ids: Iterable[int]
) -> dict[int, float]:
    if isinstance(thresholds, Mapping):
        return {c: float(thresholds.get(c, DEFAULT_THRESHOLD)) for c in class_ids}
    return {c: float(thresholds) for c in class_ids}


def summarise_activity(
    project: Project,
    thresholds: float | Mapping[int, float] = DEFAULT_THRESHOLD,
    *,
    class_ids: Iterable[int] | None = None,
    model_id: int | None = None,
    zone: tzinfo | None = None,
    reporter: Reporter | None = None,
) -> Activity:
    """Detections of the active (or given) model per class, by hour of day and by date.

    ``zone`` expresses clock times in one time zone; ``None`` keeps each recording's own
    (AudioMoth names are UTC, so a site far from Greenwich usually wants its local zone).
    """
    model = resolve_model(project, model_id)
    clip = clip_seconds_of(model)
    all_classes = {c.id: c for c in project.classes()}
    wanted = list(all_classes) if class_ids is None else list(class_ids)
    missing = [c for c in wanted if c not in all_classes]
    if missing:
        raise ProjectError(project.path, f"has no class number {missing[0]}")
    classes = tuple(all_classes[c] for c in wanted)
    limits = _thresholds(thresholds, wanted)
    row = {c.id: i for i, c in enumerate(classes)}
    recordings = {r.id: r for r in project.recordings()}
    scored = [rid for rid in project.scored_recordings(model.id) if rid in recordings]
    detections: list[Detection] = []
    excluded: list[Recording] = []
    hour_effort = np.zeros(24)
    date_seconds: dict[date, float] = {}
    for i, rid in enumerate(scored):
        if reporter is not None:
            reporter.update(i, len(scored), "counting detections")
        recording = recordings[rid]
        if recording.start_time is None:
            excluded.append(recording)
        for local, seconds in effort_pieces(recording, zone):
            hour_effort[local.hour] += seconds
            date_seconds[local.date()] = date_seconds.get(local.date(), 0.0) + seconds
        starts, ids, scores = project.predictions(model.id, rid)
        for class_id in wanted:
            if class_id not in ids:
                continue
            column = scores[:, ids.index(class_id)]
            for start, end, peak in detection_events(starts, column, limits[class_id], clip):
                clock = None
                if recording.start_time is not None:
                    moment = recording.start_time + timedelta(seconds=start)
                    clock = _local(moment, zone, recording)
                detections.append(Detection(rid, class_id, start, end, peak, clock))
    dates: list[date] = []
    if date_seconds:
        first, last = min(date_seconds), max(date_seconds)
        dates = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    column_of = {d: i for i, d in enumerate(dates)}
    by_hour = np.zeros((len(classes), 24), np.int64)
    by_date = np.zeros((len(classes), len(dates)), np.int64)
    for d in detections:
        if d.clock_start is not None:
            by_hour[row[d.class_id], d.clock_start.hour] += 1
            by_date[row[d.class_id], column_of[d.clock_start.date()]] += 1
    return Activity(
        classes=classes,
        thresholds=limits,
        model_name=model.name,
        zone=zone_name(zone),
        detections=detections,
        excluded=excluded,
        by_hour=by_hour,
        hour_effort=hour_effort,
        dates=dates,
        by_date=by_date,
        date_effort=np.array([date_seconds.get(d, 0.0) for d in dates]),
        recordings=len(scored),
    )


def activity_job(reporter: Reporter, project_path: str | Path, **kwargs: Any) -> Activity:
    """``summarise_activity`` as a job: a year of scores takes a while to read. Takes the
    project's path (a handle of its own), never the window's open ``Project``."""
    from model.project.store import Project

    with Project.open(project_path) as project:
        return summarise_activity(project, reporter=reporter, **kwargs)


def zone_name(zone: tzinfo | None) -> str:
    if zone is None:
        return "as recorded"
    return zone.tzname(None) or str(zone)


# ---------------------------------------------------------------------------- export
def export_csv(activity: Activity, path: str | Path) -> Path:
    """One tidy table (a row per bin and class) that R or a spreadsheet reads as it is."""
    path = Path(path)
    rows: list[list[Any]] = []
    hour_rate, date_rate = activity.hour_rate(), activity.date_rate()
    for c, cls in enumerate(activity.classes):
        for hour in range(24):
            effort = activity.hour_effort[hour] / 3600
            count = int(activity.by_hour[c, hour])
            rows.append(["hour", f"{hour:02d}", cls.name, count, effort, hour_rate[c, hour]])
        for d, day in enumerate(activity.dates):
            effort = activity.date_effort[d] / 3600
            count = int(activity.by_date[c, d])
            rows.append(["date", day.isoformat(), cls.name, count, effort, date_rate[c, d]])
    header = ["grouping", "bin", "class", "detections", "recorded_hours", "per_recorded_hour"]
    return _write(path, header, [[_cell(v) for v in r] for r in rows])


def export_detections_csv(activity: Activity, path: str | Path, project: Project) -> Path:
    """Every detection with its file and clock time (empty for recordings without one)."""
    names = {c.id: c.name for c in activity.classes}
    files = {r.id: r.stored_path for r in project.recordings()}
    rows = [
        [
            files.get(d.recording_id, str(d.recording_id)),
            names[d.class_id],
            f"{d.start:.3f}",
            f"{d.end:.3f}",
            f"{d.peak_score:.4f}",
            d.clock_start.isoformat() if d.clock_start else "",
        ]
        for d in activity.detections
    ]
    header = ["file", "class", "start_s", "end_s", "peak_score", "clock_start"]
    return _write(path, header, rows)


def _cell(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return "" if not np.isfinite(value) else f"{float(value):.4g}"
    return value


def _write(path: str | Path, header: list[str], rows: list[list[Any]]) -> Path:
    path = Path(path)
    try:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
    except OSError as exc:
        raise ProjectError(path, f"could not be written ({exc.strerror or exc})") from exc
    return path


def export_png(
    activity: Activity, path: str | Path, *, per_hour: bool = False, dpi: int = 120
) -> Path:
    """Hour-of-day bars over a by-date series, one colour per class (matplotlib, no GUI)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    hours = activity.hour_rate() if per_hour else activity.by_hour
    days = activity.date_rate() if per_hour else activity.by_date.astype(float)
    unit = "detections per recorded hour" if per_hour else "detections"
    figure = Figure(figsize=(10, 7), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1)
    k = max(len(activity.classes), 1)
    width = 0.8 / k
    x = np.arange(24)
    for hour in np.flatnonzero(activity.hour_effort <= 0):
        top.axvspan(hour - 0.5, hour + 0.5, color="0.93", lw=0)
    for i, cls in enumerate(activity.classes):
        offset = (i - (k - 1) / 2) * width
        top.bar(x + offset, np.nan_to_num(hours[i]), width, color=cls.colour, label=cls.name)
    top.set_xticks(x, [f"{h:02d}" for h in x])
    top.set_xlim(-0.6, 23.6)
    top.set_xlabel(f"hour of day ({activity.zone})")
    top.set_ylabel(unit)
    top.set_title("By hour of day (grey: nothing recorded)")
    if activity.classes:
        top.legend(loc="upper right", fontsize="small", frameon=False)
    dates = [datetime(d.year, d.month, d.day) for d in activity.dates]
    recorded = activity.date_effort > 0
    for i, cls in enumerate(activity.classes):
        series = np.where(recorded, days[i], np.nan) if len(dates) else days[i]
        bottom.plot(dates, series, "o-", color=cls.colour, markersize=3, label=cls.name)
    bottom.set_xlabel("date")
    bottom.set_ylabel(unit)
    bottom.set_title("By date (gaps: nothing recorded)")
    bottom.set_ylim(bottom=0)
    bottom.tick_params(axis="x", labelrotation=30)
    note = f"model {activity.model_name}; {len(activity.detections)} detections"
    if activity.excluded:
        note += f"; {len(activity.excluded)} recording(s) without start time excluded"
    figure.suptitle(note, fontsize="small")
    try:
        figure.savefig(path, dpi=dpi)
    except OSError as exc:
        raise ProjectError(path, f"could not be written ({exc.strerror or exc})") from exc
    return path
