"""Detections by hour and date from stored scores: merging, clock time, effort, CSV and PNG."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from model.activity import detection_events, export_csv, export_png, summarise_activity
from model.activity_detections import export_detections_csv, list_detections
from model.errors import ProjectError
from model.project import Project
from tests.model.test_review import Info

HOUR = 3600.0


def _scores(n: int, events: dict[int, float]) -> np.ndarray:
    column = np.full(n, 0.02, np.float32)
    for start, score in events.items():
        column[start] = score
    return column


def make_small_project(folder: Path) -> Project:
    """Three recordings with detections at known seconds (see the expected tables below)."""
    project = Project.create(folder / "activity.sonotag")
    wren, robin = project.add_class("wren"), project.add_class("robin")
    model = project.add_model("m1", folder / "m1", {"clip_settings": {"clip_seconds": 2.0}}, {})
    plan = [
        # name, start time, duration, wren windows (start s -> score), robin windows
        ("a", datetime(2024, 5, 1, 4, 30, tzinfo=UTC), HOUR,
         {10: 0.9, 11: 0.8, 12: 0.7, 1900: 0.6, 1903: 0.95}, {200: 0.6}),
        ("b", datetime(2024, 5, 2, 23, 30, tzinfo=UTC), HOUR, {100: 0.7, 2000: 0.8}, {}),
        ("c", None, 600.0, {5: 0.9}, {}),
    ]  # fmt: skip
    for name, start, duration, wren_hits, robin_hits in plan:
        rec = project.add_recording(folder / f"{name}.wav", Info(duration, start), f"fp-{name}")
        n = int(duration) - 1
        matrix = np.stack([_scores(n, wren_hits), _scores(n, robin_hits)], axis=1)
        project.put_predictions(model.id, rec.id, np.arange(n, dtype=float), [wren.id, robin.id],
                                matrix)  # fmt: skip
    return project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    with make_small_project(tmp_path) as proj:
        yield proj


def make_phenology_project(folder: Path, days: int = 14, seed: int = 1) -> Project:
    """Two weeks of one-hour recordings every two hours with a dawn singer, a dawn-and-dusk
    singer and a night caller, plus one file without a start time (for realistic plots)."""
    rng = np.random.default_rng(seed)
    project = Project.create(folder / "phenology.sonotag")
    classes = [project.add_class(n) for n in ("great tit", "blackbird", "tawny owl")]
    model = project.add_model("dawn-v3", folder / "m", {"clip_settings": {"clip_seconds": 2}}, {})
    starts = np.arange(0, HOUR - 1, 1.0)
    first = datetime(2024, 4, 1, tzinfo=UTC)

    def rate(cls: int, hour: int, day: int) -> float:  # detections per recorded hour
        if cls == 0:
            return 30 * np.exp(-(((hour - 6) / 1.5) ** 2)) * (0.3 + day / days)
        if cls == 1:
            return 14 * (np.exp(-(((hour - 5) / 1.5) ** 2)) + np.exp(-(((hour - 20) / 1.5) ** 2)))
        return 6.0 if hour >= 21 or hour <= 3 else 0.2

    for day in range(days):
        for hour in range(0, 24, 2):
            moment = first + timedelta(days=day, hours=hour)
            rec = project.add_recording(
                folder / f"{moment:%Y%m%d_%H%M%S}.WAV", Info(HOUR, moment), f"{day}-{hour}"
            )
            matrix = rng.uniform(0, 0.3, (len(starts), len(classes))).astype(np.float32)
            for c in range(len(classes)):
                hits = rng.integers(0, len(starts), rng.poisson(rate(c, hour, day)))
                matrix[hits, c] = rng.uniform(0.6, 1.0, len(hits))
            project.put_predictions(model.id, rec.id, starts, [c.id for c in classes], matrix)
    untimed = project.add_recording(folder / "site2_unknown.wav", Info(HOUR, None), "untimed")
    matrix = rng.uniform(0, 0.3, (len(starts), len(classes))).astype(np.float32)
    matrix[::400, 0] = 0.9
    project.put_predictions(model.id, untimed.id, starts, [c.id for c in classes], matrix)
    return project


def test_runs_of_windows_merge_into_one_detection() -> None:
    starts = np.arange(10.0)
    scores = np.array([0.9, 0.8, 0.1, 0.7, 0.1, 0.1, 0.6, 0.6, 0.6, 0.1])
    assert detection_events(starts, scores, 0.5, 2.0) == [
        (0.0, 3.0, pytest.approx(0.9)),
        (3.0, 5.0, pytest.approx(0.7)),
        (6.0, 10.0, pytest.approx(0.6)),
    ]
    # Touching windows (hop = clip length) are one call; a gap or a low window splits them.
    assert len(detection_events(np.array([0.0, 2.0, 5.0]), np.ones(3), 0.5, 2.0)) == 2
    assert len(detection_events(np.array([0.0, 1.0, 2.0]), np.array([1, 0, 1]), 0.5, 2.0)) == 2
    assert detection_events(starts[::-1], scores[::-1], 0.5, 2.0)[0][:2] == (0.0, 3.0)
    assert detection_events(starts, scores, 0.95, 2.0) == []


def test_tables_by_hour_and_date_in_recorded_time(project: Project) -> None:
    activity = summarise_activity(project, 0.5)
    wren = 0
    assert [c.name for c in activity.classes] == ["wren", "robin"]
    assert activity.recordings == 3
    assert [r.stored_path for r in activity.excluded] == ["c.wav"]
    assert activity.total(activity.classes[0].id) == 6  # 1 + 2 in a, 2 in b, 1 in c
    detections = list_detections(project, activity)
    assert len(detections) == activity.count == 7
    untimed = [d for d in detections if d.clock_start is None]
    assert [(d.start, d.end) for d in untimed] == [(5.0, 7.0)]
    hours = {h: int(n) for h, n in enumerate(activity.by_hour[wren]) if n}
    assert hours == {4: 1, 5: 2, 23: 1, 0: 1}
    assert activity.dates == [date(2024, 5, 1), date(2024, 5, 2), date(2024, 5, 3)]
    assert activity.by_date[wren].tolist() == [3, 1, 1]
    effort = {h: s for h, s in enumerate(activity.hour_effort) if s}
    assert effort == {0: 1800.0, 4: 1800.0, 5: 1800.0, 23: 1800.0}
    assert activity.date_effort.tolist() == [3600.0, 1800.0, 1800.0]
    assert activity.hour_rate()[wren, 5] == pytest.approx(4.0)  # 2 in half an hour
    assert np.isnan(activity.hour_rate()[wren, 12])  # nothing recorded: unknown, not 0
    first = min((d for d in detections if d.clock_start), key=lambda d: d.clock_start)
    assert first.clock_start == datetime(2024, 5, 1, 4, 30, 10, tzinfo=UTC)
    assert (first.start, first.end, first.peak_score) == (10.0, 14.0, pytest.approx(0.9))


def test_time_zone_and_per_class_thresholds(project: Project) -> None:
    wren, robin = (c.id for c in project.classes())
    activity = summarise_activity(
        project, {wren: 0.75, robin: 0.5}, zone=timezone(timedelta(hours=-4))
    )
    hours = {h: int(n) for h, n in enumerate(activity.by_hour[0]) if n}
    assert hours == {0: 1, 1: 1, 20: 1}  # 0.9 run at 00:30, 0.95 at 01:01, 0.8 at 20:03
    assert activity.by_hour[1].sum() == 1  # robin 0.6 passes its own threshold
    assert activity.dates == [date(2024, 5, 1), date(2024, 5, 2)]
    assert activity.zone == "UTC-04:00"
    only_robin = summarise_activity(project, 0.7, class_ids=[robin])
    assert [c.name for c in only_robin.classes] == ["robin"]
    assert only_robin.by_hour.sum() == 0
    with pytest.raises(ProjectError, match="no class number 77"):
        summarise_activity(project, class_ids=[77])


def test_csv_exports_read_back(project: Project, tmp_path: Path) -> None:
    activity = summarise_activity(project, 0.5)
    table = list(csv.DictReader(export_csv(activity, tmp_path / "act.csv").open()))
    assert len(table) == 2 * (24 + 3)
    row = next(r for r in table if (r["grouping"], r["bin"], r["class"]) == ("hour", "05", "wren"))
    assert row == {"site": row["site"], "grouping": "hour", "bin": "05", "class": "wren",
                   "detections": "2", "recorded_hours": "0.5",
                   "per_recorded_hour": "4"}  # fmt: skip
    noon = next(r for r in table if (r["bin"], r["class"]) == ("12", "wren"))
    assert (noon["detections"], noon["per_recorded_hour"]) == ("0", "")
    day = next(r for r in table if (r["bin"], r["class"]) == ("2024-05-01", "wren"))
    assert (day["detections"], day["recorded_hours"]) == ("3", "1")
    events = list(
        csv.DictReader(export_detections_csv(activity, tmp_path / "d.csv", project).open())
    )
    assert len(events) == 7
    assert {"file": "c.wav", "class": "wren", "start_s": "5.000", "end_s": "7.000",
            "peak_score": "0.9000", "clock_start": ""} in [
        {k: v for k, v in e.items() if k != "site"} for e in events
    ]  # fmt: skip
    assert any(e["clock_start"] == "2024-05-01T04:30:10+00:00" for e in events)
    with pytest.raises(ProjectError, match="could not be written"):
        export_csv(activity, tmp_path / "missing-folder" / "x.csv")


def test_png_export(tmp_path: Path, output_dir: Path) -> None:
    with make_phenology_project(tmp_path) as project:
        activity = summarise_activity(project, 0.5)
    assert len(activity.dates) == 14 and len(activity.excluded) == 1
    great_tit = activity.by_hour[0]
    assert great_tit.argmax() == 6 and great_tit[12] < great_tit[6] / 10  # dawn singer
    png = export_png(activity, output_dir / "activity_export.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    rate_png = export_png(activity, tmp_path / "rate.png", per_hour=True)
    assert rate_png.stat().st_size > 20_000


def make_dst_project(folder: Path) -> Project:
    """A dawn call at 05:00 UTC in June and in December, in recordings dated from UTC names."""
    project = Project.create(folder / "dst.sonotag")
    owl = project.add_class("owl")
    model = project.add_model("m", folder / "m", {"clip_settings": {"clip_seconds": 2.0}}, {})
    for name, start in (
        ("20240615_040000", datetime(2024, 6, 15, 4, tzinfo=UTC)),
        ("20241215_040000", datetime(2024, 12, 15, 4, tzinfo=UTC)),
    ):
        rec = project.add_recording(folder / f"{name}.wav", Info(2 * HOUR, start), f"fp-{name}")
        n = int(2 * HOUR) - 1
        column = _scores(n, {3600: 0.9})  # one hour in: 05:00 UTC
        project.put_predictions(model.id, rec.id, np.arange(n, dtype=float), [owl.id],
                                column[:, None])  # fmt: skip
    return project


def test_a_named_zone_bins_with_daylight_saving(tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    with make_dst_project(tmp_path) as project:
        london = summarise_activity(project, zone=ZoneInfo("Europe/London"))
        assert {h: int(n) for h, n in enumerate(london.by_hour[0]) if n} == {5: 1, 6: 1}
        assert london.zone == "Europe/London"
        # Each recording's effort falls in its own local hours: 05-07 BST, 04-06 GMT.
        assert {h: e for h, e in enumerate(london.hour_effort) if e} == {
            4: HOUR,
            5: 2 * HOUR,
            6: HOUR,
        }
        fixed = summarise_activity(project, zone=timezone(timedelta(hours=1)))
        assert {h: int(n) for h, n in enumerate(fixed.by_hour[0]) if n} == {6: 2}


def test_only_the_classes_the_model_knows_are_summarised(tmp_path: Path) -> None:
    from model.activity import summarise_activity

    with make_small_project(tmp_path) as project:
        project.add_class("tawny owl")  # added after the model: it has no scores for it
        wren = project.class_by_name("wren")
        first = project.active_model()
        manifest = {"clip_settings": {"clip_seconds": 2.0}, "classes": [{"name": "Wren"}]}
        model = project.add_model("wren-only", tmp_path / "m2", manifest, {})
        for rec in project.recordings():
            starts, ids, scores = project.predictions(first.id, rec.id)
            column = ids.index(wren.id)
            project.put_predictions(model.id, rec.id, starts, [wren.id], scores[:, [column]])
        assert [c.name for c in summarise_activity(project, model_id=model.id).classes] == ["wren"]
        # a manifest that names no classes: every project class, as before
        everything = summarise_activity(project, model_id=first.id).classes
        assert [c.name for c in everything] == ["wren", "robin", "tawny owl"]
