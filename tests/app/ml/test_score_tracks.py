"""Score lanes under the spectrogram, threshold sliders and lines, detection bands over it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QMouseEvent
from PySide6.QtWidgets import QApplication

from app.context import AppContext
from app.ml.score_tracks import (
    LANE_PX,
    MESSAGE_TRACK_PX,
    MIN_LANE_PX,
    MIN_TRACK_PX,
    THRESHOLDS_META,
    TRACK_SHARE,
    ScoreTracks,
    lane_y,
    lanes_px,
)
from app.ml.threshold_controls import MIN_SLIDER_PX
from app.spectrogram import SpectrogramView
from model.audio import probe
from model.project import Project
from tests.app.ml.conftest import add_model_record


def designed_scores(calls, duration: float, hop: float = 1.0):
    """Scores that peak on the windows holding each class's calls (what a good model gives)."""
    starts = np.arange(0.0, duration - 2.0 + 1e-9, hop)
    scores = np.full((len(starts), 2), 0.05, np.float32)
    for call in calls:
        if not call.kind:
            continue
        column = 0 if call.kind == "tone" else 1
        inside = (starts <= call.start) & (starts + 2.0 >= call.end)
        scores[inside, column] = 0.9
    return starts, scores


@pytest.fixture
def shown(qtbot, project_path, audio_set):
    context = AppContext()
    project = Project.open(project_path)
    context.set_project(project)
    view = SpectrogramView()
    qtbot.addWidget(view)
    view.resize(1000, 560)
    view.show()
    qtbot.waitExposed(view)
    tracks = ScoreTracks(context)
    tracks.attach(view)
    recording = project.recordings()[0]
    view.set_recording(recording.path, probe(recording.path))
    yield context, view, tracks, recording, audio_set[0][1]
    assert context.jobs.wait_all(10_000)
    view.shutdown()
    project.close()


def score(context, recording, calls, model) -> tuple[np.ndarray, np.ndarray, list[int]]:
    ids = [c.id for c in context.project.classes()]
    starts, scores = designed_scores(calls, recording.duration)
    context.project.put_predictions(model.id, recording.id, starts, ids, scores)
    return starts, scores, ids


def test_lanes_show_each_class_scores_in_its_colour_at_window_centres(shown) -> None:
    context, view, tracks, recording, calls = shown
    model = add_model_record(context.project, untrained=True)
    starts, scores, ids = score(context, recording, calls, model)
    context.set_recording(recording)
    assert tracks.has_scores() and tracks.class_ids == ids
    x, y = tracks.curve(ids[0])
    np.testing.assert_allclose(x, starts + 1.0)
    np.testing.assert_allclose(y, scores[:, 0])
    curves = [i for i in tracks.plot.listDataItems()]
    assert len(curves) == 2
    drawn_x, drawn_y = curves[0].getData()
    np.testing.assert_allclose(drawn_y, lane_y(0, 2, scores[:, 0]))  # top lane = first class
    assert curves[0].opts["pen"].color().name() == context.project.classes()[0].colour
    assert tracks.lane_names() == [("tone", "tone"), ("sweep", "sweep")]  # full, in the lanes
    # time axis shared with the spectrogram
    view.set_view_range(3.0, 9.0)
    assert tracks.plot.getViewBox().viewRange()[0] == pytest.approx([3.0, 9.0], abs=1e-6)
    # untrained flag in the track
    assert "UNTRAINED" in tracks.warning
    assert "UNTRAINED" in tracks.plot.titleLabel.text and tracks.plot.titleLabel.isVisible()


