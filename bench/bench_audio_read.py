"""How opening a recording and reading its last 2 s scale with file length (should not).

Writes a 1-minute and a 2-hour 48 kHz mono 16-bit WAV (~690 MB, written in chunks) into a
temporary folder that is deleted afterwards, then prints median times of several runs:

    .venv/bin/python bench/bench_audio_read.py [--repeats 7] [--hours 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model.audio import AudioFile  # noqa: E402

RATE = 48000


def write_wav(path: Path, seconds: float) -> None:
    rng = np.random.default_rng(0)
    total = int(seconds * RATE)
    chunk = 60 * RATE
    with sf.SoundFile(str(path), "w", RATE, 1, "PCM_16") as f:
        for start in range(0, total, chunk):
            n = min(chunk, total - start)
            f.write((0.1 * rng.standard_normal(n)).astype(np.float32))


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def measure(path: Path, repeats: int) -> tuple[float, float]:
    open_ms = median_ms(lambda: AudioFile(path).close(), repeats)
    with AudioFile(path) as f:
        end = f.info.duration
        read_ms = median_ms(lambda: f.read(end - 2.0, 2.0), repeats)
        assert len(f.read(end - 2.0, 2.0)) == 2 * RATE
    return open_ms, read_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--hours", type=float, default=2.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sonotag-bench-") as tmp:
        short, long = Path(tmp) / "one_minute.wav", Path(tmp) / "long.wav"
        write_wav(short, 60)
        t = time.perf_counter()
        write_wav(long, args.hours * 3600)
        print(
            f"wrote {long.stat().st_size / 1e6:.0f} MB ({args.hours:g} h) "
            f"in {time.perf_counter() - t:.1f} s; medians of {args.repeats} runs"
        )
        results = {}
        for label, path in (("1 min", short), (f"{args.hours:g} h", long)):
            results[label] = measure(path, args.repeats)
            open_ms, read_ms = results[label]
            print(f"{label:>6}: open {open_ms:7.3f} ms   read last 2 s {read_ms:7.3f} ms")
        (o1, r1), (o2, r2) = results.values()
        print(f" ratio long/1 min: open {o2 / o1:.2f}x   read last 2 s {r2 / r1:.2f}x")


if __name__ == "__main__":
    main()
