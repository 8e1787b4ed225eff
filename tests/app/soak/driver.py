"""The soak test's user: a seeded random sequence of real actions on the real main window.

Labels are made by mouse clicks on the spectrogram and the window's keys (digits, Shift+digit,
``?``, Delete, Ctrl+Z, Ctrl+Shift+Z, review's A/Z/U/S); classes through the project panel's
commands (their name dialogs answered); recordings, tables, training (untrained backbone, tiny
runs), cancel, scoring, review, closing, reopening and switching projects through the window's
own methods. After every action a separate process reads the project file and the result is
compared with the oracle; a divergence raises ``Divergence`` naming the seed and the step.
"""

from __future__ import annotations

import random
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from tests.app.soak.actions import Actions, wait_until
from tests.app.soak.oracle import ProjectModel
from tests.app.soak.reader import Reader

REPO = Path(__file__).resolve().parents[3]
FATAL = ("malformed", "disk I/O", "is closed", "not a database", "locked", "Traceback",
         "could not be read", "could not be started", "cannot be changed now")  # fmt: skip

# Action weights: labelling dominates, as in real use; the rest exercises every other path.
WEIGHTS = {
    "present": 24, "absent": 8, "uncertain": 5, "delete": 6, "undo": 10, "redo": 6,
    "move": 4, "recording": 5, "add_recordings": 2, "import": 2, "add_class": 2,
    "rename_class": 2, "delete_class": 1, "train": 1.2, "cancel_training": 0.6, "score": 0.8,
    "review": 2.5, "decide": 7, "reopen": 1, "switch": 1,
}  # fmt: skip


class Divergence(AssertionError):
    pass


@dataclass
class Stats:
    actions: Counter = field(default_factory=Counter)
    steps: int = 0
    compared_labels: int = 0
    labels_lost: int = 0  # expected labels missing from the file after quitting
    labels_expected: int = 0
    outcomes: Counter = field(default_factory=Counter)  # trainings, scorings, reviews that ran
    errors: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