def test_bands_follow_the_top_class_and_the_threshold_sliders(shown, qtbot) -> None:
    context, view, tracks, recording, calls = shown
    model = add_model_record(context.project, untrained=False)
    _, _, ids = score(context, recording, calls, model)
    context.set_recording(recording)
    assert tracks.warning == "" and not tracks.plot.titleLabel.isVisible()
    bands = tracks.bands.detections()
    expected = [(c.kind, c.start, c.end) for c in calls if c.kind]
    assert len(bands) == len(expected)
    names = {c.id: c.name for c in context.project.classes()}
    for band, (kind, start, end) in zip(bands, expected, strict=True):
        assert names[band.class_id] == kind and band.start <= start and band.end >= end
    # raise the tone threshold above its scores: its bands go, the sweep ones stay
    slider = tracks.controls.slider(ids[0])
    slider.setValue(95)
    assert tracks.threshold(ids[0]) == pytest.approx(0.95)
    assert {names[b.class_id] for b in tracks.bands.detections()} == {"sweep"}
    line = tracks._lines[ids[0]]
    assert line.value() == pytest.approx(lane_y(0, 2, 0.95))
    # dragging the sweep threshold line moves its slider and removes its bands
    tracks._lines[ids[1]].setValue(float(lane_y(1, 2, 0.92)))
    assert tracks.controls.slider(ids[1]).value() == 92
    assert tracks.bands.detections() == []
    # thresholds are stored in the project once the slider rests
    qtbot.waitUntil(lambda: context.project.get_meta(THRESHOLDS_META) is not None, timeout=3000)
    stored = json.loads(context.project.get_meta(THRESHOLDS_META))
    assert stored == {str(ids[0]): pytest.approx(0.95), str(ids[1]): pytest.approx(0.92)}


def test_messages_without_model_or_scores_and_refresh_on_new_scores(shown, qtbot) -> None:
    context, view, tracks, recording, calls = shown
    context.set_recording(recording)
    assert not tracks.has_scores() and "No model yet" in tracks._message.text()
    model = add_model_record(context.project)
    context.models_changed.emit()
    assert "has not scored this recording" in tracks._message.text()
    score(context, recording, calls, model)
    with qtbot.waitSignal(tracks.changed, timeout=1000):
        context.predictions_changed.emit(recording.id)
    assert tracks.has_scores() and tracks._message.text() == ""
    other = context.project.recordings()[1]
    context.predictions_changed.emit(other.id)  # another recording: nothing to redraw
    assert tracks.has_scores()


class FakePredictor(QObject):
    """The scoring queue as the notice sees it: what is running, what waits, a request."""

    busy_changed = Signal(bool)

    def __init__(self) -> None:
        super().__init__()
        self.states: dict[int, str] = {}
        self.requests = 0

    def state_of(self, recording_id: int) -> str:
        return self.states.get(recording_id, "")

    def predict_visible(self) -> None:
        self.requests += 1

    def unfit_reason(self) -> str | None:
        return None  # the active model fits the project


def test_an_unscored_recording_offers_a_button_that_scores_it(shown, qtbot) -> None:
    context, view, tracks, recording, calls = shown
    predictor = FakePredictor()
    tracks.set_predictor(predictor)
    context.set_recording(recording)
    assert not tracks.notice.button.isVisible()  # no model: nothing to score with
    model = add_model_record(context.project)
    context.models_changed.emit()
    assert tracks.message() == f"Model “{model.name}” has not scored this recording yet."
    button = tracks.notice.button
    assert button.isVisibleTo(view)
    proxy = tracks.notice._proxy
    assert proxy.pos().x() > tracks._message.boundingRect().width()  # after the words
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert predictor.requests == 1
    predictor.states[recording.id] = "scoring"
    predictor.busy_changed.emit(True)
    assert tracks.message() == f"Scoring this recording with model “{model.name}”…"
    assert not button.isVisibleTo(view)
    predictor.states[recording.id] = "waiting"
    predictor.busy_changed.emit(True)
    assert "next to be scored" in tracks.message() and not button.isVisibleTo(view)
    predictor.states.clear()
    score(context, recording, calls, model)
    context.predictions_changed.emit(recording.id)
    assert tracks.message() == "" and not button.isVisibleTo(view)


