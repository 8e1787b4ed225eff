"""Issue 9: jobs never outlive the project they were started for.

Switching projects while a review queue is being built, or closing the project under an
activity count, must neither start A's queue on B (with A's recording ids) nor show a dialog
about a project that is closed.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app import activity_panel, review_panel
from model.project import Project
from tests.app.conftest import make_window


def add_scores(path: Path) -> None:
    """An active model with scores for every recording, so there is something to review."""
    from model.ml.features import clip_settings_of

    with Project.open(path) as project:
        classes = project.classes()
        # A manifest that fits the project: the app checks it before scoring (eee4c49).
        manifest = {
            "classes": [{"name": c.name, "index": i} for i, c in enumerate(classes)],
            "clip_settings": clip_settings_of(project).to_dict(),
        }
        model = project.add_model("m1", path.parent / "m1.sonotag-model", manifest, {})
        rng = np.random.default_rng(3)
        for rec in project.recordings():
            starts = np.arange(0, rec.duration - 2.0, 1.0)
            scores = rng.uniform(0, 1, (len(starts), len(classes))).astype(np.float32)
            project.put_predictions(model.id, rec.id, starts, [c.id for c in classes], scores)


@pytest.fixture
def two_projects(tmp_path: Path) -> tuple[Path, Path]:
    from model.demo import ensure_demo_project

    first = ensure_demo_project(tmp_path / "a")
    add_scores(first)
    other = ensure_demo_project(tmp_path / "b")
    second = other.with_name("site-B.sonotag")
    shutil.move(other, second)
    return first, second


def slowly(function, seconds: float = 1.5):
    def job(reporter, *args, **kwargs):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            reporter.update(0, None, "reading scores")
            time.sleep(0.02)
        return function(reporter, *args, **kwargs)

    return job


def test_review_queue_of_a_closed_project_never_starts(
    qtbot, prefs, fake_output, errors, two_projects, monkeypatch, output_dir
) -> None:
    first, second = two_projects
    monkeypatch.setattr(review_panel, "build_queue_job", slowly(review_panel.build_queue_job))
    window = make_window(qtbot, prefs, fake_output)
    assert window.open_project(first)
    review = window.panels.review
    review.show()
    review.raise_()
    started: list[object] = []
    review.session_started.connect(started.append)
    said: list[str] = []
    window.context.status.connect(said.append)
    review.start()
    job = review._job
    assert job is not None and not review.start_button.isEnabled()
    assert window.open_project(second)  # while A's queue is still being read
    assert any("review queue being built for demo.sonotag was dropped" in t for t in said)
    assert review.start_button.isEnabled()  # B can be reviewed at once
    # Said in the panel too: opening B writes its own news to the status bar at once.
    assert review.clip_label.text() == (
        "The review queue being built for demo.sonotag was dropped: another project is open "
        "now. Choose a class and press Start."
    )
    with qtbot.waitSignal(job.ended, timeout=10_000):
        pass
    qtbot.wait(100)
    assert started == [] and review.session is None
    assert errors == []
    labels_before = window.project.labels()
    qtbot.keyClick(window.spectrogram, Qt.Key.Key_A)  # "accept" with nothing under review
    assert window.project.labels() == labels_before
    assert [review.class_combo.itemText(i) for i in range(review.class_combo.count())] == [
        c.name for c in window.project.classes()
    ]
    assert "— site-B —" in window.windowTitle()
    assert window.spectrogram.wait_until_rendered(10_000)
    window.grab().save(str(output_dir / "project_switch_during_review_build.png"))
    window.close()
    assert window.jobs.wait_all(10_000)


def test_closing_the_project_under_an_activity_count_shows_no_dialog(
    qtbot, prefs, fake_output, errors, two_projects, monkeypatch
) -> None:
    first, _second = two_projects
    monkeypatch.setattr(activity_panel, "activity_job", slowly(activity_panel.activity_job))
    window = make_window(qtbot, prefs, fake_output)
    assert window.open_project(first)
    panel = window.panels.activity
    panel.show()
    panel.refresh()
    job = panel._job
    assert job is not None
    window.close_project()
    with qtbot.waitSignal(job.ended, timeout=10_000):
        pass
    qtbot.wait(100)
    assert errors == []
    assert panel.activity is None
    window.close()
    assert window.jobs.wait_all(10_000)
