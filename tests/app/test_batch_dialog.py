"""File ▸ Run model on a folder…: the dialog runs the real batch job (in a thread here, in the
worker process in the slow test), shows files done / clips/s / ETA, lists bad files at the end,
resumes after Cancel, and hands whole-project scoring to the prediction controller."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtWidgets import QMainWindow, QMessageBox

from app.batch_dialog import TARGET, BatchDialog, install_batch_menu
from app.batch_progress import (
    BatchProgressDialog,
    ProjectScoringProgress,
    describe_progress,
    time_left,
)
from app.context import AppContext
from app.jobs import Job, JobRunner
from model.jobs import Cancelled, Progress, Reporter, resolve
from tests.app.ml.conftest import add_model_record, make_project
from tests.model.test_batch import make_head_bundle, write_wav


class ThreadRunner(JobRunner):
    """Runs process targets in a thread (no TensorFlow import in a fresh process per test)."""

    def __init__(self, fakes: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fakes = fakes or {}

    def run_process(self, title: str, target: str, **kwargs: Any) -> Job:
        self.calls.append((target, kwargs))
        return self.run_thread(title, self.fakes.get(target) or resolve(target), **kwargs)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_head_bundle(tmp_path_factory.mktemp("model") / "calls.sonotag-model")


@pytest.fixture
def card(tmp_path: Path) -> Path:
    folder = tmp_path / "card"
    for index in range(3):
        write_wav(folder / f"2023040{index}_050000.WAV", 3.0, index)
    (folder / "broken.wav").write_bytes(b"")
    return folder


@pytest.fixture
def runner():
    runner = ThreadRunner()
    yield runner
    assert runner.wait_all(30_000)


@pytest.fixture
def dialog(qtbot, runner: ThreadRunner):
    dialog = BatchDialog(AppContext(jobs=runner))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def close_box(dialog: BatchDialog) -> None:
    if dialog.summary_box is not None:
        dialog.summary_box.close()


def test_runs_the_folder_lists_the_bad_file_and_skips_finished_files_next_time(
    qtbot, dialog: BatchDialog, runner: ThreadRunner, bundle: Path, card: Path, errors
) -> None:
    dialog.add_model_file(bundle)
    dialog.set_folder(card)
    assert dialog.out.text() == str(card.with_name("card detections"))
    dialog.format.setCurrentIndex(dialog.format.findData("raven"))
    dialog.threshold.setValue(0.0)
    labels: list[str] = []
    with qtbot.waitSignal(dialog.batch_finished, timeout=60_000) as finished:
        job = dialog.run()
        assert job is not None and isinstance(dialog.progress_dialog, BatchProgressDialog)
        assert not dialog.run_button.isEnabled()
        progress_dialog = dialog.progress_dialog
        job.progress.connect(lambda _p: labels.append(progress_dialog.labelText()))
    target, kwargs = runner.calls[0]
    assert target == TARGET and kwargs["fmt"] == "raven" and kwargs["threshold"] == 0.0
    assert kwargs["inputs"] == [str(card)] and kwargs["model_path"] == str(bundle)
    result = finished.args[0]
    assert len(result["done"]) == 3 and [Path(p).name for p, _ in result["failed"]] == [
        "broken.wav"
    ]
    out = Path(dialog.out.text())
    assert len(list(out.glob("*.selections.txt"))) == 3
    assert any("Files done: 2 of 4 (1 failed)" in text for text in labels), labels
    assert any("clips/s" in text and "left" in text for text in labels), labels
    title, message = errors[-1]
    assert title == "Batch run: 1 file(s) failed"
    assert "broken.wav: file is empty" in message and "errors.csv" in message
    close_box(dialog)
    qtbot.waitUntil(lambda: dialog.run_button.isEnabled())

    (card / "broken.wav").unlink()
    with qtbot.waitSignal(dialog.batch_finished, timeout=60_000) as again:
        dialog.run()
    assert len(again.args[0]["skipped"]) == 3 and again.args[0]["done"] == []
    assert isinstance(dialog.summary_box, QMessageBox)
    assert "3 skipped as already done" in dialog.summary_box.text()
    close_box(dialog)


LONG_FILES = 6


@pytest.fixture
def long_card(tmp_path: Path) -> Path:
    """Files of more windows than a batch (39 at hop 1 s, batches of 32): the scoring engine
    fills batches across files, so three 3-s files finish together in one batch and there is
    no moment between them to cancel in. Six of them: on a loaded machine the cancel reaches
    the job a few batches after it was asked for, and three files were all done by then."""
    folder = tmp_path / "long_card"
    for index in range(LONG_FILES):
        write_wav(folder / f"2023040{index}_050000.WAV", 40.0, index)
    (folder / "broken.wav").write_bytes(b"")
    return folder


def test_cancel_keeps_finished_files_and_a_second_run_goes_on(
    qtbot, dialog: BatchDialog, bundle: Path, long_card: Path
) -> None:
    dialog.add_model_file(bundle)
    dialog.set_folder(long_card)
    job = dialog.run()
    assert job is not None
    progress_dialog = dialog.progress_dialog

    def cancel_after_first(progress: Progress) -> None:
        scored = progress.done - progress.data.get("failed", 0)  # broken.wav fails first
        if progress.data.get("stage") == "scoring" and scored >= 1:
            progress_dialog.canceled.emit()  # what the Cancel button does

    job.progress.connect(cancel_after_first)
    with qtbot.waitSignal(job.cancelled, timeout=60_000):
        pass
    assert "finished files are kept" in dialog.problem.text()
    out = Path(dialog.out.text())
    kept = sorted(p.name for p in out.glob("*.csv") if p.name != "errors.csv")
    assert 1 <= len(kept) < LONG_FILES
    qtbot.waitUntil(lambda: dialog.run_button.isEnabled())
    with qtbot.waitSignal(dialog.batch_finished, timeout=60_000) as finished:
        dialog.run()
    result = finished.args[0]
    assert sorted(Path(p).stem for p in result["skipped"]) == [Path(k).stem for k in kept]
    assert len(result["skipped"]) + len(result["done"]) == LONG_FILES
    close_box(dialog)


def killed_when_cancelled(reporter: Reporter, **kwargs: Any) -> None:
    """What a worker ended by ``cancel_within`` looks like: an error, not a cancel."""
    while True:
        try:
            reporter.update(0, 3, "busy", stage="scoring")
        except Cancelled:
            raise RuntimeError("the worker process ended unexpectedly (exit code -9)") from None
        time.sleep(0.01)


def test_a_worker_ended_by_cancel_counts_as_cancelled_not_failed(
    qtbot, bundle: Path, card: Path, errors
) -> None:
    runner = ThreadRunner({TARGET: killed_when_cancelled})
    dialog = BatchDialog(AppContext(jobs=runner))
    qtbot.addWidget(dialog)
    dialog.add_model_file(bundle)
    dialog.set_folder(card)
    job = dialog.run()
    with qtbot.waitSignal(job.progress, timeout=10_000):
        pass
    with qtbot.waitSignal(job.failed, timeout=10_000):
        dialog.progress_dialog.canceled.emit()
    assert errors == [] and "cancelled" in dialog.problem.text()
    assert runner.wait_all(10_000)


def test_the_form_says_what_is_missing(dialog: BatchDialog, runner: ThreadRunner) -> None:
    assert dialog.run() is None and "Choose a model" in dialog.problem.text()
    dialog.add_model_file(Path(__file__))  # exists: the job itself checks it is a model
    assert dialog.run() is None and "folder of recordings" in dialog.problem.text()
    assert runner.calls == []


def write_scores(
    reporter: Reporter, project_path: str, recording_ids: list[int], model_id: int, hop: float
) -> dict[str, Any]:
    """The worker job's reports, in small: features progress with clips/s, then "scored"."""
    from model.project import Project

    with Project.open(project_path) as project:
        class_ids = [c.id for c in project.classes()]
        for number, rid in enumerate(recording_ids):
            reporter.update(
                number, len(recording_ids), "scoring", stage="scoring", recording_id=rid
            )
            for step in (1, 2):
                time.sleep(0.05)
                reporter.update(step, 2, "features", stage="features", clips_per_s=42.0, eta_s=1.0)
            starts = np.arange(0.0, 11.0, hop)
            scores = np.full((len(starts), len(class_ids)), 0.5, np.float32)
            project.put_predictions(model_id, rid, starts, class_ids, scores)
            reporter.update(number + 1, len(recording_ids), "scored", scored_recording=rid)
    return {"scored": list(recording_ids), "skipped": []}


