"""The season-wide activity summary agrees with the one-recording-at-a-time reference, in
every kind of time zone, and reads only the recordings that can have a detection."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from model.activity import summarise_activity
from model.activity_clock import ZoneSteps, to_us
from model.activity_detections import export_detections_csv, iso_clock, list_detections
from model.project import Project
from tests.model.activity_reference import reference_summary
from tests.model.test_review import Info

LONDON = ZoneInfo("Europe/London")  # daylight saving: 2024-03-31 01:00 UTC and 2024-10-27
NEW_YORK = ZoneInfo("America/New_York")
KATHMANDU = ZoneInfo("Asia/Kathmandu")  # +05:45: local hours are not UTC hours


def make_season(folder: Path, seed: int = 7) -> Project:
    """Recordings across both London clock changes, some with their own offsets, one without
    a start time, one with windows stored out of order, NaN scores, and one recording scored
    with its classes in another order."""
    rng = np.random.default_rng(seed)
    project = Project.create(folder / "season.sonotag")
    classes = [project.add_class(name).id for name in ("wren", "robin", "owl")]
    model = project.add_model("m", folder / "m", {"clip_settings": {"clip_seconds": 2.0}}, {})
    plan = [
        (datetime(2024, 3, 31, 0, 10, tzinfo=UTC), 7200.0),  # spans the spring change
        (datetime(2024, 10, 26, 23, 40, 30, tzinfo=UTC), 9000.0),  # spans the autumn change
        (datetime(2024, 6, 1, 4, 0, tzinfo=timezone(timedelta(hours=2))), 3600.0),
        (datetime(2024, 6, 1, 22, 59, 59, 500_000, tzinfo=timezone(timedelta(hours=-5))), 1800.0),
        (datetime(2024, 6, 2, 12, 0, tzinfo=timezone(timedelta(hours=5, minutes=45))), 4000.0),
        (None, 600.0),
        (datetime(2024, 7, 1, 0, 0, tzinfo=UTC), 0.0),  # a zero-length file still scored
    ]
    for i, (start, duration) in enumerate(plan):
        rec = project.add_recording(folder / f"r{i}.wav", Info(duration, start), f"fp{i}")
        n = max(int(duration) - 1, 5)
        starts = np.arange(n, dtype=np.float64)
        if i == 3:
            starts = starts * 1.5  # hop 1.5 s: some windows touch, none overlap
        scores = rng.beta(0.5, 4, (n, 3)).astype(np.float32)
        for column in range(3):
            for first in rng.integers(0, n, 12 + 6 * column):
                scores[first : first + rng.integers(1, 5), column] = rng.uniform(0.5, 1.0)
        scores[rng.integers(0, n, 20), 1] = np.nan
        ids = list(classes)
        if i == 2:
            ids, scores = ids[::-1], scores[:, ::-1]
        if i == 4:
            order = rng.permutation(n)
            starts, scores = starts[order], scores[order]
        project.put_predictions(model.id, rec.id, starts, ids, np.ascontiguousarray(scores))
    return project


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Project:
    with make_season(tmp_path_factory.mktemp("season")) as project:
        yield project


@pytest.mark.parametrize(
    "zone", [None, UTC, timezone(timedelta(hours=-4)), LONDON, NEW_YORK, KATHMANDU]
)
@pytest.mark.parametrize("limit", [0.5, 0.83])
def test_agrees_with_the_reference(season: Project, zone, limit: float) -> None:
    wren, robin, owl = (c.id for c in season.classes())
    limits = {wren: limit, robin: 0.6, owl: limit}
    want = reference_summary(season, limits, zone)
    got = summarise_activity(season, limits, zone=zone)
    np.testing.assert_array_equal(got.by_hour, want["by_hour"])
    np.testing.assert_allclose(got.hour_effort, want["hour_effort"], atol=1e-6)
    assert got.dates == want["dates"]
    np.testing.assert_array_equal(got.by_date, want["by_date"])
    np.testing.assert_allclose(got.date_effort, want["date_effort"], atol=1e-6)
    np.testing.assert_array_equal(got.totals, want["totals"])
    listed = [
        (d.recording_id, d.class_id, d.start, d.end, pytest.approx(d.peak_score), d.clock_start)
        for d in list_detections(season, got)
    ]
    assert listed == [tuple(d) for d in want["detections"]]
    assert all(
        d.clock_start is None or d.clock_start.utcoffset() == w[5].utcoffset()
        for d, w in zip(list_detections(season, got), want["detections"], strict=True)
    )


@pytest.mark.parametrize(
    "zone", [None, LONDON, NEW_YORK, KATHMANDU, timezone(-timedelta(seconds=3725))]
)
def test_detections_csv_is_every_listed_detection_as_datetime_writes_it(
    season: Project, zone, tmp_path: Path
) -> None:
    """The CSV is written from columns (no datetime per row): each row must still be what the
    listed detection gives, clock times as ``isoformat`` writes them (fractions of a second,
    offsets with seconds, daylight saving, recordings without a start time)."""
    got = summarise_activity(season, 0.5, zone=zone)
    names = {c.id: c.name for c in season.classes()}
    files = {r.id: r.stored_path for r in season.recordings()}
    sites = {r.id: r.site for r in season.recordings()}
    want = [
        [files[d.recording_id], names[d.class_id], f"{d.start:.3f}", f"{d.end:.3f}",
         f"{d.peak_score:.4f}", d.clock_start.isoformat() if d.clock_start else "",
         sites[d.recording_id]]
        for d in list_detections(season, got)
    ]  # fmt: skip
    assert any("." in row[5] for row in want) and any(not row[5] for row in want)
    with export_detections_csv(got, tmp_path / "d.csv", season).open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["file", "class", "start_s", "end_s", "peak_score", "clock_start", "site"]
    assert rows[1:] == want


def test_iso_clock_writes_what_isoformat_writes() -> None:
    moments = [
        datetime(2024, 6, 1, 22, 59, 59, 500_000, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
        datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=timezone(timedelta(hours=5, seconds=7))),
        datetime(2024, 3, 31, 1, 0, tzinfo=LONDON),
    ]
    utc = np.array([to_us(m) for m in moments], np.int64)
    offsets = np.array([m.utcoffset() // timedelta(microseconds=1) for m in moments], np.int64)
    assert iso_clock(utc, offsets) == [m.isoformat() for m in moments]


def test_only_recordings_that_reach_the_threshold_are_read(season: Project, monkeypatch) -> None:
    wren = season.classes()[0].id
    asked: list[list[int]] = []
    original = season.iter_scores

    def spy(model_id, recording_ids=None, **kwargs):
        asked.append(sorted(recording_ids))
        return original(model_id, recording_ids, **kwargs)

    monkeypatch.setattr(season, "iter_scores", spy)
    activity = summarise_activity(season, 0.99, class_ids=[wren])
    model = season.active_model().id
    assert asked == [season.recordings_reaching(model, wren, 0.99)]
    assert len(asked[0]) < len(season.scored_recordings(model))
    assert activity.total(wren) == reference_summary(season, {wren: 0.99}, None)["totals"][0]


def test_zone_steps_find_each_clock_change_to_the_second() -> None:
    first = to_us(datetime(2024, 1, 1, tzinfo=UTC))
    steps = ZoneSteps(LONDON, first, to_us(datetime(2025, 1, 1, tzinfo=UTC)))
    assert steps.changes.tolist() == [
        to_us(datetime(2024, 3, 31, 1, tzinfo=UTC)), to_us(datetime(2024, 10, 27, 1, tzinfo=UTC)),
    ]  # fmt: skip
    assert (steps.offsets // 3_600_000_000).tolist() == [0, 1, 0]
    fixed = ZoneSteps(timezone(timedelta(hours=5, minutes=45)), first, first)
    assert fixed.at(np.array([first])).tolist() == [(5 * 60 + 45) * 60_000_000]


def test_a_month_of_minute_files_in_chunks(tmp_path: Path) -> None:
    """Many short recordings: chunks hold many recordings each; totals match the reference."""
    project = Project.create(tmp_path / "minutes.sonotag")
    wren = project.add_class("wren").id
    model = project.add_model("m", tmp_path / "m", {}, {})
    rng = np.random.default_rng(2)
    for i in range(300):
        start = datetime(2024, 4, 1, tzinfo=UTC) + timedelta(hours=2.4 * i)
        rec = project.add_recording(tmp_path / f"{i}.wav", Info(60.0, start), f"m{i}")
        scores = rng.beta(0.3, 3, (59, 1)).astype(np.float32)
        project.put_predictions(model.id, rec.id, np.arange(59.0), [wren], scores)
    got = summarise_activity(project, 0.5, zone=LONDON)
    want = reference_summary(project, {wren: 0.5}, LONDON)
    np.testing.assert_array_equal(got.by_date, want["by_date"])
    np.testing.assert_array_equal(got.by_hour, want["by_hour"])
    project.close()


def test_effort_of_a_recording_starting_just_before_the_hour_is_exact(tmp_path: Path) -> None:
    """It was rounded up to a whole second (1 s in the hour before instead of 0.5 s)."""
    project = Project.create(tmp_path / "edge.sonotag")
    wren = project.add_class("wren").id
    model = project.add_model("m", tmp_path / "m", {}, {})
    start = datetime(2024, 6, 1, 22, 59, 59, 500_000, tzinfo=UTC)
    rec = project.add_recording(tmp_path / "r.wav", Info(10.0, start), "edge")
    project.put_predictions(model.id, rec.id, np.arange(8.0), [wren], np.zeros((8, 1), np.float32))
    effort = summarise_activity(project, 0.5).hour_effort
    assert (effort[22], effort[23]) == (0.5, 9.5)
    project.close()


def test_float32_scores_meet_float64_thresholds_exactly() -> None:
    from model.activity_scan import float32_limits, run_starts
    from model.project.score_index import ScoreChunk

    limits = np.array([0.7, 0.3, 0.5], np.float64)  # float32 rounds 0.7 down, 0.3 up
    scores = np.array(
        [[0.7, 0.3, 0.5], [np.nextafter(np.float32(0.7), 1), 0.2, np.nan]], np.float32
    )
    chunk = ScoreChunk([1, 2, 3], np.array([1, 2]), np.array([0.0, 0.0]), scores)
    windows, columns = run_starts(chunk, limits, 2.0)
    assert sorted(zip(windows.tolist(), columns.tolist(), strict=True)) == [(0, 1), (0, 2), (1, 0)]
    assert (scores.astype(np.float64) >= limits).tolist() == [
        [False, True, True],
        [True, False, False],
    ]
    assert float32_limits(limits).dtype == np.float32


def test_a_cancelled_detections_export_leaves_the_file_that_was_there(
    season: Project, tmp_path: Path
) -> None:
    from model.activity_detections import ROWS_PER_WRITE
    from model.jobs import Cancelled, Reporter

    got = summarise_activity(season, 0.5)
    target = tmp_path / "d.csv"
    target.write_text("the export of last week\n")
    seen: list[str] = []

    def progress(p) -> None:
        seen.append(p.message)
        if p.message == "writing detections":
            reporter.cancel()  # the next step raises

    reporter = Reporter(progress)
    assert got.count < ROWS_PER_WRITE  # one block: the cancel lands after the write, at rename
    with pytest.raises(Cancelled):
        export_detections_csv(got, target, season, reporter)
    assert "listing detections" in seen
    assert target.read_text() == "the export of last week\n"
    assert list(tmp_path.iterdir()) == [target]
