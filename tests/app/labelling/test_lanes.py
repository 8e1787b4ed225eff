"""Label lanes under the spectrogram: a lane per class, bars that merge, shown when needed."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor

from app.labelling.lanes import (
    AUTO_CLASSES,
    FLOOR_LANE_PX,
    LANE_PX,
    MAX_STRIP_PX,
    STRIP_SHARE,
    build_lanes,
    merged_runs,
    strip_px,
)
from model.project.records import Label, LabelClass, LabelState


def _label(i: int, start: float, class_id: int, state: str = "present") -> Label:
    return Label(i, 1, start, start + 2.0, class_id, LabelState(state), "me", datetime.now(UTC))


def _classes(n: int) -> list[LabelClass]:
    colours = ("#e15759", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#76b7b2")
    return [LabelClass(i, f"Species {i}", colours[i % 6], None, 10 - i) for i in range(1, n + 1)]


def test_a_lane_per_labelled_class_in_class_order() -> None:
    labels = [_label(1, 0.0, 2), _label(2, 4.0, 2, "absent"), _label(3, 1.0, 3), _label(4, 8, 2)]
    lanes = build_lanes(labels, _classes(4))
    assert [lane.class_id for lane in lanes] == [3, 2]  # position 7 before 8; class 1, 4 unused
    two = lanes[1]
    assert two.count() == 3
    assert two.at(1.0) == (0.0, 2.0, LabelState.PRESENT)
    assert two.at(5.0) == (4.0, 6.0, LabelState.ABSENT)
    assert two.at(3.0) is None


def test_touching_bars_merge_into_one() -> None:
    x0 = np.array([0.0, 5.0, 10.5, 30.0])
    x1 = np.array([5.0, 10.0, 20.0, 31.0])
    a, b = merged_runs(x0, x1)
    assert a.tolist() == [0.0, 30.0] and b.tolist() == [20.0, 31.0]


def test_the_strip_stays_small_whatever_the_number_of_classes() -> None:
    assert strip_px(3) == 3 * LANE_PX
    assert strip_px(11) <= MAX_STRIP_PX
    assert strip_px(40) <= 40 * 6


def test_the_strip_gives_way_to_the_spectrogram_in_a_short_view() -> None:
    assert strip_px(11, room=0) == strip_px(11)  # not laid out yet: no limit
    assert strip_px(11, room=1000) == strip_px(11)
    assert strip_px(11, room=60) == 60
    assert strip_px(11, room=10) == 11 * FLOOR_LANE_PX  # never thinner than the floor


def test_lanes_take_at_most_their_share_of_a_short_view(qtbot, view_and_lanes) -> None:
    """Eleven lanes once took 132 px whatever the window: with the activity plots open on a
    laptop the spectrogram was left a sliver."""
    view, lanes, track = view_and_lanes
    view.set_track_visible(track, False)
    lanes.set_mode("always")
    many = [_label(i, 2.0 * i, 1 + i % 11) for i in range(22)]
    lanes.set_labels(many, _classes(11))
    box = lanes.plot.getViewBox()
    view.resize(900, 300)

    def within_share() -> bool:  # and never below the floor
        room = view.graphics.height() * STRIP_SHARE
        return 11 * FLOOR_LANE_PX - 1 <= box.height() <= room + 1.5

    qtbot.waitUntil(within_share, timeout=3000)
    assert view.view_box.height() > 2 * box.height()
    view.resize(900, 900)  # room again: the lanes get their full height back
    qtbot.waitUntil(lambda: abs(box.height() - strip_px(11)) < 1.5, timeout=3000)


@pytest.fixture
def view_and_lanes(qtbot):
    from app.labelling.lanes import LabelLanes
    from app.spectrogram import SpectrogramView

    view = SpectrogramView()
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    qtbot.waitExposed(view)
    lanes = LabelLanes(view)
    track = view.add_track_plot(40)  # the score lanes come after, as in the window
    return view, lanes, track


def test_automatic_lanes_show_for_many_classes_and_the_time_axis_stays_at_the_bottom(
    qtbot, view_and_lanes
) -> None:
    view, lanes, track = view_and_lanes
    few = [_label(i, 2.0 * i, 1 + i % AUTO_CLASSES) for i in range(6)]
    lanes.set_labels(few, _classes(6))
    assert not lanes.plot.isVisible()
    many = [_label(i, 2.0 * i, 1 + i % 6) for i in range(12)]
    lanes.set_labels(many, _classes(6))
    assert lanes.plot.isVisible() and len(lanes.lanes) == 6
    assert track.getAxis("bottom").isVisible()
    assert not lanes.plot.getAxis("bottom").isVisible()
    assert not view.plot_item.getAxis("bottom").isVisible()
    lanes.set_mode("never")
    assert not lanes.plot.isVisible()
    lanes.set_mode("always")
    lanes.set_labels(few, _classes(6))
    assert lanes.plot.isVisible()
    view.set_track_visible(track, False)  # the lanes are the lowest plot now: they take the axis
    assert lanes.plot.getAxis("bottom").isVisible()
    qtbot.waitUntil(lambda: abs(lanes.plot.getViewBox().height() - strip_px(3)) < 1.5)


def test_busy_project_lanes_in_the_window_and_a_click_selects_the_clip(
    qtbot, busy_window, output_dir
) -> None:
    window = busy_window
    assert window.spectrogram.wait_until_rendered(15_000)
    lanes = window.lanes
    assert lanes.plot.isVisible()
    classes = {c.id: c for c in window.project.classes()}
    stored = window.project.labels(recording_id=window.recording.id)
    assert {lane.class_id for lane in lanes.lanes} == {la.class_id for la in stored}
    assert sum(lane.count() for lane in lanes.lanes) == len(stored)
    qtbot.waitUntil(lambda: lanes.item.lane_px() > 0)
    window.grab().save(str(output_dir / "busy_window_lanes.png"))
    # click the middle of the first lane's last bar (the lane's name covers the start)
    lane = lanes.lanes[0]
    state = next(iter(lane.starts))
    start, end = float(lane.starts[state][-1]), float(lane.ends[state][-1])
    box = lanes.plot.getViewBox()
    y = lanes.item._area.top() + lanes.item.lane_px() / 2
    scene = box.mapViewToScene(QPointF((start + end) / 2, 0.0))
    point = window.spectrogram.graphics.mapFromScene(QPointF(scene.x(), y))
    image = window.spectrogram.graphics.grab().toImage()
    bar = image.pixelColor(point)
    colour = QColor(classes[lane.class_id].colour)
    if state is LabelState.PRESENT:
        assert abs(bar.red() - colour.red()) + abs(bar.green() - colour.green()) < 60
    # hovering the bar lights its clip over the spectrogram (another plot of the same scene)
    body = window.spectrogram.graphics.mapFromScene(
        window.spectrogram.view_box.mapViewToScene(QPointF((start + end) / 2, 3000.0))
    )
    qtbot.mouseMove(window.spectrogram.graphics.viewport(), body)  # over the spectrogram first
    qtbot.wait(20)
    qtbot.mouseMove(window.spectrogram.graphics.viewport(), point)
    qtbot.waitUntil(lambda: window.overlay.hover_span() == (start, end), timeout=2000)
    qtbot.mouseClick(window.spectrogram.graphics.viewport(), Qt.MouseButton.LeftButton, pos=point)
    clip = window.labelling.selection.clip
    assert clip is not None and (clip.start, clip.end) == (start, end)
