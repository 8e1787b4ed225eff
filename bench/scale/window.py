"""Section "window": the main window on projects of 10 to 100,000 recordings (offscreen Qt).

Rows: window start to first paint; one label key-press (the edit, the counts refresh and the
repaint); Add Folder when the folder holds nothing new (the whole job, and the part on the GUI
thread: the recordings table's update); peak memory of the window process.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from scale.common import (
    Code,
    Row,
    Settings,
    figure,
    megabytes,
    partial,
    peak_rss_mb,
    run_probe,
)
from scale.projects import window_projects

TITLE = "window (offscreen)"


def rows(codes: list[Code], settings: Settings) -> list[Row]:
    projects = window_projects(codes, settings)
    out: list[Row] = []
    results: dict[int, dict[str, dict[str, Any] | None]] = {}
    for n in settings.sizes:
        results[n] = {}
        for code in codes:
            built = projects[code.label][n]
            results[n][code.label] = run_probe(
                code,
                "window",
                "window",
                settings.timeout,
                project=built["path"],
                audio=built["audio"],
            )
    for what, key in (
        ("window start to first paint", "first_paint"),
        ("label key-press: edit + counts refresh (median of 24)", "key_press"),
        ("label key-press: the same + repaint", "key_paint"),
        ("Add Folder, nothing new: GUI thread (table update)", "add_gui"),
        ("Add Folder, nothing new: whole job", "add_total"),
        ("peak RSS, window process", "peak_rss_mb"),
    ):
        for n in settings.sizes:
            figures = {}
            for label, result in results[n].items():
                if key == "peak_rss_mb":
                    figures[label] = megabytes(result[key]) if result else "—"
                else:
                    figures[label] = figure(result, key, settings.timeout)
            note = ""
            if key == "key_press":
                made = {
                    k: r["labels_made"] for k, r in results[n].items() if r and "labels_made" in r
                }
                note = "labels written: " + ", ".join(f"{k} {v}" for k, v in made.items())
            out.append(Row(what, f"{n:,} recordings", figures, note))
    return out


def _wait(qapp: Any, done: list[bool], limit: float = 600.0) -> None:
    deadline = time.perf_counter() + limit
    while not done and time.perf_counter() < deadline:
        qapp.processEvents()
        time.sleep(0.002)


def probe_window(project: str, audio: str, presses: int = 24) -> dict[str, Any]:
    from PySide6.QtCore import QEvent, QObject, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    qapp = QApplication.instance() or QApplication([])
    import app.main_window  # noqa: F401 - imports are not what is timed
    from app.launch import build_window
    from app.settings import Preferences

    class PaintSpy(QObject):
        painted = 0

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
            if event.type() == QEvent.Type.Paint:
                self.painted += 1
            return False

    scratch = Path(tempfile.mkdtemp(prefix="bench-window-"))
    copy = scratch / Path(project).name  # labelling writes: leave the built project as it is
    shutil.copyfile(project, copy)
    prefs = Preferences.at(scratch / "prefs.ini")
    began, began_cpu = time.perf_counter(), time.process_time()
    window = build_window(copy, [], prefs=prefs, data_dir=scratch)
    spy = PaintSpy()
    window.panel.recordings_table.viewport().installEventFilter(spy)
    qapp.processEvents()
    if not spy.painted:  # the platform did not paint on its own: make it
        window.grab()
    first_paint = time.perf_counter() - began
    first_paint_cpu = time.process_time() - began_cpu
    partial(first_paint=first_paint, first_paint_cpu=first_paint_cpu)

    window.activateWindow()
    QTest.qWaitForWindowActive(window, 5000)  # shortcuts reach an active window only
    window.spectrogram.setFocus()
    window.spectrogram.wait_until_rendered(60_000)  # tiles in the background would add noise
    recording = window.recording.id
    before = len(window.project.labels(recording_id=recording))
    window.labelling.selection.select_at(41.0)  # 40-42 s: after the built labels (0-38 s)
    times, handled, times_cpu, handled_cpu = [], [], [], []
    for index in range(presses):
        key = (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3)[index % 3]
        start, start_cpu = time.perf_counter(), time.process_time()
        QTest.keyClick(window.spectrogram, key)  # the edit, its commit and the counts refresh
        handled.append(time.perf_counter() - start)
        handled_cpu.append(time.process_time() - start_cpu)
        qapp.processEvents()  # the repaint it asked for
        times.append(time.perf_counter() - start)
        times_cpu.append(time.process_time() - start_cpu)
        if index % 3 == 2:  # three classes on a clip, then the next clip
            window.labelling.move(1)
            qapp.processEvents()
    made = len(window.project.labels(recording_id=recording)) - before
    if made != presses:
        raise RuntimeError(f"{presses} key presses wrote {made} labels: keys did not arrive")
    presses_figures = {
        "key_press": statistics.median(handled),
        "key_press_cpu": statistics.median(handled_cpu),
        "key_paint": statistics.median(times),
        "key_paint_cpu": statistics.median(times_cpu),
    }
    partial(**presses_figures, labels_made=made, peak_rss_mb=peak_rss_mb())

    gui: list[tuple[float, float]] = []
    original = window._recordings_added

    def timed(result: Any) -> None:
        start, start_cpu = time.perf_counter(), time.process_time()
        original(result)
        gui.append((time.perf_counter() - start, time.process_time() - start_cpu))

    window._recordings_added = timed  # the job connects to it when it starts
    done: list[bool] = []
    start, start_cpu = time.perf_counter(), time.process_time()
    job = window.add_recordings([Path(audio)])
    job.ended.connect(lambda: done.append(True))
    _wait(qapp, done)
    qapp.processEvents()
    add_total = time.perf_counter() - start
    add_total_cpu = time.process_time() - start_cpu
    window.close()
    shutil.rmtree(scratch, ignore_errors=True)
    return {
        "first_paint": first_paint,
        "first_paint_cpu": first_paint_cpu,
        **presses_figures,
        "labels_made": made,
        "add_gui": gui[0][0] if gui else None,
        "add_gui_cpu": gui[0][1] if gui else None,
        "add_total": add_total,
        "add_total_cpu": add_total_cpu,
    }
