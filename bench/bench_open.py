"""Opening a big project: cold and warm ``Project.open``, against the old whole-file check.

Builds a project of about ``--gb`` gigabytes through the public API (recordings, classes,
labels, and score matrices of an active model, which is what grows with a season), closes it,
drops the file from the page cache (``posix_fadvise``; Linux and macOS) and times:

- ``Project.open`` cold (first open after the cache drop) and warm,
- the first things the window reads (recordings, classes, the active model),
- ``PRAGMA quick_check`` cold, which every open used to run (issue 18: 23-103 s per GB-sized
  file), and which now runs only after an unclean shutdown or from File ▸ Check project.

    .venv/bin/python bench/bench_open.py [--gb 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model.project import Project  # noqa: E402

WINDOWS = 3600  # one hour at a hop of 1 s
CLASSES = 120


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        return next(l.split(":", 1)[1].strip() for l in out.splitlines() if "Model name" in l)  # noqa: E741
    except (OSError, subprocess.CalledProcessError, StopIteration):
        return platform.processor() or "unknown CPU"


def build(path: Path, gigabytes: float) -> None:
    per_recording = WINDOWS * CLASSES * 4
    count = max(1, round(gigabytes * 1e9 / per_recording))
    rng = np.random.default_rng(0)
    info = SimpleNamespace(sample_rate=48_000, channels=1, frames=48_000 * 3600, duration=3600.0)
    with Project.create(path) as project:
        ids = [project.add_class(f"species {i:03d}").id for i in range(CLASSES)]
        model = project.add_model("season", path.with_name("m.sonotag-model"), {}, {})
        starts = np.arange(WINDOWS, dtype=float)
        scores = rng.uniform(0, 1, (WINDOWS, CLASSES)).astype(np.float32)
        for n in range(count):
            rec = project.add_recording(path.parent / f"r{n:05d}.wav", info, f"fp{n}")
            for k in range(5):
                project.put_label(rec.id, 10.0 * k, 10.0 * k + 2, ids[k], "present")
            project.put_predictions(model.id, rec.id, starts, ids, np.roll(scores, n, axis=0))
            if n % 200 == 0:
                print(f"  building: {n}/{count} recordings", flush=True)


def drop_from_cache(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def first_reads(project: Project) -> tuple[int, int, object]:
    return len(project.recordings()), len(project.classes()), project.active_model()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=5.0)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the project in this folder")
    args = parser.parse_args()
    print(f"CPU: {cpu_model()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="sonotag-open-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "season.sonotag"
        if not path.exists():
            started = time.perf_counter()
            build(path, args.gb)
            print(f"built in {time.perf_counter() - started:.0f} s")
        print(f"project file: {path.stat().st_size / 1e9:.2f} GB")
        drop_from_cache(path)
        cold, project = timed(lambda: Project.open(path))
        reads, (n, k, _) = timed(lambda: first_reads(project))
        project.close()
        warm, project = timed(lambda: Project.open(path))
        project.close()
        print(
            f"Project.open cold: {cold:.3f} s; first reads (recordings, classes, model): "
            f"{reads:.3f} s for {n} recordings, {k} classes; Project.open warm: {warm:.3f} s"
        )
        drop_from_cache(path)
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        check, result = timed(lambda: conn.execute("PRAGMA quick_check").fetchone()[0])
        conn.close()
        print(f"quick_check cold (what every open ran before): {check:.1f} s -> {result}")
        print(f"cold open now takes {cold / check:.4f} of the old check alone")
        # File ▸ Check project's progress bar: how far its estimate had got when the check ended.
        from model.jobs import Reporter
        from model.project.maintenance import check_job

        seen = []
        took, outcome = timed(lambda: check_job(Reporter(seen.append), path))
        last = seen[-1].done / 1000 if seen else 0.0
        print(
            f"Check project (warm): {took:.1f} s, {outcome.summary()} progress reports "
            f"{len(seen)}, the bar stood at {last:.0%} when it finished"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
