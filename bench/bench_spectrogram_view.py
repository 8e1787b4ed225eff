"""How the spectrogram view copes with a 2-hour recording, next to a 1-minute one.

Prints, for each file: time from opening to the first spectrogram tile on screen and to the whole
screen, GUI-thread busy time per event-loop pass while scrolling end to end at several zoom
levels (median and worst), the same while zooming from 10 s to the whole file and back, and the
process's peak resident memory. Aims (issue): first image < 1 s, no GUI-thread pass > 50 ms,
peak memory < 600 MB and independent of length.

Each file is measured in a fresh interpreter (peak memory is per process). The recordings are
generated (48 kHz 16-bit mono noise with chirps every 7 s), written in one-minute chunks to a
temporary folder and deleted afterwards.

``--boxes N`` lays N time-frequency boxes (seeded, five classes, 0.2-2 s, 0.5-6 kHz) over each
file, drawn by the box overlay like a labelled night; the same run without it is the baseline.
The last rows time a full repaint of the plot with the whole file on screen (all N boxes of
the short file visible), so the two runs give frame times with N boxes on screen and with none.
``--labels`` lays the window's label layers (tag overlay and label lanes) with busy eleven-class
labels (one to four classes on every 2-s clip of a 1-s grid, like an imported BirdNET table)
over each file; both options can be given together.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_spectrogram_view.py [--long-min 120]
    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_spectrogram_view.py --boxes 1000
    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_spectrogram_view.py --labels
    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_spectrogram_view.py --first-repeats 9
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from view_layers import add_boxes, add_label_layers

SAMPLE_RATE = 48000
FRAME_MS = 16  # one scroll step per 60 Hz frame, as a fast mouse wheel or a fling would give
MAX_FRAMES = 300  # per zoom level: larger steps on long files keep the run short
SPANS = (10.0, 30.0, 300.0, 1800.0)  # visible seconds while scrolling


def write_recording(path: Path, seconds: int) -> None:
    import numpy as np
    import soundfile as sf

    rng = np.random.default_rng(1)
    t = np.arange(60 * SAMPLE_RATE) / SAMPLE_RATE
    with sf.SoundFile(path, "w", SAMPLE_RATE, 1, subtype="PCM_16") as f:
        for minute in range(0, seconds, 60):
            n = min(60, seconds - minute) * SAMPLE_RATE
            chunk = rng.standard_normal(n).astype(np.float32) * 2e-3
            for start in np.arange(0.0, n / SAMPLE_RATE - 0.5, 7.0):
                on = (t[:n] >= start) & (t[:n] < start + 0.4)
                sweep = 2e3 + 4e3 * (t[:n][on] - start) / 0.4
                chunk[on] += 0.2 * np.sin(2 * np.pi * sweep * (t[:n][on] - start))
            f.write(chunk)


# -- child: one file, one process ------------------------------------------------------------


class BusyMeter:
    """GUI-thread time per frame, from a 1 ms heartbeat timer on the GUI thread.

    Two views of the same thing: CPU seconds the GUI thread used (``time.thread_time``: what our
    code and pyqtgraph's painting cost, whatever else the machine runs) and the lateness of the
    heartbeat (wall clock: what a user's input would wait, including waits for the GIL while the
    tile thread runs Python and for a CPU on a loaded machine). QAbstractEventDispatcher's
    awake/aboutToBlock do not bracket timer work on Qt's Unix dispatcher, so they are not used.
    """

    INTERVAL_MS = 1

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.beats: list[tuple[float, float]] = []
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(self.INTERVAL_MS)
        self._timer.timeout.connect(self._beat)
        self._timer.start()

    def _beat(self) -> None:
        self.beats.append((time.perf_counter(), time.thread_time()))

    def take(self, frame_starts: list[float]) -> dict[str, float]:
        """Median and worst per-frame figures (ms) since the last call."""
        beats, self.beats = self.beats, []
        cpu = [0.0] * len(frame_starts)
        wall = [0.0] * len(frame_starts)
        stall_cpu = stall_wall = 0.0
        i = 0
        for (w0, c0), (w1, c1) in zip(beats, beats[1:], strict=False):
            if not frame_starts or w0 < frame_starts[0]:
                continue
            while i + 1 < len(frame_starts) and frame_starts[i + 1] <= w0:
                i += 1
            gap_wall, gap_cpu = (w1 - w0) * 1000, (c1 - c0) * 1000
            cpu[i] += gap_cpu
            wall[i] += max(0.0, gap_wall - self.INTERVAL_MS)
            stall_cpu, stall_wall = max(stall_cpu, gap_cpu), max(stall_wall, gap_wall)
        if not frame_starts:
            return {}
        return {
            "cpu_median_ms": statistics.median(cpu),
            "cpu_worst_ms": max(cpu),
            "cpu_stall_ms": stall_cpu,
            "wall_median_ms": statistics.median(wall),
            "wall_worst_ms": max(wall),
            "wall_stall_ms": stall_wall,
        }


def run_frames(steps: list) -> list[float]:
    """Call each step from a 16 ms timer, like a user scrolling; returns when each began."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(FRAME_MS)
    todo = list(steps)
    began: list[float] = []

    def tick() -> None:
        if not todo:
            timer.stop()
            loop.quit()
            return
        began.append(time.perf_counter())
        todo.pop(0)()

    timer.timeout.connect(tick)
    timer.start()
    loop.exec()
    return began


def repaint_times(view, count: int = 40) -> dict[str, float]:
    """Wall time of a full repaint of the plot (spectrogram tiles and any overlays), ms."""
    viewport = view.graphics.viewport()
    times = []
    for _ in range(count):
        t0 = time.perf_counter()
        viewport.repaint()
        times.append((time.perf_counter() - t0) * 1000)
    return {"median_ms": statistics.median(times), "worst_ms": max(times)}


def child(path: Path, boxes: int = 0, with_labels: bool = False, first_only: bool = False) -> dict:
    import resource

    from PySide6.QtWidgets import QApplication

    QApplication([])
    from app.spectrogram import SpectrogramView
    from app.spectrogram.layer import Z_EXACT
    from model.audio import probe

    view = SpectrogramView()
    view.resize(1600, 600)
    view.show()
    layers = add_label_layers(view, probe(path).duration) if with_labels else ""
    meter = BusyMeter()
    first: dict[str, float] = {}
    original_apply = view.layer._apply

    def apply(desired: dict) -> None:
        original_apply(desired)
        if "tile" not in first and any(z == Z_EXACT for _, z in desired.values()):
            first["tile"] = time.perf_counter()
            view.graphics.viewport().repaint()  # what the next frame would paint
            first["painted"] = time.perf_counter()

    view.layer._apply = apply
    start = time.perf_counter()
    info = probe(path)
    view.set_recording(path, info)
    if boxes:
        add_boxes(view, boxes, info.duration)
    ok = view.wait_until_rendered(30_000)
    all_visible = time.perf_counter() - start
    result: dict = {
        "layers": layers,
        "duration_s": info.duration,
        "first_image_s": first.get("painted", float("nan")) - start,
        "screen_complete_s": all_visible if ok else float("nan"),
        "levels": [],
    }
    if first_only:
        view.shutdown()
        return result
    meter.take([])
    for span in [s for s in SPANS if s < info.duration]:
        view.set_view_range(0.0, span)
        view.wait_until_rendered(30_000)
        meter.take([])
        step = max(span * 0.1, (info.duration - span) / MAX_FRAMES)
        starts = [i * step for i in range(int((info.duration - span) / step) + 1)]
        t0 = time.perf_counter()
        began = run_frames([lambda s=s, e=span: view.set_view_range(s, s + e) for s in starts])
        figures = meter.take(began)
        caught_up = view.wait_until_rendered(30_000)
        result["levels"].append(
            {
                "span_s": span,
                "frames": len(starts),
                "step_s": step,
                "seconds": time.perf_counter() - t0,
                "caught_up": caught_up,
                **figures,
            }
        )
    # wheel-zoom from 10 s to the whole file and back, around the middle
    view.set_view_range(info.duration / 2 - 5, info.duration / 2 + 5)
    view.wait_until_rendered(30_000)
    meter.take([])
    zooms = []
    factor = 1 / 0.8
    span = 10.0
    while span < info.duration:
        zooms.append(factor)
        span *= factor
    steps = [lambda f=f: view.zoom_time(f, info.duration / 2) for f in zooms]
    steps += [lambda f=f: view.zoom_time(1 / f, info.duration / 2) for f in zooms]
    began = run_frames(steps)
    result["zoom"] = {"frames": len(steps), **meter.take(began)}
    view.wait_until_rendered(30_000)
    view.set_view_range(0.0, info.duration)
    view.wait_until_rendered(30_000)
    overlay = getattr(view, "_bench_overlay", None)
    on_screen = len(overlay.visible_boxes(0.0, info.duration)) if overlay is not None else 0
    result["repaint_all"] = {"boxes": on_screen, **repaint_times(view)}
    result["cache_mb"] = view.cache.nbytes / 2**20
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    view.shutdown()
    return result


# -- parent: generate, measure each in a child, print side by side --------------------------


def measure(
    path: Path, boxes: int = 0, with_labels: bool = False, first_only: bool = False
) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    flags = (["--labels"] if with_labels else []) + (["--first-only"] if first_only else [])
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path), "--boxes", str(boxes), *flags],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[1],
        check=False,
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"child failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return json.loads(lines[-1])


