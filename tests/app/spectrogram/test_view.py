"""The spectrogram view on a generated recording: tiles, navigation, signals, display."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage

from app.spectrogram import SpectrogramView
from app.spectrogram.colormaps import lookup_table
from app.spectrogram.tile_item import colour_table
from model.audio import probe
from model.spectrogram import TILE_COLUMNS
from tests.app.spectrogram.conftest import CALLS, DURATION, RECORDING_START, TONE_HZ
from tests.app.spectrogram.gestures import click, drag, move, wheel


def _rgb(colour: np.ndarray) -> int:
    return (int(colour[0]) << 16) | (int(colour[1]) << 8) | int(colour[2])


def open_in(view: SpectrogramView, path: Path) -> None:
    view.set_recording(path, probe(path))
    assert view.wait_until_rendered(10_000)


def to_pixels(widget, view_box, t: float, f: float) -> QPoint:
    scene = view_box.mapViewToScene(QPointF(t, f))
    return widget.mapFromScene(scene)


def grab_plot(view: SpectrogramView) -> np.ndarray:
    rect = view.view_box.sceneBoundingRect().toRect()
    image = view.graphics.grab(rect).toImage().convertToFormat(QImage.Format.Format_RGB888)
    ptr = image.constBits()
    rows = np.frombuffer(ptr, np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3)


def test_opens_at_the_start_and_shows_calls_where_they_are(view, recording) -> None:
    open_in(view, recording)
    t0, t1 = view.view_range()
    assert t0 == 0.0 and t1 == pytest.approx(30.0)
    assert view.freq_range() == pytest.approx((0.0, 11025.0))
    assert view.layer.items() and not view.layer.missing
    call = (CALLS[0][0] + CALLS[0][1]) / 2
    assert view.level_at(call, TONE_HZ) == pytest.approx(20 * math.log10(0.3), abs=1.5)
    assert view.level_at(call, 8000.0) < -60
    assert view.level_at(5.0, TONE_HZ) < -60
    pixels = grab_plot(view).astype(int)
    assert pixels.std() > 5  # not a blank image
    # the call is the brightest thing in its column of the rendered image
    x_call = view.graphics.mapFromScene(view.view_box.mapViewToScene(QPointF(call, 0))).x()
    x_off = view.graphics.mapFromScene(view.view_box.mapViewToScene(QPointF(5.0, 0))).x()
    origin = view.view_box.sceneBoundingRect().toRect().left()
    assert pixels[:, x_call - origin].sum(axis=1).max() > pixels[:, x_off - origin].sum(1).max()


def test_wheel_zooms_around_the_cursor_and_shift_wheel_pans(view, recording) -> None:
    open_in(view, recording)
    widget, box = view.graphics, view.view_box
    at = to_pixels(widget, box, 20.0, 3000.0)
    wheel(widget, at, 120)
    t0, t1 = view.view_range()
    assert t1 - t0 == pytest.approx(30.0 * 0.8, rel=1e-3)
    assert (20.0 - t0) / (t1 - t0) == pytest.approx(20.0 / 30.0, abs=1e-3)  # cursor stays put
    wheel(widget, at, 120, Qt.KeyboardModifier.ShiftModifier)
    u0, u1 = view.view_range()
    assert u1 - u0 == pytest.approx(t1 - t0) and u0 < t0
    for _ in range(40):
        wheel(widget, at, -120)
    assert view.view_range() == pytest.approx((0.0, DURATION))  # clamped to the recording
    assert view.wait_until_rendered(10_000)


def test_ctrl_wheel_zooms_frequency_and_drag_pans(view, recording) -> None:
    open_in(view, recording)
    widget, box = view.graphics, view.view_box
    wheel(widget, to_pixels(widget, box, 15.0, 2000.0), 240, Qt.KeyboardModifier.ControlModifier)
    f0, f1 = view.freq_range()
    assert f1 - f0 == pytest.approx(11025.0 * 0.64, rel=1e-3) and f0 > 0
    assert view.view_range() == pytest.approx((0.0, 30.0))
    before = view.view_range()
    drag(widget, to_pixels(widget, box, 20.0, 3000.0), to_pixels(widget, box, 10.0, 3000.0))
    after = view.view_range()
    assert after[0] == pytest.approx(before[0] + 10.0, abs=0.2)
    assert after[1] - after[0] == pytest.approx(30.0)


def test_a_click_emits_time_and_frequency_and_a_drag_does_not(qtbot, view, recording) -> None:
    open_in(view, recording)
    widget, box = view.graphics, view.view_box
    got: list[tuple] = []
    view.clicked.connect(lambda t, f, mods: got.append((t, f, mods)))
    click(widget, to_pixels(widget, box, 12.5, 4000.0), Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(got) == 1, timeout=2000)
    t, f, mods = got[0]
    assert t == pytest.approx(12.5, abs=0.1) and f == pytest.approx(4000.0, abs=50)
    assert mods & Qt.KeyboardModifier.ControlModifier
    drag(widget, to_pixels(widget, box, 20.0, 3000.0), to_pixels(widget, box, 15.0, 3000.0))
    qtbot.wait(50)
    assert len(got) == 1


def test_cursor_readout_gives_time_frequency_and_level(qtbot, view, recording) -> None:
    open_in(view, recording)
    with qtbot.waitSignal(view.cursor_moved, timeout=2000) as blocker:
        move(view.graphics, to_pixels(view.graphics, view.view_box, 11.0, TONE_HZ))
    t, f, db = blocker.args
    assert t == pytest.approx(11.0, abs=0.1) and f == pytest.approx(TONE_HZ, abs=50)
    assert db == pytest.approx(20 * math.log10(0.3), abs=3)


def test_overview_drag_moves_the_view(qtbot, view, recording) -> None:
    open_in(view, recording)
    strip = view.overview
    assert strip.region.getRegion() == pytest.approx((0.0, 30.0))
    start = to_pixels(strip, strip.view_box, 15.0, 5000.0)
    end = to_pixels(strip, strip.view_box, 75.0, 5000.0)
    with qtbot.waitSignal(view.view_range_changed, timeout=2000):
        drag(strip, start, end)
    t0, t1 = view.view_range()
    assert t0 == pytest.approx(60.0, abs=1.0) and t1 - t0 == pytest.approx(30.0)
    click(strip, to_pixels(strip, strip.view_box, 110.0, 5000.0))  # jump: clamped at the end
    qtbot.waitUntil(lambda: view.view_range()[1] == pytest.approx(DURATION), timeout=2000)
    assert view.wait_until_rendered(10_000)
    assert strip.region.getRegion() == pytest.approx(view.view_range())


def test_set_display_changes_lut_levels_and_fft(view, recording) -> None:
    open_in(view, recording)
    view.set_display(colormap="viridis", db_floor=-90.0, db_ceiling=-10.0)
    settings = view.display()
    table = colour_table(lookup_table("viridis"), settings.code_levels())
    for item in view.layer.items() + view.overview.layer.items():
        pixels = item.pixels()
        assert np.array_equal(pixels, table[item.tile.codes])
    # the floor maps to the darkest viridis colour, the ceiling to the brightest
    lo, hi = settings.code_levels()
    assert table[int(lo) - 1] & 0xFFFFFF == _rgb(lookup_table("viridis")[0])
    assert table[int(hi) + 1] & 0xFFFFFF == _rgb(lookup_table("viridis")[-1])
    with pytest.raises(ValueError):
        view.set_display(db_floor=0.0, db_ceiling=-10.0)
    view.set_display(n_fft=256)
    assert view.wait_until_rendered(10_000)
    shapes = {tile.codes.shape[0] for _, tile in view.layer._shown.values()}
    assert shapes == {129}
    assert view.level_at(11.0, TONE_HZ) == pytest.approx(20 * math.log10(0.3), abs=1.5)


def test_clock_time_axis_uses_the_start_time(view, recording) -> None:
    open_in(view, recording)
    info = view.info()
    assert info is not None and info.start_time == RECORDING_START
    axis = view.plot_item.getAxis("bottom")

    def labels(t0: float, t1: float, pixels: float) -> list[str]:
        (spacing, values), _minor = axis.tickValues(t0, t1, pixels)
        return axis.tickStrings(values, 1.0, spacing)

    assert labels(0.0, 120.0, 400) == ["0", "30", "60", "90", "120"]
    view.set_display(clock_time=True)
    assert axis.labelText.startswith("Time of day")
    assert labels(0.0, 120.0, 400) == ["05:30:00", "05:30:30", "05:31:00", "05:31:30", "05:32:00"]
    assert labels(10.2, 11.6, 400) == ["05:30:10.5", "05:30:11.0", "05:30:11.5"]
    view.set_display(clock_time=False)
    assert labels(10.2, 11.6, 400) == ["10.5", "11.0", "11.5"]
    # minor ticks carry no label
    _major, (minor, minor_values) = axis.tickValues(0.0, 120.0, 400)
    assert minor < 30 and set(axis.tickStrings(minor_values, 1.0, minor)) == {""}


def test_track_plots_follow_the_time_axis(view, recording) -> None:
    open_in(view, recording)
    track = view.add_track_plot(60)
    view.set_view_range(40.0, 50.0)
    assert track.getViewBox().viewRange()[0] == pytest.approx([40.0, 50.0])
    assert not view.plot_item.getAxis("bottom").isVisible()
    assert track.getAxis("bottom").isVisible()


def test_memory_stays_bounded_while_scrolling_a_file(view, recording) -> None:
    view.cache.budget_bytes = 3 * 513 * TILE_COLUMNS  # a handful of 1024-point tiles
    open_in(view, recording)
    view.set_view_range(0.0, 2.0)  # level 0: about 100 tiles for the whole file
    for start in np.arange(0.0, DURATION, 2.0):
        view.set_view_range(start, start + 2.0)
        view.wait_until_rendered(10_000)
        assert view.cache.nbytes <= view.cache.budget_bytes
        assert len(view.layer.items()) <= 8
    assert view.cache.evictions > 0


def test_unreadable_recording_reports_an_error(qtbot, view, tmp_path, recording) -> None:
    copy = tmp_path / "gone.wav"
    copy.write_bytes(recording.read_bytes())
    info = probe(copy)
    copy.unlink()
    with qtbot.waitSignal(view.error, timeout=5000) as blocker:
        view.set_recording(copy, info)
    assert "gone.wav" in blocker.args[0]
    view.set_recording(None, None)
    assert view.info() is None and not view.layer.items()


def test_closing_stops_the_tile_thread_and_reopening_restarts_it(qtbot, view, recording) -> None:
    open_in(view, recording)
    view.close()
    assert not view._worker.isRunning()
    view.show()
    qtbot.waitExposed(view)
    view.set_display(n_fft=2048)  # new tiles must be computed by a running thread again
    open_in(view, recording)
    assert view.level_at(11.0, TONE_HZ) > -20