def test_score_whole_project_goes_through_the_prediction_controller(
    qtbot, tmp_path: Path, output_dir: Path
) -> None:
    from app.ml.predict_controller import TARGET as PREDICT_TARGET
    from app.ml.predict_controller import PredictController
    from model.project import Project

    audio = [(write_wav(tmp_path / f"rec{i}.wav", 12.0, i), []) for i in range(3)]
    path = make_project(tmp_path / "project", audio)
    runner = ThreadRunner({PREDICT_TARGET: write_scores})
    context = AppContext(jobs=runner)
    project = Project.open(path)
    model = add_model_record(project)
    context.set_project(project)
    predictor = PredictController(context)
    dialog = BatchDialog(context, predictor)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.project_button.isEnabled()
    assert dialog.model.currentText() == "m1 (active)"
    dialog.set_folder(tmp_path / "AudioMoth card 3")
    dialog.resize(680, dialog.sizeHint().height())
    qtbot.waitExposed(dialog)
    assert dialog.grab().save(str(output_dir / "batch_dialog.png"))
    try:
        dialog.project_button.click()
        progress = dialog.progress_dialog
        assert isinstance(progress, ProjectScoringProgress) and predictor.busy
        texts: list[str] = []
        predictor.recording_scored.connect(lambda _id: texts.append(progress.labelText()))
        with qtbot.waitSignal(progress.scoring_ended, timeout=20_000):
            pass
        assert not predictor.busy and dialog.progress_dialog is None
        assert [c[0] for c in runner.calls] == [PREDICT_TARGET]
        assert sorted(runner.calls[0][1]["recording_ids"]) == [r.id for r in project.recordings()]
        for recording in project.recordings():
            assert len(project.predictions(model.id, recording.id)[0]) > 0
        assert "Recordings done: 1 of 3" in texts[0] and "42.0 clips/s" in texts[0]
        assert "Recordings done: 3 of 3" in texts[-1]
    finally:
        context.set_project(None)
        assert runner.wait_all(10_000)
        project.close()


