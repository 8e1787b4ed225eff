"""The prediction controller's rules: shown recording first, one job at a time, a queue, and
scores announced per recording. The worker here is a thread that writes plain scores through
its own connection, so the rules are checked in a second; the real worker runs in
``test_training_loop.py``."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from app.context import AppContext
from app.jobs import Job, JobRunner
from app.ml.predict_controller import TARGET, PredictController
from model.jobs import Reporter
from model.project import Project
from tests.app.ml.conftest import add_model_record


def write_scores(
    reporter: Reporter,
    project_path: str,
    recording_ids: list[int],
    model_id: int,
    hop: float,
    gate: threading.Event,
) -> dict[str, Any]:
    gate.wait(10)
    with Project.open(project_path) as project:
        ids = [c.id for c in project.classes()]
        for n, rid in enumerate(recording_ids):
            starts = np.arange(0.0, 10.0 + 1e-9, hop)
            scores = np.full((len(starts), len(ids)), 0.25, np.float32)
            project.put_predictions(model_id, rid, starts, ids, scores)
            reporter.update(n + 1, len(recording_ids), "scored", scored_recording=rid)
    return {"scored": list(recording_ids), "skipped": []}


class ThreadRunner(JobRunner):
    """Runs the prediction target in a thread and remembers what it was asked."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[dict[str, Any]] = []
        self.gate = threading.Event()

    def run_process(self, title: str, target: str, **kwargs: Any) -> Job:
        assert target == TARGET
        self.calls.append(kwargs)
        return self.run_thread(title, write_scores, gate=self.gate, **kwargs)


@pytest.fixture
def setup(project_path):
    runner = ThreadRunner()
    context = AppContext(jobs=runner)
    project = Project.open(project_path)
    context.set_project(project)
    controller = PredictController(context)
    yield context, controller, runner, project
    context.set_project(None)  # drops the queue
    runner.gate.set()
    assert runner.wait_all(10_000)
    project.close()


def test_asking_for_the_whole_project_again_while_it_is_scored_is_cheap(
    qtbot, setup, monkeypatch
) -> None:
    """Scoring a season runs 100,000 recordings in one job; asking again meanwhile (score
    project twice, a retrain with score-all) must not compare every new id with every
    running one."""
    from tests.app.test_jobs import Counted

    context, controller, runner, project = setup
    model = add_model_record(project)
    controller._running_model = model.id
    running = [Counted(i) for i in range(3000)]  # what the running job was given
    try:
        monkeypatch.setattr(controller.queue, "running", running)
    except AttributeError:  # a queue whose running batch is a read-only property
        monkeypatch.setattr(type(controller.queue), "running", property(lambda _q: running))
    Counted.comparisons = 0
    left = controller._not_running([Counted(i) for i in range(1000, 4000)])
    assert [c.n for c in left] == list(range(3000, 4000))
    assert Counted.comparisons <= 3000


def test_nothing_to_do_without_a_model(setup) -> None:
    context, controller, runner, project = setup
    context.set_recording(project.recordings()[0])
    controller.predict(None)
    assert runner.calls == [] and not controller.busy


def test_shown_recording_is_scored_first_and_announced(qtbot, setup) -> None:
    context, controller, runner, project = setup
    model = add_model_record(project)
    recordings = project.recordings()
    context.set_recording(recordings[2])  # no scores yet: queued at once, alone
    assert runner.calls[-1]["recording_ids"] == [recordings[2].id]
    assert runner.calls[-1]["model_id"] == model.id and controller.busy
    controller.hop = 2.0
    controller.predict(None)  # while busy: waits in the queue
    others = [r.id for r in recordings if r.id != recordings[2].id]
    assert controller.queued() == others  # the shown one is being scored already
    announced: list[int] = []
    context.predictions_changed.connect(announced.append)
    runner.gate.set()
    qtbot.waitUntil(lambda: len(runner.calls) == 2 and not controller.busy, timeout=10_000)
    second = runner.calls[1]
    assert second["recording_ids"] == others and second["hop"] == 2.0
    assert announced == [recordings[2].id, *others]
    starts, _, scores = project.predictions(model.id, recordings[0].id)
    assert len(starts) == 6 and scores.shape == (6, 2)  # hop 2 s over 10 s