class Soak(Actions):
    def __init__(self, root: Path, seed: int, wait_for_training: float = 0.6) -> None:
        """``wait_for_training``: how often the user waits for a training they started (and
        then for its scores), so that review and scoring get a model to work with."""
        self.root, self.seed = root, seed
        self.wait_for_training = wait_for_training
        self.rng = random.Random(seed)
        self.stats = Stats()
        self.history: list[str] = []
        self._patches: list[tuple[object, str, object]] = []
        self._build_files()
        self.models = {self.main: ProjectModel(), self.other: ProjectModel()}
        self.reader = Reader(REPO)
        for path, model in self.models.items():
            self._load(path, model)
        self.window = self._make_window()
        self._patch_dialogs()
        assert self.window.open_project(self.main)
        self.current: Path | None = self.main

    # -- set-up ---------------------------------------------------------------------------------
    def _build_files(self) -> None:
        from model.demo import ensure_demo_project
        from tests.app.ml.conftest import write_recording

        self.main = ensure_demo_project(self.root / "p")
        other = ensure_demo_project(self.root / "q")
        self.other = other.with_name("other.sonotag")
        shutil.move(other, self.other)
        incoming = self.root / "p" / "demo" / "incoming"
        incoming.mkdir()
        self.pool = []
        for index in range(6):
            path = incoming / f"new_{index}.wav"
            write_recording(path, index)
            self.pool.append(path)
        self.tables = self.root / "tables"
        self.tables.mkdir()

    def _load(self, path: Path, model: ProjectModel) -> None:
        seen = self.reader.read(path)
        assert "error" not in seen, seen
        model.classes = [(n, k) for n, k in seen["classes"]]
        model.labels = {(r, s, e, c): st for r, s, e, c, st in seen["labels"]}
        model.recordings = set(seen["recordings"])

    def _make_window(self) -> QWidget:
        from app import dialogs
        from app.jobs import JobRunner
        from app.main_window import MainWindow
        from app.playback import PlaybackController
        from app.settings import Preferences
        from model.playback.engine import Player
        from model.playback.fake import FakeOutput

        dialogs.notifier().error_reported.connect(
            lambda title, message, _detail: self.stats.errors.append((title, message))
        )
        jobs = JobRunner()
        player = Player(stream_factory=FakeOutput(samplerate=48_000), blocksize=4800)
        window = MainWindow(
            Preferences.at(self.root / "prefs.ini"),
            jobs=jobs,
            playback=PlaybackController(jobs, player=player),
        )
        window.resize(1400, 820)
        window.show()
        QTest.qWaitForWindowExposed(window)
        window.activateWindow()
        training = window.panels.ml.training
        training.set_untrained_backbone(True)
        training.epochs.setValue(2)
        training.trained.connect(lambda _r: self.stats.outcomes.update(["trained"]))
        window.panels.ml.predictor.recording_scored.connect(
            lambda _r: self.stats.outcomes.update(["recording scored"])
        )
        window.panels.review.autoplay.setChecked(False)
        window.panels.review.session_started.connect(
            lambda _s: self.stats.outcomes.update(["review started"])
        )
        return window

    def _patch(self, owner: object, name: str, value: object) -> None:
        self._patches.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    def _patch_dialogs(self) -> None:
        """Modal questions answered as a user would (the actions behind them stay real)."""
        import app.project_panel as panel_module
        from app import dialogs

        self.answer = ""
        self._patch(panel_module.dialogs, "confirm", lambda *a, **k: True)
        self._patch(dialogs, "confirm", lambda *a, **k: True)
        self._patch(
            panel_module.QInputDialog, "getText", staticmethod(lambda *a, **k: (self.answer, True))
        )

    def close(self) -> None:
        """Quits the app; then every project must be whole on disk: labels as expected, the
        write-ahead log folded in and gone (a clean close), ``quick_check`` ok."""
        window = self.window
        self._settle_jobs(120)
        window.close()
        window.jobs.wait_all(30_000)
        for owner, name, value in reversed(self._patches):
            setattr(owner, name, value)
        self.reader.close()
        for path in self.models:  # before any new reader: a read-only one leaves side files
            wal = path.with_name(path.name + "-wal")
            # The app only ever opens ``main``. On ``other`` an empty log is what the oracle's
            # own read-only reads leave (the demo copy is in WAL mode since its first-copy
            # upgrade); a log with pages in it would still be a fault there.
            reader_only = path != self.main and wal.exists() and wal.stat().st_size == 0
            if wal.exists() and not reader_only:
                self._fail(self.stats.steps, f"after quitting, {path.name}-wal is left")
        checker = Reader(REPO, check=True)
        try:
            for path, model in self.models.items():
                seen = checker.read(path)
                stored = {(r, s, e, c): st for r, s, e, c, st in seen.get("labels", [])}
                self.stats.labels_expected += len(model.labels)
                self.stats.labels_lost += len(set(model.labels.items()) - set(stored.items()))
                if seen.get("check") != "ok" or stored != model.labels:
                    self._fail(self.stats.steps, f"after quitting, {path.name}: {seen}")
        finally:
            checker.close()

    # -- running --------------------------------------------------------------------------------
    def run(self, steps: int, report_every: int = 0) -> Stats:
        started = time.monotonic()
        names, weights = zip(*WEIGHTS.items(), strict=True)
        for step in range(1, steps + 1):
            action = self.rng.choices(names, weights)[0]
            if self.current is None:
                action = "reopen"
            done = getattr(self, f"do_{action}")()
            self.history.append(f"{step}:{action}{'' if done else '(no-op)'}")
            self.stats.actions[action] += 1
            self.stats.steps = step
            self._close_boxes()
            self.compare(step)
            if report_every and step % report_every == 0:
                print(
                    f"  step {step}: {time.monotonic() - started:.0f} s, "
                    f"{self.stats.compared_labels} labels, {dict(self.stats.outcomes)}",
                    flush=True,
                )
        self._settle_jobs(300)
        self.compare(steps)
        self.stats.seconds = time.monotonic() - started
        return self.stats

    def compare(self, step: int) -> None:
        fatal = [e for e in self.stats.errors if any(word in e[1] for word in FATAL)]
        if fatal:
            self._fail(step, f"the app reported {fatal[0]}")
        for path, model in self.models.items():
            if path != self.current:
                continue  # closed projects are read once the app has quit (``close``)
            seen = self.reader.read(path)
            if "error" in seen:
                self._fail(step, f"a fresh reader cannot read {path.name}: {seen['error']}")
            stored = {(r, s, e, c): st for r, s, e, c, st in seen["labels"]}
            classes = [(n, k) for n, k in seen["classes"]]
            if stored != model.labels or classes != model.classes:
                lost = sorted(set(model.labels.items()) - set(stored.items()))[:5]
                extra = sorted(set(stored.items()) - set(model.labels.items()))[:5]
                self._fail(
                    step,
                    f"{path.name}: lost/changed {lost}, unexpected {extra}; classes "
                    f"{classes} vs expected {model.classes}",
                )
            if not model.recordings <= set(seen["recordings"]):
                self._fail(step, f"{path.name}: recordings lost")
            self._compare_history(step, model)
            self.stats.compared_labels = max(self.stats.compared_labels, len(stored))

    def _compare_history(self, step: int, model: ProjectModel) -> None:
        """Edit ▸ Undo and Redo must reach as far back and forward as the oracle's history: a
        different depth means the next Ctrl+Z or Ctrl+Shift+Z would change something else."""
        stack = self.window.context.undo_stack
        depths = (len(stack._undo), len(stack._redo)) if stack is not None else (0, 0)
        if depths != (len(model.undo), len(model.redo)):
            self._fail(
                step,
                f"undo/redo depth {depths}, expected {(len(model.undo), len(model.redo))}",
            )

    def _fail(self, step: int, what: str) -> None:
        tail = ", ".join(self.history[-12:])
        stack = self.window.context.undo_stack
        undo = [c.text for c in stack._undo[-3:]] if stack is not None else []
        redo = [c.text for c in stack._redo[-3:]] if stack is not None else []
        raise Divergence(
            f"soak seed {self.seed}, step {step}: {what}\nlast actions: {tail}\n"
            f"app's undo tail {undo}, redo tail {redo}; "
            f"last errors shown: {self.stats.errors[-3:]}"
        )

    def _settle_jobs(self, timeout_s: float) -> None:
        """Waits for training and scoring to end (the user stops clicking for a while)."""
        window = self.window
        wait_until(lambda: not window.jobs.running(), timeout_s)
