"""The activity summary as it was computed before it was vectorised: one recording and one
class at a time, ``datetime`` arithmetic for every window and effort piece. Kept as the
reference the fast summary must agree with (slow, obviously right, not used by the app)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

import numpy as np

from model.activity import detection_events
from model.project import Project, Recording
from model.review import clip_seconds_of


def _local(moment: datetime, zone: tzinfo | None, recording: Recording) -> datetime:
    assert recording.start_time is not None
    return moment.astimezone(zone if zone is not None else recording.start_time.tzinfo)


def effort_pieces(recording: Recording, zone: tzinfo | None) -> Iterable[tuple[datetime, float]]:
    if recording.start_time is None or recording.duration <= 0:
        return
    current = recording.start_time.astimezone(UTC)
    stop = current + timedelta(seconds=recording.duration)
    while current < stop:
        local = _local(current, zone, recording)
        boundary = (
            local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        ).astimezone(UTC)
        if boundary <= current:  # never stall at a clock change (the old code pushed every
            boundary = current + timedelta(seconds=1)  # boundary a second on: effort off by 1 s)
        piece_end = min(boundary, stop)
        yield local, (piece_end - current).total_seconds()
        current = piece_end


def reference_summary(
    project: Project, limits: Mapping[int, float], zone: tzinfo | None
) -> dict[str, Any]:
    model = project.active_model()
    assert model is not None
    clip = clip_seconds_of(model)
    wanted = list(limits)
    recordings = {r.id: r for r in project.recordings()}
    detections = []
    hour_effort = np.zeros(24)
    date_seconds: dict[date, float] = {}
    for rid in project.scored_recordings(model.id):
        recording = recordings[rid]
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
                    clock = _local(recording.start_time + timedelta(seconds=start), zone, recording)
                detections.append((rid, class_id, start, end, peak, clock))
    days = sorted(set(date_seconds) | {d[5].date() for d in detections if d[5]})
    dates = (
        [days[0] + timedelta(days=n) for n in range((days[-1] - days[0]).days + 1)] if days else []
    )
    by_hour = np.zeros((len(wanted), 24), np.int64)
    by_date = np.zeros((len(wanted), len(dates)), np.int64)
    for _rid, class_id, _s, _e, _p, clock in detections:
        if clock is not None:
            by_hour[wanted.index(class_id), clock.hour] += 1
            by_date[wanted.index(class_id), dates.index(clock.date())] += 1
    return {
        "detections": detections,
        "by_hour": by_hour,
        "hour_effort": hour_effort,
        "dates": dates,
        "by_date": by_date,
        "date_effort": np.array([date_seconds.get(d, 0.0) for d in dates]),
        "totals": np.array([sum(d[1] == c for d in detections) for c in wanted]),
    }
