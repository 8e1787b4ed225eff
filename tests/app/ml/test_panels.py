"""Models panel (list, active radio, manifest summary, untrained flag, delete) and the training
panel's results view and weights row, on models registered without TensorFlow."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from app.context import AppContext
from app.ml.models_panel import UNTRAINED_FLAG, ModelsPanel
from app.ml.training_panel import TrainingPanel, format_seconds
from app.ml.worker_jobs import check_weights_job, weights_cache_path
from model.jobs import run_inline
from model.ml import weights
from model.project import Project
from tests.app.ml.conftest import add_model_record


@pytest.fixture
def context(project_path, monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))  # no weights there
    ctx = AppContext()
    project = Project.open(project_path)
    ctx.set_project(project)
    yield ctx
    assert ctx.jobs.wait_all(20_000)
    project.close()


def test_models_are_listed_with_the_active_one_and_the_untrained_flag(qtbot, context) -> None:
    first = add_model_record(context.project, "imagenet-model", untrained=False)
    second = add_model_record(context.project, "random-model", untrained=True)
    panel = ModelsPanel(context)
    qtbot.addWidget(panel)
    panel.resize(600, 500)
    panel.show()
    qtbot.waitExposed(panel)
    assert [r.name for r in panel.records] == ["imagenet-model", "random-model"]
    assert panel.table.item(0, 5).text() == "resnet50-imagenet"
    assert panel.table.item(1, 5).text() == UNTRAINED_FLAG
    assert panel.active_model_id() == second.id and panel.radios.button(second.id).isChecked()
    # the active one is selected, its manifest summarised with the flag
    assert panel.selected_model_id() == second.id
    html = panel.details.toHtml()
    assert "UNTRAINED backbone" in html and "random-model" in html and "0.80" in html
    # picking the other radio makes it active in the project and tells everyone
    with qtbot.waitSignal(context.models_changed, timeout=1000):
        radio = panel.radios.button(first.id)
        indicator = QPoint(radio.iconSize().width() // 2 + 2, radio.height() // 2)
        qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=indicator)
    assert context.project.active_model().id == first.id
    assert panel.radios.button(first.id).isChecked()


def test_models_list_names_each_backbone_and_says_when_figures_are_pending(qtbot, context) -> None:
    from model.ml.backbones.birdnet import NOTICE
    from model.ml.evaluation import pending_metrics

    birdnet = {"name": "birdnet-v2.4", "title": "BirdNET V2.4 embeddings", "dim": 1024,
               "licence_notice": NOTICE}  # fmt: skip
    add_model_record(context.project, "bn", untrained=False, backbone=birdnet,
                     metrics=pending_metrics())  # fmt: skip
    panel = ModelsPanel(context)
    qtbot.addWidget(panel)
    assert panel.table.item(0, 5).text() == "birdnet-v2.4"  # not "ImageNet", as it once said
    assert panel.table.item(0, 4).text() == "…"
    html = panel.details.toHtml()
    assert "BirdNET V2.4 embeddings" in html and "not measured yet" in html


def test_delete_forgets_the_model_its_scores_and_its_file(qtbot, context) -> None:
    record = add_model_record(context.project, "old")
    recording = context.project.recordings()[0]
    context.project.put_predictions(record.id, recording.id, [0.0], [1, 2], [[0.1, 0.2]])
    panel = ModelsPanel(context)
    qtbot.addWidget(panel)
    assert record.file.exists()
    assert panel.delete_model(record.id, ask=False)
    assert context.project.models() == [] and panel.table.rowCount() == 0
    assert context.project.predictions(record.id, recording.id)[1] == []
    assert not record.file.exists()


def test_training_panel_shows_a_stored_models_figures(qtbot, context) -> None:
    record = add_model_record(context.project, "shown", untrained=True)
    panel = TrainingPanel(context)
    qtbot.addWidget(panel)
    results = panel.results
    assert results.table.rowCount() == 2  # the active model is shown on opening
    assert [results.table.item(r, 0).text() for r in range(2)] == ["tone", "sweep"]
    assert results.table.item(0, 1).text() == "0.90" and results.table.item(1, 1).text() == "0.70"
    assert results.map_label.text() == "Held-out mAP 0.80"
    assert not results.flag.isHidden() and "1 whole recording" in results.split_label.text()
    assert len(results.pr_plot.listDataItems()) == 2
    assert [len(c.getData()[0]) for c in results.pr_plot.listDataItems()] == [3, 3]
    loss_x, loss_y = panel.loss_plot._loss.getData()
    assert list(loss_x) == [1.0, 2.0, 3.0] and loss_y[0] == pytest.approx(1.0)
    assert record.id == context.project.active_model().id


def test_untrained_choice_is_flagged_and_train_needs_a_writable_project(qtbot, context) -> None:
    panel = TrainingPanel(context)
    qtbot.addWidget(panel)
    assert panel.train_button.isEnabled() and not panel.cancel_button.isEnabled()
    assert panel.untrained_warning.isHidden()
    panel.set_untrained_backbone(True)
    assert panel.untrained_backbone and not panel.untrained_warning.isHidden()
    assert panel.weights.isHidden()  # weights do not matter for the untrained backbone
    context.set_project(None)
    assert not panel.train_button.isEnabled() and panel.start_training() is None


def test_missing_imagenet_weights_offer_the_other_backbones_at_once(
    qtbot, context, monkeypatch
) -> None:
    """No weights file here: the panel offers the backbones that can run before any download
    is attempted, and one click picks one."""
    from model.ml import backbones
    from model.ml.backbones.base import BackboneStatus

    monkeypatch.setattr(
        backbones.ResNet50ImageNet,
        "status",
        classmethod(lambda cls: BackboneStatus(backbones.WEIGHTS_MISSING, "not here")),
    )

    panel = TrainingPanel(context)
    qtbot.addWidget(panel)
    panel.set_backbone(backbones.IMAGENET)
    assert not panel.alternatives.isHidden()
    assert "resnet50-untrained" in panel.alternatives.text()
    panel.alternatives.linkActivated.emit("resnet50-untrained")
    assert panel.backbone_name == "resnet50-untrained" and panel.alternatives.isHidden()
    if backbones.info(backbones.BIRDNET).status.available:
        panel.set_backbone(backbones.BIRDNET)
        assert "CC BY-NC-SA 4.0" in panel.licence_label.text()
        assert not panel.licence_label.isHidden() and not panel.fine_tune.isEnabled()


def test_weights_status_missing_damaged_ok(qtbot, context, monkeypatch, tmp_path) -> None:
    path = weights_cache_path()
    assert path == tmp_path / "keras-home" / "models" / weights.FILE_NAME
    assert run_inline(check_weights_job)["state"] == "missing"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not the weights")
    assert run_inline(check_weights_job)["state"] == "damaged"
    monkeypatch.setattr(weights, "expected_md5", lambda: weights.file_md5(path))
    assert run_inline(check_weights_job)["state"] == "ok"
    panel = TrainingPanel(context)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: panel.weights.state == "ok", timeout=5000)
    assert "installed" in panel.weights.label.text()
    assert panel.weights.download_button.isHidden()


def test_importing_a_wrong_weights_file_says_why(qtbot, context, tmp_path) -> None:
    panel = TrainingPanel(context)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: panel.weights.state == "missing", timeout=5000)
    assert "Import weights file" in panel.weights.label.text()
    wrong = tmp_path / "resnet50_weights_tf_dim_ordering_tf_kernels.h5"
    wrong.write_bytes(b"x" * 1000)
    errors: list[str] = []
    context.error.connect(lambda message, detail: errors.append(message))
    job = panel.import_weights_from(wrong)
    with qtbot.waitSignal(job.ended, timeout=60_000):
        pass
    assert errors and "MD5 checksum" in errors[0] and str(wrong) in errors[0]
    assert "MD5 checksum" in panel.weights.label.text()
    assert panel.weights.import_button.isEnabled()
    assert not weights_cache_path().exists()


def test_format_seconds() -> None:
    assert format_seconds(None) == "–"
    assert format_seconds(75.4) == "1:15"
    assert format_seconds(3725) == "1:02:05"


def test_the_gui_process_never_loads_tensorflow(project_path) -> None:
    """Building all ML panels on a project with a model must not import TensorFlow/Keras:
    training and scoring happen in workers, and the GUI would pay seconds and ~1 GB."""
    import subprocess
    import sys

    script = f"""
import sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from app.context import AppContext
from app.ml.wiring import build_ml_ui
from app.spectrogram import SpectrogramView
from model.project import Project
from tests.app.ml.conftest import add_model_record
context = AppContext()
project = Project.open({str(project_path)!r})
add_model_record(project)
context.set_project(project)
view = SpectrogramView()
ui = build_ml_ui(context, view)
context.set_recording(project.recordings()[0])
ui.predictor.cancel()
context.jobs.wait_all(10000)
view.shutdown()
print(sorted(m for m in ("tensorflow", "keras") if m in sys.modules))
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
        cwd=str(Path(__file__).resolve().parents[3]),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_training_panel_shows_no_figures_before_a_model_exists(qtbot, context, output_dir) -> None:
    panel = TrainingPanel(context)
    qtbot.addWidget(panel)
    panel.resize(430, 700)
    panel.show()
    qtbot.waitExposed(panel)
    results = panel.results
    assert results.title.text() == "No model trained yet."
    for widget in (results.map_label, results.split_label, results.table, results.pr_plot):
        assert widget.isHidden()
    assert panel.loss_plot.isHidden()  # no empty axes either
    assert panel.grab().save(str(output_dir / "ml_training_panel_no_model.png"))
    add_model_record(context.project, "first", untrained=False)
    context.models_changed.emit()  # a model now exists: its figures are shown
    assert results.map_label.text() == "Held-out mAP 0.80" and not results.map_label.isHidden()
    assert not results.table.isHidden() and not panel.loss_plot.isHidden()


