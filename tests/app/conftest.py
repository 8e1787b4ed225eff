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
    """The main window on a copy of the demo project, its first recording (the 60-s great tit
    file, first added; the list opens A→Z on another) shown."""
    win = make_window(qtbot, prefs, fake_output)
    assert win.open_project(demo_project)
    win.panel.select_recording(win.project.first_recording_id())
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


#: Eleven species, as BirdNET names them (scientific, common).
BUSY_SPECIES = (
    ("Hydrobates pelagicus", "European Storm-Petrel"),
    ("Parus major", "Great Tit"),
    ("Lonchura striata", "White-rumped Munia"),
    ("Erithacus rubecula", "European Robin"),
    ("Turdus merula", "Eurasian Blackbird"),
    ("Fringilla coelebs", "Common Chaffinch"),
    ("Troglodytes troglodytes", "Eurasian Wren"),
    ("Sylvia atricapilla", "Eurasian Blackcap"),
    ("Phylloscopus collybita", "Common Chiffchaff"),
    ("Cyanistes caeruleus", "Eurasian Blue Tit"),
    ("Columba palumbus", "Common Wood-Pigeon"),
)


@pytest.fixture
def busy_project(tmp_path: Path, real_data: Path) -> Path:
    """A project with real recordings and eleven classes imported from a BirdNET CSV (3-s
    detections of several species at once, as BirdNET writes them), through the importers."""
    from model.annotations import read_annotations
    from model.annotations.importer import apply_import, plan_import
    from model.project import Project

    files = [
        real_data / "pykanto-raw/STORM-PETREL/XC46092.wav",  # 14 s
        real_data / "pykanto-raw/BENGALESE_FINCH/bird_3/348.wav",  # 22.9 s
        real_data / "great_tit/2021-B32-0415_05-3.wav",  # 2.2 s, left unlabelled
    ]
    rows = ["Start (s),End (s),Scientific name,Common name,Confidence,File"]
    for n, (f, seconds) in enumerate(zip(files[:2], (14, 22), strict=True)):
        for k, start in enumerate(range(0, seconds - 2, 3)):
            for j in range(1 + k % 4):  # one to four species per detection window
                sci, common = BUSY_SPECIES[(n * 4 + k * 3 + j * 5) % len(BUSY_SPECIES)]
                rows.append(f"{start},{start + 3},{sci},{common},0.{60 + j},{f}")
    table = tmp_path / "BirdNET_results.csv"
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    path = tmp_path / "busy.sonotag"
    with Project.create(path) as project:
        for f in files:
            project.add_recording(f)
        plan = plan_import(project, read_annotations(table, "birdnet"))
        apply_import(project, plan)
        assert len(project.classes()) == len(BUSY_SPECIES)
    return path


@pytest.fixture
def busy_window(qtbot, prefs, fake_output, busy_project):
    """The main window on the busy project, the storm-petrel recording (added first) shown."""
    win = make_window(qtbot, prefs, fake_output)
    assert win.open_project(busy_project)
    win.panel.select_recording(win.project.first_recording_id())
    yield win
    win.close()
    assert win.jobs.wait_all(10_000)
