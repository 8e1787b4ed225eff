"""Warm retrain -> updated score tracks, in the main window (issue 13's last target: <= 1.5 s).

The retrain benchmark's project (``bench_retrain.build``: one hour of audio in 10-minute
recordings, 500 labels over 5 classes, every labelled and every scoring window's features
cached), written with real WAV files so the window opens it. The main window (offscreen Qt,
the fake sound card) shows the first recording; the Training panel (untrained backbone, as
the cache holds its features) is asked to train ``--runs`` times in a row, waiting each time
until the score tracks under the spectrogram show the new model's scores, then until the
model's held-out measurement (which the panel starts after each training) and scoring are idle
again, as a person would label a little more before the next retrain.

Per run it prints the time from the Train click to the trained model (the worker's job done,
in the window) and to the score tracks drawn with its scores (the prediction controller's
re-score of the shown recording, another job in the same worker). Run 1 includes starting the
worker process (imports); later runs are the warm retrain the issue names. The CPU model and
the load average are printed: wall time on a shared machine follows its load.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_retrain_gui.py [--runs 4]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_retrain import build, cpu_model  # noqa: E402


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Runs the Qt event loop (as pytest-qt's waitUntil does) until ``condition`` holds."""
    from PySide6.QtTest import QTest

    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not after {timeout_s:.0f} s")
        QTest.qWait(5)


def open_window(project: Path, prefs_file: Path):  # noqa: ANN201 - the app's MainWindow
    from app.jobs import JobRunner
    from app.main_window import MainWindow
    from app.playback import PlaybackController
    from app.settings import Preferences
    from model.playback.engine import Player
    from model.playback.fake import FakeOutput

    jobs = JobRunner()
    player = Player(stream_factory=FakeOutput(samplerate=48_000), blocksize=4800)
    window = MainWindow(
        Preferences.at(prefs_file), jobs=jobs, playback=PlaybackController(jobs, player=player)
    )
    window.resize(1400, 820)
    window.show()
    if not window.open_project(project):
        raise RuntimeError(f"the window did not open {project}")
    window.panel.select_recording(window.project.first_recording_id())
    window.spectrogram.wait_until_rendered(20_000)
    return window


def retrain(window, run: int, timeout_s: float) -> None:  # noqa: ANN001
    panel, tracks = window.panels.ml.training, window.panels.ml.tracks
    predictor = window.panels.ml.predictor
    before = tracks.model.id if tracks.model is not None else None
    marks: dict[str, float] = {}
    panel.trained.connect(lambda _result: marks.setdefault("trained", time.monotonic()))
    predictor.busy_changed.connect(
        lambda busy: marks.setdefault("scoring" if busy else "scored", time.monotonic())
    )

    def tracks_updated() -> bool:
        model = tracks.model
        return model is not None and model.id != before and tracks.has_scores()

    tracks.changed.connect(
        lambda: tracks_updated() and marks.setdefault("tracks", time.monotonic())
    )
    started, cpu = time.monotonic(), time.process_time()
    if panel.start_training() is None:
        raise RuntimeError("the Training panel did not start (nothing to train on?)")
    wait_until(lambda: "tracks" in marks, timeout_s, f"run {run}: score tracks")
    wait_until(
        lambda: not panel.evaluation.running and not predictor.busy and panel.job is None,
        timeout_s,
        f"run {run}: measurement and scoring idle again",
    )
    trained, drawn = marks["trained"] - started, marks["tracks"] - started
    scoring = marks.get("scoring", marks["tracks"]) - started
    print(
        f"run {run}{' (starts the worker)' if run == 1 else ' (warm)'}: model trained in the "
        f"window after {trained:.2f} s, its scoring job started at {scoring:.2f} s, score "
        f"tracks updated after {drawn:.2f} s "
        f"(window process CPU {time.process_time() - cpu:.2f} s; {len(tracks.starts)} windows "
        f"of {len(tracks.class_ids)} classes drawn); load average "
        f"{os.getloadavg()[0]:.1f}",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--labels", type=int, default=500)
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--timeout", type=float, default=600.0)
    args = ap.parse_args()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="bench-retrain-gui-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        project = build(folder, args.hours, args.labels, audio=True)
        print(
            f"project: {args.hours:g} h of audio, {args.labels} labels, features cached "
            f"({time.perf_counter() - started:.1f} s to build)",
            flush=True,
        )
        window = open_window(project, folder / "prefs.ini")
        window.panels.ml.training.set_untrained_backbone(True)
        try:
            for run in range(1, args.runs + 1):
                retrain(window, run, args.timeout)
        finally:
            window.close()
            window.jobs.wait_all(30_000)
            app.processEvents()


if __name__ == "__main__":
    main()
