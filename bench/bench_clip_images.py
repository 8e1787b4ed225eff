"""Clip images per second for one recording on one core.

Generates a 10-minute 48 kHz 16-bit mono WAV (noise floor plus chirps), then times
``clip_images`` over all windows (2-s clips, hop 1 s by default) with every math library held to
one thread. Also splits one clip's cost into resampling and drawing.

    .venv/bin/python bench/bench_clip_images.py [--minutes 10] [--hop 1.0 ...]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model.audio import AudioFile  # noqa: E402
from model.clips import ClipSettings, clip_image, clip_images, window_starts  # noqa: E402

RATE = 48000


def make_recording(path: Path, minutes: float) -> None:
    rng = np.random.default_rng(0)
    n = round(minutes * 60 * RATE)
    x = 0.003 * rng.standard_normal(n).astype(np.float32)
    t = np.arange(round(0.3 * RATE)) / RATE
    for start in np.arange(0.5, minutes * 60 - 1, 2.7):
        f0 = rng.uniform(1500, 7000)
        chirp = 0.05 * np.sin(2 * np.pi * (f0 * t + 4000 * t**2)) * np.hanning(t.size)
        i = round(start * RATE)
        x[i : i + t.size] += chirp.astype(np.float32)
    sf.write(str(path), x, RATE, subtype="PCM_16")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--hop", type=float, nargs="+", default=[1.0])
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    settings = ClipSettings()

    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "bench.wav"
        make_recording(wav, args.minutes)
        print(
            f"recording: {args.minutes:g} min, {RATE} Hz mono PCM_16 -> clips at "
            f"{settings.sample_rate} Hz, {settings.image_shape}; 1 thread"
        )

        t0 = time.perf_counter()
        clip_images(wav, [0.0], settings)  # first call: imports librosa/scipy/matplotlib
        print(f"first call (imports, caches): {time.perf_counter() - t0:.2f} s")

        with AudioFile(wav) as af:
            samples = af.read(
                10.0, settings.clip_seconds, sample_rate=settings.sample_rate, pad=True
            )
            native = af.read(10.0, settings.clip_seconds)
        import soxr

        reps = 200
        t0 = time.perf_counter()
        for _ in range(reps):
            soxr.resample(native, RATE, settings.sample_rate, quality="HQ")
        t_res = (time.perf_counter() - t0) / reps
        t0 = time.perf_counter()
        for _ in range(reps):
            clip_image(samples, settings)
        t_img = (time.perf_counter() - t0) / reps
        print(
            f"one clip: resample 48k->22.05k {t_res * 1e3:.2f} ms, clip_image {t_img * 1e3:.2f} ms"
        )

        for hop in args.hop:
            starts = window_starts(args.minutes * 60, settings.clip_seconds, hop)
            best = float("inf")
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                images = clip_images(wav, starts, settings)
                best = min(best, time.perf_counter() - t0)
            assert images.shape == (len(starts), *settings.image_shape)
            audio_s = args.minutes * 60
            print(
                f"hop {hop:g} s: {len(starts)} clips in {best:.2f} s = "
                f"{len(starts) / best:.0f} clips/s ({audio_s / best:.0f}x real time, "
                f"best of {args.repeats})"
            )


if __name__ == "__main__":
    main()
