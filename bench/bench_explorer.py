"""Clip explorer: time and memory of the map for 10k and 100k clips from cached embeddings.

Builds a project of 1-h recordings (hop 1 s: 3,599 windows each, registered without audio
files, which this path never reads) and fills its feature cache with synthetic 2048-d
ResNet-like vectors (30 sound types, ReLU'd, as float16 like the cache stores), then runs the
explorer's own job (``model.explore.job.build_map``) twice per size, each in a fresh process
with no warm-up, both with the same empty user cache folder to begin with:

- first run: numba compiles UMAP's layout code and keeps it in the cache folder (what a new
  install pays once);
- later run: the compiled code is loaded from there (every later map);
- fit: read every clip's vector from the cache, PCA, nearest neighbours, UMAP (of at most
  ``LANDMARKS`` clips, the others placed by their nearest landmarks), HDBSCAN, save (target
  < 60 s for 100k clips on 2 cores), wall and CPU time, and the stages' wall times;
- reopen: read the saved map back and check it against the project (what opening the panel
  costs);
- extend: one more hour of recording placed on the map by its nearest landmarks;
- find similar: exact cosine query for the 50 nearest clips (median of 200, wall and CPU time
  of the querying thread; target < 100 ms).

Peak memory is the process's maximum resident set (it includes Python, NumPy, numba, sklearn
and whatever the backbone's cache key imports).

``--gui N`` times the Explorer's map view instead, with N points (offscreen Qt): a change of
colouring (until painted), and each step of panning and zooming with its repaint (median,
worst), over the whole map and zoomed in on one cluster. Run it with ``PYTHONPATH`` at an older
checkout to time that checkout's map view the same way (before/after).

    .venv/bin/python bench/bench_explorer.py [--sizes 10000,100000]
    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_explorer.py --gui 100000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HOUR_WINDOWS = 3599  # 1-h recording, 2-s clips, hop 1 s
TYPES = 30
DIM = 2048


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return "?"
    return next((ln.split(":", 1)[1].strip() for ln in out.splitlines() if "Model name" in ln), "?")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def add_recordings(project, store, count: int, first: int, rng, prototypes) -> None:
    duration = 3600.0
    for index in range(first, first + count):
        info = SimpleNamespace(sample_rate=22050, channels=1, frames=int(duration * 22050),
                               duration=duration)  # fmt: skip
        rec = project.add_recording(Path(f"rec{index}.wav"), info=info, fingerprint=f"f{index}")
        starts = np.arange(HOUR_WINDOWS, dtype=np.float64)
        kinds = rng.integers(0, TYPES, HOUR_WINDOWS)
        noise = rng.normal(0, 1, (HOUR_WINDOWS, DIM)).astype(np.float32)
        store.put(rec, starts, np.maximum(0, prototypes[kinds] + noise).astype(np.float16))


class Stages:
    """Wall time of each stage of the job, keyed by its progress message's first words."""

    def __init__(self) -> None:
        self.began = time.perf_counter()
        self.current = "set-up"
        self.seconds: dict[str, float] = {}

    def __call__(self, progress) -> None:  # noqa: ANN001 - model.jobs.Progress
        words = [w for w in progress.message.replace(":", " ").split() if not w[0].isdigit()]
        name = " ".join(words[:3]) or "set-up"
        if name != self.current:
            self.stop()
            self.current = name

    def stop(self) -> None:
        now = time.perf_counter()
        self.seconds[self.current] = self.seconds.get(self.current, 0.0) + now - self.began
        self.began = now


