"""BirdNET V2.4 embeddings: one LiteRT interpreter using every core against the pool of
single-threaded interpreters (``model.ml.backbones.litert_pool``), A/B in one process.

The two run interleaved, round after round, on the same windows (real recordings from
``tests/data``, 3-s windows at 48 kHz), so a shared machine's swings land on both; medians of
the rounds are printed with the CPU model and the load. Then, each in a fresh process, the
memory that embedding as many windows adds (RSS after minus before, the edited model file
already in memory: the planned graphs stay; the pool holds one per interpreter).

    .venv/bin/python bench/bench_litert_pool.py [--windows 128] [--rounds 5] [--batch 16]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_pipeline import cpu_text  # noqa: E402


def windows(count: int) -> np.ndarray:
    from model.audio import AudioFile
    from model.clips import ClipSettings
    from model.ml.backbones.birdnet import BirdNetV24

    files = sorted((REPO / "tests/data").rglob("*.wav"))
    backbone, parts, got = BirdNetV24(), [], 0
    for path in files:
        with AudioFile(path) as audio:
            starts = np.arange(0.0, max(0.0, audio.info.duration - 2.0), 0.25)
            parts.append(backbone.inputs(audio, starts, ClipSettings()))
        got += len(parts[-1])
        if got >= count:
            break
    return np.concatenate(parts)[:count]


def single(inputs: np.ndarray, batch: int, it: Any) -> np.ndarray:
    """What ``BirdNetV24.embed`` did before the pool: one interpreter, every core."""
    index_in = it.get_input_details()[0]["index"]
    index_out = it.get_output_details()[0]["index"]
    out, shape = [], ()
    for begin in range(0, len(inputs), batch):
        part = np.ascontiguousarray(inputs[begin : begin + batch])
        if part.shape != shape:
            it.resize_tensor_input(index_in, list(part.shape))
            it.allocate_tensors()
            shape = part.shape
        it.set_tensor(index_in, part)
        it.invoke()
        out.append(it.get_tensor(index_out))
    return np.concatenate(out)


def rss_added(way: str, count: int, batch: int) -> float:
    """MB the process grew by embedding ``count`` windows one way (fresh process each; the
    windows are made in place, so no freed memory is lying around to be reused)."""
    code = (
        f"import sys, psutil, numpy as np; sys.path.insert(0, {str(REPO)!r}); "
        "from bench.bench_litert_pool import single; from model.ml.backbones import birdnet as b; "
        f"x = np.zeros(({count}, 144000), np.float32); x += 0.01; "
        f"b._model_content(str(b.model_path())); bb = b.BirdNetV24(batch_size={batch}); "
        "base = psutil.Process().memory_info().rss; "
        f"it = None if {way!r} == 'pool' else b.interpreter(str(b.model_path()), bb.workers); "
        f"bb.embed(x) if it is None else single(x, {batch}, it); "
        "print(psutil.Process().memory_info().rss - base)"  # the interpreter is still alive
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1]) / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--windows", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=16)
    args = ap.parse_args()
    from model.ml.backbones import birdnet

    x = windows(args.windows)
    backbone = birdnet.BirdNetV24(batch_size=args.batch)
    cores = backbone.workers
    old = birdnet.interpreter(str(birdnet.model_path()), cores)
    print(f"CPU: {cpu_text()}; load {os.getloadavg()}")
    print(f"{len(x)} windows of 3 s from tests/data, batch {args.batch}, {args.rounds} rounds")
    reference = single(x, args.batch, old)  # warm-up of both, and the features compared
    pooled = backbone.embed(x)
    scale = float(np.abs(reference).max())
    print(
        f"features: pool vs one interpreter max |diff| {np.abs(pooled - reference).max():.3g} "
        f"(scale {scale:.3g})"
    )
    times: dict[str, list[float]] = {"one": [], "pool": []}
    for _ in range(args.rounds):
        start = time.perf_counter()
        single(x, args.batch, old)
        times["one"].append(1000 * (time.perf_counter() - start) / len(x))
        start = time.perf_counter()
        backbone.embed(x)
        times["pool"].append(1000 * (time.perf_counter() - start) / len(x))
    one, pool = statistics.median(times["one"]), statistics.median(times["pool"])
    print(f"one interpreter x {cores} threads: {one:.1f} ms/window (rounds {times['one']})")
    print(f"pool {backbone.device.description}: {pool:.1f} ms/window (rounds {times['pool']})")
    print(f"pool speed-up (median): {one / pool:.2f}x; load now {os.getloadavg()}")
    rss_one = rss_added("one", len(x), args.batch)
    rss_pool = rss_added("pool", len(x), args.batch)
    print(
        f"RSS added by embedding (planned graphs and packed weights): one {rss_one:.0f} MB, "
        f"pool {rss_pool:.0f} MB"
    )


if __name__ == "__main__":
    main()
