"""app.jobs turns model jobs into Qt signals delivered on the GUI thread."""

from __future__ import annotations

from app.jobs import JobRunner
from tests.model import job_targets


def test_thread_job_signals_progress_and_result(qtbot) -> None:
    runner = JobRunner()
    progress: list[float] = []
    results: list[object] = []
    job = runner.run_thread("count", job_targets.count, 3)
    job.progress.connect(lambda p: progress.append(p.done))
    job.finished.connect(results.append)
    with qtbot.waitSignal(job.ended, timeout=5000):
        pass
    assert results == [30]
    assert runner.wait_all()


class Counted:
    """A request that counts how often it is compared with another: a queue that looks new
    requests up in a list compares each with every one waiting (a season's 100,000
    recordings asked twice: 10^10 comparisons, a frozen window)."""

    comparisons = 0

    def __init__(self, n: int) -> None:
        self.n = n

    def __hash__(self) -> int:
        return hash(self.n)

    def __eq__(self, other: object) -> bool:
        Counted.comparisons += 1
        return isinstance(other, Counted) and self.n == other.n


def test_queue_requests_cost_the_same_however_many_wait(qtbot) -> None:
    import threading

    from app.job_queue import JobQueue

    runner, gate = JobRunner(), threading.Event()
    batches: list[list[Counted]] = []

    def start(batch: list[Counted]):
        batches.append(batch)
        return runner.run_thread("hold", lambda reporter: gate.wait(10))

    queue = JobQueue(start)
    n = 3000
    try:
        queue.add([Counted(i) for i in range(n)])  # runs at once
        Counted.comparisons = 0
        queue.add([Counted(i) for i in range(n, 2 * n)])  # waits
        queue.add([Counted(i) for i in range(n, 2 * n)], front=True)  # all waiting already
        queue.add([Counted(i) for i in range(2 * n, 3 * n)])
        assert [c.n for c in queue.waiting] == list(range(n, 3 * n))
        assert Counted.comparisons <= 2 * n  # one per request found waiting, not one per pair
    finally:
        gate.set()
    qtbot.waitUntil(lambda: len(batches) == 2 and queue.job is None, timeout=10_000)
    assert [c.n for c in batches[1]] == list(range(n, 3 * n))
    assert runner.wait_all()


def test_thread_job_cancel(qtbot) -> None:
    runner = JobRunner()
    job = runner.run_thread("spin", job_targets.until_cancelled)
    with qtbot.waitSignal(job.progress, timeout=5000):
        pass
    with qtbot.waitSignals([job.cancelled, job.ended], timeout=5000):
        job.cancel()


def test_thread_job_failure_names_the_file(qtbot) -> None:
    runner = JobRunner()
    job = runner.run_thread("bad", job_targets.bad_file, "/data/rec.wav")
    with qtbot.waitSignal(job.failed, timeout=5000) as blocker:
        pass
    message, detail = blocker.args
    assert message == "/data/rec.wav: file is empty (0 bytes)"
    assert "AudioError" in detail


def test_process_job_result_and_death(qtbot) -> None:
    runner = JobRunner()
    job = runner.run_process("count", "tests.model.job_targets:count", n=2)
    with qtbot.waitSignal(job.finished, timeout=30000) as blocker:
        pass
    assert blocker.args == [20]
    job = runner.run_process("die", "tests.model.job_targets:die")
    with qtbot.waitSignal(job.failed, timeout=30000) as blocker:
        pass
    assert "exit code 3" in blocker.args[0]
    assert runner.wait_all()


def test_process_jobs_share_one_warm_worker_when_free(qtbot) -> None:
    runner = JobRunner()
    pids = []
    for _ in range(2):
        job = runner.run_process("pid", "tests.model.job_targets:pid")
        with qtbot.waitSignal(job.finished, timeout=30000) as blocker:
            pass
        pids.append(blocker.args[0])
    assert pids[0] == pids[1], "the second job should reuse the warm worker"
    busy = runner.run_process("spin", "tests.model.job_targets:until_cancelled")
    with qtbot.waitSignal(busy.progress, timeout=30000):
        pass
    other = runner.run_process("pid", "tests.model.job_targets:pid")  # worker busy: a fresh one
    with qtbot.waitSignal(other.finished, timeout=30000) as blocker:
        pass
    assert blocker.args[0] != pids[0]
    with qtbot.waitSignal(busy.ended, timeout=10000):
        busy.cancel()
    runner.shutdown()


