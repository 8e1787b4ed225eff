"""Review dock: walk a class's predicted windows with one key per decision.

Everything that decides lives in ``model.review``; this is the keyboard and the read-out. The
panel does not know the spectrogram or the audio engine: the main window passes ``on_show``
(centre the view on the clip and select it) and ``on_play`` (play the clip), so the panel is
built and tested on its own.

The keys are window-wide actions (A, Z, U, S, B, P) so they work while the spectrogram has
focus, and they are enabled only while a review is running, so outside review those letters
stay free for the rest of the app.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.context import AppContext
from app.labelling.boxes import tag_text
from model.errors import ProjectError
from model.pathtext import display
from model.project import Recording, band_text
from model.review import Decision, ReviewItem, ReviewOrder, ReviewSession, build_queue_job

ClipCallback = Callable[[Recording, float, float], Any]
_BOXES_SHOWN = 3

#: (decision, button text, key) in button order; keys chosen away from the labelling keys
#: (digits, R, Backspace/Delete, arrows, Space, L, Esc) so both sets can be live at once.
DECISION_KEYS: tuple[tuple[Decision, str, str], ...] = (
    (Decision.ACCEPT, "Accept", "A"),
    (Decision.REJECT, "Reject", "Z"),
    (Decision.UNCERTAIN, "Uncertain", "U"),
    (Decision.SKIP, "Skip", "S"),
)
BACK_KEY = "B"
REPLAY_KEY = "P"
ORDERS = (
    (ReviewOrder.SCORE, "Highest score first"),
    (ReviewOrder.UNCERTAINTY, "Most uncertain first"),
    (ReviewOrder.RANDOM, "Random sample"),
)
_PAST = {
    Decision.ACCEPT: "accepted",
    Decision.REJECT: "rejected",
    Decision.UNCERTAIN: "uncertain",
    Decision.SKIP: "skipped",
}


def colour_icon(colour: str) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


class ReviewPanel(QDockWidget):
    """Class, order, threshold, Start; then accept / reject / uncertain / skip / back."""

    session_started = Signal(object)  # ReviewSession
    item_shown = Signal(object)  # ReviewItem | None (None: the queue is done)

    def __init__(
        self,
        context: AppContext,
        on_show: ClipCallback | None = None,
        on_play: ClipCallback | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Review", parent)
        self.setObjectName("review-dock")
        self.context = context
        self.on_show = on_show
        self.on_play = on_play
        self.session: ReviewSession | None = None
        self._recordings: dict[int, Recording] = {}
        self._job: Any = None
        self._job_project = ""
        self._dropped = ""  # what happened to a queue dropped by the last project change
        self._score_name = "score"  # what a queue item's number is: score, or similarity

        body = QWidget(self)
        layout = QVBoxLayout(body)
        form = QFormLayout()
        self.class_combo = QComboBox()
        self.class_combo.setToolTip("The class whose detections you review")
        self.order_combo = QComboBox()
        for order, text in ORDERS:
            self.order_combo.addItem(text, order)
        self.order_combo.setToolTip(
            "Highest score: confirm detections. Most uncertain: scores nearest the threshold, "
            "above and below it (teaches the model most). Random: a fair sample of detections."
        )
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setSingleStep(0.05)
        self.threshold.setDecimals(2)
        self.threshold.setValue(0.5)
        self.threshold.setToolTip("Windows scoring at least this much count as detections")
        self.unlabelled = QCheckBox("Only clips without a label of this class")
        self.unlabelled.setChecked(True)
        self.autoplay = QCheckBox("Play each clip")
        self.autoplay.setChecked(True)
        form.addRow("Class", self.class_combo)
        form.addRow("Order", self.order_combo)
        form.addRow("Threshold", self.threshold)
        form.addRow(self.unlabelled)
        form.addRow(self.autoplay)
        layout.addLayout(form)
        self.start_button = QPushButton("Start review")
        self.start_button.clicked.connect(self.start)
        layout.addWidget(self.start_button)

        self.clip_label = QLabel("Choose a class and press Start.")
        self.clip_label.setWordWrap(True)
        self.clip_label.setMinimumHeight(2 * self.clip_label.fontMetrics().lineSpacing() + 4)
        self.clip_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress_label = QLabel("")
        self.progress_label.setObjectName("review-progress")
        layout.addWidget(self.clip_label)
        layout.addWidget(self.progress_label)

        grid = QGridLayout()
        self.buttons: dict[Decision, QPushButton] = {}
        self.actions: dict[str, QAction] = {}
        for column, (decision, text, key) in enumerate(DECISION_KEYS):
            button = QPushButton(f"{text} ({key})")
            button.clicked.connect(lambda _=False, d=decision: self.decide(d))
            grid.addWidget(button, 0, column)
            self.buttons[decision] = button
            self.actions[decision.value] = self._action(
                text, key, lambda d=decision: self.decide(d)
            )
        self.back_button = QPushButton(f"Back ({BACK_KEY})")
        self.back_button.clicked.connect(self.back)
        self.replay_button = QPushButton(f"Play again ({REPLAY_KEY})")
        self.replay_button.clicked.connect(self.replay)
        grid.addWidget(self.back_button, 1, 0, 1, 2)
        grid.addWidget(self.replay_button, 1, 2, 1, 2)
        self.actions["back"] = self._action("Back", BACK_KEY, self.back)
        self.actions["replay"] = self._action("Play again", REPLAY_KEY, self.replay)
        layout.addLayout(grid)
        hint = QLabel("Accepted and rejected clips are used by the next training run.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: palette(mid);")
        layout.addWidget(hint)
        layout.addStretch(1)
        self.setWidget(body)

        context.project_changed.connect(self._on_project_changed)
        context.labels_changed.connect(self._on_labels_changed)
        context.models_changed.connect(self._refresh_classes)
        self._refresh_classes()
        self._update_controls()

    def _action(self, text: str, key: str, slot: Callable[[], Any]) -> QAction:
        action = QAction(f"Review: {text}", self)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _=False: slot() if self.keys_live() else None)
        self.addAction(action)
        return action

    def keys_live(self) -> bool:
        """Review keys act only while this panel is on screen: behind another tab, a stray
        "A" or "Z" would label clips nobody is looking at."""
        return self.isVisible() and not self.visibleRegion().isEmpty()

    # ----------------------------------------------------------------- state
    @property
    def class_id(self) -> int | None:
        value = self.class_combo.currentData()
        return None if value is None else int(value)

    def _refresh_classes(self) -> None:
        project = self.context.project
        current = self.class_id
        self.class_combo.blockSignals(True)
        self.class_combo.clear()
        for cls in project.classes() if project is not None else []:
            self.class_combo.addItem(colour_icon(cls.colour), cls.name, cls.id)
        index = self.class_combo.findData(current)
        self.class_combo.setCurrentIndex(max(index, 0))
        self.class_combo.blockSignals(False)
        self._update_controls()

    def _on_project_changed(self, project: object) -> None:
        # A queue still being built was for the project just closed: the context cancelled
        # it and will drop its items; Start is free for this project at once.
        if self._job is not None:
            self._dropped = (
                f"The review queue being built for {self._job_project} was dropped: "
                "another project is open now."
            )
            self.context.status.emit(self._dropped)
        # Said in the panel too (opening a project writes its own news to the status bar),
        # until the next project is open: closing A then opening B is two changes.
        prompt = " ".join(filter(None, [self._dropped, "Choose a class and press Start."]))
        if project is not None:
            self._dropped = ""
        self._job = None
        self.session = None
        self._recordings.clear()
        self._refresh_classes()
        self.clip_label.setText(prompt)
        self.progress_label.clear()
        self._update_controls()

    def _on_labels_changed(self) -> None:
        """Any edit or undo anywhere: class list (added/renamed) and counters follow."""
        project = self.context.project
        names = [(c.id, c.name) for c in project.classes()] if project else []
        shown = [self.class_combo.itemData(i) for i in range(self.class_combo.count())]
        texts = [self.class_combo.itemText(i) for i in range(self.class_combo.count())]
        if shown != [n[0] for n in names] or texts != [n[1] for n in names]:
            self._refresh_classes()
        if self.session is not None and self.session.class_id not in {n[0] for n in names}:
            # The class under review was deleted: its decisions could not be stored any more.
            self.session = None
            self.clip_label.setText(
                "The class under review was deleted; choose a class and press Start."
            )
            self.progress_label.clear()
            self._update_controls()
            self.item_shown.emit(None)
        if self.session is not None:
            self._show_text()

    def _update_controls(self) -> None:
        ready = self.context.project is not None and self.class_id is not None
        self.start_button.setEnabled(ready and self._job is None)
        live = self.session is not None and not self.session.finished
        for button in self.buttons.values():
            button.setEnabled(live)
        for name, action in self.actions.items():
            action.setEnabled(live or (name == "back" and self.session is not None))
        self.back_button.setEnabled(self.session is not None and self.session.position > 0)
        self.replay_button.setEnabled(live)

    # ----------------------------------------------------------------- start
    def start(self) -> None:
        """Builds the queue off the GUI thread; the review begins when it is ready."""
        project, class_id = self.context.project, self.class_id
        if project is None or class_id is None or self._job is not None:
            return
        self.clip_label.setText("Reading scores…")
        self._score_name = "score"
        job = self.context.run_thread(
            "Building the review queue",
            build_queue_job,
            str(project.path),
            class_id,
            order=self.order_combo.currentData(),
            threshold=self.threshold.value(),
            only_unlabelled=self.unlabelled.isChecked(),
        )
        self._job = job
        self._job_project = project.path.name
        job.finished.connect(lambda items, c=class_id, j=job: self._begin(c, items, j))
        job.failed.connect(self._failed)
        job.ended.connect(lambda j=job: self._job_ended(j))
        self._update_controls()

    def _job_ended(self, job: Any) -> None:
        if self._job is job:
            self._job = None
        self._update_controls()

    def _failed(self, message: str, detail: str) -> None:
        self.clip_label.setText(message)
        self.context.error.emit(message, detail)

    def _begin(self, class_id: int, items: list[ReviewItem], job: Any) -> None:
        self._job_ended(job)  # ``ended`` comes next; Start is usable from the first clip on
        if self.context.undo_stack is None:
            return
        self.session = ReviewSession(self.context.undo_stack, class_id, items)
        self._recordings.clear()  # read one by one as the queue reaches them
        self.session_started.emit(self.session)
        if not items:
            self.clip_label.setText(
                "Nothing to review: no window of this class passes the threshold "
                "(or all of them are labelled already)."
            )
        self._step()
        self.widget().setFocus()

    def review_items(
        self, class_id: int, items: Sequence[ReviewItem], title: str, score_name: str = "score"
    ) -> bool:
        """Starts a review of a queue made elsewhere (the explorer's selection or its "find
        similar" ranking): same keys, decisions are labels of ``class_id`` as always."""
        index = self.class_combo.findData(class_id)
        if index < 0 or self.context.undo_stack is None:
            return False
        self.class_combo.setCurrentIndex(index)
        self._score_name = score_name
        self.show()
        self.raise_()
        self.session = ReviewSession(self.context.undo_stack, class_id, items)
        self._recordings.clear()
        self.session_started.emit(self.session)
        self.context.status.emit(f"Review: {title}")
        self._step()
        self.widget().setFocus()
        return True

    # ----------------------------------------------------------------- steps
    def decide(self, decision: Decision | str) -> None:
        if self.session is None or self.session.finished:
            return
        self.session.decide(decision)
        self._step()

    def back(self) -> None:
        if self.session is None or self.session.position == 0:
            return
        self.session.back()
        self._step()

    def replay(self) -> None:
        item = self.session.current if self.session is not None else None
        recording = self._recording(item)
        if item is not None and recording is not None and self.on_play is not None:
            self.on_play(recording, item.start, item.end)

    def _recording(self, item: ReviewItem | None) -> Recording | None:
        if item is None:
            return None
        project = self.context.project
        if item.recording_id not in self._recordings and project is not None:
            try:
                self._recordings[item.recording_id] = project.recording(item.recording_id)
            except ProjectError:
                return None  # removed since the queue was built
        return self._recordings.get(item.recording_id)

    def _step(self) -> None:
        """Shows the current clip: text, centred in the spectrogram, played."""
        self._update_controls()
        self._show_text()
        item = self.session.current if self.session is not None else None
        recording = self._recording(item)
        if item is not None and recording is not None:
            if self.on_show is not None:
                self.on_show(recording, item.start, item.end)
            if self.autoplay.isChecked() and self.on_play is not None:
                self.on_play(recording, item.start, item.end)
        self.item_shown.emit(item)

    def _show_text(self) -> None:
        session = self.session
        if session is None:
            return
        self.progress_label.setText(session.progress_text())
        item = session.current
        if item is None:
            if len(session):
                c = session.counts()
                self.clip_label.setText(
                    f"Review done: {c.decided} clip{'' if c.decided == 1 else 's'} labelled. "
                    "Train again to use them."
                )
            return
        recording = self._recording(item)
        name = (
            display(recording.path.name)
            if recording is not None
            else f"recording {item.recording_id}"
        )
        when = ""
        if recording is not None and recording.start_time is not None:
            clock = recording.start_time + timedelta(seconds=item.start)
            when = f" ({clock:%Y-%m-%d %H:%M:%S})"
        decision = session.decision()
        earlier = f" — {_PAST[decision]} before" if decision is not None else ""
        self.clip_label.setText(
            f"<b>{name}</b> {item.start:.1f}–{item.end:.1f} s{when}<br>"
            f"{self._score_name} {item.score:.2f}{earlier}{self._boxes_text(item)}"
        )

    def _boxes_text(self, item: ReviewItem) -> str:
        """The time-frequency boxes drawn in the clip under review (they show on the
        spectrogram too), so a reviewer knows what someone already marked there."""
        project = self.context.project
        boxes = project.boxes_in(item.recording_id, item.start, item.end) if project else []
        if not boxes or project is None:
            return ""
        names = {c.id: c.name for c in project.classes()}
        parts = [
            escape(f"{tag_text(names.get(b.class_id, '?'), b.state)} "
                   f"{band_text(b.low_hz, b.high_hz)}")
            for b in boxes[:_BOXES_SHOWN]
        ]  # fmt: skip
        more = f" and {len(boxes) - _BOXES_SHOWN} more" if len(boxes) > _BOXES_SHOWN else ""
        return f"<br>boxes here: {', '.join(parts)}{more}"
