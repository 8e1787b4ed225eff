"""The soak test's actions: each is what a user does with mouse and keys on the main window.

Each ``do_*`` performs one action on the real window and tells the oracle what the project
should hold afterwards; it reads from the app only what the user sees as the input of the
action (the clip selected by the click, the highlighted class, the clip under review).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.app.soak.oracle import KEYS, ProjectModel

NAMES = ("Wren", "Robin", "Chiffchaff", "Blackcap", "Dunnock", "Song thrush", "Jay", "Nuthatch",
         "Treecreeper", "Goldcrest", "Coal tit", "Owl")  # fmt: skip


def wait_until(condition: Callable[[], bool], timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        QTest.qWait(20)
    return True


def ms(seconds: float) -> int:
    """Milliseconds as the project stores them (model.project.records.to_ms)."""
    return int(round(seconds * 1000))


class Actions:
    """Mixed into ``Soak``, which provides the window, the oracle models and the random source."""

    window: Any
    rng: Any
    stats: Any
    main: Path
    other: Path
    current: Path | None
    models: dict[Path, ProjectModel]
    pool: list[Path]
    tables: Path
    answer: str
    wait_for_training: float

    @property
    def model(self) -> ProjectModel:
        assert self.current is not None
        return self.models[self.current]

    # -- helpers --------------------------------------------------------------------------------
    def _close_boxes(self) -> None:
        """Dismisses message boxes, as a user does before going on. An error from a job (a
        scoring that failed) opens one at any moment, window-modal: a key or click sent while
        it is up never reaches the main window, and the oracle would count an edit that the
        user never made."""
        for box in QApplication.topLevelWidgets():
            if isinstance(box, QMessageBox) and box.isVisible():
                box.done(0)

    def _key(self, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier):
        """A key pressed with the window active and the spectrogram focused (as after a click
        on it; in a text field Ctrl+Z and digits would edit the text instead)."""
        self._close_boxes()
        window = self.window
        if QApplication.activeWindow() is not window:
            window.activateWindow()
            QTest.qWaitForWindowActive(window, 2000)
        window.spectrogram.setFocus()
        # Waiting for the window to be active runs the event loop, and a job's error box can
        # open during it: close boxes again with nothing in between, or the key goes to the box
        # (seen in a full-suite run under load: a Delete key swallowed after a scoring error).
        self._close_boxes()
        QTest.keyClick(window.spectrogram, key, modifiers)
        QTest.qWait(1)

    def _click(self) -> bool:
        """A real mouse click at a random time of the shown part of the recording."""
        self._close_boxes()
        window = self.window
        if window.recording is None:
            return False
        lo, hi = window.spectrogram.view_range()
        hi = min(hi, window.recording.duration)
        t = self.rng.uniform(max(lo, 0.0) + 0.05, hi - 0.05)
        view = window.spectrogram
        scene = view.view_box.mapViewToScene(QPointF(t, 3000.0))
        self._close_boxes()  # see _key: nothing may run between this and the click
        QTest.mouseClick(
            view.graphics.viewport(),
            Qt.MouseButton.LeftButton,
            pos=view.graphics.mapFromScene(scene),
        )
        return window.labelling.selection.clip is not None

    def _clip_key(self) -> tuple[str, int, int] | None:
        window = self.window
        clip = window.labelling.selection.clip
        if clip is None or window.recording is None:
            return None
        return window.recording.path.name, ms(clip.start), ms(clip.end)

    # -- labelling ------------------------------------------------------------------------------
    def _label(self, state: str) -> bool:
        if not self._click():
            return False
        clip = self._clip_key()
        used = [k for _, k in self.model.classes if k]
        digit = (
            self.rng.choice(used) if used and self.rng.random() < 0.92 else self.rng.choice(KEYS)
        )
        key = getattr(Qt.Key, f"Key_{digit}")
        shift = Qt.KeyboardModifier.ShiftModifier
        self._key(key, shift if state == "absent" else Qt.KeyboardModifier.NoModifier)
        name = self.model.class_for_key(digit)
        if clip is not None and name is not None:
            self.model.set_label((*clip, name), state)
            return True
        return False

    def do_present(self) -> bool:
        return self._label("present")

    def do_absent(self) -> bool:
        return self._label("absent")

    def do_uncertain(self) -> bool:
        self._click()
        clip = self._clip_key()
        active = self.window.labelling.active_class_id  # the class highlighted in the list
        name = None
        if active is not None and self.window.project is not None:
            name = self.window.project.label_class(active).name
        self._key(Qt.Key.Key_Question, Qt.KeyboardModifier.ShiftModifier)
        if clip is not None and name is not None:
            self.model.set_label((*clip, name), "uncertain")
            return True
        return False

    def do_delete(self) -> bool:
        self._click()
        clip = self._clip_key()
        self._key(Qt.Key.Key_Delete)
        if clip is not None:
            self.model.delete_clip(*clip)
        return clip is not None

    def do_move(self) -> bool:
        self._key(self.rng.choice([Qt.Key.Key_Left, Qt.Key.Key_Right]))
        return self._label_selected_only()

    def _label_selected_only(self) -> bool:
        clip = self._clip_key()
        used = [k for _, k in self.model.classes if k]
        if clip is None or not used:
            return False
        digit = self.rng.choice(used)
        self._key(getattr(Qt.Key, f"Key_{digit}"))
        name = self.model.class_for_key(digit)
        assert name is not None
        self.model.set_label((*clip, name), "present")
        return True

    def do_undo(self) -> bool:
        self._key(Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        self.model.undo_step()
        return True

    def do_redo(self) -> bool:
        self._key(
            Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        )
        self.model.redo_step()
        return True

    def do_recording(self) -> bool:
        project = self.window.project
        recordings = project.recordings() if project is not None else []
        if not recordings:
            return False
        self.window.panel.select_recording(self.rng.choice(recordings).id)
        return True

    # -- classes --------------------------------------------------------------------------------
    def do_add_class(self) -> bool:
        self.answer = self.rng.choice(NAMES) + ("" if self.rng.random() < 0.7 else " 2")
        self.window.panel.ask_add_class()
        return self.model.add_class(self.answer)

    def _pick_class(self) -> str | None:
        panel, project = self.window.panel, self.window.project
        if project is None or not self.model.classes:
            return None
        name = self.rng.choice(self.model.names())
        cls = project.class_by_name(name)
        assert cls is not None, name
        panel.select_class(cls.id)
        return name

    def do_rename_class(self) -> bool:
        old = self._pick_class()
        if old is None:
            return False
        self.answer = self.rng.choice(NAMES) + self.rng.choice(["", "", " (adult)"])
        self.window.panel.ask_rename_class()
        return self.model.rename_class(old, self.answer)

    def do_delete_class(self) -> bool:
        if len(self.model.classes) <= 2:
            return False  # keep something to label with
        name = self._pick_class()
        if name is None:
            return False
        self.window.panel.ask_delete_class()
        self.model.delete_class(name)
        return True

    # -- files ----------------------------------------------------------------------------------
    def do_add_recordings(self) -> bool:
        if self.current != self.main:
            return False
        chosen = self.rng.sample(self.pool, self.rng.randint(1, 2))
        job = self.window.add_recordings(chosen)
        if job is None:
            return False
        ended: list[bool] = []
        job.ended.connect(lambda: ended.append(True))
        assert wait_until(lambda: bool(ended), 60), "adding recordings never ended"
        self.model.recordings.update(p.name for p in chosen)
        return True

    def do_import(self) -> bool:
        from app.annotations import ImportDialog

        project = self.window.project
        if project is None:
            return False
        rows = []
        for _ in range(self.rng.randint(1, 6)):
            rec = self.rng.choice(project.recordings())
            if rec.duration < 3:
                continue
            start = self.rng.randrange(0, int(rec.duration) - 2)
            names = self.model.names() or ["Wren"]
            name = self.rng.choice(names) if self.rng.random() < 0.85 else self.rng.choice(NAMES)
            if self.rng.random() < 0.3:
                name = name.upper()  # tables spell classes their own way
            state = self.rng.choice(["present", "present", "absent", "uncertain"])
            rows.append((rec.path.name, start * 1000, start * 1000 + 2000, name, state))
        table = self.tables / f"import_{self.stats.steps + 1}.csv"
        lines = ["file,start_s,end_s,label,state"] + [
            f"{r},{s / 1000:g},{e / 1000:g},{n},{st}" for r, s, e, n, st in rows
        ]
        table.write_text("\n".join(lines) + "\n", encoding="utf-8")
        dialog = ImportDialog(self.window.context, [table], self.window)
        dialog.accept()
        dialog.close()
        dialog.deleteLater()
        return self.model.import_rows(rows)

    # -- models ---------------------------------------------------------------------------------
    def do_train(self) -> bool:
        """Starts a training; often the user waits for it, otherwise goes on labelling."""
        panel = self.window.panels.ml.training
        if panel.start_training() is None:
            return False
        if self.rng.random() < self.wait_for_training:
            wait_until(lambda: panel.job is None, 240)
            if self.rng.random() < 0.7:  # and for the shown recording's scores
                predictor = self.window.panels.ml.predictor
                wait_until(lambda: not predictor.busy, 240)
        return True

    def do_cancel_training(self) -> bool:
        panel = self.window.panels.ml.training
        if panel.job is None and panel.start_training() is None:
            return False
        QTest.qWait(self.rng.randint(0, 1500))
        QTest.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
        return True

    def do_score(self) -> bool:
        project = self.window.project
        if project is None or project.active_model() is None:
            return False
        self.window.panels.ml.predictor.predict(None)
        return True

    # -- review ---------------------------------------------------------------------------------
    def do_review(self) -> bool:
        review, project = self.window.panels.review, self.window.project
        if project is None or project.active_model() is None:
            return False
        review.show()
        review.raise_()
        review.order_combo.setCurrentIndex(self.rng.randrange(review.order_combo.count()))
        review.threshold.setValue(self.rng.choice([0.0, 0.3, 0.5]))
        review.unlabelled.setChecked(self.rng.random() < 0.5)
        if review.class_combo.count():
            review.class_combo.setCurrentIndex(self.rng.randrange(review.class_combo.count()))
        started: list[object] = []
        review.session_started.connect(started.append)
        try:
            review.start()
            job = review._job
            if job is None:
                return False
            return wait_until(lambda: bool(started) or review._job is None, 60)
        finally:
            review.session_started.disconnect(started.append)

    def do_decide(self) -> bool:
        review = self.window.panels.review
        session = review.session
        if session is None or session.finished or not review.keys_live():
            return False
        item = session.current
        assert item is not None and self.window.project is not None
        name = self.window.project.label_class(session.class_id).name
        recording = self.window.project.recording(item.recording_id).path.name
        key, state = self.rng.choice(
            [(Qt.Key.Key_A, "present"), (Qt.Key.Key_Z, "absent"), (Qt.Key.Key_U, "uncertain"),
             (Qt.Key.Key_S, None)]
        )  # fmt: skip
        self._key(key)
        if state is not None:
            self.model.review_decision((recording, ms(item.start), ms(item.end), name), state)
        self.stats.outcomes["review decision"] += 1
        return True

    # -- projects -------------------------------------------------------------------------------
    def do_reopen(self) -> bool:
        path = self.current or self.main
        if self.current is not None:
            self.window.close_project()
            self.model.forget_history()
            self.current = None
            if self.rng.random() < 0.5:
                return True  # stays closed for a step; the next action reopens it
        assert self.window.open_project(path)
        self.current = path
        self.models[path].forget_history()
        return True

    def do_switch(self) -> bool:
        target = self.other if self.current == self.main else self.main
        if self.current is not None:
            self.model.forget_history()
        assert self.window.open_project(target)
        self.current = target
        self.model.forget_history()
        return True
