"""The Explorer panel on a saved map of real recordings: lasso -> one undoable bulk label,
gallery ticks, click -> main view, find similar -> review queue, every colouring."""

from __future__ import annotations

import numpy as np
import pytest

from app.context import AppContext
from app.explorer.colours import ColourBy
from app.explorer.panel import ExplorerPanel
from app.review_panel import ReviewPanel
from model.explore.table import PRESENT, label_codes
from model.project import LabelState, Project
from tests.app.explorer.conftest import Calls, open_panel, rectangle, write_map


def test_saved_map_opens_with_every_clip(qtbot, context: AppContext, project: Project) -> None:
    clip_map = write_map(project)
    panel, _ = open_panel(qtbot, context, Calls())
    assert len(panel.map) == len(clip_map)
    assert panel.view.point_count() == len(clip_map)
    assert "clusters" in panel.tools.status.text()
    for mode in ColourBy:  # every colouring draws every point
        panel.top.colour_by.setCurrentIndex(panel.top.colour_by.findData(mode))
        assert panel.view.point_count() == len(clip_map)
        assert panel.legend.text()


def test_lasso_labels_the_ticked_clips_in_one_undo_step(
    qtbot, context: AppContext, project: Project
) -> None:
    clip_map = write_map(project)
    panel, _ = open_panel(qtbot, context, Calls())
    first = int(clip_map.recording_ids.min())
    panel.view.box.dragged.emit(rectangle(-4, 4), False)  # the first recording's blob
    rows = np.flatnonzero(panel.selection)
    assert set(clip_map.recording_ids[rows].tolist()) == {first}
    assert len(rows) == int((clip_map.recording_ids == first).sum())
    assert panel.gallery.count() == len(rows)
    # Untick one cell: it is left out of the label.
    item = panel.gallery.item(0)
    from PySide6.QtCore import Qt

    item.setCheckState(Qt.CheckState.Unchecked)
    assert "1 unticked" in panel.actions_row.count.text()
    panel.actions_row.present.click()
    codes = label_codes(project, clip_map.grid, [panel.class_id])[:, 0]
    labelled = np.flatnonzero(codes == PRESENT)
    assert set(labelled.tolist()) >= set(rows[1:].tolist())
    assert len(project.labels()) == len(rows) - 1
    assert (panel.codes == PRESENT).sum() == len(labelled)  # the map follows at once
    context.undo_stack.undo()
    assert project.labels() == []
    assert (panel.codes == PRESENT).sum() == 0


def test_shift_adds_and_click_shows_the_clip(qtbot, context: AppContext, project: Project) -> None:
    clip_map = write_map(project)
    calls = Calls()
    panel, _ = open_panel(qtbot, context, calls)
    panel.view.box.dragged.emit(rectangle(-4, 4), False)
    before = int(panel.selection.sum())
    panel.view.box.dragged.emit(rectangle(6, 14), True)
    assert int(panel.selection.sum()) > before
    row = int(np.flatnonzero(clip_map.recording_ids == clip_map.recording_ids.max())[3])
    panel.view.clip_clicked.emit(row, False)
    assert np.flatnonzero(panel.selection).tolist() == [row]
    rid, start = int(clip_map.recording_ids[row]), float(clip_map.starts[row])
    assert calls.shown[-1] == (rid, start, round(start + clip_map.clip_seconds, 3))


def test_find_similar_becomes_a_review_queue(qtbot, context: AppContext, project: Project) -> None:
    clip_map = write_map(project)
    panel, review = open_panel(qtbot, context, Calls())
    target = int(clip_map.recording_ids.min())
    row = int(np.flatnonzero(clip_map.recording_ids == target)[0])
    panel.view.clip_clicked.emit(row, False)
    panel.actions_row.k.setValue(5)
    panel.actions_row.similar.click()
    session = review.session
    assert session is not None and len(session) == 5
    assert all(item.recording_id == target for item in session.items)  # its own recording
    assert "similarity" in review.clip_label.text()
    scores = [item.score for item in session.items]
    assert scores == sorted(scores, reverse=True)
    review.decide("accept")  # A: an ordinary label of the panel's class
    first = session.items[0]
    label = project.label_at(first.recording_id, first.start, first.end, panel.class_id)
    assert label is not None and label.state is LabelState.PRESENT


