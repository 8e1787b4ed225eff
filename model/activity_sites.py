"""Activity per site: the summary of each site's recordings, and all of them pooled.

A project of three recorders is three places: a dawn peak at one and silence at another is the
result, and pooling hides it. Each site is summarised on its own recordings
(``summarise_activity(recording_ids=...)``), which reads each recording's scores once in all,
and the pooled summary is their sum: detections and recorded hours add up across sites (two
recorders running in the same hour record two hours), and the dates are laid on one calendar.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from model.activity import DEFAULT_THRESHOLD, Activity, summarise_activity
from model.review import resolve_model

if TYPE_CHECKING:
    from model.jobs import Reporter
    from model.project.store import Project

ALL_SITES = "(all sites)"  # the pooled rows' site in the CSV
# Colour-blind-safe qualitative colours (Okabe & Ito 2008), then matplotlib's tab10 for more.
SITE_COLOURS = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
)  # fmt: skip


def site_colour(k: int) -> str:
    return SITE_COLOURS[k % len(SITE_COLOURS)]


class _Share:
    """One site's part of a job's progress: its steps map onto its slice of the whole."""

    def __init__(self, reporter: Reporter, index: int, count: int) -> None:
        self.reporter, self.index, self.count = reporter, index, count

    def update(self, done: float, total: float | None = None, message: str = "", **kw: Any) -> None:
        fraction = min(max(done / total, 0.0), 1.0) if total else 0.0
        whole = 1000 * self.count
        self.reporter.update(1000 * (self.index + fraction), whole, message, **kw)

    def check(self) -> None:
        self.reporter.check()


def scored_sites(project: Project, model_id: int) -> dict[str, list[int]]:
    """Site -> the recordings of it that the model scored, sites A→Z."""
    scored = project.scored_recordings(model_id)
    sites = project.recording_sites()  # one pass; a season's scored list may be most of them
    groups: dict[str, list[int]] = {}
    for rec_id in scored:
        groups.setdefault(sites.get(rec_id, ""), []).append(rec_id)
    return dict(sorted(groups.items(), key=lambda item: (item[0].casefold(), item[0])))


def summarise_by_site(
    project: Project,
    thresholds: float | Mapping[int, float] = DEFAULT_THRESHOLD,
    *,
    class_ids: Any = None,
    model_id: int | None = None,
    zone: tzinfo | None = None,
    reporter: Reporter | None = None,
) -> Activity:
    """The pooled summary, with each site's own in ``by_site`` when there are several."""
    model = resolve_model(project, model_id)
    groups = scored_sites(project, model.id)
    common = {"class_ids": class_ids, "model_id": model.id, "zone": zone}
    if len(groups) <= 1:
        activity = summarise_activity(project, thresholds, reporter=reporter, **common)
        return replace(activity, site=next(iter(groups), None))
    parts = []
    for index, (site, ids) in enumerate(groups.items()):
        share = _Share(reporter, index, len(groups)) if reporter is not None else None
        part = summarise_activity(project, thresholds, reporter=share, recording_ids=ids, **common)
        parts.append(replace(part, site=site))
    return pooled(parts)


def pooled(parts: list[Activity]) -> Activity:
    """The sites' summaries added up, on one calendar from the first to the last date."""
    first = parts[0]
    days = [d for part in parts for d in part.dates]
    span = []
    if days:
        start, end = min(days), max(days)
        span = [start + timedelta(days=k) for k in range((end - start).days + 1)]
    column = {day: k for k, day in enumerate(span)}
    by_date = np.zeros((len(first.classes), len(span)), np.int64)
    date_effort = np.zeros(len(span))
    for part in parts:
        where = [column[d] for d in part.dates]
        by_date[:, where] += part.by_date
        date_effort[where] += part.date_effort
    return replace(
        first,
        totals=sum((p.totals for p in parts), np.zeros_like(first.totals)),
        excluded=[rec for p in parts for rec in p.excluded],
        by_hour=sum((p.by_hour for p in parts), np.zeros_like(first.by_hour)),
        hour_effort=sum((p.hour_effort for p in parts), np.zeros_like(first.hour_effort)),
        dates=span,
        by_date=by_date,
        date_effort=date_effort,
        recordings=sum(p.recordings for p in parts),
        site=None,
        by_site={p.site or "": p for p in parts},
        recording_ids=None,
    )


