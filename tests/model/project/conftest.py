"""Fixtures for the project-database tests: a fresh project, stand-in audio facts, real clips."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from model.project import Project

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GREAT_TITS = ["2021-B32-0415_05-11.wav", "2021-SW83-0418_04-77.wav", "2021-B32-0416_04-21.wav"]


@dataclass(frozen=True)
class FakeInfo:
    """Audio facts for recordings that need no file (label and score tests)."""

    sample_rate: int = 48_000
    channels: int = 1
    frames: int = 48_000 * 600
    duration: float = 600.0
    start_time: datetime | None = datetime(2024, 5, 1, 4, 30, tzinfo=UTC)
    start_time_source: str | None = "audiomoth-filename"
    format: str = "WAV"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    with Project.create(tmp_path / "p.sonotag") as proj:
        yield proj


@pytest.fixture
def rec_id(project: Project, tmp_path: Path) -> int:
    """A recording row whose audio file is not needed."""
    return project.add_recording(tmp_path / "site1" / "20240501_043000.WAV", FakeInfo(), "fp-1").id


@pytest.fixture
def audio_dir(tmp_path: Path, real_data: Path) -> Path:
    """Three real great tit clips (with their JSON, which gives the start time) copied under
    the test's folder, since the tests move them around."""
    target = tmp_path / "audio"
    target.mkdir()
    for name in GREAT_TITS:
        shutil.copyfile(real_data / "great_tit" / name, target / name)
        sidecar = Path(name).with_suffix(".JSON")
        shutil.copyfile(real_data / "great_tit" / sidecar, target / sidecar)
    return target