def _cell(f: dict, kind: str) -> str:
    return f"{f[kind + '_median_ms']:.1f}/{f[kind + '_worst_ms']:.1f}/{f[kind + '_stall_ms']:.1f}"


def report(results: dict[str, dict]) -> None:
    names = list(results)
    print(
        "GUI thread, ms: median per 16 ms frame / worst frame / longest single stretch;\n"
        "  cpu = CPU time of the GUI thread, wall = heartbeat lateness (GIL waits and load too)"
    )
    print(f"{'':34}" + "".join(f"{n:>20}" for n in names))

    def row(label: str, values: list) -> None:
        print(f"{label:34}" + "".join(f"{v:>20}" for v in values))

    row("first image on screen (s)", [f"{r['first_image_s']:.3f}" for r in results.values()])
    row("whole screen + overview (s)", [f"{r['screen_complete_s']:.3f}" for r in results.values()])
    for kind in ("cpu", "wall"):
        for span in SPANS:
            cells = []
            for r in results.values():
                lv = next((x for x in r["levels"] if x["span_s"] == span), None)
                cells.append("-" if lv is None else _cell(lv, kind))
            row(f"{kind}: scroll, {span:g} s visible", cells)
        row(f"{kind}: wheel zoom 10 s <-> all", [_cell(r["zoom"], kind) for r in results.values()])
    row(
        "repaint, whole file shown (ms)",
        [f"{r['repaint_all']['median_ms']:.1f}/{r['repaint_all']['worst_ms']:.1f}"
         for r in results.values()],
    )  # fmt: skip
    row("  boxes on screen then", [str(r["repaint_all"]["boxes"]) for r in results.values()])
    row("tile cache at end (MB)", [f"{r['cache_mb']:.1f}" for r in results.values()])
    row("peak resident memory (MB)", [f"{r['peak_rss_mb']:.0f}" for r in results.values()])
    print()
    for name, r in results.items():
        for lv in r["levels"]:
            print(
                f"{name}: {lv['span_s']:g} s view, {lv['frames']} frames of {lv['step_s']:.1f} s "
                f"in {lv['seconds']:.1f} s, screen complete afterwards: {lv['caught_up']}"
            )


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return "unknown"
    names = [line.split(":", 1)[1].strip() for line in out.splitlines() if "Model name" in line]
    return names[0] if names else "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long-min", type=int, default=120, help="length of the long file")
    parser.add_argument("--boxes", type=int, default=0, help="time-frequency boxes per file")
    parser.add_argument(
        "--labels",
        action="store_true",
        help="with the window's label layers over the view (busy labels, eleven classes)",
    )
    parser.add_argument(
        "--first-repeats",
        type=int,
        default=0,
        metavar="N",
        help="also time the first image in N more fresh processes per file (median, range): "
        "one start is too noisy on a shared machine to compare two versions",
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--first-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.boxes, args.labels, args.first_only)))
        return
    folder = Path(tempfile.mkdtemp(prefix="sonotag-bench-"))
    try:
        files = {"1 min": folder / "short.wav", f"{args.long_min} min": folder / "long.wav"}
        started = time.perf_counter()
        write_recording(files["1 min"], 60)
        write_recording(files[f"{args.long_min} min"], args.long_min * 60)
        print(f"generated recordings in {time.perf_counter() - started:.0f} s")
        print(f"CPU: {cpu_model()}; time-frequency boxes per file: {args.boxes}")
        results = {name: measure(path, args.boxes, args.labels) for name, path in files.items()}
        if args.labels:
            print("label layers: " + "; ".join(f"{n}: {r['layers']}" for n, r in results.items()))
        report(results)
        if args.first_repeats > 0:
            print(f"first image on screen, {args.first_repeats} more fresh starts per file (s):")
            for name, path in files.items():
                times = sorted(
                    measure(path, args.boxes, args.labels, first_only=True)["first_image_s"]
                    for _ in range(args.first_repeats)
                )
                print(
                    f"  {name}: median {statistics.median(times):.3f}, "
                    f"range {times[0]:.3f}-{times[-1]:.3f}"
                )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
