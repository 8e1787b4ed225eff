"""Run model on a folder… offers "on a Ray cluster" when the extra is installed, hands the
address and workers to the same batch job, and its progress view shows each worker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import app.cluster_choice
from app.batch_dialog import TARGET, BatchDialog
from app.context import AppContext
from model.jobs import Reporter
from tests.app.test_batch_dialog import ThreadRunner
from tests.model.test_batch import write_wav

REPO = Path(__file__).resolve().parents[2]
WORKERS = [
    {
        "name": "worker 1",
        "host": "lab-1",
        "stage": "scoring",
        "file": "20230401_0500.WAV",
        "fraction": 0.4,
        "files_done": 12,
        "device": "CPU (OpenVINO, bfloat16, 16 cores)",
    },
    {
        "name": "worker 2",
        "host": "lab-2",
        "stage": "restarting",
        "files_done": 7,
        "device": "CPU (OpenVINO, float32, 8 cores)",
    },
]


def fake_cluster_job(reporter: Reporter, **kwargs: Any) -> dict[str, Any]:
    reporter.update(
        19,
        40,
        "19 of 40 files; 1 of 2 worker(s) busy",
        stage="scoring",
        failed=0,
        engine="Ray cluster at lab-1:6379, 2 nodes, 2 worker(s)",
        workers=WORKERS,
        audio_hours_per_min=1.5,
        clips_per_s=90.0,
        eta_s=600.0,
        audio_done_s=10.0,
        audio_total_s=20.0,
    )
    return {
        "done": [],
        "skipped": [],
        "failed": [],
        "detections": 0,
        "out_dir": kwargs["out_dir"],
        "errors_file": "",
    }


def make_dialog(qtbot, runner: ThreadRunner) -> BatchDialog:
    dialog = BatchDialog(AppContext(jobs=runner))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_cluster_choice_reaches_the_job_and_the_progress_view_shows_workers(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.cluster_choice, "available", lambda: True)
    runner = ThreadRunner(fakes={TARGET: fake_cluster_job})
    dialog = make_dialog(qtbot, runner)
    model = tmp_path / "m.sonotag-model"
    model.write_bytes(b"x")
    write_wav(tmp_path / "card" / "a.wav", 1.0, 0)
    dialog.add_model_file(model)
    dialog.set_folder(tmp_path / "card")
    place = dialog.place
    assert place.isVisible() and not place.address.isVisible()
    place.where.setCurrentIndex(place.where.findData(app.cluster_choice.CLUSTER))
    assert place.address.isVisible() and place.address.text() == "auto"
    assert place.hint.isVisible() and "same path" in place.hint.text()
    place.address.setText("lab-1:6379")
    place.workers.setValue(2)
    labels: list[str] = []
    with qtbot.waitSignal(dialog.batch_finished, timeout=30_000):
        job = dialog.run()
        assert job is not None and "on a Ray cluster" in job.title
        progress = dialog.progress_dialog
        job.progress.connect(lambda _p: labels.append(progress.labelText()))
    assert runner.calls[0][1]["cluster"] == "lab-1:6379" and runner.calls[0][1]["workers"] == 2
    text = "\n".join(labels)
    assert "1.50 h of audio/min" in text
    assert "worker 1 on lab-1: scoring 20230401_0500.WAV (40%); 12 file(s) done" in text
    assert "worker 2 on lab-2: restarting" in text
    if dialog.summary_box is not None:
        dialog.summary_box.close()
    assert runner.wait_all(30_000)

    place.where.setCurrentIndex(place.where.findData(app.cluster_choice.HERE))
    request = dialog.request()
    assert request is not None and "cluster" not in request


def test_no_cluster_choice_without_the_extra(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.cluster_choice, "available", lambda: False)
    runner = ThreadRunner()
    dialog = make_dialog(qtbot, runner)
    assert not dialog.place.isVisible()
    assert runner.wait_all(1_000)


def test_the_dialog_does_not_import_ray() -> None:
    probe = "import sys, app.batch_dialog, app.main_window; sys.exit(10 + ('ray' in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 10, result.stderr
