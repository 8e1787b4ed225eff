"""Scoring on a Ray cluster against the plain local run, and a projection for N nodes.

Prints, in one run, with the CPU model:

- the plain local ``sonotag predict`` (no Ray) on a folder of recordings: hours of audio per
  minute;
- the same folder through ``--cluster`` on a local Ray cluster of this machine with 1, 2 and 4
  workers (the machine's cores split between them): start-up (connecting, starting the
  workers, loading the model), hours per minute of the scoring phase and of the whole run;
- the scheduling overhead: the round trip of an empty call to a worker, and the driver's
  time per file (writing its table and its line of the resume log);
- a PROJECTION, not a measurement, for N machines like this one, from the measured per-worker
  rate (1 worker holding every core), the per-chunk overhead and the driver's per-file cost.

On a machine with few cores, 2 and 4 workers share the same cores: they show the cost of the
split (each holds a copy of the network, each batch is smaller per core), not a gain.

    .venv/bin/python bench/bench_cluster.py [--files 16] [--seconds 30] [--workers 1,2,4]
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_pipeline import cpu_text, write_recording  # noqa: E402


def make_model(folder: Path) -> Path:
    from tests.model.test_batch import make_head_bundle

    return make_head_bundle(folder / "bench.sonotag-model", ("chirp", "noise"))


class Clock:
    """on_progress: when scoring started (the first 'scoring' report) and the driver's time
    spent writing each finished file."""

    def __init__(self) -> None:
        self.began = time.monotonic()
        self.scoring: float | None = None

    def __call__(self, progress: Any) -> None:
        if self.scoring is None and progress.data.get("stage") == "scoring":
            self.scoring = time.monotonic()


def run_once(model: Path, card: Path, out: Path, **kwargs: Any) -> dict[str, Any]:
    import model.batch as batch
    from model.jobs import run_inline

    shutil.rmtree(out, ignore_errors=True)
    writes: list[float] = []
    original = batch._Run._write

    def timed_write(self: Any, result: Any) -> None:
        started = time.perf_counter()
        original(self, result)
        writes.append(time.perf_counter() - started)

    batch._Run._write = timed_write  # type: ignore[method-assign]
    clock = Clock()
    try:
        result = run_inline(
            batch.batch_predict_job,
            str(model),
            [str(card)],
            str(out),
            on_progress=clock,
            threshold=0.5,
            **kwargs,
        )
    finally:
        batch._Run._write = original  # type: ignore[method-assign]
    end = time.monotonic()
    scoring = clock.scoring or clock.began
    assert len(result["done"]) and not result["failed"], result["failed"]
    return {
        "wall": end - clock.began,
        "startup": scoring - clock.began,
        "scoring": end - scoring,
        "write_per_file": sum(writes) / max(1, len(writes)),
        "engine": result["engine"],
    }


def round_trip_ms(calls: int = 50) -> float:
    import ray

    @ray.remote(num_cpus=0)
    class Echo:
        def ping(self, payload: list[tuple[int, str, float]]) -> int:
            return len(payload)

    echo = Echo.remote()
    chunk = [(i, f"/shared/season/site/2025{i:04d}_0500.WAV", 3600.0) for i in range(8)]
    ray.get(echo.ping.remote(chunk))
    started = time.perf_counter()
    for _ in range(calls):
        ray.get(echo.ping.remote(chunk))
    ray.kill(echo)
    return (time.perf_counter() - started) / calls * 1000


def projection(rate: float, startup: float, overhead_s: float, write_s: float) -> list[str]:
    """Hours of audio per minute for N machines like this one (1 worker each, all cores)."""
    from model.cluster.work import MAX_CHUNK_WINDOWS

    clips_per_s = rate * 3600 / 60  # windows per second at hop 1 s
    chunk_s = MAX_CHUNK_WINDOWS / clips_per_s  # a season's chunks are the largest ones
    efficiency = chunk_s / (chunk_s + overhead_s)
    driver_limit = 60 / write_s  # 1-hour files: hours of audio the driver can write per min
    lines = [
        "PROJECTION (not measured): N machines like this one, 1 worker each, 1-hour files, "
        "hop 1 s, storage keeping up;",
        f"  per-machine rate {rate:.3f} h/min x efficiency {efficiency:.4f} (chunk of "
        f"{MAX_CHUNK_WINDOWS} windows = {chunk_s:.0f} s vs {overhead_s * 1000:.1f} ms "
        f"overhead), capped by the driver writing 1 file per {write_s * 1000:.1f} ms "
        f"({driver_limit:.0f} h/min); start-up {startup:.0f} s",
    ]
    for nodes in (1, 2, 4, 8, 16, 32, 64):
        hours_per_min = min(nodes * rate * efficiency, driver_limit)
        season = startup / 60 + 10_000 / hours_per_min
        lines.append(
            f"  {nodes:>3} machines: {hours_per_min:8.2f} h of audio/min; 10,000 h in "
            f"{season / 60:6.1f} h"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    counts = [int(x) for x in args.workers.split(",")]
    print("CPU:", cpu_text())
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        root = Path(tmp)
        card = root / "card"
        for i in range(args.files):
            write_recording(card / f"site{i % 4}" / f"f{i:03d}.wav", args.seconds, i)
        hours = args.files * args.seconds / 3600
        model = make_model(root)
        print(f"{args.files} files x {args.seconds:g} s = {hours * 60:.1f} min of audio, hop 1 s")
        local = run_once(model, card, root / "local")
        run_once(model, card, root / "local")  # the first run compiled the network
        local = run_once(model, card, root / "local")
        print(
            f"local (no Ray): {hours / (local['scoring'] / 60):.3f} h/min scoring, "
            f"{hours / (local['wall'] / 60):.3f} h/min whole run ({local['wall']:.1f} s, "
            f"start-up {local['startup']:.1f} s); {local['engine']}"
        )
        import ray

        began = time.monotonic()
        ray.init(
            num_cpus=os.cpu_count(),
            include_dashboard=False,
            object_store_memory=200 * 2**20,
            log_to_driver=False,
            logging_level=logging.WARNING,
        )
        print(
            f"local Ray cluster started in {time.monotonic() - began:.1f} s "
            "(not counted below: 'auto' joins a running cluster)"
        )
        try:
            rates: dict[int, dict[str, Any]] = {}
            for count in counts:
                run_once(model, card, root / f"w{count}", cluster="auto", workers=count)  # warm
                figures = run_once(model, card, root / f"w{count}", cluster="auto", workers=count)
                rates[count] = figures
                print(
                    f"Ray, {count} worker(s): {hours / (figures['scoring'] / 60):.3f} h/min "
                    f"scoring, {hours / (figures['wall'] / 60):.3f} h/min whole run "
                    f"({figures['wall']:.1f} s, start-up {figures['startup']:.1f} s, driver "
                    f"{figures['write_per_file'] * 1000:.1f} ms/file); {figures['engine']}"
                )
            rtt = round_trip_ms()
            print(f"scheduling: {rtt:.2f} ms per call to a worker (chunk of 8 files, round trip)")
        finally:
            ray.shutdown()
        one = rates.get(1) or next(iter(rates.values()))
        rate = hours / (one["scoring"] / 60)
        for line in projection(rate, one["startup"], rtt / 1000, one["write_per_file"]):
            print(line)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
