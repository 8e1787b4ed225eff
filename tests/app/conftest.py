"""Fixtures for the main-window tests: a copy of the demo project, isolated preferences, a
window whose sound card is the fake one, and a way to collect reported errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import dialogs
from app.settings import Preferences


@pytest.fixture
def demo_project(tmp_path: Path) -> Path:
    """The bundled demo project copied into a temporary data folder (real recordings)."""
    from model.demo import ensure_demo_project

    return ensure_demo_project(tmp_path / "data")


@pytest.fixture
def prefs(tmp_path: Path) -> Preferences:
    """Preferences in an INI file of this test only; the user's settings stay untouched."""
    return Preferences.at(tmp_path / "prefs.ini")


@pytest.fixture
def fake_output():
    from model.playback.fake import FakeOutput

    return FakeOutput(samplerate=48_000)


@pytest.fixture
def errors(qtbot):
    """Every error the app reports, as (title, message); the boxes are closed at the end."""
    seen: list[tuple[str, str]] = []

    def record(title: str, message: str, detail: str) -> None:
        seen.append((title, message))

    dialogs.notifier().error_reported.connect(record)
    yield seen
    dialogs.notifier().error_reported.disconnect(record)


def make_window(qtbot, prefs: Preferences, fake_output):
    from app.jobs import JobRunner
    from app.main_window import MainWindow
    from app.playback import PlaybackController
    from model.playback.engine import Player

    jobs = JobRunner()
    playback = PlaybackController(jobs, player=Player(stream_factory=fake_output, blocksize=4800))
    window = MainWindow(prefs, jobs=jobs, playback=playback)
    qtbot.addWidget(window)
    window.resize(1400, 820)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.spectrogram.setFocus()
    return window


@pytest.fixture
def window(qtbot, prefs, fake_output, demo_project):
    """The main window on a copy of the demo project, first recording shown."""
    win = make_window(qtbot, prefs, fake_output)
    assert win.open_project(demo_project)
    yield win
    win.close()
    assert win.jobs.wait_all(10_000)


def click_at(qtbot, window, t: float, f: float = 3000.0) -> None:
    """A real left click on the spectrogram at time ``t`` (s) and frequency ``f`` (Hz)."""
    from PySide6.QtCore import QPointF, Qt

    view = window.spectrogram
    scene_pos = view.view_box.mapViewToScene(QPointF(t, f))
    qtbot.mouseClick(
        view.graphics.viewport(),
        Qt.MouseButton.LeftButton,
        pos=view.graphics.mapFromScene(scene_pos),
    )


def stored_labels(project_path: Path, recording_id: int) -> list[tuple[float, float, str, str]]:
    """(start, end, class name, state) read through a separate connection: what is on disk."""
    from model.project import Project

    with Project.open(project_path, read_only=True) as project:
        names = {c.id: c.name for c in project.classes()}
        return [
            (la.start, la.end, names[la.class_id], la.state.value)
            for la in project.labels(recording_id=recording_id)
        ]
