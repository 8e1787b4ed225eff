"""The activity dock: counts in the background, draws per-class plots, exports what it shows."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest

from app.activity_panel import ActivityPanel
from app.context import AppContext
from model.project import Project
from tests.model.test_activity import make_phenology_project, make_small_project


@pytest.fixture
def context(qtbot) -> AppContext:
    ctx = AppContext()
    yield ctx
    ctx.jobs.wait_all()
    ctx.set_project(None)


def open_panel(qtbot, context: AppContext) -> ActivityPanel:
    panel = ActivityPanel(context)
    qtbot.addWidget(panel)
    panel.resize(900, 640)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def set_project(qtbot, context: AppContext, panel: ActivityPanel, project: Project) -> None:
    with qtbot.waitSignal(panel.summarised, timeout=10_000):
        context.set_project(project)


def bars(panel: ActivityPanel) -> list[pg.BarGraphItem]:
    items = [i for i in panel.hour_plot.items if isinstance(i, pg.BarGraphItem)]
    return [i for i in items if i.zValue() >= 0]  # the grey "not recorded" shade is behind


def test_plots_follow_the_counts_and_the_class_filter(
    qtbot, context: AppContext, tmp_path: Path, output_dir: Path
) -> None:
    panel = open_panel(qtbot, context)
    with make_phenology_project(tmp_path) as project:
        set_project(qtbot, context, panel, project)
        activity = panel.activity
        assert activity is not None and len(activity.classes) == 3
        drawn = bars(panel)
        assert [b.opts["brush"] for b in drawn] == ["#4e79a7", "#f28e2b", "#e15759"]
        assert np.array_equal(drawn[0].opts["height"], activity.by_hour[0])
        curves = panel.date_plot.listDataItems()
        assert len(curves) == 3 and len(curves[0].xData) == 14
        assert "site2_unknown.wav" in panel.summary.text()
        assert panel.hour_plot.getAxis("bottom").labelText == "hour of day (as recorded)"
        qtbot.wait(50)
        panel.grab().save(str(output_dir / "activity_panel.png"))

        panel.class_combo.setCurrentIndex(panel.class_combo.findText("tawny owl"))
        (owl,) = bars(panel)
        assert owl.opts["brush"] == "#e15759"
        assert np.array_equal(owl.opts["height"], activity.by_hour[2])
        panel.per_hour.setChecked(True)
        (owl,) = bars(panel)
        rate = np.nan_to_num(activity.hour_rate()[2])
        assert np.allclose(owl.opts["height"], rate) and panel.hour_plot.getAxis(
            "left"
        ).labelText.startswith("detections per recorded hour")

        with qtbot.waitSignal(panel.summarised, timeout=10_000):
            panel.threshold.setValue(0.95)  # fewer detections after the debounced recount
        assert panel.activity.count < activity.count


def test_exports_write_what_is_shown(qtbot, context: AppContext, tmp_path: Path) -> None:
    panel = open_panel(qtbot, context)
    with make_small_project(tmp_path) as project:
        set_project(qtbot, context, panel, project)
        panel.class_combo.setCurrentIndex(panel.class_combo.findText("wren"))
        written = panel.export_csv(tmp_path / "wren.csv")
        assert written == tmp_path / "wren.csv"
        with qtbot.waitSignal(panel.export_job.finished, timeout=10_000):
            pass  # the detections are listed and written by a background job
        rows = list(csv.DictReader(written.open()))
        assert {r["class"] for r in rows} == {"wren"} and len(rows) == 24 + 3
        events = list(csv.DictReader((tmp_path / "wren_detections.csv").open()))
        assert len(events) == 6 and sum(e["clock_start"] == "" for e in events) == 1
        png = panel.export_png(tmp_path / "wren.png")
        assert png is not None and png.read_bytes()[:4] == b"\x89PNG"
        errors: list[tuple[str, str]] = []
        context.error.connect(lambda m, d: errors.append((m, d)))
        assert panel.export_csv(tmp_path / "no-such-folder" / "x.csv") is None
        assert errors and "could not be written" in errors[0][0]


def test_no_model_and_time_zones(qtbot, context: AppContext, tmp_path: Path) -> None:
    panel = open_panel(qtbot, context)
    with Project.create(tmp_path / "empty.sonotag") as empty:
        context.set_project(empty)
        qtbot.waitUntil(lambda: "No model yet" in panel.summary.text(), timeout=5000)
        assert not panel.png_button.isEnabled() and not panel.csv_button.isEnabled()
    with make_small_project(tmp_path) as project:
        set_project(qtbot, context, panel, project)
        with qtbot.waitSignal(panel.summarised, timeout=10_000):
            assert panel.zone_combo.set_zone_name("UTC-04:00")
        wren = panel.activity.by_hour[0]
        assert {h: int(n) for h, n in enumerate(wren) if n} == {0: 1, 1: 2, 19: 1, 20: 1}
        assert panel.hour_plot.getAxis("bottom").labelText == "hour of day (UTC-04:00)"


def test_plots_stay_hidden_until_there_is_something_to_plot(
    qtbot, context: AppContext, tmp_path: Path, output_dir: Path
) -> None:
    panel = open_panel(qtbot, context)
    assert panel.plots.isHidden()
    with Project.create(tmp_path / "empty.sonotag") as empty:
        context.set_project(empty)
        qtbot.waitUntil(lambda: "No model yet" in panel.summary.text(), timeout=5000)
        assert panel.plots.isHidden()  # words only, no axes of 1970 dates
        panel.resize(900, 260)
        panel.grab().save(str(output_dir / "activity_panel_no_model.png"))
    with Project.create(tmp_path / "unscored.sonotag") as unscored:
        unscored.add_class("wren")
        unscored.add_model("m1", tmp_path / "m1", {"clip_settings": {"clip_seconds": 2.0}}, {})
        set_project(qtbot, context, panel, unscored)  # a model, but nothing scored on the clock
        assert panel.activity is not None and panel.plots.isHidden()
        assert "Nothing to plot yet" in panel.summary.text()
    with make_phenology_project(tmp_path) as project:
        set_project(qtbot, context, panel, project)
        assert not panel.plots.isHidden()
        assert panel.plots.height() >= 180
    context.set_project(None)
    assert panel.plots.isHidden()


def test_a_named_zone_is_offered_and_kept_with_the_project(
    qtbot, context: AppContext, tmp_path: Path
) -> None:
    from tests.model.test_activity import make_dst_project

    panel = open_panel(qtbot, context)
    with make_dst_project(tmp_path) as project:
        set_project(qtbot, context, panel, project)
        with qtbot.waitSignal(panel.summarised, timeout=10_000):
            assert panel.zone_combo.set_zone_name("europe/london")  # any spelling
        hours = {h: int(n) for h, n in enumerate(panel.activity.by_hour[0]) if n}
        assert hours == {5: 1, 6: 1}  # BST in June, GMT in December
        assert panel.hour_plot.getAxis("bottom").labelText == "hour of day (Europe/London)"
        context.set_project(None)
        assert panel.zone_combo.zone_name() == "As recorded"
        with qtbot.waitSignal(panel.summarised, timeout=10_000):
            context.set_project(project)
        assert panel.zone_combo.zone_name() == "Europe/London"


def test_the_legend_names_the_models_classes_beside_the_plots_not_over_them(
    qtbot, context: AppContext, tmp_path: Path, output_dir: Path
) -> None:
    panel = open_panel(qtbot, context)
    with make_phenology_project(tmp_path) as project:
        owl = project.class_by_name("tawny owl")
        first = project.active_model()
        manifest = {"clip_settings": {"clip_seconds": 2}, "classes": [{"name": "tawny owl"}]}
        for extra in ("wood pigeon", "cuckoo"):
            project.add_class(extra)  # classes the model never learnt
        model = project.add_model("owl-only", tmp_path / "owl", manifest, {})
        for rec in project.recordings():
            starts, ids, scores = project.predictions(first.id, rec.id)
            project.put_predictions(
                model.id, rec.id, starts, [owl.id], scores[:, [ids.index(owl.id)]]
            )
        set_project(qtbot, context, panel, project)
        assert panel.legend_names() == ["tawny owl"]
        assert [panel.class_combo.itemText(i) for i in range(panel.class_combo.count())] == [
            "All classes",
            "tawny owl",
        ]
        assert len(bars(panel)) == 1
        panel.resize(700, 300)  # a low dock
        qtbot.wait(50)
        legend, plots = panel.legend.geometry(), panel.plots.geometry()
        assert legend.bottom() < plots.top()  # above the plots, never over them
        assert legend.right() <= panel.widget().width()  # wraps instead of being cut off
        panel.grab().save(str(output_dir / "activity_panel_legend.png"))
