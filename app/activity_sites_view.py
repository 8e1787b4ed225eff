"""The Activity dock's site choice: all sites pooled, each site side by side, or one site.

Kept beside ``activity_panel`` (which owns the dock) so the panel stays about computing and the
class plots: this module holds the combo and the per-site drawing, one colour per site, with the
same unit (detections or per recorded hour) and the same grey for hours nobody recorded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QWidget

from model.activity import Activity
from model.activity_sites import site_colour, site_rates

EACH = "\x00each"  # the combo's data for "Each site" (no site is called that: names are one line)


class SiteCombo(QComboBox):
    """All sites / Each site / one site; hidden while the project has a single site."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setToolTip(
            "Pool every site, compare them side by side (one colour per site), or show one. "
            "A recording's site is in the recordings list (double-click to edit)"
        )
        self.setVisible(False)

    def fill(self, activity: Activity | None) -> None:
        """The sites of a new summary; the choice is kept when its site is still there."""
        current = self.currentData()
        sites = list(activity.by_site) if activity is not None else []
        self.blockSignals(True)
        self.clear()
        self.addItem("All sites", None)
        self.addItem("Each site", EACH)
        for site in sites:
            self.addItem(site or "(no site)", site)
        self.setCurrentIndex(max(self.findData(current), 0) if current is not None else 0)
        self.blockSignals(False)
        self.setVisible(len(sites) > 1)

    def pick(self, activity: Activity | None) -> Activity | None:
        """The summary the plots show for this choice (the pooled one for all and each)."""
        site = self.currentData()
        if activity is None or site in (None, EACH) or site not in activity.by_site:
            return activity
        return activity.by_site[site]

    @property
    def each(self) -> bool:
        return self.currentData() == EACH and self.isVisible()


def draw_sites(
    hour_plot: pg.PlotItem, date_plot: pg.PlotItem, activity: Activity, rate: bool
) -> tuple[float, float]:
    """Hour bars and date lines per site (every class shown summed); returns the y-ranges."""
    sites, hours, days = site_rates(activity, rate)
    k = max(len(sites), 1)
    width = 0.8 / k
    x_days = np.array(
        [datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() for d in activity.dates]
    )
    for i, site in enumerate(sites):
        colour = site_colour(i)
        hour_plot.addItem(
            pg.BarGraphItem(
                x=np.arange(24) + (i - (k - 1) / 2) * width,
                height=hours[i],
                width=width,
                brush=colour,
                pen=None,
            )
        )
        if len(x_days):
            date_plot.plot(
                x_days, days[i], pen=pg.mkPen(colour, width=2), connect="finite", symbol="o",
                symbolSize=5, symbolBrush=colour, symbolPen=None, name=site,
            )  # fmt: skip
    finite = days[np.isfinite(days)]
    return float(hours.max(initial=0.0)), float(finite.max(initial=0.0))


def site_legend(activity: Activity) -> str:
    sites = list(activity.by_site) or [activity.site or ""]
    chips = [
        f'<span style="color:{site_colour(k)}; font-size:14pt;">■</span>&nbsp;'
        f"{escape(site or '(no site)')}"
        for k, site in enumerate(sites)
    ]
    return "&nbsp;&nbsp;&nbsp; ".join(chips)
