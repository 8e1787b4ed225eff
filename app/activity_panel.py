"""Activity dock: detections per class by hour of day and by date (acoustic phenology).

The numbers come from ``model.activity`` in a background job (a season of scores takes a while
to read); this panel only chooses the settings, draws the two plots and offers the exports, so
the PNG and CSV a user saves are exactly the tables shown.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import dialogs, file_dialogs
from app.activity_sites_view import SiteCombo, draw_sites, site_legend
from app.context import AppContext
from app.review_panel import colour_icon
from app.zone_picker import ZoneCombo
from model.activity import Activity, activity_job, export_csv, export_png, model_class_ids
from model.activity_detections import export_detections_job
from model.activity_sites import export_sites_png
from model.errors import SonotagError
from model.pathtext import display
from model.project.clock import ACTIVITY_ZONE_META, filename_zone_name

REFRESH_DELAY_MS = 250  # let a spin box settle before re-reading every score
_NO_EFFORT_BRUSH = (128, 128, 128, 45)
MIN_PLOTS_PX = 180
_TEXT = "#333333"  # pyqtgraph's default grey is faint on the white background


class ActivityPanel(QDockWidget):
    """Class filter, threshold, time zone; hour-of-day bars, by-date lines; PNG/CSV export."""

    summarised = Signal(object)  # Activity

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Activity", parent)
        self.setObjectName("activity-dock")
        self.context = context
        self.activity: Activity | None = None
        self._job: Any = None
        self.export_job: Any = None  # the last detections export
        self._pending = False
        self._dirty = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_DELAY_MS)
        self._timer.timeout.connect(self.refresh)

        body = QWidget(self)
        layout = QVBoxLayout(body)
        controls = QHBoxLayout()
        self.class_combo = QComboBox()
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setSingleStep(0.05)
        self.threshold.setValue(0.5)
        self.threshold.setToolTip("A run of windows scoring at least this much is one detection")
        self.zone_combo = ZoneCombo(parent=self)
        self.zone_combo.setToolTip(
            "Time zone of the hour-of-day and date axes; a named zone follows daylight saving "
            "(type to search, e.g. London)"
        )
        self.site_combo = SiteCombo(self)
        self.site_label = QLabel("Site")
        self.site_label.setVisible(False)
        self.per_hour = QCheckBox("Per recorded hour")
        self.per_hour.setToolTip("Divide by the hours recorded in each bin (uneven effort)")
        for label, widget in (
            ("Class", self.class_combo),
            ("Threshold", self.threshold),
            ("Time", self.zone_combo),
        ):
            controls.addWidget(QLabel(label))
            controls.addWidget(widget)
        controls.addWidget(self.site_label)
        controls.addWidget(self.site_combo)
        controls.addWidget(self.per_hour)
        controls.addStretch(1)
        self.png_button = QPushButton("Export PNG…")
        self.csv_button = QPushButton("Export CSV…")
        controls.addWidget(self.png_button)
        controls.addWidget(self.csv_button)
        layout.addLayout(controls)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)

        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        self.hour_plot = self.plots.addPlot(row=0, col=0, title="By hour of day")
        self.hour_plot.getAxis("bottom").setTicks(
            [[(h, f"{h:02d}") for h in range(0, 24, 3)], [(h, "") for h in range(24)]]
        )
        self.hour_plot.setXRange(-0.6, 23.6, padding=0)
        self.hour_plot.setMouseEnabled(x=False, y=False)
        # Side by side: the panel sits under the spectrogram, where width is cheap and height
        # is the spectrogram's.
        self.date_plot = self.plots.addPlot(
            row=0, col=1, title="By date", axisItems={"bottom": pg.DateAxisItem(utcOffset=0)}
        )
        self.date_plot.setMouseEnabled(y=False)
        for plot in (self.hour_plot, self.date_plot):
            plot.showGrid(y=True, alpha=0.2)
            plot.setTitle(plot.titleLabel.text, color=_TEXT)
            for side in ("left", "bottom"):
                plot.getAxis(side).setTextPen(_TEXT)
                plot.getAxis(side).setPen(_TEXT)
        # Below this the tick labels of the two plots run into each other.
        self.plots.setMinimumHeight(MIN_PLOTS_PX)
        self.plots.hide()  # shown once there is something to plot
        # The classes' colours, above the plots: a legend inside them covered the bars and was
        # cut off in a low dock; a line of text wraps instead.
        self.legend = QLabel("")
        self.legend.setObjectName("activity-legend")
        self.legend.setWordWrap(True)
        self.legend.hide()
        layout.addWidget(self.legend)
        layout.addWidget(self.plots, 1)
        layout.addStretch()  # takes the room while the plots are hidden: the words stay on top
        self.setWidget(body)

        self.class_combo.currentIndexChanged.connect(self._redraw)
        self.site_combo.currentIndexChanged.connect(self._redraw)
        self.per_hour.toggled.connect(self._redraw)
        self.threshold.valueChanged.connect(self.schedule_refresh)
        self.zone_combo.currentIndexChanged.connect(self._zone_chosen)
        self.png_button.clicked.connect(lambda: self.export_png())
        self.csv_button.clicked.connect(lambda: self.export_csv())
        context.project_changed.connect(self._on_project_changed)
        context.predictions_changed.connect(self.schedule_refresh)
        context.models_changed.connect(self.schedule_refresh)
        context.labels_changed.connect(self._refresh_classes)
        context.clock_changed.connect(self.schedule_refresh)
        context.models_changed.connect(self._refresh_classes)
        self._on_project_changed(context.project)

    # ----------------------------------------------------------------- computing
    def _on_project_changed(self, _project: object) -> None:
        # A count still running was for the project just closed: cancelled and dropped by the
        # context, so it can neither draw nor report an error about a closed project.
        self._job = None
        self._pending = False
        self.activity = None
        self._show_zone()
        self._refresh_classes()
        self._redraw()
        self.schedule_refresh()

    def _show_zone(self) -> None:
        """The zone this project's plots were last binned in; else the zone its file names are
        in when that is a named one, else as recorded."""
        project = self.context.project
        name = project.get_meta(ACTIVITY_ZONE_META) if project is not None else None
        if name is None and project is not None:
            name = filename_zone_name(project)
            name = name if "/" in name else None
        self.zone_combo.blockSignals(True)
        if not (name and self.zone_combo.set_zone_name(name)):
            self.zone_combo.setCurrentIndex(0)
        self.zone_combo.blockSignals(False)

    def _zone_chosen(self, *_args: object) -> None:
        project = self.context.project
        if project is not None and not project.read_only:
            project.set_meta(ACTIVITY_ZONE_META, self.zone_combo.zone_name())
        self.schedule_refresh()

    def _refresh_classes(self) -> None:
        project = self.context.project
        classes = project.classes() if project is not None else []
        model = project.active_model() if project is not None else None
        if model is not None:  # the model's classes: the others can have no detections
            known = set(model_class_ids(model, classes))
            classes = [c for c in classes if c.id in known]
        current = self.class_combo.currentData()
        self.class_combo.blockSignals(True)
        self.class_combo.clear()
        self.class_combo.addItem("All classes", None)
        for cls in classes:
            self.class_combo.addItem(colour_icon(cls.colour), cls.name, cls.id)
        self.class_combo.setCurrentIndex(max(self.class_combo.findData(current), 0))
        self.class_combo.blockSignals(False)

    def schedule_refresh(self, *_args: object) -> None:
        self._dirty = True
        if self.isVisible():
            self._timer.start()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._dirty:
            self._timer.start()

    def refresh(self) -> None:
        """Recounts in a background job; a change during the count triggers one more."""
        project = self.context.project
        if self._job is not None:
            self._pending = True
            return
        self._dirty = False
        self._export_enabled(False)
        if project is None:
            self.summary.setText("")
            return
        if project.active_model() is None:
            self.activity = None
            self._redraw()
            self.summary.setText("No model yet: train one, and its detections show here.")
            return
        self.summary.setText("Counting detections…")
        job = self.context.run_thread(
            "Activity summary",
            activity_job,
            str(project.path),
            thresholds=self.threshold.value(),
            zone=self.zone_combo.zone(),
        )
        self._job = job
        job.finished.connect(self._finished)
        job.failed.connect(self._failed)
        job.ended.connect(lambda j=job: self._ended(j))

    def _finished(self, activity: Activity) -> None:
        self.activity = activity
        self.site_combo.fill(activity)
        self.site_label.setVisible(self.site_combo.isVisible())
        self._redraw()
        self.summarised.emit(activity)

    def _failed(self, message: str, detail: str) -> None:
        self.summary.setText(message)
        self.context.error.emit(message, detail)

    def _ended(self, job: Any) -> None:
        if self._job is not job:
            return
        self._job = None
        if self._pending:
            self._pending = False
            self.refresh()

    # ----------------------------------------------------------------- drawing
    def shown(self) -> Activity | None:
        """The summary restricted to the chosen site and class (what the plots and exports
        show; for "Each site" the pooled one, with every site's in ``by_site``)."""
        activity, class_id = self.site_combo.pick(self.activity), self.class_combo.currentData()
        if activity is None or class_id is None:
            return activity
        return activity.only(class_id)

    def _redraw(self, *_args: object) -> None:
        self.hour_plot.clear()
        self.date_plot.clear()
        activity = self.shown()
        self._show_legend(activity)
        self._export_enabled(activity is not None)
        # Empty axes (dates of 1970, overlapping ticks) would read as data: show words only.
        on_clock = activity is not None and bool(activity.dates or activity.hour_effort.any())
        self.plots.setVisible(on_clock)
        if activity is None:
            return
        if not on_clock:
            self.summary.setText(
                f"{self._summary_text(activity)} Nothing to plot yet: no recording scored by "
                "this model has a known start time."
            )
            return
        rate = self.per_hour.isChecked()
        unit = "detections per recorded hour" if rate else "detections"
        hours = np.nan_to_num(activity.hour_rate() if rate else activity.by_hour.astype(float))
        days = activity.date_rate() if rate else activity.by_date.astype(float)
        if self.site_combo.each:
            hour_top, date_top = draw_sites(self.hour_plot, self.date_plot, activity, rate)
            hours, days = np.array([[hour_top]]), np.array([[date_top]])
        top = max(float(hours.max(initial=0.0)), 1.0) * 1.05
        empty = np.flatnonzero(activity.hour_effort <= 0)
        if len(empty):
            shade = pg.BarGraphItem(
                x=empty,
                height=np.full(len(empty), top),
                width=1.0,
                brush=_NO_EFFORT_BRUSH,
                pen=None,
            )
            shade.setZValue(-10)
            self.hour_plot.addItem(shade)
        k = max(len(activity.classes), 1)
        width = 0.8 / k
        x_days = np.array(
            [datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() for d in activity.dates]
        )
        recorded = activity.date_effort > 0
        for i, cls in enumerate(() if self.site_combo.each else activity.classes):
            bars = pg.BarGraphItem(
                x=np.arange(24) + (i - (k - 1) / 2) * width,
                height=hours[i],
                width=width,
                brush=cls.colour,
                pen=None,
            )
            self.hour_plot.addItem(bars)
            if len(x_days):
                series = np.where(recorded, days[i], np.nan)
                self.date_plot.plot(
                    x_days, series, pen=pg.mkPen(cls.colour, width=2), connect="finite",
                    symbol="o", symbolSize=5, symbolBrush=cls.colour, symbolPen=None,
                    name=cls.name,
                )  # fmt: skip
        self.hour_plot.setYRange(0, top, padding=0)
        self.hour_plot.setLabel("bottom", f"hour of day ({activity.zone})")
        for plot in (self.hour_plot, self.date_plot):
            plot.setLabel("left", unit)
        finite = days[np.isfinite(days)]
        self.date_plot.setYRange(0, max(float(finite.max(initial=0.0)), 1.0) * 1.05, padding=0)
        if len(x_days):
            self.date_plot.setXRange(x_days[0] - 43_200, x_days[-1] + 43_200, padding=0)
        self.summary.setText(self._summary_text(activity))

    def _show_legend(self, activity: Activity | None) -> None:
        on_clock = activity is not None and bool(activity.dates or activity.hour_effort.any())
        if activity is None or not on_clock:
            self.legend.hide()
            return
        if self.site_combo.each:
            self.legend.setText(site_legend(activity))
            self.legend.show()
            return
        chips = [
            f'<span style="color:{cls.colour}; font-size:14pt;">■</span>&nbsp;{escape(cls.name)}'
            for cls in activity.classes
        ]
        self.legend.setText("&nbsp;&nbsp;&nbsp; ".join(chips))
        self.legend.show()

    def legend_names(self) -> list[str]:
        activity = self.shown()
        return [c.name for c in activity.classes] if self.legend.isVisible() and activity else []

    def _summary_text(self, activity: Activity) -> str:
        text = (
            f"{activity.count} detections in {activity.recordings} scored recordings "
            f"(model {activity.model_name}, threshold {self.threshold.value():.2f})."
        )
        if activity.excluded:
            names = ", ".join(display(r.path.name) for r in activity.excluded[:3])
            more = f" and {len(activity.excluded) - 3} more" if len(activity.excluded) > 3 else ""
            text += (
                f" Not on the clock — {len(activity.excluded)} recording(s) without a start "
                f"time: {names}{more} (their detections are in the detections CSV)."
            )
        return text

    def _export_enabled(self, enabled: bool) -> None:
        self.png_button.setEnabled(enabled)
        self.csv_button.setEnabled(enabled)

    # ----------------------------------------------------------------- export
    def _ask(self, title: str, name: str, pattern: str) -> Path | None:
        folder = self.context.project.directory if self.context.project is not None else Path()
        chosen, _ = file_dialogs.get_save_file_name(self, title, str(folder / name), pattern)
        return Path(chosen) if chosen else None

    def export_png(self, path: str | Path | None = None) -> Path | None:
        activity = self.shown()
        target = Path(path) if path else self._ask("Export activity plot", "activity.png", "*.png")
        if activity is None or target is None:
            return None
        try:
            draw = export_sites_png if self.site_combo.each else export_png
            written = draw(activity, target, per_hour=self.per_hour.isChecked())
        except SonotagError as exc:
            self.context.error.emit(str(exc), "")
            return None
        self.context.status.emit(f"Saved {written.name}")
        return written

    def export_csv(self, path: str | Path | None = None) -> Path | None:
        """The tidy table at ``path`` now, and every detection in ``<name>_detections.csv`` by
        a background job (a season lists a million: ``export_job``, with progress and cancel)."""
        activity, project = self.shown(), self.context.project
        target = Path(path) if path else self._ask("Export activity table", "activity.csv", "*.csv")
        if activity is None or project is None or target is None:
            return None
        events = target.with_name(f"{target.stem}_detections.csv")
        try:
            export_csv(activity, target)
        except SonotagError as exc:
            self.context.error.emit(str(exc), "")
            return None
        job = self.context.run_thread(
            "Exporting detections", export_detections_job, str(project.path), activity, events
        )
        self.export_job = job
        dialogs.JobProgressDialog(job, self)
        job.finished.connect(
            lambda _p: self.context.status.emit(f"Saved {target.name} and {events.name}")
        )
        job.failed.connect(lambda message, detail: self.context.error.emit(message, detail))
        return target