def one(size: int) -> dict:
    from model.explore.job import build_map, saved_map
    from model.explore.similar import similar
    from model.jobs import Reporter
    from model.ml import backbones
    from model.ml.features import clip_settings_of
    from model.project import Project
    from model.project.feature_cache import FeatureStore

    rng = np.random.default_rng(0)
    prototypes = rng.normal(0, 1.2, (TYPES, DIM)).astype(np.float32)
    name = backbones.UNTRAINED
    out: dict = {"clips": 0}
    with tempfile.TemporaryDirectory(prefix="sonotag-bench-") as tmp:
        path = Path(tmp) / "bench.sonotag"
        began = time.perf_counter()
        with Project.create(path) as project:
            key = backbones.create(name).cache_key
            store = FeatureStore.for_project(project, key, clip_settings_of(project).fingerprint())
            hours = max(1, round(size / HOUR_WINDOWS))
            add_recordings(project, store, hours, 0, rng, prototypes)
        out["build_s"] = time.perf_counter() - began
        base_mb = peak_mb()
        with Project.open(path) as project:
            stages = Stages()
            began, cpu = time.perf_counter(), time.process_time()
            clip_map, summary = build_map(project, name, Reporter(stages))
            out["fit_s"] = time.perf_counter() - began
            out["fit_cpu_s"] = time.process_time() - cpu
            stages.stop()
            out["stages"] = stages.seconds
            out["clips"] = len(clip_map)
            out["landmarks"] = clip_map.meta.get("landmarks", 0)
            out["clusters"] = summary["clusters"]
            out["peak_mb"] = peak_mb()
            out["before_fit_mb"] = base_mb
            began = time.perf_counter()
            again, lacking = saved_map(project, name)
            out["reopen_s"] = time.perf_counter() - began
            assert again is not None and lacking == 0
            store = FeatureStore.for_project(project, key, clip_settings_of(project).fingerprint())
            add_recordings(project, store, 1, hours, rng, prototypes)
            began = time.perf_counter()
            extended, summary = build_map(project, name, Reporter())
            out["extend_s"] = time.perf_counter() - began
            out["extend_mode"] = summary["mode"]
            out["placed"] = summary["placed"]
        queries = rng.integers(0, len(extended), 200)
        times, cpu_times = [], []
        for row in queries:
            began, cpu = time.perf_counter(), time.thread_time()
            similar(extended.vectors, [int(row)], 50)
            times.append(time.perf_counter() - began)
            cpu_times.append(time.thread_time() - cpu)
        out["query_ms"] = float(np.median(times) * 1000)
        out["query_max_ms"] = float(np.max(times) * 1000)
        out["query_cpu_ms"] = float(np.median(cpu_times) * 1000)
    return out


