"""ResNet50 backbone throughput (clips/s) on this CPU: float32 vs ``mixed_bfloat16``, batch sizes.

Runs the untrained backbone (same network and cost as the ImageNet one, no weights file needed)
on random 224x224x3 images through the same ``FeatureExtractor.embed`` the app uses
(preprocessing included, clip drawing not). Each setting is measured ``--repeats`` times in
interleaved order and the best run is kept, because the machine is shared and noisy; compare
the ratios within one run.

    .venv/bin/python bench/bench_backbone.py [--batches 16 32 64] [--clips 128] [--repeats 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model.ml import device  # noqa: E402
from model.ml.backbone import BackboneSpec, FeatureExtractor  # noqa: E402


def measure(extractor: FeatureExtractor, images: np.ndarray) -> float:
    started = time.perf_counter()
    extractor.embed(images)
    return len(images) / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--clips", type=int, default=128, help="clips per measurement")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    info = device.configure()
    flags = device.cpu_flags()
    print(f"device: {info.description}; default precision here: {info.precision}")
    print(f"CPU bfloat16 support (avx512_bf16/amx_bf16): {device.cpu_supports_bfloat16(flags)}")
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (args.clips, 224, 224, 3), dtype=np.uint8)
    precisions = [device.FLOAT32, device.BFLOAT16]
    extractors = {}
    for precision in precisions:
        started = time.perf_counter()
        extractor = FeatureExtractor(BackboneSpec.untrained(), precision=precision)
        extractor.load()
        # The app keeps one backbone per process; the bench holds both, so keep each one's
        # network and compiled step to put back before its measurements.
        extractors[precision] = (extractor, (extractor._network, extractor._step))
        print(f"build {precision}: {time.perf_counter() - started:.1f} s")
    best: dict[tuple[str, int], float] = {}
    for repeat in range(args.repeats):
        for batch in args.batches:
            for precision in precisions if repeat % 2 == 0 else precisions[::-1]:
                extractor, (network, step) = extractors[precision]
                extractor._network, extractor._step = network, step
                extractor.batch_size = batch
                extractor.embed(images[:batch])  # warm-up: graph trace, oneDNN primitives
                rate = measure(extractor, images)
                key = (precision, batch)
                best[key] = max(best.get(key, 0.0), rate)
                print(f"  run {repeat + 1}: {precision:15s} batch {batch:3d}: {rate:6.1f} clips/s")
    print("\nbest of runs (clips/s):")
    print(f"{'batch':>6s} " + " ".join(f"{p:>15s}" for p in precisions) + "   bf16/fp32")
    for batch in args.batches:
        f32, b16 = best[(device.FLOAT32, batch)], best[(device.BFLOAT16, batch)]
        print(f"{batch:6d} {f32:15.1f} {b16:15.1f}   {b16 / f32:9.2f}x")
    top = max(best, key=best.get)
    print(
        f"\nfastest: {top[0]} at batch {top[1]} ({best[top]:.1f} clips/s); "
        f"one hour of audio (1,800 two-second clips) in {1800 / best[top] / 60:.1f} min"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
