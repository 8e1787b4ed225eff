"""The job pattern: progress, cancel and errors behave the same inline and in a worker process."""

from __future__ import annotations

import os
import time

import pytest

from model.jobs import Cancelled, ProcessJob, Progress, Reporter, resolve, run_inline
from tests.model import job_targets


def test_inline_job_reports_progress_and_returns_result() -> None:
    seen: list[Progress] = []
    assert run_inline(job_targets.count, 3, on_progress=seen.append) == 30
    assert [p.done for p in seen] == [0, 1, 2, 3]
    assert seen[1].data == {"square": 1}
    assert seen[-1].fraction == 1.0


def test_cancel_raises_at_next_update() -> None:
    reporter = Reporter()
    reporter.update(0, 2)
    reporter.cancel()
    with pytest.raises(Cancelled):
        reporter.update(1, 2)


def test_eta_is_none_without_rate_and_positive_with_it() -> None:
    reporter = Reporter()
    assert reporter.eta_seconds(0, 10) is None
    time.sleep(0.02)
    eta = reporter.eta_seconds(1, 10)
    assert eta is not None and eta > 0


def test_resolve_rejects_malformed_target() -> None:
    with pytest.raises(ValueError, match="module:function"):
        resolve("tests.model.job_targets.count")
    assert resolve("tests.model.job_targets:count") is job_targets.count


def test_process_job_delivers_progress_then_result() -> None:
    seen: list[Progress] = []
    final = ProcessJob("tests.model.job_targets:count", n=4).start().wait(seen.append)
    assert final.kind == "done" and final.result == 40
    assert [p.done for p in seen] == [0, 1, 2, 3, 4]


def test_process_job_cancel_is_prompt() -> None:
    job = ProcessJob("tests.model.job_targets:until_cancelled").start()
    final = job.wait(lambda p: job.cancel() if p.done >= 3 else None)
    assert final.kind == "cancelled"
    assert job.finished and not job.is_alive()


def test_process_job_reports_user_error_and_bug() -> None:
    final = ProcessJob("tests.model.job_targets:bad_file", path="/x/a.wav").start().wait()
    assert final.kind == "error" and "a.wav: file is empty" in final.error
    final = ProcessJob("tests.model.job_targets:bug").start().wait()
    assert final.kind == "error" and final.error.startswith("ZeroDivisionError")
    assert "Traceback" in final.detail


def test_process_that_dies_is_reported_not_hung() -> None:
    started = time.monotonic()
    final = ProcessJob("tests.model.job_targets:die").start().wait()
    assert final.kind == "error"
    assert "ended unexpectedly (exit code 3)" in final.error
    assert time.monotonic() - started < 30


def test_killed_process_is_reported() -> None:
    job = ProcessJob("tests.model.job_targets:until_cancelled").start()
    final = job.wait(lambda p: job.kill() if p.done >= 2 else None)
    assert final.kind == "error" and "exit code -9" in final.error
    assert job.finished and not job.is_alive()


def test_worker_process_runs_jobs_one_after_another_in_one_process() -> None:
    from model.jobs import WorkerProcess

    worker = WorkerProcess()
    try:
        first = worker.job("tests.model.job_targets:pid").start()
        assert first.wait().result == worker.pid
        busy = worker.job("tests.model.job_targets:until_cancelled").start()
        with pytest.raises(RuntimeError, match="already running"):
            worker.job("tests.model.job_targets:count", n=1).start()
        assert busy.wait(lambda p: busy.cancel()).kind == "cancelled"
        second = worker.job("tests.model.job_targets:pid").start()  # the busy one was released
        assert second.wait().result == worker.pid == first.pid
        seen: list[Progress] = []
        final = worker.job("tests.model.job_targets:count", n=3).start().wait(seen.append)
        assert final.result == 30 and [p.done for p in seen] == [0, 1, 2, 3]
    finally:
        worker.close()
    assert not first.is_alive()


def test_worker_process_cancel_then_next_job_and_restart_after_kill() -> None:
    from model.jobs import WorkerProcess

    worker = WorkerProcess()
    try:
        job = worker.job("tests.model.job_targets:until_cancelled").start()
        assert job.wait(lambda p: job.cancel() if p.done >= 2 else None).kind == "cancelled"
        # The cancel flag is cleared for the next job, which runs in the same process.
        assert worker.job("tests.model.job_targets:count", n=2).start().wait().result == 20
        old_pid = worker.pid
        job = worker.job("tests.model.job_targets:until_cancelled").start()
        final = job.wait(lambda p: job.kill() if p.done >= 1 else None)
        assert final.kind == "error" and "ended unexpectedly" in final.error
        assert worker.job("tests.model.job_targets:pid").start().wait().result != old_pid
    finally:
        worker.close()


