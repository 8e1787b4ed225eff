"""Where end-to-end scoring loses against the standalone backbone, in one process.

``bench/bench_pipeline.py`` says how far ``sonotag predict`` is from the backbone's own rate;
this script says why. With one scoring engine loaded and warm, it runs in interleaved rounds:

- the reference: the engine's own backbone fed one random batch again and again;
- the pipeline on a 10-minute 48 kHz file with its real producer (reading, resampling, drawing);
- the same pipeline fed the same file's inputs drawn beforehand (the producer costs nothing),

each ratio against the references just before and after it, and the medians. The CPU time of
the producer per clip is measured in its own thread, alone (before the rounds) and beside the
backbone (in the rounds): the two stages share the cores.

    .venv/bin/python bench/bench_pipeline_stages.py [--minutes 10] [--rounds 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_pipeline import cpu_text, model_file, write_recording  # noqa: E402


class Inputs:
    """The backbone's ``inputs``, timed in the calling thread, or served from a cache."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.cached: dict[tuple[float, int], np.ndarray] = {}
        self.use_cache = False
        self.cpu = 0.0
        self.clips = 0

    def __call__(self, audio: Any, starts: np.ndarray, settings: Any, reporter: Any = None) -> Any:
        key = (float(starts[0]), len(starts))
        if self.use_cache and key in self.cached:
            return self.cached[key].copy()
        began = time.thread_time()
        inputs = self.real(audio, starts, settings, reporter)
        self.cpu += time.thread_time() - began
        self.clips += len(starts)
        self.cached[key] = inputs
        return inputs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    print(f"CPU: {cpu_text()}")
    with tempfile.TemporaryDirectory(prefix="bench-stages-") as tmp:
        run(Path(tmp), args)


def run(tmp: Path, args: argparse.Namespace) -> None:
    from model.ml.bundle import load_bundle
    from model.ml.scoring import FileJob, engine_for

    path = write_recording(tmp / "long.wav", args.minutes * 60, 1)
    engine = engine_for(
        load_bundle(model_file(tmp / "m.sonotag-model", "resnet50-untrained")), hop=1.0
    )
    engine.load()
    backbone = engine.backbone
    inputs = Inputs(backbone.inputs)
    backbone.inputs = inputs
    batch = np.random.default_rng(0).integers(0, 256, (32, 224, 224, 3), dtype=np.uint8)

    def reference(count: int = 640) -> float:
        started, done = time.perf_counter(), 0
        while done < count:
            backbone.submit(batch, None)
            backbone.collect()
            done += len(batch)
        backbone.collect(wait=True)
        return done / (time.perf_counter() - started)

    def pipeline(cached: bool) -> float:
        inputs.use_cache = cached
        started = time.perf_counter()
        clips = sum(len(r.starts) for r in engine.score([FileJob(path, key=path)]))
        return clips / (time.perf_counter() - started)

    from model.audio import AudioFile
    from model.clips import window_starts

    with AudioFile(path) as audio:  # alone: every piece drawn once, nothing else running
        starts = window_starts(audio.info.duration, engine.settings.clip_seconds, 1.0)
        inputs.real(audio, starts[:4], engine.settings)  # plans and workspaces, not timed
        for begin in range(0, len(starts), engine.batch_size):
            inputs(audio, starts[begin : begin + engine.batch_size], engine.settings)
    alone = inputs.cpu / inputs.clips
    inputs.cpu, inputs.clips = 0.0, 0
    ratios: dict[str, list[float]] = {"real": [], "cached": []}
    before = reference()
    for number in range(args.rounds):
        line = []
        for name in ("real", "cached") if number % 2 == 0 else ("cached", "real"):
            rate = pipeline(name == "cached")
            after = reference()
            around = (before + after) / 2
            before = after
            ratios[name].append(rate / around)
            line.append(f"{name} {rate:.1f}/{around:.1f} = {rate / around:.2f}x")
        print(f"round {number + 1}: " + " | ".join(line), flush=True)
    beside = inputs.cpu / inputs.clips if inputs.clips else float("nan")
    print(f"engine: {engine.description}; {args.minutes:g}-min file, hop 1 s, {len(starts)} clips")
    print(
        f"pipeline with its real producer: median {np.median(ratios['real']):.2f}x the reference "
        f"around it; fed inputs drawn beforehand: median {np.median(ratios['cached']):.2f}x"
    )
    print(
        f"producer CPU per clip: {1000 * alone:.2f} ms alone, {1000 * beside:.2f} ms beside the "
        "backbone"
    )


if __name__ == "__main__":
    main()