def test_render_tracks_under_the_spectrogram(shown, output_dir) -> None:
    context, view, tracks, recording, calls = shown
    model = add_model_record(context.project, untrained=True)
    score(context, recording, calls, model)
    context.set_recording(recording)
    assert view.wait_until_rendered(10_000)
    image = view.grab().toImage()
    assert image.save(str(output_dir / "ml_score_tracks_designed.png"))
    assert image.width() > 500


def _four_classes_scored(context, recording, untrained: bool = True):
    project = context.project
    project.add_class("Bengalese finch", "#f28e2b")
    project.add_class("European storm petrel", "#b71c1c")
    model = add_model_record(project, "model-20261126-165848", untrained=untrained)
    ids = [c.id for c in project.classes()]
    starts = np.arange(0.0, recording.duration - 2.0 + 1e-9, 1.0)
    rng = np.random.default_rng(3)
    scores = rng.uniform(0.0, 1.0, (len(starts), len(ids))).astype(np.float32)
    project.put_predictions(model.id, recording.id, starts, ids, scores)
    context.set_recording(recording)
    return ids


def test_lanes_are_tall_enough_names_whole_and_the_banner_fits(shown, qtbot, output_dir) -> None:
    context, view, tracks, recording, _ = shown
    _four_classes_scored(context, recording)
    assert view.wait_until_rendered(10_000)
    qtbot.waitUntil(lambda: tracks.lane_height() >= MIN_LANE_PX, timeout=2000)
    assert tracks.lane_height() == pytest.approx(LANE_PX, abs=1.5)
    assert all(full == text for full, text in tracks.lane_names())
    assert tracks.lane_names()[-1][1] == "European storm petrel"
    title = tracks.plot.titleLabel
    font = QFont()
    font.setPointSizeF(8)
    font.setBold(True)
    assert "UNTRAINED backbone" in title.text
    assert QFontMetrics(font).horizontalAdvance(title.text) <= title.width()
    assert view.grab().save(str(output_dir / "ml_score_tracks_four_classes.png"))
    view.resize(520, 560)  # a narrow window: the banner is shortened, never cut
    qtbot.waitUntil(lambda: title.text.endswith("…"), timeout=2000)
    assert "UNTRAINED" in title.text and title.toolTip() == tracks.warning
    assert QFontMetrics(font).horizontalAdvance(title.text) <= title.width()
    assert tracks.lane_height() >= MIN_LANE_PX
    assert view.grab().save(str(output_dir / "ml_score_tracks_narrow.png"))


def test_lane_area_grows_with_the_classes_up_to_a_cap() -> None:
    assert lanes_px(0) == MESSAGE_TRACK_PX < lanes_px(1) == 64  # a message takes one line
    assert lanes_px(4) == 4 * LANE_PX
    assert lanes_px(9) == 9 * MIN_LANE_PX  # past MAX_TRACK_PX: lanes shrink to the minimum
    assert lanes_px(30) == lanes_px(12) == 12 * MIN_LANE_PX  # then the cap holds