def site_parts(activity: Activity) -> list[tuple[str, Activity]]:
    """(site, summary) of what a table lists: the pooled rows then each site's, or the one
    site's own."""
    if activity.by_site:
        return [(ALL_SITES, activity), *activity.by_site.items()]
    return [(activity.site or "", activity)]


def site_totals(activity: Activity) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Sites, and per site (rows) the detections by hour (24), recorded seconds by hour and
    detections on each date of the pooled calendar: every class shown summed, for plots that
    compare sites."""
    sites = list(activity.by_site) or [activity.site or ""]
    parts = list(activity.by_site.values()) or [activity]
    column = {day: k for k, day in enumerate(activity.dates)}
    by_hour = np.array([p.by_hour.sum(axis=0) for p in parts], np.float64).reshape(-1, 24)
    effort = np.array([p.hour_effort for p in parts], np.float64).reshape(-1, 24)
    by_date = np.full((len(parts), len(activity.dates)), np.nan)
    for row, part in enumerate(parts):
        where = [column[d] for d in part.dates]
        counts = part.by_date.sum(axis=0).astype(np.float64)
        by_date[row, where] = np.where(part.date_effort > 0, counts, np.nan)
    return sites, by_hour, effort, by_date


def date_hours(activity: Activity) -> np.ndarray:
    """Hours each site recorded on each date of the pooled calendar (sites, dates)."""
    column = {day: k for k, day in enumerate(activity.dates)}
    parts = list(activity.by_site.values()) or [activity]
    out = np.zeros((len(parts), len(activity.dates)))
    for row, part in enumerate(parts):
        out[row, [column[d] for d in part.dates]] = part.date_effort / 3600.0
    return out


def site_rates(activity: Activity, per_hour: bool) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Sites, their (sites, 24) hour values and (sites, dates) date values, as counts or per
    recorded hour (NaN where a site recorded nothing that day)."""
    sites, by_hour, effort, by_date = site_totals(activity)
    if not per_hour:
        return sites, by_hour, by_date
    with np.errstate(divide="ignore", invalid="ignore"):
        hours = np.where(effort > 0, by_hour / np.where(effort > 0, effort / 3600.0, 1.0), 0.0)
        recorded = date_hours(activity)
        days = np.where(recorded > 0, by_date / np.where(recorded > 0, recorded, 1.0), np.nan)
    return sites, hours, days


def export_sites_png(
    activity: Activity, path: str | Path, *, per_hour: bool = False, dpi: int = 120
) -> Path:
    """The sites side by side: hour-of-day bars and by-date lines, one colour per site (every
    class shown summed; choose a class first for one species)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from model.errors import ProjectError

    path = Path(path)
    sites, hours, days = site_rates(activity, per_hour)
    unit = "detections per recorded hour" if per_hour else "detections"
    figure = Figure(figsize=(10, 7), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1)
    k, x = max(len(sites), 1), np.arange(24)
    width = 0.8 / k
    dates = [datetime(d.year, d.month, d.day) for d in activity.dates]
    for i, site in enumerate(sites):
        name = site or "(no site)"
        top.bar(x + (i - (k - 1) / 2) * width, hours[i], width, color=site_colour(i), label=name)
        if dates:
            bottom.plot(dates, days[i], "o-", color=site_colour(i), markersize=3, label=name)
    top.set_xticks(x, [f"{h:02d}" for h in x])
    top.set_xlim(-0.6, 23.6)
    top.set_xlabel(f"hour of day ({activity.zone})")
    classes = ", ".join(c.name for c in activity.classes)
    top.set_title(f"By hour of day and site ({classes})")
    bottom.set_title("By date and site (gaps: nothing recorded there)")
    bottom.set_xlabel("date")
    bottom.set_ylim(bottom=0)
    bottom.tick_params(axis="x", labelrotation=30)
    for axes in (top, bottom):
        axes.set_ylabel(unit)
        axes.legend(loc="upper right", fontsize="small", frameon=False)
    figure.suptitle(f"model {activity.model_name}; {activity.count} detections", fontsize="small")
    try:
        figure.savefig(path, dpi=dpi)
    except OSError as exc:
        raise ProjectError(path, f"could not be written ({exc.strerror or exc})") from exc
    return path
