"""Memory of the GUI's training worker over 10 retrains, and after it goes idle.

Builds the retrain benchmark's project (1 h of audio, 500 labels, features cached: the backbone
never runs), then:

- runs 10 retrains as 10 jobs in one warm ``WorkerProcess`` (what the GUI does: the worker
  clears Keras' session between jobs) and prints the worker's resident memory after each;
- runs 10 retrains inside ONE job of a fresh worker, i.e. without clearing in between (what the
  worker did before), printing the same figure after each;
- asks the warm worker to end as the GUI does after a few idle minutes (``close_if_idle``) and
  checks its process is gone.

    .venv/bin/python bench/bench_worker_memory.py [--retrains 10]
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psutil  # noqa: E402
from bench_retrain import build  # noqa: E402

from model.jobs import Reporter, WorkerProcess  # noqa: E402


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


def retrain_in_one_job(reporter: Reporter, project_path: str, retrains: int) -> list[float]:
    """Job target: ``retrains`` trainings back to back in one job (no clearing between)."""
    import os

    from model.ml.train import train_job

    sizes = []
    for _ in range(retrains):
        train_job(reporter, project_path, untrained_backbone=True, score=False)
        sizes.append(rss_mb(os.getpid()))
    return sizes


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        return next(
            line.split(":", 1)[1].strip() for line in out.splitlines() if "Model name" in line
        )
    except (OSError, subprocess.CalledProcessError, StopIteration):
        return platform.processor() or "unknown CPU"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--retrains", type=int, default=10)
    args = parser.parse_args()
    print(f"CPU: {cpu_model()}")
    with tempfile.TemporaryDirectory(prefix="sonotag-bench-") as tmp:
        path = str(build(Path(tmp), 1.0, 500))
        worker = WorkerProcess()
        try:
            cleared = []
            for run in range(1, args.retrains + 1):
                final = (
                    worker.job(
                        "model.ml.train:train_job",
                        project_path=path,
                        untrained_backbone=True,
                        score=False,
                    )
                    .start()
                    .wait()
                )
                assert final.kind == "done", final.error
                time.sleep(0.5)  # the worker clears its session after the job's last event
                cleared.append(rss_mb(worker.pid))
                print(f"warm worker, retrain {run:2d}: {cleared[-1]:7.0f} MB")
            pid = worker.pid
            assert worker.close_if_idle(idle_s=0)
            deadline = time.monotonic() + 30
            while psutil.pid_exists(pid) and time.monotonic() < deadline:
                try:
                    if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                        break
                except psutil.NoSuchProcess:
                    break
                time.sleep(0.1)
            gone = not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"
            print(f"after close_if_idle: worker process {'gone' if gone else 'STILL RUNNING'}")
        finally:
            worker.close()
        other = WorkerProcess()
        try:
            final = (
                other.job(
                    "bench_worker_memory:retrain_in_one_job",
                    project_path=path,
                    retrains=args.retrains,
                )
                .start()
                .wait()
            )
            assert final.kind == "done", final.error
            for run, size in enumerate(final.result, 1):
                print(f"one job, no clearing, retrain {run:2d}: {size:7.0f} MB")
        finally:
            other.close()
        first, last = cleared[0], cleared[-1]
        print(
            f"warm worker: {first:.0f} MB after retrain 1, {last:.0f} MB after retrain "
            f"{args.retrains} ({last - first:+.0f} MB); without clearing: "
            f"{final.result[0]:.0f} -> {final.result[-1]:.0f} MB "
            f"({final.result[-1] - final.result[0]:+.0f} MB)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
