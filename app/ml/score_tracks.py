"""The active model's scores for the shown recording: one lane per class under the spectrogram.

Each class gets a lane (its name on the left, its score curve filled in its colour, a dashed
threshold line one can drag); windows whose top class passes that class's threshold are marked
over the spectrogram. Lanes share one plot so a project with many classes costs one x-linked
plot, not one per class. Curves are drawn at window centres, so a peak sits over its call.

Thresholds are kept per class in the project (meta key ``ml.score_thresholds``) so a reviewer
finds them as left; they are written after the slider comes to rest, not on every step.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QGraphicsSimpleTextItem

from app.context import AppContext
from app.ml.detection_bands import DetectionBands
from app.ml.detections import Detection, detections
from app.ml.threshold_controls import ThresholdControls
from model.errors import SonotagError
from model.project.records import LabelClass, ModelRecord

if TYPE_CHECKING:
    from app.spectrogram import SpectrogramView

THRESHOLDS_META = "ml.score_thresholds"
DEFAULT_THRESHOLD = 0.5
LANE_PX = 30
MIN_TRACK_PX = 64
MAX_TRACK_PX = 260
AXIS_PX = 40  # what add_track_plot reserves for the time axis of the lowest plot
TITLE_PX = 18
PAD = 0.1  # empty fraction at the bottom and top of each lane
NAME_CHARS = 8


def lane_y(lane: int, lanes: int, score: np.ndarray | float) -> Any:
    """Plot y of a score in a lane; lane 0 is at the top."""
    base = lanes - 1 - lane
    return base + PAD + (1 - 2 * PAD) * np.asarray(score, dtype=np.float64)


def _clip_seconds(model: ModelRecord) -> float:
    try:
        return float(model.manifest["clip_settings"]["clip_seconds"])
    except (KeyError, TypeError, ValueError):
        return 2.0


class ScoreTracks(QObject):
    """Build with the app's context, then ``attach(view)``; ``controls`` holds the sliders."""

    changed = Signal()  # the scores shown were (re)loaded
    thresholds_changed = Signal()

    def __init__(self, context: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.controls = ThresholdControls()
        self.controls.threshold_changed.connect(self.set_threshold)
        self.bands = DetectionBands()
        self.view: SpectrogramView | None = None
        self.plot: pg.PlotItem | None = None
        self.model: ModelRecord | None = None
        self.starts = np.zeros(0)
        self.scores = np.zeros((0, 0), np.float32)
        self.class_ids: list[int] = []  # columns of ``scores``
        self.clip_seconds = 2.0
        self._classes: dict[int, LabelClass] = {}
        self._lanes: list[int] = []  # class ids in lane order (top first)
        self._thresholds: dict[int, float] = {}
        self._items: list[Any] = []
        self._lines: dict[int, pg.InfiniteLine] = {}
        self._message = QGraphicsSimpleTextItem()
        self.warning = ""  # shown as the track's title: the untrained-backbone flag
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(600)
        self._save_timer.timeout.connect(self._save_thresholds)
        context.project_changed.connect(lambda _p: self._on_project())
        context.recording_changed.connect(lambda _r: self.refresh())
        context.models_changed.connect(self.refresh)
        context.predictions_changed.connect(self._on_predictions)
        context.labels_changed.connect(self._on_classes_maybe_changed)

    # -- wiring ------------------------------------------------------------------------------
    def attach(self, view: SpectrogramView) -> pg.PlotItem:
        """Adds the lanes plot under ``view`` and the detection bands over its spectrogram."""
        self.view = view
        self.plot = view.add_track_plot(MIN_TRACK_PX)
        self.plot.setMenuEnabled(False)
        box = self.plot.getViewBox()
        box.enableAutoRange(y=False)
        axis = self.plot.getAxis("left")
        axis.setStyle(tickLength=0)
        axis.setTickFont(QFont(axis.font().family(), 7))
        font = QFont()
        font.setPointSizeF(max(font.pointSizeF() - 1, 7.0))
        self._message.setParentItem(box)  # pixel coordinates inside the plot area
        self._message.setFont(font)
        self._message.setBrush(QColor("#c8c8c8"))
        self._message.setZValue(50)
        view.plot_item.addItem(self.bands, ignoreBounds=True)
        self._on_project()
        return self.plot

    # -- data --------------------------------------------------------------------------------
    def _on_project(self) -> None:
        self._thresholds = self._load_thresholds()
        self.refresh()

    def _on_predictions(self, recording_id: int) -> None:
        recording = self.context.recording
        if recording is not None and recording.id == recording_id:
            self.refresh()

    def _on_classes_maybe_changed(self) -> None:
        project = self.context.project
        if project is None:
            return
        classes = {c.id: c for c in project.classes()}
        if classes != self._classes:
            self.refresh()

    def refresh(self) -> None:
        """Reloads the active model's scores for the shown recording and redraws."""
        project, recording = self.context.project, self.context.recording
        self.model = None
        self.starts, self.scores, self.class_ids = np.zeros(0), np.zeros((0, 0), np.float32), []
        self._classes = {}
        message = ""
        if project is not None:
            try:
                self._classes = {c.id: c for c in project.classes()}
                self.model = project.active_model()
                if self.model is None:
                    message = "No model yet: label some clips, then train one."
                elif recording is not None:
                    starts, ids, scores = project.predictions(self.model.id, recording.id)
                    keep = [i for i, cid in enumerate(ids) if cid in self._classes]
                    self.starts = starts
                    self.class_ids = [ids[i] for i in keep]
                    self.scores = scores[:, keep] if len(keep) else np.zeros((len(starts), 0))
                    if len(starts) == 0:
                        message = f"Model “{self.model.name}” has not scored this recording yet."
            except SonotagError as exc:
                self.context.error.emit(str(exc), "")
        self.clip_seconds = _clip_seconds(self.model) if self.model is not None else 2.0
        untrained = bool(self.model and self.model.manifest.get("untrained_backbone"))
        self.warning = (
            f"⚠ “{self.model.name}” was trained on the UNTRAINED backbone: "
            "its scores are for testing only"
            if self.model is not None and untrained and self.has_scores()
            else ""
        )
        self._message.setText(message if recording is not None else "")
        position = {cid: c.position for cid, c in self._classes.items()}
        self._lanes = sorted(self.class_ids, key=lambda cid: (position.get(cid, 0), cid))
        self.controls.set_classes(
            [self._classes[cid] for cid in self._lanes],
            {cid: self.threshold(cid) for cid in self._lanes},
        )
        self._draw()
        self._update_bands()
        self.changed.emit()

    def has_scores(self) -> bool:
        return len(self.starts) > 0 and len(self.class_ids) > 0

    def curve(self, class_id: int) -> tuple[np.ndarray, np.ndarray]:
        """(window centres, scores) of one class as drawn (for tests and tooltips)."""
        column = self.class_ids.index(class_id)
        return self.starts + self.clip_seconds / 2, self.scores[:, column].copy()

    # -- thresholds --------------------------------------------------------------------------
    def threshold(self, class_id: int) -> float:
        return self._thresholds.get(class_id, DEFAULT_THRESHOLD)

    def set_threshold(self, class_id: int, value: float) -> None:
        value = float(min(max(value, 0.0), 1.0))
        if abs(self._thresholds.get(class_id, DEFAULT_THRESHOLD) - value) < 1e-6:
            return
        self._thresholds[class_id] = value
        self.controls.set_value(class_id, value)
        line = self._lines.get(class_id)
        if line is not None and class_id in self._lanes:
            line.blockSignals(True)
            line.setValue(float(lane_y(self._lanes.index(class_id), len(self._lanes), value)))
            line.blockSignals(False)
        self._update_bands()
        self._save_timer.start()
        self.thresholds_changed.emit()

    def _line_moved(self, class_id: int, line: pg.InfiniteLine) -> None:
        lane = self._lanes.index(class_id)
        base = len(self._lanes) - 1 - lane
        self.set_threshold(class_id, (float(line.value()) - base - PAD) / (1 - 2 * PAD))

    def _load_thresholds(self) -> dict[int, float]:
        project = self.context.project
        text = project.get_meta(THRESHOLDS_META) if project is not None else None
        try:
            stored = json.loads(text) if text else {}
            return {int(k): float(v) for k, v in stored.items()}
        except (ValueError, TypeError, AttributeError):
            return {}

    def _save_thresholds(self) -> None:
        project = self.context.project
        if project is None or project.read_only:
            return
        try:
            project.set_meta(THRESHOLDS_META, json.dumps(self._thresholds))
        except SonotagError as exc:
            self.context.status.emit(f"Thresholds not saved: {exc.cause}")

    # -- drawing -----------------------------------------------------------------------------
    def detections(self) -> list[Detection]:
        if not self.has_scores():
            return []
        return detections(
            self.starts, self.class_ids, self.scores, self._thresholds, self.clip_seconds
        )

    def _update_bands(self) -> None:
        colours = {cid: c.colour for cid, c in self._classes.items()}
        self.bands.set_detections(self.detections(), colours)

    def _draw(self) -> None:
        plot = self.plot
        if plot is None:
            return
        for item in self._items:
            plot.removeItem(item)
        self._items.clear()
        self._lines.clear()
        lanes = len(self._lanes)
        height = min(max(lanes * LANE_PX, MIN_TRACK_PX), MAX_TRACK_PX)
        lowest = plot.getAxis("bottom").isVisible()
        if self.warning:
            plot.setTitle(self.warning, color="#ffa726", size="8pt", bold=True)
        else:
            plot.setTitle(None)
        title = TITLE_PX if self.warning else 0
        plot.setFixedHeight(height + title + (AXIS_PX if lowest else 0))
        plot.getViewBox().setYRange(0, max(lanes, 1), padding=0)
        ticks = []
        centres = self.starts + self.clip_seconds / 2
        for lane, class_id in enumerate(self._lanes):
            cls = self._classes[class_id]
            base = lanes - 1 - lane
            colour = QColor(cls.colour)
            fill = QColor(colour)
            fill.setAlpha(90)
            column = self.class_ids.index(class_id)
            curve = pg.PlotDataItem(
                centres,
                lane_y(lane, lanes, self.scores[:, column]),
                pen=pg.mkPen(colour, width=1.5),
                fillLevel=base + PAD,
                brush=fill,
            )
            floor = pg.InfiniteLine(
                pos=base, angle=0, pen=pg.mkPen(QColor(255, 255, 255, 40)), movable=False
            )
            line = pg.InfiniteLine(
                pos=float(lane_y(lane, lanes, self.threshold(class_id))),
                angle=0,
                movable=True,
                bounds=(base + PAD, base + 1 - PAD),
                pen=pg.mkPen(colour.lighter(140), width=1, style=Qt.PenStyle.DashLine),
                hoverPen=pg.mkPen(colour.lighter(160), width=3),
            )
            line.setToolTip(f"Threshold of {cls.name}: drag up or down")
            line.sigPositionChanged.connect(lambda ln, cid=class_id: self._line_moved(cid, ln))
            for item in (floor, curve, line):
                plot.addItem(item, ignoreBounds=True)
                self._items.append(item)
            self._lines[class_id] = line
            name = cls.name if len(cls.name) <= NAME_CHARS else cls.name[: NAME_CHARS - 1] + "…"
            ticks.append((base + 0.5, name))
        plot.getAxis("left").setTicks([ticks, []])
        self._message.setPos(8, 4)
