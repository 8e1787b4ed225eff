"""Generated recordings of two clearly different calls, projects on them, and a labelling window.

Tone: a steady whistle near 3 kHz; sweep: a chirp rising from 1.5 to 7 kHz. Each 12-s
recording holds four 3-s slots (tone, sweep, noise only, and one more call), so a model has
something to learn and the split by recording has whole files to hold out.

``LabWindow`` is the labelling loop the main window builds, in small: spectrogram, label
overlay, the labelling controller with its key actions, and the ML panels, all around one
``AppContext``, so the tests label with real clicks and keys and read real score tracks.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QMainWindow, QSplitter

RATE = 22050
SLOT_S = 3.0
CALL_S = 0.6
SLOT_CALL_OFFSET = 1.2  # call starts this far into its slot
CONTENTS = (
    ("tone", "sweep", "", "tone"),
    ("sweep", "", "tone", "sweep"),
    ("tone", "", "sweep", "tone"),
    ("", "sweep", "tone", "sweep"),
)
CLASSES = (("tone", "#ffd54f", "1"), ("sweep", "#4fc3f7", "2"))


@dataclass(frozen=True)
class Call:
    start: float
    end: float
    kind: str  # "" for a slot with noise only

    @property
    def centre(self) -> float:
        return (self.start + self.end) / 2


def _call(kind: str, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(CALL_S * RATE)) / RATE
    if kind == "tone":
        wave = np.sin(2 * np.pi * rng.uniform(2800, 3200) * t)
    else:
        f0, f1 = 1500.0, rng.uniform(6500, 7500)
        wave = np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * CALL_S)))
    envelope = np.minimum(1.0, np.minimum(t, CALL_S - t) / 0.02)
    return wave * envelope * 10 ** (rng.uniform(-20, -14) / 20)


def write_recording(path: Path, index: int) -> list[Call]:
    import soundfile as sf

    rng = np.random.default_rng(100 + index)
    contents = CONTENTS[index % len(CONTENTS)]
    audio = rng.normal(0, 10 ** (-55 / 20), int(len(contents) * SLOT_S * RATE))
    calls = []
    for slot, kind in enumerate(contents):
        start = slot * SLOT_S + SLOT_CALL_OFFSET
        if kind:
            piece = _call(kind, rng)
            first = int(start * RATE)
            audio[first : first + len(piece)] += piece
        calls.append(Call(start, start + CALL_S, kind))
    sf.write(path, np.clip(audio, -1, 1).astype(np.float32), RATE, subtype="PCM_16")
    return calls


@pytest.fixture(scope="session")
def audio_set(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, list[Call]]]:
    folder = tmp_path_factory.mktemp("ml-audio")
    out = []
    for index in range(len(CONTENTS)):
        path = folder / f"rec{index}.wav"
        out.append((path, write_recording(path, index)))
    return out


def make_project(folder: Path, audio_set: list[tuple[Path, list[Call]]]) -> Path:
    """A project with the two classes (keys 1 and 2) and the recordings, copied beside it."""
    from model.project import Project

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "calls.sonotag"
    with Project.create(path) as project:
        for name, colour, key in CLASSES:
            project.add_class(name, colour, key)
        for wav, _ in audio_set:
            copy = folder / wav.name
            shutil.copyfile(wav, copy)
            project.add_recording(copy)
    return path


@pytest.fixture
def project_path(tmp_path: Path, audio_set) -> Path:
    return make_project(tmp_path / "project", audio_set)


def label_with_commands(context, audio_set) -> int:
    """Labels every call (and noise slots as absent for both classes) via the undo stack."""
    from model.project import LabelState, SetLabel

    project = context.project
    ids = {c.name: c.id for c in project.classes()}
    count = 0
    for recording, (_, calls) in zip(project.recordings(), audio_set, strict=True):
        for call in calls:
            start = round(call.centre - 1.0, 3)
            if call.kind:
                pairs = [(call.kind, LabelState.PRESENT)]
            else:
                pairs = [(n, LabelState.ABSENT) for n in ids]
            for name, state in pairs:
                context.undo_stack.push(
                    SetLabel(recording.id, start, start + 2.0, ids[name], state)
                )
                count += 1
    return count


class LabWindow(QMainWindow):
    """Spectrogram + label keys + ML panels around one AppContext (what the main window does)."""

    def __init__(self) -> None:
        super().__init__()
        from app.context import AppContext
        from app.labelling.controller import LabellingController
        from app.labelling.keys import LabelActions
        from app.labelling.overlay import LabelOverlay
        from app.ml.wiring import build_ml_ui
        from app.spectrogram import SpectrogramView

        self.context = AppContext()
        self.view = SpectrogramView()
        self.view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.overlay = LabelOverlay()
        self.view.plot_item.addItem(self.overlay, ignoreBounds=True)
        self.labelling = LabellingController(self.overlay, self)
        self.view.clicked.connect(lambda t, f, mods: self.labelling.click(t))
        self.actions_ = LabelActions(self, self.labelling, self.menuBar().addMenu("Label"))
        self.ml = build_ml_ui(self.context, self.view)
        splitter = QSplitter(self)
        splitter.addWidget(self.view)
        splitter.addWidget(self.ml.training)
        splitter.setSizes([900, 420])
        self.setCentralWidget(splitter)

    def open(self, path: Path) -> None:
        from model.project import Project

        project = Project.open(path)
        self.context.set_project(project)
        self.labelling.set_project(project, self.context.undo_stack)

    def show_recording(self, index: int) -> None:
        from model.audio import probe

        recording = self.context.project.recordings()[index]
        self.view.set_recording(recording.path, probe(recording.path))
        self.labelling.set_recording(recording)
        self.context.set_recording(recording)

    def click_at(self, qtbot, t: float, f: float = 3000.0) -> None:
        scene = self.view.view_box.mapViewToScene(QPointF(t, f))
        pos = self.view.graphics.mapFromScene(scene)
        qtbot.mouseClick(self.view.graphics.viewport(), Qt.MouseButton.LeftButton, pos=pos)

    def shutdown(self) -> None:
        self.ml.predictor.cancel()
        if self.ml.training.job is not None:
            self.ml.training.cancel_training()
        self.ml.training.evaluation.stop()
        assert self.context.jobs.wait_all(20_000)
        self.view.shutdown()
        if self.context.project is not None:
            self.context.project.close()


@pytest.fixture
def lab(qtbot, project_path: Path):
    window = LabWindow()
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.open(project_path)
    yield window
    window.shutdown()


def model_manifest(class_names: list[str], untrained: bool, backbone: dict | None = None) -> dict:
    """A manifest with the fields ``model.ml.bundle.make_manifest`` writes (built by hand here
    because that function imports TensorFlow for the version list)."""
    from model.clips import ClipSettings

    return {
        "format": "sonotag-model",
        "format_version": 1,
        "kind": "head",
        "classes": [{"name": n, "index": i} for i, n in enumerate(class_names)],
        "clip_settings": ClipSettings().to_dict(),
        "backbone": backbone
        or {"weights": "untrained" if untrained else "imagenet", "precision": "float32"},
        "untrained_backbone": untrained,
        "label_counts": {n: {"present": 5, "absent": 7, "unknown": 0} for n in class_names},
        "training": {
            "device": "CPU (2 cores)",
            "examples": 12,
            "fine_tune": False,
            "history": {
                "epochs_run": 3,
                "best_epoch": 3,
                "stopped_early": False,
                "history": [
                    {
                        "epoch": e,
                        "epochs": 3,
                        "loss": 1.0 / e,
                        "val_loss": 1.2 / e,
                        "val_ap": 0.3 * e,
                    }
                    for e in (1, 2, 3)
                ],
            },
        },
        "versions": {"sonotag": "test"},
    }


def model_metrics(class_names: list[str]) -> dict:
    per_class = {
        name: {
            "ap": 0.9 - 0.2 * i,
            "positives": 3,
            "negatives": 5,
            "pr_curve": {
                "precision": [0.4, 0.8, 1.0],
                "recall": [1.0, 0.6, 0.0],
                "thresholds": [0.1, 0.5, 1.0],
            },
        }
        for i, name in enumerate(class_names)
    }
    return {
        "map": float(np.mean([v["ap"] for v in per_class.values()])),
        "per_class": per_class,
        "clips": 8,
        "split": {
            "method": "recording",
            "train_clips": 24,
            "held_out_clips": 8,
            "held_out_recordings": [4],
        },
    }


def add_model_record(
    project,
    name: str = "m1",
    untrained: bool = True,
    activate: bool = True,
    backbone: dict | None = None,
    metrics: dict | None = None,
):
    """Registers a model (no bundle file needed to list it) with realistic manifest/metrics."""
    names = [c.name for c in project.classes()]
    folder = project.path.with_name(project.path.stem + ".models")
    folder.mkdir(exist_ok=True)
    file = folder / f"{name}.sonotag-model"
    file.write_bytes(b"placeholder")
    return project.add_model(
        name,
        file,
        model_manifest(names, untrained, backbone),
        model_metrics(names) if metrics is None else metrics,
        activate=activate,
    )
