"""Recording clock: clues keep their zone; file names are read in the project's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from model.audio.start_time import SOURCE_COMMENT, SOURCE_FILENAME, find_start_time
from model.errors import ProjectError
from model.project import Project
from model.project.clock import filename_zone_name, set_filename_zone

LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class Info:
    path: Path
    start_time: datetime | None
    start_time_source: str | None
    sample_rate: int = 48_000
    channels: int = 1
    frames: int = 48_000 * 60
    duration: float = 60.0
    format: str = "WAV"


def _add(project: Project, name: str, source: str = SOURCE_FILENAME) -> int:
    path = project.directory / name
    start, found = find_start_time(path)
    if source == SOURCE_COMMENT:
        start, found = datetime(2021, 7, 1, 5, tzinfo=timezone(timedelta(hours=2))), source
    return project.add_recording(path, Info(path, start, found), f"fp-{name}").id


def test_a_comment_with_its_zone_beats_a_file_name_assumed_utc() -> None:
    comment = "Recorded at 06:00:00 01/07/2021 (UTC+1) by AudioMoth 24F3 at medium gain"
    start, source = find_start_time(Path("20210701_060000.WAV"), comment=comment)
    assert source == SOURCE_COMMENT
    assert start == datetime(2021, 7, 1, 5, tzinfo=UTC)
    assert start.utcoffset() == timedelta(hours=1)  # the zone is kept, not flattened to UTC


def test_file_names_are_read_in_the_zone_given_with_daylight_saving() -> None:
    summer, _ = find_start_time(Path("20210701_060000.WAV"), filename_zone=LONDON)
    winter, _ = find_start_time(Path("20211201_060000.WAV"), filename_zone=LONDON)
    assert summer.astimezone(UTC).hour == 5  # BST
    assert winter.astimezone(UTC).hour == 6  # GMT


def test_the_project_zone_dates_file_names_when_added_and_again_when_changed(tmp_path) -> None:
    with Project.create(tmp_path / "p.sonotag") as project:
        assert filename_zone_name(project) == "UTC"
        early = _add(project, "20210701_060000.WAV")
        commented = _add(project, "20210701_070000.WAV", SOURCE_COMMENT)
        assert project.recording(early).start_time == datetime(2021, 7, 1, 6, tzinfo=UTC)
        assert set_filename_zone(project, "Europe/London") == 1  # the comment's time stays
        assert project.recording(early).start_time == datetime(2021, 7, 1, 5, tzinfo=UTC)
        assert project.recording(commented).start_time.utcoffset() == timedelta(hours=2)
        late = _add(project, "20211201_060000.WAV")
        assert project.recording(late).start_time == datetime(2021, 12, 1, 6, tzinfo=UTC)
    with Project.open(tmp_path / "p.sonotag") as project:
        assert filename_zone_name(project) == "Europe/London"
        assert project.recording(early).start_time.utcoffset() == timedelta(hours=1)
        assert set_filename_zone(project, "UTC") == 1  # winter London is UTC already
        assert project.recording(early).start_time == datetime(2021, 7, 1, 6, tzinfo=UTC)


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "UTC+15", "../../etc/passwd", "CEST"])
def test_unknown_zones_are_refused_and_nothing_changes(tmp_path, name: str) -> None:
    with Project.create(tmp_path / "p.sonotag") as project:
        rec = _add(project, "20210701_060000.WAV")
        with pytest.raises(ProjectError, match="is not a time zone"):
            set_filename_zone(project, name)
        assert filename_zone_name(project) == "UTC"
        assert project.recording(rec).start_time == datetime(2021, 7, 1, 6, tzinfo=UTC)
