"""The Go menu: keys that jump to the next clip worth a look, or to another recording.

N / Shift+N: the next / previous clip no label covers yet (the grid the arrow keys step on);
H / Shift+H: the next / previous call the model hears for the current class (its best window,
above the class's threshold); Ctrl+→ / Ctrl+←: the next / previous recording in the list as it
is sorted and filtered. The rules are in ``model.navigation``; this wires them to the selection,
the score lanes and the project panel, and says in the status bar when there is nowhere to go.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from model.clips.geometry import ClipGeometry
from model.navigation import next_high_score, next_unlabelled

if TYPE_CHECKING:
    from app.labelling.controller import LabellingController
    from app.ml.score_tracks import ScoreTracks
    from app.project_panel import ProjectPanel

#: (name, what it does, key sequence, as the F1 sheet writes it)
JUMPS = (
    ("next_unlabelled", "Next unlabelled clip", "N", "N"),
    ("previous_unlabelled", "Previous unlabelled clip", "Shift+N", "Shift+N"),
    ("next_call", "Next high-score clip of the current class", "H", "H"),
    ("previous_call", "Previous high-score clip of the current class", "Shift+H", "Shift+H"),
    ("next_recording", "Next recording in the list", "Ctrl+Right", "Ctrl+→"),
    ("previous_recording", "Previous recording in the list", "Ctrl+Left", "Ctrl+←"),
)


class JumpActions(QObject):
    """Creates the Go menu's actions on ``window``; ``show_recording`` switches recordings."""

    def __init__(
        self,
        window: QWidget,
        controller: LabellingController,
        tracks: ScoreTracks,
        panel: ProjectPanel,
        show_recording: Callable[[int], object],
        menu: QMenu,
    ) -> None:
        super().__init__(window)
        self.window, self.controller, self.tracks, self.panel = window, controller, tracks, panel
        self.show_recording = show_recording
        self.actions: dict[str, QAction] = {}
        slots = {
            "next_unlabelled": lambda: self.unlabelled(1),
            "previous_unlabelled": lambda: self.unlabelled(-1),
            "next_call": lambda: self.call(1),
            "previous_call": lambda: self.call(-1),
            "next_recording": lambda: self.recording(1),
            "previous_recording": lambda: self.recording(-1),
        }
        self._rows: list[tuple[str, str, str]] = []
        for name, text, key, shown in JUMPS:
            action = QAction(text, window)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slots[name])
            window.addAction(action)
            menu.addAction(action)
            self.actions[name] = action
            self._rows.append(("Go", shown, text[:1].lower() + text[1:]))
            if name in ("previous_unlabelled", "previous_call"):
                menu.addSeparator()

    def sheet_rows(self) -> list[tuple[str, str, str]]:
        return list(self._rows)

    # -- jumps ------------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.controller.message.emit(text)

    def unlabelled(self, step: int) -> float | None:
        """Selects the next (1) or previous (-1) clip without a label; returns its start."""
        selection, recording = self.controller.selection, self.controller.recording
        if recording is None:
            self._say("Open a recording first")
            return None
        geometry = selection.geometry
        if not selection.snap:  # the arrow keys' grid: one clip after another
            geometry = ClipGeometry(geometry.clip_seconds, geometry.clip_seconds)
        clip = selection.clip
        start = next_unlabelled(
            geometry,
            recording.duration,
            self.controller.overlay.labels(),
            clip.start if clip is not None else None,
            step,
        )
        if start is None:
            where = "after" if step > 0 else "before"
            self._say(
                f"No unlabelled clip {where} this one in this recording "
                "(Ctrl+→ / Ctrl+← change recording)"
            )
            return None
        selection.select_span(start, start + geometry.clip_seconds)
        return start

    def call(self, step: int) -> float | None:
        """Selects the best window of the next (previous) call of the current class."""
        class_id, tracks = self.controller.active_class_id, self.tracks
        if class_id is None:
            self._say("Pick a class first (its chip in the legend, or the class list)")
            return None
        if not tracks.has_scores() or class_id not in tracks.class_ids:
            self._say("No scores for this class here: train a model, or score this recording")
            return None
        column = tracks.class_ids.index(class_id)
        threshold = tracks.threshold(class_id)
        clip = self.controller.selection.clip
        index = next_high_score(
            tracks.starts,
            tracks.scores[:, column],
            threshold,
            clip.start if clip is not None else None,
            step,
        )
        name = next((c.name for c in self.controller.classes() if c.id == class_id), "?")
        if index is None:
            where = "after" if step > 0 else "before"
            self._say(f"No {name} call above {threshold:.2f} {where} this clip in this recording")
            return None
        start = float(tracks.starts[index])
        self.controller.selection.select_span(start, start + tracks.clip_seconds)
        score = float(tracks.scores[index, column])
        self._say(f"{name}: score {score:.2f} at {start:.2f} s")
        return start

    def recording(self, step: int) -> int | None:
        """Shows the next (previous) recording of the list as sorted and filtered."""
        current = self.controller.recording
        if current is None:
            target = self.panel.first_listed_recording()
        else:
            target = self.panel.neighbour_recording(current.id, step)
        if target is None:
            self._say("This is the " + ("last" if step > 0 else "first") + " recording in the list")
            return None
        self.show_recording(target)
        return target
