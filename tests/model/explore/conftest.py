"""A project of real recordings of three species, mapped once per session with the untrained
ResNet50 (no weights needed; about 60 clips), that the explorer tests copy and read."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from model.jobs import run_inline
from model.project import LabelState, Project

BACKBONE = "resnet50-untrained"
GREAT_TITS = 10


@dataclass
class Mapped:
    folder: Path
    project: Path
    species: dict[int, str]  # recording id -> species
    result: dict[str, Any]


def species_files(data: Path) -> list[tuple[Path, str]]:
    tits = sorted((data / "great_tit").glob("*.wav"))[:GREAT_TITS]
    return [(p, "great tit") for p in tits] + [
        (data / "pykanto-raw/BENGALESE_FINCH/bird_3/348.wav", "bengalese finch"),
        (data / "pykanto-raw/STORM-PETREL/XC46092.wav", "storm-petrel"),
    ]


@pytest.fixture(scope="session")
def mapped(tmp_path_factory: pytest.TempPathFactory, real_data: Path) -> Mapped:
    from model.explore.job import explore_job

    folder = tmp_path_factory.mktemp("explore") / "template"
    folder.mkdir()
    species: dict[int, str] = {}
    with Project.create(folder / "birds.sonotag") as project:
        tit = project.add_class("great tit")
        for path, name in species_files(real_data):
            copy = folder / path.name
            shutil.copyfile(path, copy)
            species[project.add_recording(copy).id] = name
        first = min(species)
        project.put_label(first, 0.0, 2.0, tit.id, LabelState.PRESENT)
    result = run_inline(explore_job, str(folder / "birds.sonotag"), backbone=BACKBONE, seed=0)
    return Mapped(folder, folder / "birds.sonotag", species, result)


@pytest.fixture
def mapped_copy(mapped: Mapped, tmp_path: Path) -> Path:
    """A private copy of the mapped project, cache (features and map) included."""
    target = tmp_path / "copy"
    shutil.copytree(mapped.folder, target)
    return target / mapped.project.name


@pytest.fixture
def no_backbone(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the backbone ran although every clip was cached")

    monkeypatch.setattr("model.ml.backbone.build_network", refuse)
    monkeypatch.setattr("model.ml.backbone.FeatureExtractor.embed", refuse)


def species_of(mapped: Mapped, recording_ids: np.ndarray) -> np.ndarray:
    return np.array([mapped.species[int(r)] for r in recording_ids])