def gui(size: int) -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from app.explorer.colours import by_category, by_label
    from app.explorer.map_view import MapView

    rng = np.random.default_rng(0)
    centres = rng.normal(0, 8, (TYPES, 2))
    kinds = rng.integers(0, TYPES, size)
    coords = (centres[kinds] + rng.normal(0, 0.8, (size, 2))).astype(np.float32)
    codes = rng.choice([0, 0, 0, 0, 1, 2, 3], size).astype(np.uint8)
    view = MapView()
    view.resize(1000, 700)
    view.show()
    app.processEvents()
    times = {}

    def show(name: str, colouring) -> None:  # noqa: ANN001 - a Colouring
        began = time.perf_counter()
        view.set_points(coords, colouring.index, colouring.palette, None, colouring.under_all)
        app.processEvents()
        view.grab()  # until painted
        times[name] = time.perf_counter() - began

    show("opening: colour by label (first points)", by_label(codes, "#1f77b4", "wren"))
    show("change of colouring: by cluster", by_category(kinds.astype(np.int64), {}, "cluster"))
    show("change of colouring: back to label", by_label(codes, "#1f77b4", "wren"))
    codes[rng.choice(np.flatnonzero(codes == 0), 500, replace=False)] = 3
    show("after labelling 500 clips", by_label(codes, "#1f77b4", "wren"))
    frames, zoomed = [], []
    for step in range(40):  # the view moves (the map is drawn again), then it is painted
        began = time.perf_counter()
        view.box.translateBy(x=0.3 * (1 if step < 20 else -1))
        if step % 10 == 9:
            view.box.scaleBy((0.8, 0.8))
        view.grab()
        frames.append(time.perf_counter() - began)
    mode = getattr(view, "mode", "layers")
    centre = [float(v) for v in coords[0]]  # numpy float32 overflows in pyqtgraph checks
    view.box.setRange(xRange=(centre[0] - 1, centre[0] + 1), yRange=(centre[1] - 1, centre[1] + 1))
    for step in range(20):  # zoomed in on a cluster: a few thousand points in view
        began = time.perf_counter()
        view.box.translateBy(x=0.02 * (1 if step < 10 else -1))
        view.grab()
        zoomed.append(time.perf_counter() - began)
    zoomed_mode = getattr(view, "mode", "layers")
    if hasattr(view, "drawn"):
        zoomed_mode += f", {view.drawn} points in view"
    print(f"CPU: {cpu_model()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
          f"map view with {size} points")  # fmt: skip
    for name, seconds in times.items():
        print(f"  {name}: {seconds * 1000:.0f} ms")
    print(
        f"  pan/zoom step and repaint, whole map ({mode}): median "
        f"{np.median(frames) * 1000:.0f} ms, worst {max(frames) * 1000:.0f} ms "
        f"({len(frames)} frames)"
    )
    print(
        f"  pan step and repaint, zoomed in ({zoomed_mode}): median "
        f"{np.median(zoomed) * 1000:.0f} ms, worst {max(zoomed) * 1000:.0f} ms"
    )
    began = time.perf_counter()
    for _ in range(20):
        view.nearest(float(coords[0, 0]), float(coords[0, 1]))
    print(f"  nearest point under the mouse: {(time.perf_counter() - began) / 20 * 1000:.2f} ms")
    began = time.perf_counter()
    from app.explorer.map_view import inside

    lasso = np.c_[np.cos(np.linspace(0, 6.28, 60)) * 6, np.sin(np.linspace(0, 6.28, 60)) * 6]
    picked = inside(coords, lasso)
    print(f"  lasso of 60 vertices: {(time.perf_counter() - began) * 1000:.0f} ms "
          f"({int(picked.sum())} points inside)")  # fmt: skip
    view.close()


def report(label: str, r: dict) -> None:
    print(
        f"{int(r['clips']):<8} {label:<10} {r['fit_s']:6.1f} s ({r['fit_cpu_s']:5.1f} s)"
        f"  {r['peak_mb']:7.0f}  {r['reopen_s']:5.2f} s  {r['extend_s']:5.1f} s "
        f"({r['extend_mode']}, {int(r['placed'])})   {r['query_ms']:5.1f} / "
        f"{r['query_max_ms']:5.1f} ms ({r['query_cpu_ms']:.1f} ms)   {int(r['clusters'])}",
        flush=True,
    )
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in r["stages"].items())
    print(f"{'':8} {'':10} stages: {stages}; UMAP laid out {int(r['landmarks'])} clips")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--gui", type=int, help="time the map view with this many points")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.gui:
        gui(args.gui)
        return 0
    if args.one:
        print(json.dumps(one(args.one)))
        return 0
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
    print(f"CPU: {cpu_model()}, {os.cpu_count()} CPUs, load average {load[0]:.2f} at start")
    print("clips    run        fit wall (CPU)    peak MB  reopen  extend (+3599 clips)  "
          "query median/max (cpu)  clusters")  # fmt: skip
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="sonotag-bench-cache-") as cache:
            env = {**os.environ, "SONOTAG_CACHE_DIR": cache}
            for label in ("first run", "later run"):
                run = subprocess.run(
                    [sys.executable, __file__, "--one", str(size)],
                    capture_output=True, text=True, env=env,
                )  # fmt: skip
                if run.returncode != 0:
                    print(f"{size} {label}: failed\n{run.stderr[-2000:]}")
                    break
                report(label, json.loads(run.stdout.strip().splitlines()[-1]))
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
    print(f"load average {load[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
