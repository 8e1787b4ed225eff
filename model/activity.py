"""Acoustic phenology without Qt: detections per class by hour of day and by date.

A detection is a run of consecutive windows scoring at or above the class threshold (with the
usual 1-s hop a 2-s call lights up two or three overlapping windows; counting windows would
count it two or three times). Each is placed on the clock through its recording's start time.

Counts alone mislead when recording effort is uneven (a recorder that ran 3 hours on Monday and
24 on Tuesday), so the tables also carry the hours recorded per bin and a rate per recorded hour.
Recordings without a start time cannot be placed on the clock: they are listed as excluded and
their detections kept (with no clock time) in the detection table, never dropped silently.

A season is millions of windows, so the summary never walks recordings one by one: the peaks
index says which recordings can have a detection at all, their scores come in chunks of many
recordings (``Project.iter_scores``), and detection, clock time and binning are numpy over each
chunk (``activity_scan``, ``activity_clock``). The summary holds counts; the list of detections
(start, end, peak of each) is made only when it is exported (``model.activity_detections``).
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from model.activity_clock import HOUR_US, US, Clocks, day_of
from model.activity_scan import in_time_order, run_starts
from model.errors import ProjectError
from model.project.records import LabelClass, ModelRecord, Recording, dt_from_text
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
    totals: np.ndarray  # (classes,) detections, with those of recordings not on the clock
    excluded: list[Recording]  # scored, but no start time: not on the clock
    by_hour: np.ndarray  # (classes, 24) detection counts
    hour_effort: np.ndarray  # (24,) seconds recorded in each hour of day
    dates: list[date]
    by_date: np.ndarray  # (classes, dates)
    date_effort: np.ndarray  # (dates,) seconds recorded on each date
    recordings: int = 0  # scored recordings looked at
    model_id: int = 0
    zone_info: tzinfo | None = None  # the zone itself, to place listed detections the same way
    clip: float = 2.0
    extra: dict[str, Any] = field(default_factory=dict)
    site: str | None = None  # the one site summarised; None: every site pooled
    by_site: dict[str, Activity] = field(default_factory=dict)  # each site's own, when several
    recording_ids: frozenset[int] | None = None  # the recordings summarised; None: all scored

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
        rows = [i for i, c in enumerate(self.classes) if c.id == class_id]
        return int(self.totals[rows[0]]) if rows else 0

    @property
    def count(self) -> int:
        """Every detection of every class shown, on the clock or not."""
        return int(self.totals.sum())

    def only(self, class_id: int) -> Activity:
        """The same summary for one of its classes."""
        rows = [i for i, c in enumerate(self.classes) if c.id == class_id]
        if not rows:
            return self
        i = rows[0]
        return replace(
            self,
            classes=(self.classes[i],),
            thresholds={class_id: self.thresholds[class_id]},
            totals=self.totals[i : i + 1],
            by_hour=self.by_hour[i : i + 1],
            by_date=self.by_date[i : i + 1],
            by_site={site: part.only(class_id) for site, part in self.by_site.items()},
        )


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


def _thresholds(
    thresholds: float | Mapping[int, float], class_ids: Iterable[int]
) -> dict[int, float]:
    if isinstance(thresholds, Mapping):
        return {c: float(thresholds.get(c, DEFAULT_THRESHOLD)) for c in class_ids}
    return {c: float(thresholds) for c in class_ids}


def _clocks(
    project: Project, model_id: int, only: Collection[int] | None = None
) -> tuple[Clocks, list[int], int]:
    """The scored recordings (of ``only``, when given) with a start time as ``Clocks``; the
    ids of those without."""
    timed: list[tuple[int, datetime, float]] = []
    untimed: list[int] = []
    rows = project.scored_recording_clocks(model_id)
    if only is not None:
        rows = [row for row in rows if row[0] in only]
    for rec_id, text, duration in rows:
        start = dt_from_text(text)
        if start is None:
            untimed.append(rec_id)
        else:
            timed.append((rec_id, start, duration))
    return Clocks.from_rows(timed), untimed, len(rows)


def model_class_ids(model: ModelRecord, classes: Iterable[LabelClass]) -> list[int]:
    """The project classes a model scores (named in its manifest), in project order; every
    class for a manifest that names none. A project class the model never learnt has no
    detections, so listing it would only add an empty row and a legend entry."""
    named = [c.get("name") for c in model.manifest.get("classes") or [] if isinstance(c, dict)]
    classes = list(classes)
    if not named:
        return [c.id for c in classes]
    wanted = {str(n).casefold() for n in named if n}
    return [c.id for c in classes if c.name.casefold() in wanted]


def summarise_activity(
    project: Project,
    thresholds: float | Mapping[int, float] = DEFAULT_THRESHOLD,
    *,
    class_ids: Iterable[int] | None = None,
    model_id: int | None = None,
    zone: tzinfo | None = None,
    reporter: Reporter | None = None,
    recording_ids: Collection[int] | None = None,
) -> Activity:
    """Detections of the active (or given) model per class, by hour of day and by date.

    ``recording_ids`` limits the summary to those recordings (one site's). ``zone`` expresses
    clock times in one time zone (a ``zoneinfo`` zone keeps its daylight saving); ``None``
    keeps each recording's own (AudioMoth names are UTC, so a site far from Greenwich usually
    wants its local zone).
    """
    model = resolve_model(project, model_id)
    clip = clip_seconds_of(model)
    all_classes = {c.id: c for c in project.classes()}
    wanted = model_class_ids(model, all_classes.values()) if class_ids is None else list(class_ids)
    missing = [c for c in wanted if c not in all_classes]
    if missing:
        raise ProjectError(project.path, f"has no class number {missing[0]}")
    classes = tuple(all_classes[c] for c in wanted)
    limits = _thresholds(thresholds, wanted)
    only = frozenset(int(i) for i in recording_ids) if recording_ids is not None else None
    clocks, untimed, scored = _clocks(project, model.id, only)
    steps = clocks.steps(zone) if zone is not None else None
    hour_effort, day_seconds = clocks.effort(steps)
    by_hour = np.zeros(len(classes) * 24, np.int64)
    by_day: dict[int, np.ndarray] = {}
    totals = np.zeros(len(classes), np.int64)
    candidates = _candidates(project, model.id, limits, only)
    row_of = {c: i for i, c in enumerate(wanted)}
    done = 0
    for chunk in project.iter_scores(model.id, candidates, class_ids=wanted):
        chunk = in_time_order(chunk)
        limit = np.array([limits[c] for c in chunk.class_ids], np.float64)
        windows, columns = run_starts(chunk, limit, clip)
        rows = np.array([row_of[c] for c in chunk.class_ids], np.int64)[columns]
        totals += np.bincount(rows, minlength=len(classes))
        index = clocks.index_of(chunk.recording_ids[windows])
        timed = index >= 0
        rows, index = rows[timed], index[timed]
        utc = clocks.start_us[index] + np.round(chunk.starts[windows[timed]] * US).astype(np.int64)
        hour = clocks.local_us(index, utc, steps) // HOUR_US
        by_hour += np.bincount(rows * 24 + hour % 24, minlength=len(by_hour))
        day = hour // 24
        first_day = int(day.min()) if len(day) else 0
        span = int(day.max()) - first_day + 1 if len(day) else 0
        counts = np.bincount(
            (day - first_day) * len(classes) + rows, minlength=span * len(classes)
        ).reshape(span, len(classes))
        for offset in np.flatnonzero(counts.any(axis=1)).tolist():
            key = first_day + offset
            by_day[key] = by_day.get(key, 0) + counts[offset]
        done += 1 + int(np.count_nonzero(np.diff(chunk.recording_ids)))
        if reporter is not None:
            reporter.update(done, max(len(candidates), 1), "counting detections")
    numbers = sorted(set(day_seconds) | set(by_day))
    span = range(numbers[0], numbers[-1] + 1) if numbers else range(0)
    by_date = np.zeros((len(classes), len(span)), np.int64)
    for column, day in enumerate(span):
        if day in by_day:
            by_date[:, column] = by_day[day]
    return Activity(
        classes=classes,
        thresholds=limits,
        model_name=model.name,
        zone=zone_name(zone),
        totals=totals,
        excluded=[project.recording(rid) for rid in untimed],
        by_hour=by_hour.reshape(len(classes), 24),
        hour_effort=hour_effort,
        dates=[day_of(d) for d in span],
        by_date=by_date,
        date_effort=np.array([day_seconds.get(d, 0.0) for d in span]),
        recordings=scored,
        model_id=model.id,
        zone_info=zone,
        clip=clip,
        recording_ids=only,
    )


def _candidates(
    project: Project,
    model_id: int,
    limits: Mapping[int, float],
    only: Collection[int] | None = None,
) -> list[int]:
    """Recordings (of ``only``) with a window of some class at or above its threshold (the
    peaks index)."""
    found: set[int] = set()
    for class_id, limit in limits.items():
        found.update(project.recordings_reaching(model_id, class_id, limit))
    return sorted(found if only is None else found & set(only))


def activity_job(reporter: Reporter, project_path: str | Path, **kwargs: Any) -> Activity:
    """The summary split by site (``model.activity_sites``) as a job: a year of scores takes
    a while to read. Takes the project's path (a handle of its own), never the window's open
    ``Project``."""
    from model.activity_sites import summarise_by_site
    from model.project.store import Project

    with Project.open(project_path) as project:
        return summarise_by_site(project, reporter=reporter, **kwargs)


def zone_name(zone: tzinfo | None) -> str:
    if zone is None:
        return "as recorded"
    return zone.tzname(None) or str(zone)


# ---------------------------------------------------------------------------- export
def export_csv(activity: Activity, path: str | Path) -> Path:
    """One tidy table (a row per site, bin and class) that R or a spreadsheet reads as it is:
    with several sites, the pooled rows (site ``(all sites)``) then each site's own."""
    from model.activity_sites import site_parts

    rows: list[list[Any]] = []
    for site, part in site_parts(activity):
        rows += [[site, *row] for row in _table_rows(part)]
    header = ["site", "grouping", "bin", "class", "detections", "recorded_hours"]
    header.append("per_recorded_hour")
    return _write(Path(path), header, [[_cell(v) for v in r] for r in rows])


def _table_rows(activity: Activity) -> list[list[Any]]:
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
    return rows


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
    note = f"model {activity.model_name}; {activity.count} detections"
    if activity.excluded:
        note += f"; {len(activity.excluded)} recording(s) without start time excluded"
    figure.suptitle(note, fontsize="small")
    try:
        figure.savefig(path, dpi=dpi)
    except OSError as exc:
        raise ProjectError(path, f"could not be written ({exc.strerror or exc})") from exc
    return path
