"""The import dialog counts labels that replace one already on the clip apart from new ones,
before (in its preview) and after the import (in the status bar), on the real pykanto layers."""

from __future__ import annotations

# The project and layer fixtures of the import/export dialog tests (a file near its size limit).
from tests.app.test_annotations_dialogs import (  # noqa: F401
    _import_songs,
    context,
    make_dialog,
    raw,
    xmls,
)


def test_reimport_counts_new_and_replaced_labels_apart(qtbot, context, xmls) -> None:  # noqa: F811
    project = context.project
    _import_songs(qtbot, context, xmls)  # 48 labels on a 1-s grid
    statuses: list[str] = []
    context.status.connect(statuses.append)
    dialog = make_dialog(qtbot, context, xmls)
    dialog.default_class_edit.setText("song")
    dialog.grid_spin.setValue(0.5)  # clips every 0.5 s: the whole-second ones exist already
    dialog.refresh_preview()
    song = project.class_by_name("song").id
    planned = dialog.preview.plan.labels
    there = sum(project.label_at(rec, a, b, song) is not None for rec, a, b, _n, _s in planned)
    new = len(planned) - there
    assert there > 0 and new > 0
    summary = dialog.summary_label.text()
    assert f"{len(planned)} clip label(s) to write" in summary
    assert f"{new} new, {there} replacing the clip's label." in summary
    dialog.keep_box.setChecked(True)  # the preview follows the tick at once
    assert f"{new} new, {there} already labelled, kept as they are." in dialog.summary_label.text()
    dialog.keep_box.setChecked(False)
    before = len(project.labels())
    dialog.accept()
    assert len(project.labels()) == before + new
    assert (dialog.written, dialog.added, dialog.replaced) == (len(planned), new, there)
    assert statuses[-1] == (
        f"Imported {len(planned)} clip label(s) from {len(xmls)} file(s): {new} new, "
        f"{there} replacing a label already on the clip"
    )
