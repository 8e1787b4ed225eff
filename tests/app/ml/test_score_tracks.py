"""Score lanes under the spectrogram, threshold sliders and lines, detection bands over it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.context import AppContext
from app.ml.score_tracks import THRESHOLDS_META, ScoreTracks, lane_y
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
    ticks = tracks.plot.getAxis("left")._tickLevels[0]
    assert [name for _, name in ticks] == ["tone", "sweep"]
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


def test_render_tracks_under_the_spectrogram(shown, output_dir) -> None:
    context, view, tracks, recording, calls = shown
    model = add_model_record(context.project, untrained=True)
    score(context, recording, calls, model)
    context.set_recording(recording)
    assert view.wait_until_rendered(10_000)
    image = view.grab().toImage()
    assert image.save(str(output_dir / "ml_score_tracks_designed.png"))
    assert image.width() > 500
