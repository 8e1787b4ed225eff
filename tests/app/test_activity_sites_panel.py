"""The activity dock split by site: the site choice, side-by-side plots, exports per site."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from app.context import AppContext
from model.activity_sites import ALL_SITES, site_colour
from tests.app.test_activity_panel import bars, context, open_panel, set_project  # noqa: F401
from tests.model.test_activity import make_phenology_project

SITES = ("North hedge", "Pond", "Wood edge")


def test_sites_pooled_side_by_side_or_one(
    qtbot,
    context: AppContext,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
    output_dir: Path,
) -> None:
    panel = open_panel(qtbot, context)
    with make_phenology_project(tmp_path, days=6) as project:
        ids = [r.id for r in project.recordings()]
        for k, site in enumerate(SITES):
            project.set_site(ids[k::3], site)
        set_project(qtbot, context, panel, project)
        activity = panel.activity
        assert activity is not None and list(activity.by_site) == list(SITES)
        assert panel.site_combo.isVisible() and panel.site_combo.count() == 2 + len(SITES)
        pooled = [b.opts["height"] for b in bars(panel)]
        assert np.array_equal(pooled[0], activity.by_hour[0])  # all sites: per class, pooled

        panel.site_combo.setCurrentIndex(panel.site_combo.findText("Each site"))
        drawn = bars(panel)
        assert [b.opts["brush"] for b in drawn] == [site_colour(k) for k in range(3)]
        for k, site in enumerate(SITES):
            assert np.array_equal(drawn[k].opts["height"], activity.by_site[site].by_hour.sum(0))
        assert [c.name() for c in panel.date_plot.listDataItems()] == list(SITES)
        assert "Pond" in panel.legend.text()
        qtbot.wait(50)
        panel.grab().save(str(output_dir / "activity_by_site.png"))
        png = panel.export_png(tmp_path / "sites.png")
        assert png is not None and png.stat().st_size > 10_000

        panel.site_combo.setCurrentIndex(panel.site_combo.findText("Pond"))
        (first, *_rest) = bars(panel)
        assert np.array_equal(first.opts["height"], activity.by_site["Pond"].by_hour[0])
        target = panel.export_csv(tmp_path / "pond.csv")
        qtbot.waitUntil(lambda: bool(panel.export_job and panel.export_job.done), timeout=9000)
        table = list(csv.DictReader(target.open()))
        assert {r["site"] for r in table} == {"Pond"}
        events = list(csv.DictReader((tmp_path / "pond_detections.csv").open()))
        assert events and {e["site"] for e in events} == {"Pond"}

        panel.site_combo.setCurrentIndex(panel.site_combo.findText("All sites"))
        panel.export_csv(tmp_path / "all.csv")
        qtbot.waitUntil(lambda: panel.export_job.done, timeout=10_000)
        sites = {r["site"] for r in csv.DictReader((tmp_path / "all.csv").open())}
        assert sites == {ALL_SITES, *SITES}


def test_one_site_hides_the_choice(qtbot, context: AppContext, tmp_path: Path) -> None:  # noqa: F811
    panel = open_panel(qtbot, context)
    with make_phenology_project(tmp_path, days=2) as project:
        set_project(qtbot, context, panel, project)
        assert not panel.site_combo.isVisible() and not panel.site_label.isVisible()
        assert panel.activity is not None and panel.activity.by_site == {}
