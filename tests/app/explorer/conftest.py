"""A project of three real recordings and a saved map of them (one blob per recording), and
the Explorer panel opened on it, shared by the Explorer's tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from app.context import AppContext
from app.explorer.panel import ExplorerPanel
from app.review_panel import ReviewPanel
from model.explore.grid import project_grid
from model.explore.job import folder_for
from model.explore.store import ClipMap, save_map
from model.project import Project

BACKBONE = "resnet50-untrained"


def write_map(project: Project) -> ClipMap:
    """A saved map of every clip, laid out by recording (each recording its own blob), so a
    rectangle picks exactly one recording's clips; vectors point the same way per recording."""
    grid = project_grid(project)
    rng = np.random.default_rng(1)
    ids = np.unique(grid.recording_ids)
    which = np.searchsorted(ids, grid.recording_ids)
    coords = np.c_[which * 10.0, np.zeros(len(grid))] + rng.normal(0, 0.5, (len(grid), 2))
    directions = rng.normal(size=(len(ids), 8))
    vectors = directions[which] + rng.normal(0, 0.05, (len(grid), 8))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    clip_map = ClipMap(
        grid.recording_ids, grid.starts, coords.astype(np.float32),
        which.astype(np.int32), vectors.astype(np.float32), grid.clip_seconds,
        {"fingerprints": {str(r.id): r.fingerprint for r in project.recordings()},
         "method": "umap", "pca_components": 8, "pca_variance": 0.9},
    )  # fmt: skip
    save_map(folder_for(project, BACKBONE), clip_map)
    return clip_map


@pytest.fixture
def project(tmp_path: Path, real_data: Path) -> Project:
    with Project.create(tmp_path / "p.sonotag") as proj:
        for name in ("XC46092.wav", "XC663885.wav"):
            shutil.copyfile(real_data / "pykanto-raw/STORM-PETREL" / name, tmp_path / name)
            proj.add_recording(tmp_path / name)
        shutil.copyfile(
            real_data / "pykanto-raw/BENGALESE_FINCH/bird_3/348.wav", tmp_path / "f.wav"
        )
        proj.add_recording(tmp_path / "f.wav")
        proj.add_class("storm-petrel")
        proj.set_meta("explore_backbone", BACKBONE)
        yield proj


@pytest.fixture
def context(qtbot, project: Project) -> AppContext:
    ctx = AppContext()
    ctx.set_project(project)
    yield ctx
    ctx.jobs.wait_all()
    for job in ctx.jobs.running():
        job.quit()
    ctx.set_project(None)


class Calls:
    def __init__(self) -> None:
        self.shown: list[tuple[int, float, float]] = []

    def show(self, recording, start: float, end: float) -> None:
        self.shown.append((recording.id, start, end))


def open_panel(qtbot, context: AppContext, calls: Calls) -> tuple[ExplorerPanel, ReviewPanel]:
    review = ReviewPanel(context)
    panel = ExplorerPanel(context, on_show=calls.show, review=review)
    qtbot.addWidget(review)
    qtbot.addWidget(panel)
    panel.resize(1100, 640)
    panel.show()
    qtbot.waitUntil(lambda: panel.map is not None, timeout=10_000)
    return panel, review


def rectangle(x0: float, x1: float) -> np.ndarray:
    return np.array([[x0, -5], [x1, -5], [x1, 5], [x0, 5]], float)
