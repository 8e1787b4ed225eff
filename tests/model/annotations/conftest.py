"""Fixtures for the annotation tests: a fresh project, recordings without audio, real layers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from model.project import Project, Recording

PYKANTO_LAYERS = [
    "AM/20210502_040000",
    "BENGALESE_FINCH/bird_3/348",
    "BENGALESE_FINCH/bird_3/363",
    "STORM-PETREL/XC46092",
    "STORM-PETREL/XC663885",
]


@dataclass(frozen=True)
class FakeInfo:
    """Audio facts of a recording whose file the test does not need."""

    sample_rate: int
    channels: int
    frames: int
    duration: float
    start_time: None = None
    start_time_source: None = None
    format: str = "WAV"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    with Project.create(tmp_path / "p.sonotag") as proj:
        yield proj


@pytest.fixture
def fake_recording(project: Project) -> Callable[..., Recording]:
    """add(path, duration, sample_rate=48000) -> a recording row with no audio behind it."""

    def add(path: str | Path, duration: float, sample_rate: int = 48_000) -> Recording:
        info = FakeInfo(sample_rate, 1, round(duration * sample_rate), duration)
        return project.add_recording(Path(path), info, f"fp-{path}")

    return add


@pytest.fixture
def pykanto(real_data: Path) -> Path:
    return real_data / "pykanto-raw"


def audio_of(layer: Path) -> Path:
    """The WAV next to a pykanto layer (the AudioMoth file is upper-case .WAV)."""
    return next(p for p in layer.parent.iterdir() if p.stem == layer.stem and p.suffix != ".xml")