def test_a_short_window_squeezes_the_lanes_rather_than_the_spectrogram(
    shown, qtbot, output_dir
) -> None:
    """Eleven scored classes once took 336 px whatever the window: with the activity plots
    open on a laptop the spectrogram was a sliver. The lanes now take at most their share."""
    context, view, tracks, recording, _ = shown
    project = context.project
    for i in range(9):
        project.add_class(f"Species {i}")
    model = add_model_record(project, "model-20261126-170000")
    ids = [c.id for c in project.classes()]
    starts = np.arange(0.0, recording.duration - 2.0 + 1e-9, 1.0)
    scores = np.random.default_rng(5).uniform(0, 1, (len(starts), len(ids))).astype(np.float32)
    project.put_predictions(model.id, recording.id, starts, ids, scores)
    context.set_recording(recording)
    assert len(ids) == 11
    view.resize(1000, 1250)  # room enough: every lane at least MIN_LANE_PX
    qtbot.waitUntil(lambda: tracks.lane_height() >= MIN_LANE_PX, timeout=3000)
    view.resize(1000, 330)
    box = tracks.plot.getViewBox()

    def squeezed() -> bool:
        room = view.graphics.height() * TRACK_SHARE
        return MIN_TRACK_PX - 1 <= box.height() <= room + 1

    qtbot.waitUntil(squeezed, timeout=3000)
    assert view.view_box.height() > box.height()  # the spectrogram keeps the larger part
    # names that no longer fit their lane are hidden, not stacked over each other
    assert not any(backing.isVisible() for backing, _ in tracks._names)
    assert view.grab().save(str(output_dir / "ml_score_tracks_short_window.png"))
    view.resize(1000, 1250)
    qtbot.waitUntil(lambda: tracks.lane_height() >= MIN_LANE_PX, timeout=3000)
    assert all(backing.isVisible() for backing, _ in tracks._names)


def _drag(qtbot, view, start, dy: int) -> None:
    """A real left-button drag on the spectrogram's graphics view, ``dy`` px down."""
    viewport = view.graphics.viewport()

    def send(kind, pos, buttons) -> None:
        button = Qt.MouseButton.LeftButton
        global_pos = QPointF(viewport.mapToGlobal(pos.toPoint()))
        event = QMouseEvent(kind, pos, global_pos, button, buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, event)

    held = Qt.MouseButton.LeftButton
    send(QEvent.Type.MouseButtonPress, start, held)
    sign = 1 if dy > 0 else -1
    for step in range(1, abs(dy) + 1):
        send(QEvent.Type.MouseMove, start + QPointF(0, sign * step), held)
        qtbot.wait(5)
    send(QEvent.Type.MouseButtonRelease, start + QPointF(0, dy), Qt.MouseButton.NoButton)


def test_dragging_a_threshold_line_moves_it_by_a_hundredth_per_pixel(shown, qtbot) -> None:
    context, view, tracks, recording, _ = shown
    ids = _four_classes_scored(context, recording, untrained=False)
    assert view.wait_until_rendered(10_000)
    qtbot.waitUntil(lambda: tracks.lane_height() >= MIN_LANE_PX, timeout=2000)
    first = ids[0]
    line = tracks._lines[first]
    box = tracks.plot.getViewBox()
    t0, t1 = view.view_range()
    scene = box.mapViewToScene(QPointF((t0 + t1) / 2, line.value()))
    start = QPointF(view.graphics.mapFromScene(scene))
    _drag(qtbot, view, start, 11)
    assert tracks.threshold(first) == pytest.approx(0.39, abs=0.011)
    assert tracks.controls.slider(first).value() == round(tracks.threshold(first) * 100)
    scene = box.mapViewToScene(QPointF((t0 + t1) / 2, line.value()))
    _drag(qtbot, view, QPointF(view.graphics.mapFromScene(scene)), -80)
    assert tracks.threshold(first) == 1.0  # held at the top of its lane


def test_threshold_sliders_keep_their_width_and_stay_at_the_top(shown, qtbot, output_dir) -> None:
    context, _view, tracks, recording, _ = shown
    _four_classes_scored(context, recording)
    controls = tracks.controls
    controls.resize(250, 700)  # narrower than the rows need: the widget will not shrink so far
    controls.show()
    qtbot.waitExposed(controls)
    sliders = [controls.slider(cid) for cid in controls.class_ids()]
    assert len(sliders) == 4 and all(s.width() >= MIN_SLIDER_PX for s in sliders)
    controls.resize(430, 700)
    qtbot.waitUntil(lambda: controls.width() == 430)
    assert all(s.width() >= MIN_SLIDER_PX for s in sliders)
    assert sliders[-1].geometry().bottom() < 160  # rows together at the top, not spread out
    assert controls.grab().save(str(output_dir / "ml_threshold_controls.png"))
