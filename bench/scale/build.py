"""Projects for the scale benchmark, built through the public project API of the tree measured.

Recordings are hard links to one real one-minute recording of the repository (the demo's great
tit FLAC), named like AudioMoth files in one folder per recorder (``rec07/20240401_053000.flac``),
so Add Folder, missing-file checks and the spectrogram see real files. A file system allows a
limited number of links per file (ext4: 65,000), so a fresh copy is linked every 50,000 names.
Each recording gets its own start time (a recorder writes a minute every ten minutes), so
activity plots have a season to bin. Scores are synthetic (``synthetic_scores``); labels sit on
one recording in ten.

Everything is written inside one ``Project.transaction()`` (each call nests as a savepoint): a
commit per call would make building 100,000 recordings a matter of fsyncs, not of the code.
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

SOURCE = "resources/demo/audio/B32_20210415_050630.flac"
LINKS_PER_COPY = 50_000
RECORDERS = 20
CLASSES = ("Great tit", "Robin", "Wren")
WINDOW_CLASSES = 3
HOP = 1.0
CLIP = 2.0


def recording_names(n: int) -> list[str]:
    """``recNN/YYYYMMDD_HHMMSS.flac``: recorder k's i-th minute starts 10 min after its last."""
    start = datetime(2024, 4, 1, tzinfo=UTC)
    names = []
    for index in range(n):
        recorder, minute = index % RECORDERS, index // RECORDERS
        when = start + timedelta(minutes=10 * minute, seconds=7 * recorder)
        names.append(f"rec{recorder:02d}/{when:%Y%m%d_%H%M%S}.flac")
    return names


def start_of(name: str) -> datetime:
    return datetime.strptime(Path(name).stem, "%Y%m%d_%H%M%S").replace(tzinfo=UTC)


def link_audio(root: Path, names: list[str]) -> list[Path]:
    """Hard links under ``root`` for ``names`` (made once; reused by later builds)."""
    source = Path(__file__).resolve().parents[2] / SOURCE
    paths = [root / name for name in names]
    copy: Path | None = None
    for index, path in enumerate(paths):
        if index % LINKS_PER_COPY == 0:
            copy = root / f".source-{index // LINKS_PER_COPY}{source.suffix}"
            if not copy.exists():
                root.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, copy)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            assert copy is not None
            os.link(copy, path)
    return paths


def synthetic_scores(rng: np.random.Generator, windows: int, classes: int) -> np.ndarray:
    """What a trained classifier's sigmoid outputs look like: low almost everywhere, with
    calls (runs of one to four windows scoring 0.55-0.99) at a rate that differs per class."""
    scores = rng.beta(0.6, 12.0, size=(windows, classes)).astype(np.float32)
    rates = np.linspace(0.002, 0.03, classes)
    for column, rate in enumerate(rates):
        for _ in range(rng.poisson(windows * rate)):
            first = int(rng.integers(0, windows))
            run = scores[first : first + int(rng.integers(1, 5)), column]
            run[:] = rng.uniform(0.55, 0.99, len(run))
    return scores


def info_for(duration: float, start: datetime) -> Any:
    return SimpleNamespace(
        sample_rate=48_000,
        channels=1,
        frames=int(duration * 48_000),
        duration=duration,
        start_time=start,
        start_time_source="audiomoth-filename",
        format="FLAC",
    )


def window_starts(duration: float) -> np.ndarray:
    return np.arange(0.0, duration - CLIP + 1e-9, HOP)


def probe_window_project(folder: str, audio: str, n: int) -> dict[str, Any]:
    """``n`` one-minute recordings, 3 classes (keys 1-3), labels on one in ten, every recording
    scored by the active model (59 windows x 3 classes)."""
    from model.project import Project

    began = time.perf_counter()
    path = Path(folder) / "p.sonotag"
    path.parent.mkdir(parents=True, exist_ok=True)
    names = recording_names(n)
    files = link_audio(Path(audio), names)
    rng = np.random.default_rng(0)
    starts = window_starts(60.0)
    with Project.create(path) as project:
        with project.transaction():
            ids = [
                project.add_recording(
                    f, info=info_for(60.0, start_of(name)), fingerprint=f"fp{i}"
                ).id
                for i, (name, f) in enumerate(zip(names, files, strict=True))
            ]
            classes = [project.add_class(name).id for name in CLASSES]
            for rec_id in ids[::10]:
                for k in range(10):
                    state = "present" if k % 3 else "absent"
                    project.put_label(rec_id, 4.0 * k, 4.0 * k + 2.0, classes[k % 3], state)
            model = project.add_model("bench", path.parent / "bench.keras", {}, {})
            for rec_id in ids:
                scores = synthetic_scores(rng, len(starts), WINDOW_CLASSES)
                project.put_predictions(model.id, rec_id, starts, classes, scores)
    return {"path": str(path), "seconds": time.perf_counter() - began, "mb": size_mb(path)}


def probe_activity_project(folder: str, audio: str, n: int, hours: float, classes: int) -> dict:
    """``n`` recordings of ``hours`` each (one real file linked; its length here is stated,
    not read: the audio is never opened on this path), ``classes`` classes, every window
    scored: n x hours x 3600 windows."""
    from model.project import Project

    began = time.perf_counter()
    path = Path(folder) / "p.sonotag"
    path.parent.mkdir(parents=True, exist_ok=True)
    duration = hours * 3600.0
    names = [f"long/{start:%Y%m%d_%H%M%S}.flac" for start in _hourly(n, hours)]
    files = link_audio(Path(audio), names)
    rng = np.random.default_rng(1)
    starts = np.arange(0.0, duration, HOP)
    with Project.create(path) as project:
        with project.transaction():
            ids = [
                project.add_recording(
                    f, info=info_for(duration, start_of(name)), fingerprint=f"a{i}"
                ).id
                for i, (name, f) in enumerate(zip(names, files, strict=True))
            ]
            class_ids = [
                project.add_class(f"species {c:02d}", shortcut="").id for c in range(classes)
            ]
            for rec_id in ids[::5]:
                project.put_label(rec_id, 10.0, 12.0, class_ids[0], "present")
            model = project.add_model("bench", path.parent / "bench.keras", {}, {})
        for rec_id in ids:  # one transaction per recording, as scoring stores them
            scores = synthetic_scores(rng, len(starts), classes)
            project.put_predictions(model.id, rec_id, starts, class_ids, scores)
    return {"path": str(path), "seconds": time.perf_counter() - began, "mb": size_mb(path)}


def _hourly(n: int, hours: float) -> list[datetime]:
    """Back-to-back recordings from one recorder, starting at dawn on 1 April 2024."""
    first = datetime(2024, 4, 1, 4, tzinfo=UTC)
    return [first + timedelta(hours=hours * i) for i in range(n)]


def size_mb(path: Path) -> float:
    total = 0
    for suffix in ("", "-wal", "-shm"):
        other = path.with_name(path.name + suffix)
        if other.exists():
            total += other.stat().st_size
    return total / 1e6