def test_no_map_says_how_to_make_one(qtbot, context: AppContext, project: Project) -> None:
    review = ReviewPanel(context)
    panel = ExplorerPanel(context, review=review)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: "Compute map" in panel.tools.status.text(), timeout=10_000)
    assert panel.map is None and panel.top.compute.isEnabled()
    assert not panel.actions_row.present.isEnabled()


def test_gallery_and_hover_get_pictures(qtbot, context: AppContext, project: Project) -> None:
    clip_map = write_map(project)
    panel, _ = open_panel(qtbot, context, Calls())
    panel.view.box.dragged.emit(rectangle(16, 24), False)  # the finch recording's clips
    rows = panel.gallery.rows()
    assert rows
    qtbot.waitUntil(lambda: all(r in panel.pictures for r in rows), timeout=30_000)
    assert all(isinstance(panel.pictures[r], np.ndarray) for r in rows)
    assert panel.pictures[rows[0]].shape == (112, 112, 3)
    panel.view.clip_hovered.emit(rows[0])  # already made: shown at once
    assert panel.preview.pixmap() is not None and not panel.preview.pixmap().isNull()
    assert len(clip_map) > len(rows)


def test_main_window_has_the_explorer_on_f11(qtbot, prefs, fake_output, project: Project) -> None:
    from tests.app.conftest import make_window

    write_map(project)
    path = project.path
    project.close()
    window = make_window(qtbot, prefs, fake_output)
    window.open_project(path)
    explorer = window.panels.explorer
    toggle = explorer.toggleViewAction()
    assert toggle.shortcut().toString() == "F11"
    assert ("View", "F11", "show / hide the Explorer panel") in window.shortcut_rows()
    toggle.trigger()
    qtbot.waitUntil(lambda: explorer.map is not None, timeout=10_000)
    row = int(np.flatnonzero(explorer.map.recording_ids == explorer.map.recording_ids.max())[2])
    explorer.view.clip_clicked.emit(row, False)
    assert window.recording.id == int(explorer.map.recording_ids[row])
    clip = window.labelling.selection.clip
    assert clip is not None and abs(clip.start - float(explorer.map.starts[row])) < 1e-6
    # The clip selected in the main view is ringed on the map.
    moved = window.labelling.selection.move(1)
    ringed = explorer.map.index_of(window.recording.id, moved.start)
    assert ringed is not None and ringed != row
    assert len(explorer.view.current.data) == 1
    assert explorer.view.current.data[0]["x"] == pytest.approx(explorer.map.coords[ringed, 0])
    # "Recordings listed": the project list's filter decides which clips the map shows.
    explorer.view.box.dragged.emit(rectangle(-100, 100), False)
    assert explorer.selection.all()
    explorer.top.scope.setCurrentIndex(explorer.top.scope.findData("listed"))
    window.panel.apply_filter("XC663885")
    listed = explorer.visible()
    only = next(r.id for r in window.project.recordings() if r.path.name == "XC663885.wav")
    assert set(explorer.map.recording_ids[listed].tolist()) == {only}
    assert explorer.view.point_count() == int(listed.sum())
    assert np.array_equal(explorer.selection, listed)  # hidden clips left the selection


def test_compute_runs_in_the_worker_and_reloads(qtbot, context: AppContext, project: Project):
    """Compute map with every clip already mapped: the worker process finds nothing to do
    (no backbone, no UMAP) and the panel reads the map again; progress bar and Cancel follow."""
    write_map(project)
    panel, _ = open_panel(qtbot, context, Calls())
    loaded = []
    panel.top.compute.click()
    assert not panel.top.compute.isEnabled() and panel.top.cancel.isEnabled()
    job = panel._compute_job
    job.finished.connect(loaded.append)
    qtbot.waitUntil(lambda: panel._compute_job is None, timeout=120_000)
    assert loaded and loaded[0]["summary"]["mode"] == "unchanged"
    assert panel.top.compute.isEnabled() and not panel.top.cancel.isEnabled()
    qtbot.waitUntil(lambda: panel._open_job is None and panel.map is not None, timeout=10_000)
    context.jobs.shutdown()
