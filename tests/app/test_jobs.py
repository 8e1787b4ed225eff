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