def test_ended_fires_when_the_process_cannot_start(qtbot, monkeypatch) -> None:
    from model.jobs import ProcessJob

    def refuse(self):
        raise OSError("fork: resource temporarily unavailable")

    monkeypatch.setattr(ProcessJob, "start", refuse)
    runner = JobRunner()
    job = runner.run_process("count", "tests.model.job_targets:count", n=1)
    failures: list[str] = []
    job.failed.connect(lambda message, _detail: failures.append(message))
    with qtbot.waitSignal(job.ended, timeout=10_000):
        pass
    assert failures and "could not be started" in failures[0]
    # The warm worker was not left marked busy: the next job runs.
    monkeypatch.undo()
    job = runner.run_process("count", "tests.model.job_targets:count", n=1)
    with qtbot.waitSignal(job.finished, timeout=30_000) as blocker:
        pass
    assert blocker.args == [10]
    runner.shutdown()


def test_ended_fires_once_when_the_result_cannot_be_read(qtbot) -> None:
    runner = JobRunner()
    job = runner.run_process("odd", "tests.model.job_targets:unreadable_result")
    ends: list[int] = []
    failures: list[str] = []
    job.ended.connect(lambda: ends.append(1))
    job.failed.connect(lambda message, _detail: failures.append(message))
    with qtbot.waitSignal(job.ended, timeout=30_000):
        pass
    qtbot.wait(200)
    assert ends == [1] and failures and "could not be read" in failures[0]
    runner.shutdown()


def test_jobs_refuse_what_cannot_reach_them(qtbot, tmp_path) -> None:
    import threading

    import pytest

    from model.project import Project

    runner = JobRunner()
    with pytest.raises(TypeError, match="cannot be sent to a worker process"):
        runner.run_process("x", "tests.model.job_targets:count", n=1, lock=threading.Lock())
    with Project.create(tmp_path / "p.sonotag") as project:
        with pytest.raises(TypeError, match="project's path"):
            runner.run_thread("x", job_targets.slow_echo, project)
        with pytest.raises(TypeError, match="project's path"):
            runner.run_process("x", "tests.model.job_targets:count", project=project)
    assert runner.running() == []


def test_a_bound_job_delivers_nothing_once_its_project_is_gone(qtbot, tmp_path) -> None:
    from app.context import AppContext
    from model.project import Project

    context = AppContext()
    first = Project.create(tmp_path / "a.sonotag")
    context.set_project(first)
    job = context.run_thread("slow", job_targets.slow_echo, "for a", 0.5)
    results: list[object] = []
    job.finished.connect(results.append)
    job.cancelled.connect(lambda: results.append("cancelled"))
    with qtbot.waitSignals([job.dropped, job.ended], timeout=10_000):
        context.set_project(Project.create(tmp_path / "b.sonotag"))
    assert results == []  # neither the result nor the cancel reached the new project
    # A job bound to the project now open delivers.
    job = context.run_thread("fast", job_targets.slow_echo, "for b", 0.05)
    with qtbot.waitSignal(job.finished, timeout=10_000) as blocker:
        pass
    assert blocker.args == ["for b"]
    context.jobs.wait_all()
    context.project.close()
    first.close()


def test_service_mode_takes_requests_yields_results_and_ends(qtbot) -> None:
    runner = JobRunner()
    job = runner.run_service("squares", job_targets.service_square, 1)
    seen: list[int] = []
    job.yielded.connect(seen.append)
    job.send(3)
    qtbot.waitUntil(lambda: seen == [10], timeout=5000)
    job.send(4)
    qtbot.waitUntil(lambda: seen == [10, 17], timeout=5000)
    with qtbot.waitSignals([job.cancelled, job.ended], timeout=5000):
        job.cancel()  # it was waiting for a request: the inbox wakes it
    assert runner.wait_all(5000)


def test_cancel_waits_for_a_save_then_the_job_ends_normally(qtbot) -> None:
    runner = JobRunner()
    job = runner.run_process("save", "tests.model.job_targets:saving_slowly", seconds=2.0)
    killed: list[int] = []
    job.killed.connect(killed.append)
    with qtbot.waitSignal(job.progress, timeout=30_000):
        pass
    results: list[object] = []
    job.finished.connect(results.append)
    job.cancel_within(100)  # far shorter than the save
    with qtbot.waitSignal(job.ended, timeout=30_000):
        pass
    assert killed == [] and results == ["saved"]
    runner.shutdown()
