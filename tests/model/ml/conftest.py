"""One trained synthetic project per test session: the untrained ResNet50 runs about 20 clips/s
here, so its features are computed once and every test works on a copy with the cache full."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from model.jobs import Progress, run_inline
from tests.model.ml.synthetic import make_project


@dataclass
class Trained:
    folder: Path
    project: Path
    result: dict[str, Any]
    events: list[Progress]


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    from model.ml.train import train_job

    folder = tmp_path_factory.mktemp("ml") / "template"
    project = make_project(folder)
    events: list[Progress] = []
    result = run_inline(train_job, str(project), untrained_backbone=True, on_progress=events.append)
    return Trained(folder, project, result, events)


@pytest.fixture
def project_copy(trained: Trained, tmp_path: Path) -> Path:
    """A private copy of the trained project (recordings, cache, model bundle and all)."""
    target = tmp_path / "copy"
    shutil.copytree(trained.folder, target)
    return target / trained.project.name


@pytest.fixture
def no_backbone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to build or run the backbone fails the test: the cache must serve."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the backbone was called although its features are cached")

    monkeypatch.setattr("model.ml.backbone.build_network", refuse)
    monkeypatch.setattr("model.ml.backbone.FeatureExtractor.embed", refuse)
    monkeypatch.setattr("model.ml.engine.openvino_engine.OpenVinoResNet50.embed", refuse)
    monkeypatch.setattr("model.ml.engine.openvino_engine.OpenVinoResNet50.submit", refuse)
