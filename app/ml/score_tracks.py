"""The active model's scores for the shown recording: one lane per class under the spectrogram.

Each class gets a lane (its whole name written inside it, its score curve filled in its colour,
a dashed threshold line one can drag); windows whose top class passes that class's threshold are
marked over the spectrogram. Lanes share one plot so a project with many classes costs one
x-linked plot, not one per class. Curves are drawn at window centres, so a peak sits over its
call. Lanes are LANE_PX tall (see ``lanes_px``), the plot is sized to give them that whatever the
title and time axis take, and the untrained-backbone banner is shortened to the plot's width.

Thresholds are kept per class in the project (meta key ``ml.score_thresholds``) so a reviewer
finds them as left; they are written after the slider comes to rest, not on every step.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem, QGraphicsSimpleTextItem

from app.context import AppContext
from app.ml.detection_bands import DetectionBands
from app.ml.detections import Detection, detections
from app.ml.scoring_notice import ScoringNotice
from app.ml.threshold_controls import ThresholdControls, ThresholdLine
from model.clips.geometry import ClipGeometry
from model.errors import SonotagError
from model.project.records import LabelClass, ModelRecord

if TYPE_CHECKING:
    from app.ml.predict_controller import PredictController
    from app.spectrogram import SpectrogramView

THRESHOLDS_META = "ml.score_thresholds"
DEFAULT_THRESHOLD = 0.5
LANE_PX = 34  # a lane's height while the classes fit in MAX_TRACK_PX
MIN_LANE_PX = 28  # lanes shrink to this before the plot grows past MAX_TRACK_PX
MIN_TRACK_PX = 64  # a plot of one or two lanes
MESSAGE_TRACK_PX = 30  # no lanes: one line of message (and its button)
MAX_TRACK_PX = 240  # the lanes' usual share of a laptop screen...
CAP_TRACK_PX = 336  # ...and what many classes may take (12 lanes of MIN_LANE_PX)
#: Most of the plots' height the score lanes take (``SpectrogramView.track_room``): a short
#: window squeezes them (to MIN_TRACK_PX at least) rather than bury the spectrogram.
TRACK_SHARE = 0.3
PAD = 0.1  # empty fraction at the bottom and top of each lane
NAME_BACKING = QColor(0, 0, 0, 150)


def lanes_px(lanes: int) -> int:
    """Height of the lanes' area: grows with the classes up to a cap, lanes never thinner than
    MIN_LANE_PX until CAP_TRACK_PX is reached; a line for the message without any."""
    if lanes <= 0:
        return MESSAGE_TRACK_PX
    if lanes * LANE_PX <= MAX_TRACK_PX:
        return max(lanes * LANE_PX, MIN_TRACK_PX)
    return min(max(MAX_TRACK_PX, lanes * MIN_LANE_PX), CAP_TRACK_PX)


def fitted_px(lanes: int, room: float) -> int:
    """``lanes_px`` within ``room`` pixels (0: not laid out, no limit), at least MIN_TRACK_PX."""
    want = lanes_px(lanes)
    if lanes <= 0 or room <= 0:
        return want
    return int(max(min(want, room), min(want, MIN_TRACK_PX)))


def lane_y(lane: int, lanes: int, score: np.ndarray | float) -> Any:
    """Plot y of a score in a lane; lane 0 is at the top."""
    base = lanes - 1 - lane
    return base + PAD + (1 - 2 * PAD) * np.asarray(score, dtype=np.float64)


def _lane_name(
    name: str, colour: QColor, parent: QGraphicsItem, font: QFont
) -> tuple[QGraphicsRectItem, QGraphicsSimpleTextItem]:
    """The class name written inside its lane (the 56-px axis left of it fits 8 letters), on
    a dark backing with a bar in the class colour so it reads over any score curve."""
    text = QGraphicsSimpleTextItem(name)
    text.setFont(font)
    text.setBrush(QColor("#eeeeee"))
    rect = text.boundingRect()
    backing = QGraphicsRectItem(0, 0, rect.width() + 10, rect.height() + 1, parent)
    backing.setBrush(NAME_BACKING)
    backing.setPen(Qt.PenStyle.NoPen)
    bar = QGraphicsRectItem(0, 0, 3, rect.height() + 1, backing)
    bar.setBrush(colour)
    bar.setPen(Qt.PenStyle.NoPen)
    text.setParentItem(backing)
    text.setPos(6, 0)
    backing.setToolTip(name)
    backing.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
    backing.setZValue(40)
    return backing, text


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
        self.clip_seconds = ClipGeometry().clip_seconds
        self._classes: dict[int, LabelClass] = {}
        self._lanes: list[int] = []  # class ids in lane order (top first)
        self._thresholds: dict[int, float] = {}
        self._items: list[Any] = []
        self._lines: dict[int, pg.InfiniteLine] = {}
        self.notice = ScoringNotice(context, self)
        self._message = self.notice.text  # the tests' and tooltips' name for it
        self._names: list[tuple[QGraphicsRectItem, QGraphicsSimpleTextItem]] = []
        self._name_font = QFont()
        self._fitting = False
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
        self.notice.attach(box, font)
        self._name_font = QFont(font)
        box.sigResized.connect(lambda *_: self._fit())
        view.room_changed.connect(self._fit)
        view.plot_item.addItem(self.bands, ignoreBounds=True)
        self._on_project()
        return self.plot

    def set_predictor(self, predictor: PredictController) -> None:
        """The scoring queue, so the message says whether the shown recording is being
        scored, waits, or needs the button."""
        self.notice.set_predictor(predictor)

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
            except SonotagError as exc:
                self.context.error.emit(str(exc), "")
        self.clip_seconds = (
            self.model.clip_seconds
            if self.model is not None
            else self.context.geometry().clip_seconds
        )
        untrained = bool(self.model and self.model.manifest.get("untrained_backbone"))
        self.warning = (
            f"⚠ UNTRAINED backbone: scores for testing only (model “{self.model.name}”)"
            if self.model is not None and untrained and self.has_scores()
            else ""
        )
        scored = self.model is not None and len(self.starts) > 0
        self.notice.set_state(message if recording is not None else "", self.model, scored)
        position = {cid: c.position for cid, c in self._classes.items()}
        self._lanes = sorted(self.class_ids, key=lambda cid: (position.get(cid, 0), cid))
        self.controls.set_classes(
            [self._classes[cid] for cid in self._lanes],
            {cid: self.threshold(cid) for cid in self._lanes},
        )
        self._draw()
        self._update_bands()
        self.changed.emit()

    def message(self) -> str:
        return self._message.text()

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
        score = (float(line.value()) - base - PAD) / (1 - 2 * PAD)
        self.set_threshold(class_id, round(score, 2))  # the sliders' step

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
        for backing, _text in self._names:
            if backing.scene() is not None:
                backing.scene().removeItem(backing)
        self._items.clear()
        self._lines.clear()
        self._names.clear()
        lanes = len(self._lanes)
        box = plot.getViewBox()
        box.setYRange(0, max(lanes, 1), padding=0)
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
            line = ThresholdLine(
                1 - 2 * PAD,
                pos=float(lane_y(lane, lanes, self.threshold(class_id))),
                bounds=(base + PAD, base + 1 - PAD),
                pen=pg.mkPen(colour.lighter(140), width=1, style=Qt.PenStyle.DashLine),
                hoverPen=pg.mkPen(colour.lighter(160), width=3),
            )
            line.setToolTip(f"Threshold of {cls.name}: drag up or down (1 px = 0.01)")
            line.sigPositionChanged.connect(lambda ln, cid=class_id: self._line_moved(cid, ln))
            for item in (floor, curve, line):
                plot.addItem(item, ignoreBounds=True)
                self._items.append(item)
            self._lines[class_id] = line
            self._names.append(_lane_name(cls.name, colour, box, self._name_font))
        plot.getAxis("left").setTicks([[], []])
        self._fit()

    def lane_names(self) -> list[tuple[str, str]]:
        """(class name, text shown in its lane), top lane first."""
        return [(backing.toolTip(), text.text()) for backing, text in self._names]

    def lane_height(self) -> float:
        """Pixels of one class lane as laid out (0 without lanes)."""
        if self.plot is None or not self._lanes:
            return 0.0
        return float(self.plot.getViewBox().height()) / len(self._lanes)

    def _fit(self) -> None:
        """Sizes the plot so its lanes get ``lanes_px``, places the lane names and fits the
        warning to the width; run again whenever the plot is resized."""
        plot = self.plot
        if plot is None or self._fitting:
            return
        self._fitting = True
        try:
            box = plot.getViewBox()
            self._fit_title(plot)
            room = self.view.track_room(TRACK_SHARE) if self.view is not None else 0.0
            want = fitted_px(len(self._lanes), room)
            have = float(box.height())
            if have <= 0:  # not laid out yet: estimate the title and axis rows
                axis = plot.getAxis("bottom")
                extra = (30 if self.warning else 0) + (
                    axis.maximumHeight() if axis.isVisible() else 0
                )
                plot.setFixedHeight(want + min(extra, 80))
            elif abs(have - want) >= 1:
                plot.setFixedHeight(float(plot.height()) + want - have)
            lanes = max(len(self._lanes), 1)
            step = float(box.height()) / lanes
            width = float(box.width())
            metrics = QFontMetrics(self._name_font)
            for lane, (backing, text) in enumerate(self._names):
                full = backing.toolTip()
                shown = metrics.elidedText(full, Qt.TextElideMode.ElideRight, int(width * 0.4))
                if width > 0 and shown != text.text():
                    text.setText(shown)
                    backing.setRect(0, 0, text.boundingRect().width() + 10, backing.rect().height())
                backing.setPos(QPointF(2, lane * step + 1))
                # squeezed lanes (a short window) drop their names rather than stack them
                backing.setVisible(step >= backing.rect().height())
        finally:
            self._fitting = False

    def _fit_title(self, plot: pg.PlotItem) -> None:
        if not self.warning:
            if plot.titleLabel.isVisible():
                plot.setTitle(None)
            return
        font = QFont()
        font.setPointSizeF(8)
        font.setBold(True)
        room = int(max(float(plot.getViewBox().width()) - 8, 120))  # the title's column
        shown = QFontMetrics(font).elidedText(self.warning, Qt.TextElideMode.ElideRight, room)
        if shown != plot.titleLabel.text or not plot.titleLabel.isVisible():
            plot.setTitle(shown, color="#ffa726", size="8pt", bold=True)
            plot.titleLabel.setToolTip(self.warning)
        # LabelItem makes its text's width its minimum: the plots would stay that wide in a
        # narrower window and the banner be cut at the right edge instead of shortened.
        plot.titleLabel.setMinimumWidth(0)
