"""Memory of the GUI's training worker over 10 retrains, and after it goes idle.

Two projects: the retrain benchmark's (1 h of audio, 500 labels, features cached: only the head
is trained) and a small one with real audio files whose feature cache is deleted before every
retrain, so ResNet50 (untrained weights) is built and run each time, as when new clips were
labelled. For each:

- 10 retrains as 10 jobs in one warm ``WorkerProcess`` (what the GUI does: the worker clears
  Keras' session between jobs), printing the worker's resident memory after each;
- 10 retrains inside ONE job of a fresh worker, i.e. without clearing in between (what the
  worker did before), printing the same figure after each;

and finally the warm worker is asked to end as the GUI does after a few idle minutes
(``close_if_idle``), checking that its process is gone.

    .venv/bin/python bench/bench_worker_memory.py [--retrains 10] [--case head|backbone|both]
"""

from __future__ import annotations

import argparse
import platform
import shutil
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


def drop_cache(project_path: str) -> None:
    from model.project.feature_cache import cache_folder

    shutil.rmtree(cache_folder(project_path), ignore_errors=True)


def retrain_in_one_job(
    reporter: Reporter, project_path: str, retrains: int, backbone: bool
) -> list[float]:
    """Job target: ``retrains`` trainings back to back in one job (no clearing between)."""
    import os

    from model.ml.train import train_job

    sizes = []
    for _ in range(retrains):
        if backbone:
            drop_cache(project_path)
        train_job(reporter, project_path, untrained_backbone=True, score=False)
        sizes.append(rss_mb(os.getpid()))
    return sizes


def warm_worker(path: str, retrains: int, backbone: bool, label: str) -> list[float]:
    worker = WorkerProcess()
    sizes = []
    try:
        for run in range(1, retrains + 1):
            if backbone:
                drop_cache(path)
            job = worker.job(
                "model.ml.train:train_job", project_path=path, untrained_backbone=True, score=False
            )
            final = job.start().wait()
            assert final.kind == "done", final.error
            time.sleep(0.5)  # the worker clears its session after the job's last event
            sizes.append(rss_mb(worker.pid))
            print(f"{label}, warm worker, retrain {run:2d}: {sizes[-1]:7.0f} MB", flush=True)
        pid = worker.pid
        assert worker.close_if_idle(idle_s=0)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                    break
            except psutil.NoSuchProcess:
                break
            time.sleep(0.1)
        else:
            print(f"{label}: the idle worker did NOT end")
        print(f"{label}, after close_if_idle: worker process gone (0 MB)")
    finally:
        worker.close()
    return sizes


def one_job(path: str, retrains: int, backbone: bool, label: str) -> list[float]:
    worker = WorkerProcess()
    try:
        job = worker.job(
            "bench_worker_memory:retrain_in_one_job",
            project_path=path,
            retrains=retrains,
            backbone=backbone,
        )
        final = job.start().wait()
        assert final.kind == "done", final.error
    finally:
        worker.close()
    for run, size in enumerate(final.result, 1):
        print(f"{label}, one job, no clearing, retrain {run:2d}: {size:7.0f} MB")
    return list(final.result)


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
    parser.add_argument(
        "--case",
        choices=["head", "backbone", "both"],
        default="both",
        help="head: features cached, only the head trains; backbone: ResNet50 runs each time",
    )
    args = parser.parse_args()
    print(f"CPU: {cpu_model()}")
    with tempfile.TemporaryDirectory(prefix="sonotag-bench-") as tmp:
        from tests.model.ml.synthetic import make_project

        for sub in ("a", "b"):
            (Path(tmp) / sub).mkdir()
        cases = []
        if args.case in ("head", "both"):
            path = str(build(Path(tmp) / "a", 1.0, 500))
            cases.append(("head only (features cached)", path, False))
        if args.case in ("backbone", "both"):
            path = str(make_project(Path(tmp) / "b", recordings=4))
            cases.append(("backbone runs each time", path, True))
        summary = []
        for label, path, backbone in cases:
            cleared = warm_worker(path, args.retrains, backbone, label)
            kept = one_job(path, args.retrains, backbone, label)
            summary.append(
                f"{label}: warm worker {cleared[0]:.0f} -> {cleared[-1]:.0f} MB "
                f"({cleared[-1] - cleared[0]:+.0f} MB over {args.retrains} retrains); without "
                f"clearing {kept[0]:.0f} -> {kept[-1]:.0f} MB ({kept[-1] - kept[0]:+.0f} MB)"
            )
        print("\n".join(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
