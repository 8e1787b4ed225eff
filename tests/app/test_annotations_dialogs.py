"""Import and export dialogs on a project built from the real pykanto recordings and their Sonic
Visualiser layers, driven through their widgets and methods (never a modal exec())."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app import file_dialogs
from app.annotations import ExportDialog, ImportDialog, export_action, import_annotations_action
from app.annotations.import_dialog import _RECORDING, _ROWS
from app.context import AppContext
from model.annotations import read_annotations, read_csv_table, read_raven
from model.annotations.importer import plan_import
from model.project import Project

RAVEN_HEADER = (
    "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\t"
    "Begin File\tFile Offset (s)\tSpecies"
)
BAD_ROWS = [
    "1\tSpectrogram 1\t1\t1.0\t2.5\t500\t8000\tXC46092.wav\t1.0\tStorm petrel",
    "2\tSpectrogram 1\t1\t20.0\t21.0\t500\t8000\tmissing.wav\t3.0\tStorm petrel",
    "3\tSpectrogram 1\t1\tabc\t4.0\t500\t8000\tXC46092.wav\t\tStorm petrel",
    "4\tSpectrogram 1\t1\t40.0\t41.0\t500\t8000\tXC46092.wav\t30.0\tStorm petrel",
]


@pytest.fixture(autouse=True)
def no_modal_questions(monkeypatch) -> None:
    """A modal question would hang the test run: fail instead unless a test answers it."""

    def unexpected(*args: object) -> bool:
        raise AssertionError(f"unexpected confirmation asked: {args[1:]}")

    monkeypatch.setattr("app.annotations.export_dialog.confirm", unexpected)


@pytest.fixture
def raw(real_data: Path) -> Path:
    return real_data / "pykanto-raw"


@pytest.fixture
def context(qtbot, tmp_path: Path, raw: Path):
    """An AppContext on a new project holding the five pykanto recordings."""
    project = Project.create(tmp_path / "pykanto.sonotag")
    for wav in sorted(p for p in raw.rglob("*") if p.suffix.lower() == ".wav"):
        project.add_recording(wav)
    ctx = AppContext()
    ctx.set_project(project)
    yield ctx
    project.close()


@pytest.fixture
def xmls(raw: Path) -> list[Path]:
    return sorted(raw.rglob("*.xml"))


@pytest.fixture
def bad_raven(tmp_path: Path) -> Path:
    path = tmp_path / "mixed.Table.1.selections.txt"
    path.write_text("\n".join([RAVEN_HEADER, *BAD_ROWS]) + "\n", encoding="utf-8")
    return path


def by_stem(project: Project) -> dict[str, int]:
    return {r.path.stem: r.id for r in project.recordings()}


def labels_of(project: Project, recording_id: int, name: str) -> list[tuple[float, float]]:
    cls = project.class_by_name(name)
    assert cls is not None
    return sorted((la.start, la.end) for la in project.labels(recording_id, cls.id))


def make_dialog(qtbot, context, paths, keep_boxes: bool = False) -> ImportDialog:
    """The import dialog; pykanto's layers are box layers, so the tests of the clip rule untick
    "keep bands as boxes" (``tests/app/test_box_dialogs.py`` tests the boxes)."""
    dialog = ImportDialog(context, paths)
    qtbot.addWidget(dialog)
    assert dialog.boxes_box.isChecked()  # the default: bands are kept as boxes
    dialog.boxes_box.setChecked(keep_boxes)
    dialog.refresh_preview()
    return dialog


def test_files_get_format_and_recording_of_the_same_name(qtbot, context, xmls) -> None:
    dialog = make_dialog(qtbot, context, xmls)
    ids = by_stem(context.project)
    for row, source in enumerate(dialog.sources):
        assert source.detected == source.fmt == "sonic_visualiser"
        assert source.recording_id == ids[source.path.stem]
        combo = dialog.files_table.cellWidget(row, _RECORDING)
        assert combo.isEnabled() and combo.currentData() == ids[source.path.stem]
    rows = [int(dialog.files_table.item(r, _ROWS).text()) for r in range(len(xmls))]
    assert rows == [len(read_annotations(p)) for p in xmls] == [5, 1, 1, 6, 5]
    # pykanto's layers state 44100 Hz: the dialog points out the ones whose audio differs.
    hint = dialog.frames_hint.text()
    assert "348.xml: 44100 vs 32000 Hz" in hint
    assert "20210502_040000.xml: 44100 vs 48000 Hz" in hint
    assert "XC46092" not in hint


def test_unnamed_rows_need_a_default_class(qtbot, context, xmls) -> None:
    dialog = make_dialog(qtbot, context, xmls)
    assert dialog.labels_to_write() == 0
    assert not dialog.import_button.isEnabled()
    assert dialog.unplaced_table.rowCount() == 18
    assert dialog.unplaced_table.item(0, 3).text().startswith("the row has no class name")
    dialog.default_class_edit.setText("song")
    qtbot.waitUntil(lambda: dialog.labels_to_write() > 0, timeout=2000)  # debounced re-plan
    assert dialog.unplaced_table.rowCount() == 0
    assert dialog.import_button.isEnabled()


def test_preview_counts_match_the_clip_rule(qtbot, context, xmls) -> None:
    project = context.project
    dialog = make_dialog(qtbot, context, xmls)
    dialog.default_class_edit.setText("song")
    dialog.refresh_preview()
    expected = sum(
        len(
            plan_import(
                project,
                read_annotations(p),
                recording_for=rec,
                default_label="song",
                keep_boxes=False,
            ).labels
        )  # fmt: skip
        for p, rec in zip(xmls, _recordings_for(project, xmls), strict=True)
    )
    assert dialog.labels_to_write() == expected == 48
    assert (
        "48 clip label(s) to write in 5 recording(s), from 18 of 18" in dialog.summary_label.text()
    )
    labels = dialog.preview.plan.labels
    petrel = by_stem(project)["XC46092"]
    # First storm-petrel song: 1.215-2.924 s; clips [1, 3] and [2, 4] overlap it by >= 50 %.
    assert {(s, e) for r, s, e, *_ in labels if r == petrel and s < 3} == {(1.0, 3.0), (2.0, 4.0)}
    assert [item.text() for item in _list_items(dialog)] == ["song"]
    # Stricter overlap: fewer labels, and the rule text says the new number.
    dialog.overlap_spin.setValue(90)
    dialog.refresh_preview()
    assert dialog.labels_to_write() < 48
    assert "at least 90%" in dialog.rule_label.text()


def test_frames_at_recording_rate_stretch_the_finch_song(qtbot, context, xmls) -> None:
    finch = by_stem(context.project)["348"]
    dialog = make_dialog(qtbot, context, xmls)
    dialog.default_class_edit.setText("song")
    dialog.refresh_preview()

    def last_end() -> float:
        return max(e for r, _s, e, *_ in dialog.preview.plan.labels if r == finch)

    assert last_end() == 17.0  # 27520..706560 frames / 44100 Hz: 0.62-16.02 s
    dialog.frames_box.setChecked(True)
    dialog.refresh_preview()
    assert last_end() == 23.0  # / 32000 Hz: 0.86-22.08 s of the 22.9-s recording


def test_rows_that_cannot_be_placed_are_listed(qtbot, context, xmls, bad_raven) -> None:
    dialog = make_dialog(qtbot, context, [bad_raven])
    assert dialog.sources[0].fmt == "raven"
    assert not dialog.files_table.cellWidget(0, _RECORDING).isEnabled()
    reasons = {
        dialog.unplaced_table.item(r, 1).text(): dialog.unplaced_table.item(r, 3).text()
        for r in range(dialog.unplaced_table.rowCount())
    }
    assert reasons == {
        "row 3": "no recording in the project is called missing.wav",
        "row 4": "begin/end time is not a number ('abc' / '4.0')",
        "row 5": "it lies outside the recording (0-14.00 s)",
    }
    assert dialog.labels_to_write() == 2  # row 2: 1.0-2.5 s gives clips [0, 2] and [1, 3]
    dialog.copy_unplaced()
    copied = QApplication.clipboard().text().splitlines()
    assert copied[0] == "File\tRow\tAnnotation\tReason"
    assert copied[1] == f"{bad_raven}\trow 3\t3.000-4.000 s 'Storm petrel'\t" + reasons["row 3"]


def test_wrong_format_override_lists_the_whole_file(qtbot, context, xmls) -> None:
    dialog = make_dialog(qtbot, context, xmls[:1])
    dialog.set_format(0, "csv")
    assert dialog.files_table.item(0, _ROWS).text() == "unreadable"
    assert dialog.unplaced_table.item(0, 1).text() == "whole file"
    assert not dialog.files_table.cellWidget(0, _RECORDING).isEnabled()
    dialog.set_format(0, "sonic_visualiser")
    assert dialog.files_table.item(0, _ROWS).text() == "5"
    assert dialog.files_table.cellWidget(0, _RECORDING).isEnabled()


def test_unmatched_name_falls_back_to_current_recording(qtbot, context, raw, tmp_path) -> None:
    renamed = tmp_path / "finch_song.xml"
    renamed.write_bytes((raw / "BENGALESE_FINCH" / "bird_3" / "363.xml").read_bytes())
    dialog = make_dialog(qtbot, context, [renamed])
    assert dialog.sources[0].recording_id is None  # no current recording: the user must choose
    assert "choose the recording" in dialog.preview.unplaced[0].reason
    current = context.project.recordings()[1]
    context.set_recording(current)
    dialog = make_dialog(qtbot, context, [renamed])
    assert dialog.sources[0].recording_id == current.id
    other = by_stem(context.project)["XC663885"]
    dialog.set_recording(0, other)
    assert dialog.sources[0].recording_id == other


def test_import_dialog_never_lists_every_recording(
    qtbot, context, xmls, bad_raven, monkeypatch
) -> None:
    """At 100,000 recordings the dialog opened in seconds: every ``Recording`` was built, one
    combo entry each per file, and every label of the project was read. Now the guess comes
    from one query per file name, the combo holds a few entries ("Other recording…" finds any
    other by typing), and labels are read for the recordings an import touches."""
    from app.annotations.recording_picker import OTHER_TEXT

    project = context.project
    ids = by_stem(project)

    def refuse(*args, **kwargs):
        raise AssertionError("listed every recording or every label")

    real_labels = project.labels
    monkeypatch.setattr(project, "recordings", refuse)
    monkeypatch.setattr(
        project, "labels", lambda recording_id=None, class_id=None: refuse() if recording_id
        is None else real_labels(recording_id, class_id),
    )  # fmt: skip
    dialog = make_dialog(qtbot, context, [*xmls, bad_raven])
    dialog.default_class_edit.setText("song")
    dialog.refresh_preview()
    assert dialog.labels_to_write() > 0 and dialog.clips_already_labelled() == 0
    combo = dialog.files_table.cellWidget(0, _RECORDING)
    assert combo.count() <= 4 and combo.itemText(combo.count() - 1) == OTHER_TEXT
    assert combo.currentData() == ids[dialog.sources[0].path.stem]
    # "Other recording…": type part of a name, pick it.
    combo.setCurrentIndex(combo.count() - 1)
    picker = combo.picker
    assert picker is not None and picker.isVisible()
    assert combo.currentData() == ids[dialog.sources[0].path.stem]  # unchanged meanwhile
    picker.search.setText("xc6638")
    picker.refresh()
    assert [picker.matches.item(i).text() for i in range(picker.matches.count())] == [
        "XC663885.wav"
    ]
    picker.accept()
    assert dialog.sources[0].recording_id == ids["XC663885"] == combo.currentData()


def test_import_is_one_undo_step(qtbot, context, xmls, bad_raven) -> None:
    project, stack = context.project, context.undo_stack
    changed: list[bool] = []
    context.labels_changed.connect(lambda: changed.append(True))
    dialog = make_dialog(qtbot, context, [*xmls, bad_raven])
    dialog.default_class_edit.setText("song")
    dialog.refresh_preview()
    assert [item.text() for item in _list_items(dialog)] == ["song", "Storm petrel"]
    assert dialog.labels_to_write() == 50
    _list_items(dialog)[1].setCheckState(Qt.CheckState.Unchecked)  # leave the Raven class out
    assert dialog.labels_to_write() == 48
    assert "2 label(s) of unticked classes are left out" in dialog.summary_label.text()
    dialog.accept()
    assert dialog.result() == ImportDialog.DialogCode.Accepted
    assert dialog.written == 48 and changed
    assert [c.name for c in project.classes()] == ["song"]
    assert len(project.labels()) == 48
    assert labels_of(project, by_stem(project)["XC46092"], "song")[:2] == [(1.0, 3.0), (2.0, 4.0)]
    assert stack.undo_text == "Import 48 labels"
    stack.undo()
    assert project.labels() == [] and project.classes() == []
    stack.redo()
    assert len(project.labels()) == 48
    again = make_dialog(qtbot, context, [*xmls, bad_raven])
    again.default_class_edit.setText("song")
    again.refresh_preview()
    assert [item.text() for item in _list_items(again)] == ["Storm petrel"]  # song exists now


def test_keep_existing_labels(qtbot, context, xmls) -> None:
    from model.project import LabelState, SetLabel

    project = context.project
    song = project.add_class("Song")  # an existing class matches the name ignoring case
    petrel = by_stem(project)["XC46092"]
    context.undo_stack.push(SetLabel(petrel, 1.0, 3.0, song.id, LabelState.ABSENT, "me"))
    dialog = make_dialog(qtbot, context, xmls)
    dialog.default_class_edit.setText("song")
    dialog.keep_box.setChecked(True)
    dialog.accept()
    assert dialog.written == 47 and [c.name for c in project.classes()] == ["Song"]
    assert project.label_at(petrel, 1.0, 3.0, song.id).state is LabelState.ABSENT
    context.undo_stack.undo()
    dialog = make_dialog(qtbot, context, xmls)
    dialog.default_class_edit.setText("song")
    dialog.accept()  # replacing is the default
    assert project.label_at(petrel, 1.0, 3.0, song.id).state is LabelState.PRESENT


def run_export(qtbot, dialog: ExportDialog) -> None:
    """Export as the button does, and wait for its background job (if one was started)."""
    dialog.accept()
    if dialog.job is not None:
        with qtbot.waitSignal(dialog.job.ended, timeout=30_000):
            pass


def test_export_labels_to_raven_per_recording(qtbot, context, xmls, tmp_path) -> None:
    project = context.project
    _import_songs(qtbot, context, xmls)
    dialog = ExportDialog(context)
    qtbot.addWidget(dialog)
    out = tmp_path / "exported"
    dialog.folder_edit.setText(str(out))
    run_export(qtbot, dialog)
    assert len(dialog.written) == 5 and all(p.parent == out for p in dialog.written)
    for rec in project.recordings():
        table = out / f"{rec.path.stem}.Table.1.selections.txt"
        assert table in dialog.written
        back = {(a.start, a.end, a.label) for a in read_raven(table)}
        assert back == {(s, e, "song") for s, e in labels_of(project, rec.id, "song")}
    box = dialog.result_box
    assert box is not None and "5 file(s) written" in box.text()
    assert "XC46092.Table.1.selections.txt" in box.informativeText()
    box.close()


def test_export_dialog_never_lists_every_recording(
    qtbot, context, xmls, tmp_path, monkeypatch
) -> None:
    """Each change in the dialog names an example file; at 100,000 recordings, building every
    Recording for it froze the dialog for seconds per click."""
    project = context.project
    _import_songs(qtbot, context, xmls)
    first = project.recordings()[0]
    (tmp_path / f"{first.path.stem}.Table.1.selections.txt").write_text("old")

    def refuse() -> None:
        raise AssertionError("listed every recording")

    monkeypatch.setattr(project, "recordings", refuse)
    dialog = ExportDialog(context)
    qtbot.addWidget(dialog)
    dialog.folder_edit.setText(str(tmp_path))
    dialog.clips_box.setChecked(not dialog.clips_box.isChecked())
    dialog.clips_box.setChecked(not dialog.clips_box.isChecked())
    assert f"such as {first.path.stem}.Table.1.selections.txt" in dialog.target_label.text()
    assert dialog.existing_targets() == [tmp_path / f"{first.path.stem}.Table.1.selections.txt"]


def test_export_one_table_and_audacity(qtbot, context, xmls, tmp_path, monkeypatch) -> None:
    project = context.project
    _import_songs(qtbot, context, xmls)
    dialog = ExportDialog(context)
    qtbot.addWidget(dialog)
    monkeypatch.setattr(file_dialogs, "get_existing_directory", lambda *a: str(tmp_path / "x"))
    dialog.choose_folder()
    assert dialog.folder() == tmp_path / "x"
    dialog.one_table_radio.setChecked(True)
    table = dialog.target()
    assert table.name == "pykanto_labels.selections.txt"
    run_export(qtbot, dialog)
    assert dialog.written == [table]
    rows = read_raven(table)
    assert len(rows) == 48
    assert {a.file.name for a in rows} == {r.path.name for r in project.recordings()}
    dialog.result_box.close()
    dialog = ExportDialog(context)
    qtbot.addWidget(dialog)
    dialog.one_table_radio.setChecked(True)
    dialog.set_format("audacity")  # label tracks hold one recording each
    assert not dialog.one_table_radio.isEnabled() and dialog.per_recording


def test_export_refuses_to_replace_without_asking(qtbot, context, xmls, tmp_path, monkeypatch):
    _import_songs(qtbot, context, xmls)
    out = tmp_path / "o"
    out.mkdir()
    old = out / "363.csv"
    old.write_text("keep me", encoding="utf-8")
    dialog = ExportDialog(context)
    qtbot.addWidget(dialog)
    dialog.set_format("csv")
    dialog.folder_edit.setText(str(out))
    assert dialog.existing_targets() == [old]
    monkeypatch.setattr("app.annotations.export_dialog.confirm", lambda *a: False)
    run_export(qtbot, dialog)
    assert dialog.written == [] and old.read_text(encoding="utf-8") == "keep me"
    monkeypatch.setattr("app.annotations.export_dialog.confirm", lambda *a: True)
    run_export(qtbot, dialog)
    assert old in dialog.written and len(read_csv_table(old)) > 0
    dialog.result_box.close()


def test_export_predictions_above_threshold(qtbot, context, tmp_path, monkeypatch) -> None:
    import numpy as np

    project = context.project
    dialog = ExportDialog(context)
    qtbot.addWidget(dialog)
    assert not dialog.predictions_radio.isEnabled()  # no model yet
    cls = project.add_class("petrel")
    model = project.add_model("m1", tmp_path / "m1.keras", {}, {})
    rec = project.recordings()[0]
    scores = np.array([[0.1], [0.7], [0.8], [0.2], [0.9]], np.float32)
    project.put_predictions(model.id, rec.id, np.arange(5.0), [cls.id], scores)
    dialog = ExportDialog(context)
    qtbot.addWidget(dialog)
    dialog.predictions_radio.setChecked(True)
    assert not dialog.state_boxes[next(iter(dialog.state_boxes))].isEnabled()
    dialog.set_format("csv")
    dialog.folder_edit.setText(str(tmp_path / "det"))
    dialog.threshold_spin.setValue(0.6)
    run_export(qtbot, dialog)
    assert dialog.written == [tmp_path / "det" / f"{rec.path.stem}.csv"]
    rows = read_csv_table(dialog.written[0])
    # Windows 1, 2 and 4 reach 0.6; touching windows are joined, scored by the best one.
    assert [(a.start, a.end, a.label) for a in rows] == [(1.0, 6.0, "petrel")]
    assert rows[0].score == pytest.approx(0.9)
    dialog.result_box.close()
    dialog.merge_box.setChecked(False)
    monkeypatch.setattr("app.annotations.export_dialog.confirm", lambda *a: True)
    run_export(qtbot, dialog)
    rows = read_csv_table(dialog.written[0])
    assert [(a.start, a.end) for a in rows] == [(1.0, 3.0), (2.0, 4.0), (4.0, 6.0)]
    dialog.result_box.close()


def test_export_runs_off_the_gui_thread_and_can_be_cancelled(
    qtbot, context, xmls, tmp_path, monkeypatch
) -> None:
    """A season's labels are thousands of files: they are written in a background job with
    progress; Cancel stops it between files and leaves the dialog open, and nothing is
    reported as written."""
    import threading

    from model.annotations import exporter

    _import_songs(qtbot, context, xmls)
    threads: list[threading.Thread] = []
    go_on = threading.Event()
    real = exporter.write_table

    def slow_write(*args, **kwargs):
        threads.append(threading.current_thread())
        go_on.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(exporter, "write_table", slow_write)
    dialog = ExportDialog(context)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.folder_edit.setText(str(tmp_path / "out"))
    dialog.accept()
    job = dialog.job
    assert job is not None and not dialog.export_button.isEnabled()
    qtbot.waitUntil(lambda: len(threads) == 1)
    assert threads[0] is not threading.main_thread()
    with qtbot.waitSignal(job.cancelled, timeout=10_000):
        job.cancel()
        go_on.set()
    qtbot.waitUntil(lambda: dialog.job is None)
    assert len(threads) == 1  # stopped after the file it was writing
    assert dialog.isVisible() and dialog.written == [] and dialog.result_box is None
    assert dialog.export_button.isEnabled()
    assert len(list((tmp_path / "out").iterdir())) == 1  # the file it had begun
    monkeypatch.setattr("app.annotations.export_dialog.confirm", lambda *a: True)
    run_export(qtbot, dialog)  # and a second try runs to the end
    assert len(dialog.written) == 5 and not dialog.isVisible()
    dialog.result_box.close()


def test_actions(qtbot, context, xmls, monkeypatch, errors) -> None:
    monkeypatch.setattr(file_dialogs, "get_open_file_names", lambda *a: ([], ""))
    assert import_annotations_action(context) is None
    monkeypatch.setattr(file_dialogs, "get_open_file_names", lambda *a: ([str(xmls[0])], ""))
    dialog = import_annotations_action(context)
    qtbot.addWidget(dialog)
    assert dialog.isVisible() and dialog.sources[0].path == xmls[0]
    dialog.reject()
    export = export_action(context)
    qtbot.addWidget(export)
    assert export.isVisible()
    export.reject()
    empty = AppContext()
    assert import_annotations_action(empty) is None and export_action(empty) is None
    assert [title for title, _ in errors] == [
        "No project to import into",
        "No project to export from",
    ]
    for box in QApplication.topLevelWidgets():
        if box.objectName() == "sonotag-error":
            box.close()


def test_render_import_dialog(qtbot, context, xmls, bad_raven, output_dir) -> None:
    dialog = make_dialog(qtbot, context, [*xmls, bad_raven])
    dialog.default_class_edit.setText("song")
    dialog.frames_box.setChecked(True)
    dialog.refresh_preview()
    dialog.show()
    qtbot.waitExposed(dialog)
    path = output_dir / "import_dialog.png"
    assert dialog.grab().save(str(path))
    assert path.stat().st_size > 10_000


# ----------------------------------------------------------------- helpers
def _recordings_for(project: Project, paths: list[Path]):
    ids = by_stem(project)
    recordings = {r.id: r for r in project.recordings()}
    return [recordings[ids[p.stem]] for p in paths]


def _list_items(dialog: ImportDialog):
    return dialog.new_classes_list.items()


def _import_songs(qtbot, context, xmls) -> None:
    dialog = make_dialog(qtbot, context, xmls)
    dialog.default_class_edit.setText("song")
    dialog.accept()
    assert len(context.project.labels()) == 48
