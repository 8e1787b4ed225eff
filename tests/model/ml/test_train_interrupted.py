"""Cancel and crash: a stopped training leaves the project intact and usable."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from model.jobs import Cancelled, ProcessJob, Progress, Reporter
from model.ml.train import models_dir, train_job
from model.project import Project
from tests.model.ml.synthetic import make_project


def _snapshot(path: Path) -> tuple[list[int], int, str]:
    with Project.open(path, read_only=True) as project:
        return [m.id for m in project.models()], len(project.labels()), project.integrity_check()


def test_cancel_during_training_leaves_the_project_as_it_was(project_copy: Path) -> None:
    before = _snapshot(project_copy)
    bundles = set(models_dir(project_copy).iterdir())
    reporter: Reporter

    def on_progress(progress: Progress) -> None:
        if progress.data.get("stage") == "training" and progress.data.get("epoch", 0) >= 2:
            reporter.cancel()

    reporter = Reporter(on_progress)
    with pytest.raises(Cancelled):
        train_job(
            reporter,
            str(project_copy),
            untrained_backbone=True,
            epochs=500,
            head={"kind": "mlp", "patience": 500},
        )
    assert _snapshot(project_copy) == before
    assert before[2] == "ok"
    assert set(models_dir(project_copy).iterdir()) == bundles


def test_cancel_while_the_backbone_runs_lands_at_the_next_batch(tmp_path: Path) -> None:
    """Cancel lands between backbone batches, not after the whole feature pass. Checked by
    events (no feature batch reported after the request), not by the clock: the latency is
    measured by bench/bench_cancel.py."""
    project = make_project(tmp_path / "fresh", recordings=2, seed=7)
    events: list[Progress] = []
    at_work = threading.Event()
    outcome: list[BaseException] = []

    def on_progress(progress: Progress) -> None:
        events.append(progress)
        if progress.data.get("stage") == "features" and progress.done > 0:
            at_work.set()

    reporter = Reporter(on_progress)

    def work() -> None:
        try:
            train_job(reporter, str(project), untrained_backbone=True, batch_size=8)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)
        finally:
            at_work.set()  # a failure before the backbone must not leave the test waiting

    worker = threading.Thread(target=work)
    worker.start()
    assert at_work.wait(timeout=900) and not outcome, outcome  # a hang guard, not a target
    seen = len(events)
    reporter.cancel()
    worker.join(timeout=900)
    assert not worker.is_alive()
    assert outcome and isinstance(outcome[0], Cancelled)
    # At most the one report already past its cancel check when cancel was asked.
    assert len(events) <= seen + 1
    with Project.open(project, read_only=True) as opened:
        assert opened.models() == [] and opened.integrity_check() == "ok"


def test_killed_worker_leaves_the_project_usable(project_copy: Path, no_backbone: None) -> None:
    before = _snapshot(project_copy)
    job = ProcessJob(
        "model.ml.train:train_job",
        project_path=str(project_copy),
        untrained_backbone=True,
        epochs=100_000,
        head={"patience": 100_000},
    ).start()
    try:
        deadline = time.monotonic() + 180
        training = False
        while not training:
            assert time.monotonic() < deadline, "the worker never started training"
            for event in job.poll(0.5):
                assert event.kind == "progress", event.error
                training |= event.progress.data.get("stage") == "training"
    finally:
        job.kill()
    final = job.poll(5.0)
    assert final and final[-1].kind == "error" and "ended unexpectedly" in final[-1].error
    assert _snapshot(project_copy) == before
    # Still usable: a new training run works, straight from the cached features.
    from model.jobs import run_inline

    result = run_inline(train_job, str(project_copy), untrained_backbone=True, epochs=5)
    assert result["features"]["computed"] == 0
    assert _snapshot(project_copy)[0] == [*before[0], result["model_id"]]
