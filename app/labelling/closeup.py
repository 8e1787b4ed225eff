"""Clip close-up: the selected clip at eight times the view's time resolution, with the active
model's score for each class and the clip's labels, for checking a call before pressing a key.

It follows the selection (clicks, arrow keys, review, the navigation keys), the display settings
(colour map, dB range, FFT size, the frequency band in view) and new scores. The spectrogram is
computed by a service job (``JobRunner.run_service``: newest request wins, nothing on the GUI
thread) that runs only while the panel is on screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.jobs import Job, JobRunner
from app.spectrogram.axes import FrequencyAxisItem
from app.spectrogram.colormaps import lookup_table
from model.audio import AudioFile
from model.errors import SonotagError
from model.jobs import Inbox, Reporter
from model.pathtext import display
from model.project.records import LabelState
from model.spectrogram.closeup import Closeup, compute_closeup

if TYPE_CHECKING:
    from app.labelling.controller import LabellingController
    from app.labelling.selection import Clip
    from app.ml.score_tracks import ScoreTracks
    from app.spectrogram import SpectrogramView


@dataclass(frozen=True)
class CloseupRequest:
    number: int
    path: str
    start: float
    end: float
    n_fft: int
    window: str
    channel: int | None


def closeup_service(reporter: Reporter, inbox: Inbox) -> None:
    """Computes the newest request, emits ``(number, Closeup | error message)``."""
    audio: AudioFile | None = None
    try:
        while True:
            request: CloseupRequest = inbox.take()
            try:
                if audio is None or str(audio.path) != request.path:
                    if audio is not None:
                        audio.close()
                    audio = None
                    audio = AudioFile(Path(request.path), allow_truncated=True)
                info = audio.info
                result: Closeup | str = compute_closeup(
                    audio, info.sample_rate, info.frames, request.start, request.end,
                    n_fft=request.n_fft, window=request.window, channel=request.channel,
                )  # fmt: skip
            except SonotagError as exc:
                result = str(exc)
            reporter.emit((request.number, result))
    finally:
        if audio is not None:
            audio.close()


@dataclass(frozen=True)
class ScoreRow:
    name: str
    colour: str
    score: float | None  # None: the model has no score for this class here
    threshold: float
    label: LabelState | None


_GLYPH = {LabelState.PRESENT: "✓", LabelState.ABSENT: "✗", LabelState.UNCERTAIN: "?"}


class ScoreBars(QWidget):
    """One row per class: colour, name, score bar with its threshold tick, the clip's label."""

    ROW_PX = 20

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[ScoreRow] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(0)

    def set_rows(self, rows: list[ScoreRow]) -> None:
        self.rows = rows
        self.setFixedHeight(self.ROW_PX * len(rows) + (4 if rows else 0))
        self.update()

    def paintEvent(self, event: object) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        metrics = painter.fontMetrics()
        width = self.width()
        name_px = min(max(metrics.horizontalAdvance("Common Chiffchaff") + 24, 120), width // 2)
        bar_x, bar_w = name_px + 4, max(width - name_px - 70, 30)
        for i, row in enumerate(self.rows):
            y = i * self.ROW_PX
            colour = QColor(row.colour)
            painter.fillRect(QRectF(4, y + 5, 10, 10), colour)
            name = metrics.elidedText(row.name, Qt.TextElideMode.ElideRight, name_px - 22)
            painter.setPen(self.palette().color(self.foregroundRole()))
            painter.drawText(
                QRectF(20, y, name_px - 20, self.ROW_PX), Qt.AlignmentFlag.AlignVCenter, name
            )
            track = QRectF(bar_x, y + 4, bar_w, self.ROW_PX - 8)
            painter.fillRect(track, QColor(128, 128, 128, 50))
            if row.score is not None:
                painter.fillRect(
                    QRectF(track.left(), track.top(), bar_w * row.score, track.height()), colour
                )
                tick = track.left() + bar_w * row.threshold
                painter.setPen(QPen(self.palette().color(self.foregroundRole()), 1.5))
                painter.drawLine(
                    int(tick), int(track.top() - 2), int(tick), int(track.bottom() + 2)
                )
            text = "–" if row.score is None else f"{row.score:.2f}"
            if row.label is not None:
                text += f"  {_GLYPH[row.label]}"
            painter.setPen(self.palette().color(self.foregroundRole()))
            painter.drawText(
                QRectF(bar_x + bar_w + 4, y, 62, self.ROW_PX), Qt.AlignmentFlag.AlignVCenter, text
            )
        painter.end()


class ClipCloseup(QWidget):
    """The close-up panel; ``attach`` it to the window's parts, then it follows them."""

    shown = Signal()  # a close-up was put on screen (tests wait for it)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("clip-closeup")
        # Its own runner, like the tile worker's: the service lives while the panel is shown
        # and is never among the jobs the window waits for on closing.
        self._runner = JobRunner(self)
        self.header = QLabel("Select a clip (click the spectrogram) to see it close up.")
        self.header.setWordWrap(True)
        self.plot = pg.PlotWidget(axisItems={"left": FrequencyAxisItem()})
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setLabel("bottom", "Time (s)")
        self.plot.setMinimumHeight(180)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.context_shade = [pg.LinearRegionItem(movable=False, pen=None) for _ in range(2)]
        for shade in self.context_shade:
            shade.setBrush(pg.mkBrush(0, 0, 0, 120))
            shade.setZValue(10)
            self.plot.addItem(shade)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.scores = ScoreBars(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.header)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.scores)
        self.closeup: Closeup | None = None
        self._number = 0
        self._job: Job | None = None
        self._view: SpectrogramView | None = None
        self._controller: LabellingController | None = None
        self._tracks: ScoreTracks | None = None
        self._clip: Clip | None = None
        self._path: str | None = None

    def attach(
        self, view: SpectrogramView, controller: LabellingController, tracks: ScoreTracks
    ) -> None:
        self._view, self._controller, self._tracks = view, controller, tracks
        controller.selection.changed.connect(self._on_selection)
        controller.labels_changed.connect(self._show_scores)
        tracks.changed.connect(self._show_scores)
        tracks.thresholds_changed.connect(self._show_scores)
        view.display_changed.connect(lambda _s: self._on_display())
        view.recording_changed.connect(lambda _info: self._on_selection(None))

    # -- following --------------------------------------------------------------------------
    def showEvent(self, event: object) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)  # type: ignore[arg-type]
        self._request()

    def _on_selection(self, clip: Clip | None) -> None:
        self._clip = clip
        self._request()
        self._show_scores()

    def _on_display(self) -> None:
        if self.closeup is not None and self._view is not None:
            self._paint_image()
        self._request()

    def _request(self) -> None:
        view, clip = self._view, self._clip
        info = view.info() if view is not None else None
        if clip is None or info is None:
            self.closeup = None
            self.image.clear()
            self.plot.hide()  # not an empty frame of the last clip (another project's, maybe)
            self.header.setText("Select a clip (click the spectrogram) to see it close up.")
            return
        self.header.setText(f"<b>{display(info.path.name)}</b>  {clip.start:.2f}–{clip.end:.2f} s")
        if not self.isVisible():
            return  # computed when the panel is shown
        settings = view.display()
        self._number += 1
        request = CloseupRequest(
            self._number, str(info.path), clip.start, clip.end,
            settings.n_fft, settings.window, settings.channel,
        )  # fmt: skip
        self._ensure_service().send(request)

    def _ensure_service(self) -> Job:
        if self._job is None or self._job.done:
            self._job = self._runner.run_service("Clip close-up", closeup_service)
            self._job.yielded.connect(self._on_result)
        return self._job

    def hideEvent(self, event: object) -> None:  # noqa: N802 - Qt API
        super().hideEvent(event)  # type: ignore[arg-type]
        self.stop()

    def stop(self) -> None:
        """Ends the service (started again when the panel is shown)."""
        job, self._job = self._job, None
        if job is not None:
            job.cancel()
            self._runner.wait_all(5_000)

    def _on_result(self, result: tuple[int, Closeup | str]) -> None:
        number, value = result
        if number != self._number:
            return  # an older clip: a newer one is on its way
        if isinstance(value, str):
            self.header.setText(value)
            return
        self.closeup = value
        self.plot.show()
        self._paint_image()
        self.shown.emit()

    def _paint_image(self) -> None:
        closeup, view = self.closeup, self._view
        if closeup is None or view is None:
            return
        settings = view.display()
        codes = closeup.codes
        self.image.setImage(
            codes, levels=settings.code_levels(), lut=lookup_table(settings.colormap)
        )
        self.image.setRect(QRectF(closeup.t0, 0.0, closeup.t1 - closeup.t0, closeup.nyquist))
        f0, f1 = view.freq_range()
        self.plot.setRange(xRange=(closeup.t0, closeup.t1), yRange=(f0, f1), padding=0)
        start, end = closeup.clip
        self.context_shade[0].setRegion((closeup.t0, start))
        self.context_shade[1].setRegion((end, closeup.t1))

    # -- scores -----------------------------------------------------------------------------
    def _show_scores(self) -> None:
        rows, note = self.score_rows()
        self.note.setText(note)
        self.scores.set_rows(rows)

    def score_rows(self) -> tuple[list[ScoreRow], str]:
        """A row per class the model scores (highest first), then classes only labelled."""
        clip, tracks, controller = self._clip, self._tracks, self._controller
        if clip is None or tracks is None or controller is None:
            return [], ""
        labels = {la.class_id: la.state for la in controller.labels_on_selection()}
        classes = {c.id: c for c in controller.classes()}
        rows: list[ScoreRow] = []
        note = "No scores for this clip: no active model, or it has not scored this recording."
        window = self._window(clip, tracks)
        if window is not None:
            index, start = window
            note = f"Scores of the window {start:.2f}–{start + tracks.clip_seconds:.2f} s"
            for column, class_id in enumerate(tracks.class_ids):
                cls = classes.get(class_id)
                if cls is None:
                    continue
                score = float(tracks.scores[index, column])
                rows.append(
                    ScoreRow(
                        cls.name,
                        cls.colour,
                        score,
                        tracks.threshold(class_id),
                        labels.get(class_id),
                    )
                )
            rows.sort(key=lambda r: -(r.score or 0.0))
        scored = {r.name for r in rows}
        for class_id, state in labels.items():
            cls = classes.get(class_id)
            if cls is not None and cls.name not in scored:
                rows.append(ScoreRow(cls.name, cls.colour, None, 0.5, state))
        return rows, note

    @staticmethod
    def _window(clip: Clip, tracks: ScoreTracks) -> tuple[int, float] | None:
        """The scored window that overlaps the clip most (the clip itself when on the grid)."""
        if not tracks.has_scores():
            return None
        starts = tracks.starts
        overlap = np.minimum(starts + tracks.clip_seconds, clip.end) - np.maximum(
            starts, clip.start
        )
        index = int(np.argmax(overlap))
        if overlap[index] <= 0:
            return None
        return index, float(starts[index])