def test_training_panel_says_which_classes_training_left_out(qtbot, context) -> None:
    panel = TrainingPanel(context)
    qtbot.addWidget(panel)
    record = add_model_record(context.project, "with-rare", untrained=False)
    result = {
        "model_id": record.id,
        "name": record.name,
        "metrics": record.metrics,
        "untrained_backbone": False,
        "classes": ["tone", "sweep"],
        "classes_left_out": ["European storm petrel"],
        "device": "CPU",
        "history": record.manifest["training"]["history"],
        "seconds": 3.0,
    }
    panel._on_finished(result)  # what the training job's ``finished`` signal delivers
    label = panel.results.left_out_label
    assert not label.isHidden()
    assert label.text().startswith(
        "Left out: European storm petrel (needs at least 2 clips labelled present"
    )
    assert "Left out: European storm petrel" in panel.status_label.text()
    context.models_changed.emit()  # the same model shown again later still says so
    assert not label.isHidden() and "European storm petrel" in label.text()
    other = add_model_record(context.project, "all-classes", untrained=False)
    panel.show_model(other)  # a model that left nothing out
    assert label.isHidden()


def test_figures_that_arrive_after_the_model_or_project_is_gone_are_ignored(qtbot, context) -> None:
    """A measurement runs in a worker for seconds: its model may be deleted, or its project
    closed, before it reports; the panel must not fail on either."""
    from model.ml.evaluation import pending_metrics

    record = add_model_record(context.project, "new", metrics=pending_metrics())
    panel = TrainingPanel(context)
    qtbot.addWidget(panel)
    figures = panel.figures
    figures.evaluation.project_path = str(context.project.path)  # as if it had measured it
    assert figures.shown_model == record.id and not panel.results.pending_label.isHidden()
    assert "were not measured" in panel.results.pending_label.text()
    done = {"model_id": record.id, "name": "new", "metrics": {"map": 0.5}}
    context.project.delete_model(record.id)
    with qtbot.waitSignal(panel.evaluated, timeout=1000):
        figures.evaluation.finished.emit(done)
    figures.evaluation.stopped.emit(record.id)
    figures.evaluation.failed.emit(record.id, "boom")
    context.project.close()
    figures.evaluation.stopped.emit(record.id)
    with qtbot.waitSignal(panel.evaluated, timeout=1000):
        figures.evaluation.finished.emit(done)


def test_the_selected_models_summary_follows_figures_measured_later(qtbot, context) -> None:
    from model.ml.evaluation import pending_metrics
    from tests.app.ml.conftest import model_metrics

    record = add_model_record(context.project, "new", metrics=pending_metrics())
    panel = ModelsPanel(context)
    qtbot.addWidget(panel)
    assert panel.selected_model_id() == record.id
    assert "not measured yet" in panel.details.toHtml()
    names = [c.name for c in context.project.classes()]
    context.project.set_model_metrics(record.id, model_metrics(names))
    context.models_changed.emit()  # what the panel hears when the figures are stored
    html = panel.details.toHtml()
    assert "not measured yet" not in html and "Held-out mAP" in html and "0.80" in html
    assert panel.table.item(0, 4).text() == "0.80"


