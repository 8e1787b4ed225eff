"""The recordings list's Site column: shown, typed, set for the listed rows, sorted, filtered."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog

from app.project_panel import ProjectPanel
from app.recording_sites import SITE
from app.recordings_model import ID_ROLE, NAME, RecordingsModel
from model.project import Project
from tests.app.test_recordings_model import project  # noqa: F401 - the fixture


def test_sites_come_from_the_folders_and_a_typed_site_is_stored(
    qtbot,
    qtmodeltester,
    project: Project,  # noqa: F811
) -> None:
    model = RecordingsModel()
    model.set_project(project)
    qtmodeltester.check(model)
    assert model.headerData(SITE, Qt.Orientation.Horizontal) == "Site"
    sites = {model.index(r, NAME).data(): model.index(r, SITE).data() for r in range(4)}
    assert sites == {"b.wav": "south", "C.wav": "north", "a.wav": "south", "d.wav": "north"}
    cell = model.index(0, SITE)
    assert model.flags(cell) & Qt.ItemFlag.ItemIsEditable
    assert not model.flags(model.index(0, NAME)) & Qt.ItemFlag.ItemIsEditable
    rec_id = cell.data(ID_ROLE)
    with qtbot.waitSignal(model.dataChanged):
        assert model.setData(cell, "  Pond\tedge ")
    assert cell.data() == "Pond edge" and project.recording(rec_id).site == "Pond edge"
    assert project.recording(rec_id).site_source == "edited"
    assert not model.setData(cell, "Pond edge")  # the same site: nothing changed


def test_sorting_by_site_and_the_filter_finds_a_site(
    qtbot,
    project: Project,  # noqa: F811
) -> None:
    panel = ProjectPanel()
    qtbot.addWidget(panel)
    panel.set_project(project, None)
    panel.recordings_table.sortByColumn(SITE, Qt.SortOrder.AscendingOrder)
    proxy = panel.recordings_proxy
    shown = [proxy.index(r, SITE).data() for r in range(proxy.rowCount())]
    assert shown == ["north", "north", "south", "south"]
    north = [panel.recordings.recording_id(r) for r in range(2)]
    panel.set_site_of(north, "Hedge 3")
    panel.apply_filter("hedge")
    assert sorted(panel.visible_recording_ids()) == sorted(north)


def test_set_site_of_the_listed_recordings(qtbot, project: Project, monkeypatch) -> None:  # noqa: F811
    panel = ProjectPanel()
    qtbot.addWidget(panel)
    panel.set_project(project, None)
    panel.apply_filter("south")
    listed = panel.visible_recording_ids()
    assert len(listed) == 2
    asked: list[str] = []

    def answer(parent, title, label, text=""):
        asked.append(label)
        return "Wood edge", True

    monkeypatch.setattr(QInputDialog, "getText", answer)
    with qtbot.waitSignal(panel.sites_changed):
        panel.ask_site_of_listed()
    assert "2 recording(s) listed" in asked[0] and "filter" in asked[0]
    assert {project.recording(i).site for i in listed} == {"Wood edge"}
    assert dict(project.sites()) == {"north": 2, "Wood edge": 2}


def test_a_read_only_project_cannot_be_edited(qtbot, project: Project, tmp_path: Path) -> None:  # noqa: F811
    path = project.path
    project.close()
    with Project.open(path, read_only=True) as frozen:
        model = RecordingsModel()
        model.set_project(frozen)
        assert not model.flags(model.index(0, SITE)) & Qt.ItemFlag.ItemIsEditable
        assert not model.setData(model.index(0, SITE), "x")


def test_a_site_edit_is_undone_and_redone_in_the_window(qtbot, window, monkeypatch) -> None:
    """Typed in a cell or set for the listed rows, a site edit is one step of Edit ▸ Undo,
    like a label: the cell, the stored site and the activity (sites_changed) all follow."""
    panel, proj = window.panel, window.project
    model = panel.recordings
    cell = model.index(0, SITE)
    rec_id = cell.data(ID_ROLE)
    before = (proj.recording(rec_id).site, proj.recording(rec_id).site_source)
    assert model.setData(cell, "Pond")
    assert window.undo.undo_text == 'Set site "Pond" (1 recording)'
    with qtbot.waitSignal(panel.sites_changed):
        window.undo_edit()
    assert cell.data() == before[0]
    assert (proj.recording(rec_id).site, proj.recording(rec_id).site_source) == before
    with qtbot.waitSignal(panel.sites_changed):
        window.redo_edit()
    assert cell.data() == "Pond" and proj.recording(rec_id).site == "Pond"

    every = panel.visible_recording_ids()
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Wood", True))
    panel.ask_site_of_listed()
    assert {s for _, s in proj.recording_sites(every).items()} == {"Wood"}
    window.undo_edit()  # the whole list in one step
    assert proj.recording(rec_id).site == "Pond"
    assert model.site_of(rec_id) == "Pond"