def test_file_menu_entry_opens_one_dialog_with_the_projects_models(qtbot, tmp_path: Path) -> None:
    from model.project import Project

    path = make_project(tmp_path / "p", [(write_wav(tmp_path / "r.wav", 3.0, 0), [])])
    window = QMainWindow()
    window.context = AppContext(jobs=ThreadRunner())
    qtbot.addWidget(window)
    project = Project.open(path)
    try:
        add_model_record(project, "older", activate=True)
        add_model_record(project, "newest", activate=False)
        window.context.set_project(project)
        action = install_batch_menu(window, window.menuBar().addMenu("File"))
        assert action.text() == "Run &model on a folder…"
        action.trigger()
        dialogs = [w for w in window.findChildren(BatchDialog)]
        assert len(dialogs) == 1 and dialogs[0].isVisible()
        items = [dialogs[0].model.itemText(i) for i in range(dialogs[0].model.count())]
        assert items == ["older (active)", "newest"]
        assert not dialogs[0].project_button.isVisible()  # no controller given: folder only
        action.trigger()
        assert len(window.findChildren(BatchDialog)) == 1
    finally:
        window.context.set_project(None)
        project.close()


def test_progress_words() -> None:
    assert time_left(None) == "estimating the time left…"
    assert time_left(30) == "less than a minute left"
    assert time_left(14 * 60 + 10) == "about 14 min left"
    assert time_left(3 * 3600 + 5 * 60) == "about 3 h 05 min left"
    progress = Progress(
        3, 10, "night.WAV (4 of 10)", {"stage": "scoring", "clips_per_s": 21.44, "eta_s": 600}
    )
    assert describe_progress(progress).splitlines() == [
        "night.WAV (4 of 10)",
        "Files done: 3 of 10",
        "21.4 clips/s · about 10 min left",
    ]
    engine = "CPU (OpenVINO, bfloat16, 2 cores)"
    for stage, shown in (("finding", False), ("loading", True), ("scoring", True), ("done", True)):
        progress = Progress(0, 10, "", {"stage": stage, "engine": engine})
        assert (f"Engine: {engine}" in describe_progress(progress)) is shown, stage


