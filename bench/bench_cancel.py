"""How fast Cancel lands during training: the figures the tests no longer assert.

The GUI promises that Cancel ends a training run within two seconds (``app.ml.job_control``:
ask the worker, end its process after a 1-s grace). The tests check that cancel works, by
events; the time it takes depends on the machine and its load, so it is measured here:

- in process: ``train_job`` in a thread, cancelled while the backbone computes features
  (time from ``Reporter.cancel()`` to ``Cancelled`` raised: one backbone batch at most);
- a fresh worker process (``ProcessJob``, spawned): cancelled once it reports feature progress,
  then ended after the GUI's grace period if still alive; time from the request until the job
  is over, which includes the process exiting (TensorFlow's teardown), and whether the
  grace-period kill was needed;
- the GUI's warm worker (``WorkerProcess``, kept alive between jobs): the same, without exit;
- a fresh worker cancelled while still starting (importing TensorFlow, no report yet), the
  case the GUI test once covered with a fixed 1.5-s pause.

    .venv/bin/python bench/bench_cancel.py [--runs 3] [--batch-size 8]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model.jobs import Cancelled, ProcessJob, Progress, Reporter, WorkerProcess  # noqa: E402
from tests.model.ml.synthetic import make_project  # noqa: E402

GRACE_S = 1.0  # app.ml.job_control.CANCEL_GRACE_MS


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return "unknown CPU"
    return next((ln.split(":", 1)[1].strip() for ln in out.splitlines() if "Model name" in ln), "?")


def in_process(folder: Path, batch_size: int) -> float:
    from model.ml.train import train_job

    project = make_project(folder, recordings=2, seed=7)
    at_work = threading.Event()

    def on_progress(progress: Progress) -> None:
        if progress.data.get("stage") == "features" and progress.done > 0:
            at_work.set()

    reporter = Reporter(on_progress)
    outcome: list[BaseException] = []

    def work() -> None:
        try:
            train_job(reporter, str(project), untrained_backbone=True, batch_size=batch_size)
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcome.append(exc)
        finally:
            at_work.set()

    worker = threading.Thread(target=work)
    worker.start()
    at_work.wait()
    asked = time.monotonic()
    reporter.cancel()
    worker.join()
    latency = time.monotonic() - asked
    if not (outcome and isinstance(outcome[0], Cancelled)):
        raise SystemExit(f"in-process run was not cancelled: {outcome}")
    return latency


def in_worker(
    folder: Path, batch_size: int, wait_for_features: bool, worker: WorkerProcess | None = None
) -> tuple[float, bool]:
    """(seconds from the request to the job's end, whether the grace-period kill was used)."""
    project = make_project(folder, recordings=2, seed=7)
    job = ProcessJob(
        "model.ml.train:train_job",
        worker=worker,
        project_path=str(project),
        untrained_backbone=True,
        batch_size=batch_size,
    ).start()
    if wait_for_features:
        started = False
        while not started:
            for event in job.poll(0.5):
                if event.kind != "progress":
                    raise SystemExit(f"worker ended before cancel: {event.kind} {event.error}")
                data = event.progress.data
                started |= data.get("stage") == "features" and event.progress.done > 0
    else:
        time.sleep(0.2)  # spawned, still importing
    asked = time.monotonic()
    job.cancel()
    killed = False
    while True:
        events = job.poll(0.05)
        if any(e.kind != "progress" for e in events):
            break
        if not killed and time.monotonic() - asked > GRACE_S:
            job.kill()
            killed = True
    return time.monotonic() - asked, killed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()
    print(f"CPU: {cpu_model()}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = []
        inproc = [in_process(root / f"a{i}", args.batch_size) for i in range(args.runs)]
        rows.append(("in process, during backbone features", inproc, None))
        worker = [in_worker(root / f"b{i}", args.batch_size, True) for i in range(args.runs)]
        rows.append(("fresh worker, during features", [w[0] for w in worker], worker))
        warm_worker = WorkerProcess()
        warm = [
            in_worker(root / f"w{i}", args.batch_size, True, warm_worker) for i in range(args.runs)
        ]
        rows.append(("warm GUI worker, during features", [w[0] for w in warm], warm))
        early = [in_worker(root / f"c{i}", args.batch_size, False) for i in range(args.runs)]
        rows.append(("fresh worker, while starting", [w[0] for w in early], early))
    for title, times, detail in rows:
        kills = "" if detail is None else f", grace-period kill used {sum(k for _, k in detail)}x"
        print(
            f"{title:40s} median {statistics.median(times):.2f} s, max {max(times):.2f} s "
            f"over {len(times)} runs{kills}"
        )


if __name__ == "__main__":
    main()
