"""The continuous spectrogram of one recording: scroll, zoom, read levels, any file length.

The GUI thread only decides which tiles are visible and hands finished uint8 tiles to a few
reused ``TileItem``s; FFTs run in ``TileWorker``. Range changes are coalesced by a short
single-shot timer, so a burst of wheel events costs one tile update, and panning within
already-shown tiles costs nothing but a repaint. Memory is the cache budget plus the items of
one screen.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QObject, QPointF, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.spectrogram.axes import FrequencyAxisItem, TimeAxisItem
from app.spectrogram.colormaps import lookup_table
from app.spectrogram.layer import TileLayer
from app.spectrogram.navigation import NavigationViewBox
from app.spectrogram.overview import OverviewStrip
from app.spectrogram.worker import TileWorker
from model.audio import AudioInfo
from model.spectrogram import (
    DEFAULT_BUDGET_BYTES,
    SpectrogramSettings,
    TileCache,
    TileGrid,
    TileKey,
)

#: Seconds shown when a recording opens (a few calls wide, like a Raven page).
INITIAL_SPAN_S = 30.0
#: Narrowest time span the view zooms to.
MIN_SPAN_S = 0.05
#: Delay that coalesces bursts of range changes into one tile update (about one frame).
UPDATE_DELAY_MS = 15
#: Width of the frequency axis, shared by linked plots so their time axes line up.
LEFT_AXIS_PX = 56
#: Frequency axis top with no recording shown (half of 48 kHz, the commonest recorder rate).
EMPTY_NYQUIST_HZ = 24000.0


class SpectrogramView(QWidget):
    """Spectrogram plot (x = seconds, y = Hz), optional linked track plots and an overview strip."""

    cursor_moved = Signal(float, float, float)  # time_s, freq_hz, level_db (nan if unknown)
    clicked = Signal(float, float, object)  # time_s, freq_hz, Qt.KeyboardModifiers
    view_range_changed = Signal(float, float)  # visible t0, t1 in seconds
    display_changed = Signal(object)  # SpectrogramSettings
    recording_changed = Signal(object)  # AudioInfo | None
    rendered = Signal()  # every visible tile is on screen
    error = Signal(str)  # a recording could not be read (message names file and cause)
    room_changed = Signal()  # the plots' area changed height: plots sized by track_room refit

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        settings: SpectrogramSettings | None = None,
        cache_bytes: int = DEFAULT_BUDGET_BYTES,
    ) -> None:
        super().__init__(parent)
        self._settings = settings or SpectrogramSettings()
        self._info: AudioInfo | None = None
        self._grid: TileGrid | None = None
        self._last_emitted: tuple[float, float] | None = None
        self._watched: set[TileKey] = set()
        self._complete = True
        self.cache = TileCache(cache_bytes)

        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.ci.layout.setContentsMargins(0, 0, 4, 0)
        self.graphics.ci.layout.setVerticalSpacing(0)
        self._time_axes: list[TimeAxisItem] = [TimeAxisItem()]
        self.view_box = NavigationViewBox(self)
        self.plot_item: pg.PlotItem = pg.PlotItem(
            viewBox=self.view_box,
            axisItems={"bottom": self._time_axes[0], "left": FrequencyAxisItem()},
        )
        self.plot_item.hideButtons()
        self.plot_item.getAxis("left").setWidth(LEFT_AXIS_PX)
        self.view_box.disableAutoRange()
        self.graphics.addItem(self.plot_item, row=0, col=0)
        self._tracks: list[pg.PlotItem] = []
        self._track_heights: list[int] = []

        self.layer = TileLayer(self.view_box, self.cache)
        self.overview = OverviewStrip(self.cache, LEFT_AXIS_PX + 1, self)
        self.overview.region_dragged.connect(self.set_view_range)
        self.overview.jump_requested.connect(self.center_on)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.overview)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(UPDATE_DELAY_MS)
        self._timer.timeout.connect(self._update_tiles)
        self.view_box.sigRangeChanged.connect(self._schedule_update)
        self.view_box.sigResized.connect(self._schedule_update)
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.graphics.installEventFilter(self)

        # A child of the view: stopped when the view is destroyed (``destroyed`` is emitted
        # before children are deleted) or the app quits, so Qt never deletes a running thread.
        self._worker = TileWorker(self.cache, self)
        self._worker.tile_ready.connect(self._on_tile_ready)
        self._worker.failed.connect(self.error)
        self._worker.ensure_running()
        worker = self._worker  # the closure must not keep ``self`` alive
        self.destroyed.connect(lambda *_: _stop_quietly(worker))
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(worker.stop)
        self._apply_display()
        self._show_empty_ranges()

    # -- recording ---------------------------------------------------------------------------

    def set_recording(self, path: Path | None, info: AudioInfo | None) -> None:
        """Show ``path`` (described by ``info``, from ``model.audio.probe``); None clears."""
        self._settings = self.display()  # keep the frequency band of the previous recording
        self._info = info if path is not None else None
        self._grid = None
        self._last_emitted = None
        if self._info is None or path is None:
            self.layer.clear()
            self.overview.layer.clear()
            self.overview.set_recording(0.0, 1.0)
            self._worker.request({}, [])
            self._show_empty_ranges()
            self.set_caption("")
            self.recording_changed.emit(None)
            return
        info = self._info
        self._worker.forget_failure()
        self._worker.ensure_running()
        self._make_grid(str(Path(path)))
        for axis in self._time_axes:
            axis.set_recording(info.duration, info.start_time)
        nyquist = info.sample_rate / 2.0
        self.overview.set_recording(info.duration, nyquist)
        for box in [self.view_box, *(t.getViewBox() for t in self._tracks)]:
            box.setLimits(xMin=0.0, xMax=info.duration)
        self.view_box.setLimits(yMin=0.0, yMax=nyquist)
        f0 = min(self._settings.freq_min, nyquist * 0.9)
        f1 = nyquist if self._settings.freq_max is None else min(self._settings.freq_max, nyquist)
        self.set_freq_range(f0, f1)
        self.set_view_range(0.0, min(info.duration, INITIAL_SPAN_S))
        self.recording_changed.emit(info)
        self._update_tiles()

    def info(self) -> AudioInfo | None:
        return self._info

    def _show_empty_ranges(self) -> None:
        """Without a recording the axes keep a plausible span (not pyqtgraph's 0-1, which the
        kHz axis reads as 0-0.001 kHz): the usual first screen and the last band shown."""
        top = self._settings.freq_max or EMPTY_NYQUIST_HZ
        for box in [self.view_box, *(t.getViewBox() for t in self._tracks)]:
            box.setLimits(xMin=None, xMax=None)
        self.view_box.setLimits(yMin=None, yMax=None)
        self.view_box.setRange(
            xRange=(0.0, INITIAL_SPAN_S), yRange=(self._settings.freq_min, top), padding=0
        )

    def set_caption(self, text: str, tooltip: str = "") -> None:
        """One line over the plot naming what is shown (the recording), or none."""
        title = self.plot_item.titleLabel
        if not text:
            if title.isVisible():
                self.plot_item.setTitle(None)
            return
        self.plot_item.setTitle(text, justify="left", size="9pt", color="#dddddd")
        title.setToolTip(tooltip or text)
        title.setMinimumWidth(0)  # a long name must not hold the window wide

    def caption(self) -> str:
        title = self.plot_item.titleLabel
        return title.text if title.isVisible() else ""

    def _make_grid(self, source: str) -> None:
        assert self._info is not None
        s = self._settings
        self._grid = TileGrid(
            source, self._info.sample_rate, self._info.frames, s.n_fft, s.window, s.channel
        )

    # -- ranges ------------------------------------------------------------------------------

    def view_range(self) -> tuple[float, float]:
        (t0, t1), _ = self.view_box.viewRange()
        return float(t0), float(t1)

    def set_view_range(self, t0: float, t1: float) -> None:
        """Show ``t0``..``t1`` s, clamped to the recording (keeping the span where possible)."""
        duration = self._info.duration if self._info is not None else 0.0
        if duration <= 0 or not (math.isfinite(t0) and math.isfinite(t1)):
            return
        span = min(max(t1 - t0, min(MIN_SPAN_S, duration)), duration)
        start = min(max(t0, 0.0), duration - span)
        self.view_box.setXRange(start, start + span, padding=0)

    def show_span(self, t0: float, t1: float) -> None:
        """Scrolls (keeping the zoom) so ``t0``..``t1`` is on screen, if it is not already:
        a clip chosen by a key is never off screen."""
        v0, v1 = self.view_range()
        if t0 < v0 or min(t1, self._info.duration if self._info else t1) > v1:
            self.center_on((t0 + t1) / 2)

    def center_on(self, t: float) -> None:
        t0, t1 = self.view_range()
        self.set_view_range(t - (t1 - t0) / 2, t + (t1 - t0) / 2)

    def freq_range(self) -> tuple[float, float]:
        _, (f0, f1) = self.view_box.viewRange()
        return float(f0), float(f1)

    def set_freq_range(self, f0: float, f1: float) -> None:
        nyquist = self._nyquist()
        min_span = min(nyquist, 50.0)
        span = min(max(f1 - f0, min_span), nyquist)
        start = min(max(f0, 0.0), nyquist - span)
        self.view_box.setYRange(start, start + span, padding=0)

    def _nyquist(self) -> float:
        return self._info.sample_rate / 2.0 if self._info is not None else 24000.0

    # -- navigation (also used by NavigationViewBox) ------------------------------------------

    def zoom_time(self, factor: float, about: float) -> None:
        t0, t1 = self.view_range()
        span = t1 - t0
        if span <= 0:
            return
        new_span = span * factor
        self.set_view_range(about - (about - t0) * factor, about - (about - t0) * factor + new_span)

    def pan_time(self, seconds: float) -> None:
        t0, t1 = self.view_range()
        self.set_view_range(t0 + seconds, t1 + seconds)

    def zoom_freq(self, factor: float, about: float) -> None:
        f0, f1 = self.freq_range()
        self.set_freq_range(about - (about - f0) * factor, about + (f1 - about) * factor)

    def pan_freq(self, hz: float) -> None:
        f0, f1 = self.freq_range()
        if f1 - f0 < self._nyquist() - 1e-6:
            self.set_freq_range(f0 + hz, f1 + hz)

    def handle_click(self, t: float, f: float, modifiers: object) -> None:
        self.clicked.emit(float(t), float(f), modifiers)

    # -- display -----------------------------------------------------------------------------

    def display(self) -> SpectrogramSettings:
        """Current settings, with the frequency range as shown (``freq_max`` None: Nyquist).

        A recording opened next starts at this frequency range, as in Raven: someone working
        on one species keeps its band in view from file to file.
        """
        if self._info is None:
            return self._settings
        f0, f1 = self.freq_range()
        top = None if f1 >= self._nyquist() - 1e-6 else f1
        return replace(self._settings, freq_min=max(f0, 0.0), freq_max=top)

    def set_display(
        self,
        *,
        colormap: str | None = None,
        db_floor: float | None = None,
        db_ceiling: float | None = None,
        n_fft: int | None = None,
        clock_time: bool | None = None,
    ) -> None:
        """Change what the spectrogram looks like; raises ValueError for impossible values."""
        old = self._settings
        self._settings = old.with_changes(
            colormap=colormap, db_floor=db_floor, db_ceiling=db_ceiling, n_fft=n_fft
        )
        if clock_time is not None:
            for axis in self._time_axes:
                axis.set_clock_time(clock_time)
        self._apply_display()
        if self._settings.n_fft != old.n_fft and self._grid is not None:
            self._make_grid(self._grid.source)
            self._update_tiles()
        self.display_changed.emit(self.display())

    def clock_time(self) -> bool:
        return self._time_axes[0].clock_time

    def _apply_display(self) -> None:
        lut = lookup_table(self._settings.colormap)
        levels = self._settings.code_levels()
        self.layer.set_display(lut, levels)
        self.overview.layer.set_display(lut, levels)
        bottom = lut[0]
        self.view_box.setBackgroundColor(pg.mkColor(int(bottom[0]), int(bottom[1]), int(bottom[2])))
        # What most of a spectrogram shows is the quiet end of the map.
        quiet = lut[:128].astype(np.float64) @ np.array([0.299, 0.587, 0.114])
        self.overview.set_contrast(bool(quiet.mean() > 128))

    # -- linked plots ------------------------------------------------------------------------

    def add_track_plot(self, height: int = 80) -> pg.PlotItem:
        """A plot under the spectrogram sharing its time axis (score tracks); returns it.

        The time axis moves to the lowest plot so that it reads as the axis of all of them.
        """
        axis = TimeAxisItem()
        if self._info is not None:
            axis.set_recording(self._info.duration, self._info.start_time)
        axis.set_clock_time(self._time_axes[0].clock_enabled)
        box = NavigationViewBox(self, clicks=False, freq=False)
        plot = pg.PlotItem(viewBox=box, axisItems={"bottom": axis})
        plot.hideButtons()
        plot.getAxis("left").setWidth(LEFT_AXIS_PX)
        box.enableAutoRange(x=False)
        plot.setXLink(self.plot_item)
        if self._info is not None:
            box.setLimits(xMin=0.0, xMax=self._info.duration)
        previous = self._tracks[-1] if self._tracks else self.plot_item
        if self._tracks:
            previous.setFixedHeight(self._track_heights[-1])
        self._time_axes.append(axis)
        self._track_heights.append(height)
        plot.setFixedHeight(height + 40)  # room for the time axis while it is the lowest plot
        self.graphics.addItem(plot, row=len(self._tracks) + 1, col=0)
        self._tracks.append(plot)
        self._place_time_axis()
        return plot

    def track_room(self, share: float) -> float:
        """Pixels a plot under the spectrogram may take for its data: ``share`` of the plots'
        area, so score lanes and label lanes together never leave the spectrogram the smaller
        part, whatever docks or a short window take from it (0 before the view is laid out).
        Plots that size themselves by it refit on ``room_changed``."""
        return max(float(self.graphics.height()), 0.0) * share

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        # Before pyqtgraph lays the plots into the new height: fixed-height plots that kept
        # their old size would make the layout's minimum taller than the view, and the layout
        # would then stay taller than the view (its bottom, time axis included, cut off).
        if watched is self.graphics and event.type() == QEvent.Type.Resize:
            self.room_changed.emit()
        return False

    def set_track_visible(self, plot: pg.PlotItem, visible: bool) -> None:
        """Shows or hides a plot made by ``add_track_plot``; the time axis stays under the
        lowest plot shown (a hidden plot takes no room in the layout)."""
        if plot.isVisible() == visible:
            return
        plot.setVisible(visible)
        self._place_time_axis()

    def _place_time_axis(self) -> None:
        shown = [self.plot_item, *(t for t in self._tracks if t.isVisible())]
        for item in (self.plot_item, *self._tracks):
            if item is shown[-1]:
                item.showAxis("bottom")
            else:
                item.hideAxis("bottom")

    # -- tiles -------------------------------------------------------------------------------

    def _schedule_update(self) -> None:
        self._complete = False
        if not self._timer.isActive():
            self._timer.start()

    def _on_tile_ready(self, key: object) -> None:
        if key in self._watched:
            self._schedule_update()

    def _update_tiles(self) -> None:
        self._timer.stop()
        grid = self._grid
        if grid is None:
            self._complete = True
            self.rendered.emit()
            return
        t0, t1 = self.view_range()
        span = max(t1 - t0, 1e-9)
        width = max(self.view_box.width(), 100.0) * self.devicePixelRatioF()
        level = grid.level_for(span, width)
        wanted = grid.keys_for(t0, t1, level)
        over_level = grid.level_for(grid.duration, self.overview.width_px())
        overview = sorted(
            grid.keys_for(0.0, grid.duration, over_level),
            key=lambda k: abs(sum(grid.tile_seconds(k)) / 2 - (t0 + t1) / 2),
        )
        missing = self.layer.show(grid, wanted, overview)
        missing_overview = self.overview.layer.show(grid, overview)
        ahead = grid.keys_for(t1, t1 + span, level) + grid.keys_for(t0 - span, t0, level)
        prefetch = [k for k in ahead if k not in self.cache and k not in wanted]
        self._worker.request({grid.source: grid}, missing + missing_overview + prefetch)
        self.cache.touch(overview + wanted)
        self._watched = set(missing) | set(missing_overview)
        self.overview.set_region(t0, t1)
        if self._last_emitted != (t0, t1):
            self._last_emitted = (t0, t1)
            self.view_range_changed.emit(t0, t1)
        self._complete = not self._watched
        if self._complete:
            self.rendered.emit()

    def is_rendered(self) -> bool:
        """True when every visible tile (view and overview) is on screen."""
        return self._complete and not self._timer.isActive()

    def wait_until_rendered(self, timeout_ms: int = 5000) -> bool:
        """Run the event loop until every visible tile is shown (tests and benchmarks only)."""
        timer = QTimer()
        timer.setSingleShot(True)
        loop = QEventLoop()
        timer.timeout.connect(loop.quit)
        self.rendered.connect(loop.quit)
        try:
            timer.start(max(0, timeout_ms))
            while not self.is_rendered() and timer.isActive():
                loop.exec()
        finally:
            self.rendered.disconnect(loop.quit)
        return self.is_rendered()

    # -- mouse readout -----------------------------------------------------------------------

    def _on_mouse_moved(self, pos: QPointF) -> None:
        if self._info is None or not self.view_box.sceneBoundingRect().contains(pos):
            return
        p = self.view_box.mapSceneToView(pos)
        t, f = float(p.x()), float(p.y())
        self.cursor_moved.emit(t, f, self.level_at(t, f))

    def level_at(self, t: float, f: float) -> float:
        """dB under a point of the spectrogram as currently shown; NaN where nothing is."""
        return self.layer.db_at(t, f)

    # -- lifetime ----------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop the tile thread (also done on close, on destruction and when the app quits)."""
        self._worker.stop()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)


def _stop_quietly(worker: TileWorker) -> None:
    try:
        worker.stop()
    except RuntimeError:  # already deleted by Qt at interpreter exit
        pass