def test_a_long_left_out_list_is_one_line_that_opens_and_closes(qtbot, context) -> None:
    """Eleven imported BirdNET classes left out used to be a wall of orange text (issue 15)."""
    panel = TrainingPanel(context)
    qtbot.addWidget(panel)
    results = panel.results
    names = [f"Species {i}" for i in range(11)]
    results.show_left_out(names, 2, {"Species 3": "only one recording"})
    label = results.left_out_label
    assert not label.isHidden()
    assert "11 classes (Species 0, Species 1 and 9 more)" in label.text()
    assert "Species 10" not in label.text() and "only one recording" not in label.text()
    label.linkActivated.emit("all")  # the "Show all, with why" link
    assert "Species 10 (needs at least 2 clips labelled present)" in label.text()
    assert "Species 3 (only one recording)" in label.text()
    label.linkActivated.emit("fewer")
    assert "Species 10" not in label.text()
    results.show_left_out(["Owl"], 2)  # a short list stays one plain line, nothing to open
    assert label.text().startswith("Left out: Owl (needs at least 2") and "href" not in label.text()
    results.show_left_out([], 2)
    assert label.isHidden()


def test_training_panel_shows_time_left_for_steps_that_only_count(qtbot, context) -> None:
    """The k-fold evaluation reports "fold i of n" without an estimate of its own; the panel
    still says how long is left in that step (issue 15: only "Elapsed" was ever shown)."""
    from model.jobs import Progress
    from model.jobs.eta import StageEta

    now = [50.0]
    panel = TrainingPanel(context)
    qtbot.addWidget(panel)
    panel.job = object()  # a job in flight: the panel only reads that one exists
    panel._started = time.monotonic()
    panel._eta = StageEta(lambda: now[0])
    data = {"stage": "evaluating"}
    panel._on_progress(Progress(0, 5, "measuring on held-out recordings: fold 1 of 5", data))
    assert "left" not in panel.eta_label.text()
    now[0] += 12
    panel._on_progress(Progress(2, 5, "measuring on held-out recordings: fold 3 of 5", data))
    assert panel.eta_label.text().endswith("about 0:18 left in this step")
    panel.job = None


def test_training_panel_fits_a_narrow_dock_without_scrolling_sideways(qtbot, context) -> None:
    """The backbone and head choices are long sentences; the panel asked for 532 px and the
    dock scrolled sideways, cutting off the left edge of every line after a run (issue 15)."""
    panel = TrainingPanel(context)
    qtbot.addWidget(panel)
    assert panel.content.minimumSizeHint().width() <= 460
    assert panel.scroll.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    combo = panel.backbone
    longest = max(combo.fontMetrics().horizontalAdvance(combo.itemText(i)) for i in
                  range(combo.count()))  # fmt: skip
    assert combo.view().minimumWidth() >= longest  # the open list still shows whole names


def test_a_stored_model_still_says_what_it_left_out_after_a_restart(qtbot, context) -> None:
    """The left-out classes lived only in the panel's memory of this session: after reopening
    the project the same model said nothing about them. They travel in the manifest now."""
    from tests.app.ml.conftest import model_manifest, model_metrics

    project = context.project
    names = [c.name for c in project.classes()]
    manifest = model_manifest(names, untrained=True)
    manifest["training"]["left_out"] = {"Tawny Owl": "needs at least 2 clips labelled present"}
    file = project.path.with_name(project.path.stem + ".models") / "stored.sonotag-model"
    file.parent.mkdir(exist_ok=True)
    file.write_bytes(b"placeholder")
    record = project.add_model("stored", file, manifest, model_metrics(names), activate=True)
    panel = TrainingPanel(context)  # a new panel: nothing remembered from a training run
    qtbot.addWidget(panel)
    panel.show_model(record)
    label = panel.results.left_out_label
    assert not label.isHidden()
    assert "Tawny Owl (needs at least 2 clips labelled present)" in label.text()
