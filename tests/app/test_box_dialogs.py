"""The import and export dialogs with time-frequency boxes, on the real pykanto recordings and
their Sonic Visualiser box layers: bands kept as boxes by default, one undo step, nothing
added twice, and the export writing the bands back out (Sonic Visualiser, Raven)."""

from __future__ import annotations

import pytest

from app.annotations import ExportDialog
from model.annotations import read_annotations, read_raven
from model.annotations.sonic_visualiser import read_sonic_visualiser

# The project and layer fixtures of the import/export dialog tests.
from tests.app.test_annotations_dialogs import (  # noqa: F401
    by_stem,
    context,
    make_dialog,
    raw,
    run_export,
    xmls,
)


@pytest.fixture(autouse=True)
def no_modal_questions(monkeypatch) -> None:
    def unexpected(*args: object) -> bool:
        raise AssertionError(f"unexpected confirmation asked: {args[1:]}")

    monkeypatch.setattr("app.annotations.export_dialog.confirm", unexpected)


def _import_boxes(qtbot, context, xmls):  # noqa: F811
    dialog = make_dialog(qtbot, context, xmls, keep_boxes=True)
    dialog.default_class_edit.setText("song")
    dialog.refresh_preview()
    return dialog


def test_bands_become_boxes_in_one_undo_step(qtbot, context, xmls) -> None:  # noqa: F811
    project, stack = context.project, context.undo_stack
    statuses: list[str] = []
    context.status.connect(statuses.append)
    dialog = _import_boxes(qtbot, context, xmls)
    assert (dialog.labels_to_write(), dialog.boxes_to_write()) == (0, 18)
    assert "0 clip label(s) and 18 box(es) to write in 5 recording(s)" in (
        dialog.summary_label.text()
    )
    assert "kept as time–frequency boxes" in dialog.rule_label.text()
    dialog.accept()
    assert (dialog.written, dialog.boxes_written) == (0, 18)
    assert statuses[-1].startswith("Imported 0 clip label(s) and 18 box(es) from 5 file(s)")
    assert len(project.boxes()) == 18 and project.labels() == []
    petrel = by_stem(project)["XC46092"]
    rows = read_annotations(next(p for p in xmls if p.stem == "XC46092"))
    stored = [(b.start, b.low_hz, b.high_hz) for b in project.boxes(recording_id=petrel)]
    assert stored == sorted((a.start, a.low_hz, a.high_hz) for a in rows)
    assert stack.undo_text == "Import 0 labels and 18 boxes"
    stack.undo()
    assert project.boxes() == [] and project.classes() == []
    stack.redo()
    assert len(project.boxes()) == 18


def test_importing_the_same_boxes_again_adds_none(qtbot, context, xmls) -> None:  # noqa: F811
    _import_boxes(qtbot, context, xmls).accept()
    again = _import_boxes(qtbot, context, xmls)
    assert "18 box(es) are in the project already" in again.summary_label.text()
    assert not again.import_button.isEnabled()
    assert len(context.project.boxes()) == 18


def test_export_dialog_writes_the_boxes_bands(qtbot, context, xmls, tmp_path) -> None:  # noqa: F811
    project = context.project
    _import_boxes(qtbot, context, xmls).accept()
    dialog = ExportDialog(context)
    qtbot.addWidget(dialog)
    dialog.set_format("sonic_visualiser")
    assert not dialog.one_table_radio.isEnabled() and dialog.per_recording
    dialog.folder_edit.setText(str(tmp_path / "sv"))
    run_export(qtbot, dialog)
    assert len(dialog.written) == 5 and {p.suffix for p in dialog.written} == {".svl"}
    for rec in project.recordings():
        layer = tmp_path / "sv" / f"{rec.path.stem}.svl"
        back = read_sonic_visualiser(layer, sample_rate=rec.sample_rate)
        want = [(b.low_hz, b.high_hz) for b in project.boxes(recording_id=rec.id)]
        assert [(a.low_hz, a.high_hz) for a in back] == [pytest.approx(w, abs=1e-3) for w in want]
    dialog.result_box.close()

    dialog = ExportDialog(context)
    qtbot.addWidget(dialog)
    dialog.folder_edit.setText(str(tmp_path / "raven"))
    dialog.clips_box.setChecked(False)
    dialog.boxes_box.setChecked(False)
    assert not dialog.export_button.isEnabled()  # nothing chosen to export
    dialog.boxes_box.setChecked(True)
    run_export(qtbot, dialog)
    petrel = by_stem(project)["XC46092"]
    table = tmp_path / "raven" / "XC46092.Table.1.selections.txt"
    rows = read_raven(table)
    want = [(b.start, b.end, b.low_hz, b.high_hz) for b in project.boxes(recording_id=petrel)]
    assert [(a.start, a.end, a.low_hz, a.high_hz) for a in rows] == [
        pytest.approx(w, abs=1e-3) for w in want
    ]
    dialog.result_box.close()