def test_render_dialog_and_progress(
    qtbot, dialog: BatchDialog, bundle: Path, card: Path, output_dir: Path
) -> None:
    dialog.add_model_file(bundle)
    dialog.set_folder(card)
    dialog.resize(680, dialog.sizeHint().height())
    qtbot.wait(50)
    assert dialog.grab().save(str(output_dir / "batch_dialog_model_file.png"))
    job = Job("Running model on card", 99)
    progress = BatchProgressDialog(job, dialog)
    progress.setMinimumDuration(0)
    job.progress.emit(
        Progress(
            412,
            1240,
            "20230417_031500.WAV (413 of 1240)",
            {
                "stage": "scoring",
                "failed": 2,
                "clips_per_s": 27.3,
                "eta_s": 3 * 3600 + 25 * 60,
                "audio_done_s": 3.1 * 3600,
                "audio_total_s": 11.6 * 3600,
                "engine": "CPU (OpenVINO, bfloat16, 2 cores)",
            },
        )
    )
    progress.show()
    qtbot.waitExposed(progress)
    assert progress.value() == round(1000 * 3.1 / 11.6)
    assert "about 3 h 25 min left" in progress.labelText()
    assert progress.labelText().endswith("Engine: CPU (OpenVINO, bfloat16, 2 cores)")
    assert progress.grab().save(str(output_dir / "batch_progress.png"))
    job.ended.emit()


@pytest.mark.slow
def test_runs_in_the_worker_process(qtbot, bundle: Path, card: Path) -> None:
    """The real path: ``run_process`` in the shared worker (spawned, TensorFlow imported)."""
    runner = JobRunner()
    dialog = BatchDialog(AppContext(jobs=runner))
    qtbot.addWidget(dialog)
    (card / "broken.wav").unlink()
    dialog.add_model_file(bundle)
    dialog.set_folder(card)
    try:
        with qtbot.waitSignal(dialog.batch_finished, timeout=180_000) as finished:
            dialog.run()
        assert len(finished.args[0]["done"]) == 3 and finished.args[0]["failed"] == []
        close_box(dialog)
    finally:
        assert runner.wait_all(30_000)
        runner.shutdown()


def test_typing_a_folder_path_proposes_an_output_only_for_real_folders(qtbot, tmp_path) -> None:
    from app.context import AppContext

    dialog = BatchDialog(AppContext())
    qtbot.addWidget(dialog)
    dialog.out.clear()
    for text in ("/", "/wo", str(tmp_path / "missing")):
        dialog.set_folder(text, typed=True)  # what each keystroke does; "/" used to raise
        assert dialog.out.text() == ""
    (tmp_path / "card").mkdir()
    dialog.set_folder(str(tmp_path / "card"), typed=True)
    assert dialog.out.text() == str(tmp_path / "card detections")