def test_cancel_before_start_is_honoured() -> None:
    from model.jobs import WorkerProcess

    job = ProcessJob("tests.model.job_targets:until_cancelled")
    job.cancel()
    assert job.start().wait().kind == "cancelled"
    worker = WorkerProcess()
    try:
        job = worker.job("tests.model.job_targets:until_cancelled")
        job.cancel()
        assert not job.is_alive() and job.pid is None
        assert job.start().wait().kind == "cancelled"
    finally:
        worker.close()


def test_unpicklable_argument_is_refused_at_submit() -> None:
    import threading

    with pytest.raises(TypeError, match="argument 'lock' of job .* cannot be sent"):
        ProcessJob("tests.model.job_targets:count", n=1, lock=threading.Lock())
    with pytest.raises(ValueError, match="module:function"):
        ProcessJob("tests.model.job_targets.count", n=1)


def test_results_that_cannot_travel_end_the_job_with_an_error() -> None:
    from model.jobs import WorkerProcess

    worker = WorkerProcess()
    try:
        final = worker.job("tests.model.job_targets:unpicklable_result").start().wait()
        assert final.kind == "error" and "could not be sent back" in final.error
        final = worker.job("tests.model.job_targets:unreadable_result").start().wait()
        assert final.kind == "error" and "could not be read" in final.error
        # The worker is still usable (and the same process).
        assert worker.job("tests.model.job_targets:count", n=2).start().wait().result == 20
        assert worker.starts == 1
    finally:
        worker.close()


def test_idle_worker_gives_its_memory_back_and_is_replaced() -> None:
    from model.jobs import WorkerProcess

    worker = WorkerProcess()
    try:
        first = worker.job("tests.model.job_targets:pid").start().wait().result
        assert not worker.close_if_idle(idle_s=3600)  # not idle long enough
        assert worker.close_if_idle(idle_s=0)
        assert not worker.alive()
        second = worker.job("tests.model.job_targets:pid").start().wait().result
        assert second != first and worker.starts == 2
    finally:
        worker.close()


ORPHAN = """
import sys, time
from model.jobs import WorkerProcess
worker = WorkerProcess()
print(worker.job("tests.model.job_targets:pid").start().wait().result, flush=True)
import os
os._exit(0)  # the app is killed: no chance to close its worker
"""


def test_a_worker_whose_app_died_exits_by_itself() -> None:
    import subprocess
    import sys
    from pathlib import Path

    import psutil

    from model.jobs.process import PARENT_CHECK_S

    repo = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", ORPHAN], cwd=repo, capture_output=True, text=True, timeout=120
    )
    pid = int(out.stdout.split()[0])
    deadline = time.monotonic() + 3 * PARENT_CHECK_S + 5
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "an orphaned worker kept running"
        time.sleep(0.2)


def test_a_new_device_or_backend_choice_starts_a_fresh_worker(monkeypatch) -> None:
    """Keras fixes device and backend once per process: a Preferences change must not be
    ignored by the warm worker, and an unchanged one must not cost a restart."""
    from model.jobs import WorkerProcess

    monkeypatch.setenv("SONOTAG_DEVICE", "auto")
    worker = WorkerProcess()
    try:
        first = worker.job("tests.model.job_targets:environment", key="SONOTAG_DEVICE").start()
        assert first.wait().result == "auto"
        again = worker.job("tests.model.job_targets:pid").start().wait().result
        assert again == first.pid
        monkeypatch.setenv("SONOTAG_DEVICE", "cpu")
        changed = worker.job("tests.model.job_targets:environment", key="SONOTAG_DEVICE").start()
        assert changed.wait().result == "cpu"
        assert changed.pid != first.pid
    finally:
        worker.close()


def test_worker_runs_a_follow_up_job_before_giving_memory_back(monkeypatch) -> None:
    """Re-scoring right after a training waited behind the worker's clean-up (clear_session
    and a full gc: 1.2-1.5 s with TensorFlow loaded). Now a job sent within FOLLOW_UP_S runs
    first; memory goes back when the worker idles, and never more than one job late."""
    import queue
    import threading

    from model.jobs import process

    calls: list[str] = []
    monkeypatch.setattr(process, "FOLLOW_UP_S", 0.05)
    monkeypatch.setattr(process, "_give_memory_back", lambda: calls.append("give back"))
    monkeypatch.setattr(process, "_run_task", lambda target, *_: calls.append(target))
    tasks: queue.Queue = queue.Queue()
    for name in ("train", "score", "third"):
        tasks.put((0, name, {}))
    later = threading.Timer(0.5, lambda: (tasks.put((0, "alone", {})), tasks.put(None)))
    later.start()
    try:
        process._worker_main(tasks, queue.Queue(), None, os.getpid())
    finally:
        later.cancel()
    assert calls == ["train", "score", "give back", "third", "give back", "alone"]