def test_a_scored_recording_is_not_scored_again_and_a_new_model_is(qtbot, setup) -> None:
    context, controller, runner, project = setup
    runner.gate.set()
    model = add_model_record(project, "first")
    shown = project.recordings()[0]
    project.put_predictions(model.id, shown.id, [0.0], [1, 2], [[0.5, 0.5]])
    context.set_recording(shown)
    assert runner.calls == []
    newer = add_model_record(project, "second")  # e.g. just trained: active, no scores
    context.models_changed.emit()
    assert runner.calls[-1]["model_id"] == newer.id
    assert runner.calls[-1]["recording_ids"] == [shown.id]
    context.models_changed.emit()  # already running for it: not queued twice
    assert controller.queued() == []
    qtbot.waitUntil(lambda: not controller.busy, timeout=10_000)
    assert len(project.predictions(newer.id, shown.id)[0]) > 0


def test_after_training_scores_everything_when_asked(qtbot, setup) -> None:
    context, controller, runner, project = setup
    runner.gate.set()
    add_model_record(project)
    controller.auto_score_visible = False
    recordings = project.recordings()
    context.set_recording(recordings[1])
    assert runner.calls == []
    controller.after_training({"model_id": 1}, score_all=True)
    ids = runner.calls[-1]["recording_ids"]
    assert len(runner.calls) == 1
    assert ids[0] == recordings[1].id and sorted(ids) == sorted(r.id for r in recordings)
    qtbot.waitUntil(lambda: not controller.busy, timeout=10_000)


def test_a_project_switch_drops_the_old_queue_and_scores_the_new_project(
    qtbot, setup, tmp_path, audio_set
) -> None:
    """Issue 9: the scoring queue is bound to the project it was filled for. A's waiting ids
    never run on B, A's scores are not announced on B, and B's shown recording is scored even
    when it has the same id, under a model with the same id, as the one A's job still holds."""
    from tests.app.ml.conftest import make_project

    context, controller, runner, project = setup
    add_model_record(project)
    shown = project.recordings()[2]
    context.set_recording(shown)  # A's job starts (held at the gate)
    controller.predict(None)
    assert controller.queued()  # the rest of A waits
    announced: list[int] = []
    context.predictions_changed.connect(announced.append)
    other_path = make_project(tmp_path / "other", audio_set)
    other = Project.open(other_path)
    try:
        model = add_model_record(other)
        context.set_project(other)
        assert controller.queued() == []  # A's ids are not B's
        other_shown = other.recordings()[2]
        assert (other_shown.id, model.id) == (shown.id, 1)  # same ids as A's running job
        context.set_recording(other_shown)
        assert controller.queued() == [other_shown.id]
        runner.gate.set()
        qtbot.waitUntil(lambda: len(runner.calls) == 2 and not controller.busy, timeout=10_000)
        assert runner.calls[1]["project_path"] == str(other_path)
        assert runner.calls[1]["recording_ids"] == [other_shown.id]
        assert announced == [other_shown.id]  # A's scored recording was not announced on B
        assert len(other.predictions(model.id, other_shown.id)[0]) > 0
    finally:
        context.set_project(None)
        assert runner.wait_all(10_000)
        other.close()


def test_a_model_that_no_longer_fits_the_project_is_not_run_and_says_why(qtbot, setup) -> None:
    """After a class the active model knows is deleted, opening recordings used to start a
    scoring job per recording that failed in the worker and opened an error box each time (a
    window-modal box that swallowed the next label key). Now nothing is started, and the
    reason is said where scoring reports, without a dialog."""
    context, controller, runner, project = setup
    add_model_record(project)
    errors: list[str] = []
    messages: list[str] = []
    context.error.connect(lambda message, _detail: errors.append(message))
    controller.message.connect(messages.append)
    sweep = project.class_by_name("sweep")
    project.delete_class(sweep.id)
    for recording in project.recordings()[:3]:
        context.set_recording(recording)
    controller.predict(None)  # asked for explicitly: the same answer
    assert runner.calls == [] and not controller.busy and controller.queued() == []
    assert errors == []
    assert messages and "'sweep'" in messages[-1] and "cannot score" in messages[-1]
    assert "'sweep'" in (controller.unfit_reason() or "")
    project.add_class("sweep", "#4fc3f7", "2")  # the class is back: scoring starts again
    context.models_changed.emit()
    assert controller.unfit_reason() is None
    assert runner.calls and runner.calls[-1]["recording_ids"] == [project.recordings()[2].id]
