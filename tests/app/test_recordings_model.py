"""The recordings model/view: one row per recording, updated row by row, never rebuilt."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.project_panel import ProjectPanel
from app.recordings_filter import RecordingsFilter
from app.recordings_model import (
    ID_ROLE,
    LABELLED,
    LABELS,
    OLD_MODEL,
    PREDICTIONS,
    RecordingsModel,
)
from model.project import LabelState, Project, SetLabel, UndoStack
from tests.model.project.conftest import FakeInfo

NAMES = ["b.wav", "C.wav", "a.wav", "d.wav"]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    with Project.create(tmp_path / "p.sonotag") as project:
        for i, name in enumerate(NAMES):
            folder = tmp_path / ("north" if i % 2 else "south")
            folder.mkdir(exist_ok=True)
            (folder / name).write_bytes(b"")  # present; the audio itself is not read here
            project.add_recording(
                folder / name, FakeInfo(duration=[30.0, 5.0, 90.0, 5.0][i]), f"f{i}"
            )
        project.add_class("tit")
        yield project


def column(model, c: int) -> list:
    return [model.index(r, c).data() for r in range(model.rowCount())]


class Spy:
    """Every structural signal of a model, to prove what an update did not do."""

    def __init__(self, model) -> None:
        self.events: list[tuple] = []
        model.modelReset.connect(lambda: self.events.append(("reset",)))
        model.layoutChanged.connect(lambda *_: self.events.append(("layout",)))
        model.rowsInserted.connect(lambda _p, a, b: self.events.append(("insert", a, b)))
        model.dataChanged.connect(
            lambda tl, br, _roles: self.events.append(("data", tl.row(), br.row(), tl.column()))
        )


def test_the_model_passes_qts_consistency_checks(qtmodeltester, project: Project) -> None:
    model = RecordingsModel()
    model.set_project(project)
    qtmodeltester.check(model)
    proxy = RecordingsFilter(model)
    proxy.set_words("north")
    qtmodeltester.check(proxy)


def test_a_label_edit_updates_one_row(qtbot, project: Project) -> None:
    panel = ProjectPanel()
    qtbot.addWidget(panel)
    undo = UndoStack(project)
    panel.set_project(project, undo)
    model = panel.recordings
    spy = Spy(model)
    rec = project.recording_columns().ids[1]
    undo.push(SetLabel(int(rec), 0, 2, 1, LabelState.PRESENT))
    panel.refresh_counts(undo.last_touched)
    row = model.row_of(int(rec))
    assert spy.events == [("data", row, row, LABELS), ("data", row, row, LABELLED)]
    assert model.index(row, LABELS).data() == "1" and model.counts_of(int(rec)) == (1, 0)
    duration = project.recording(int(rec)).duration
    assert model.index(row, LABELLED).data() == f"{min(2.0 / duration, 1.0):.0%}"
    undo.undo()
    panel.refresh_counts(undo.last_touched)
    assert model.index(row, LABELS).data() == "0" and model.index(row, LABELLED).data() == "0%"
    panel.refresh_counts(frozenset({int(rec)}))  # nothing changed: no signal
    assert len(spy.events) == 4


def test_new_recordings_are_inserted_and_nothing_new_costs_nothing(
    qtbot, project: Project, tmp_path: Path
) -> None:
    panel = ProjectPanel()
    qtbot.addWidget(panel)
    panel.set_project(project, UndoStack(project))
    spy = Spy(panel.recordings)
    assert panel.refresh() == []
    assert [e for e in spy.events if e[0] != "data"] == []  # no reset, no layout, no rows
    new = project.add_recording(tmp_path / "south" / "e.wav", FakeInfo(), "f9")
    project.put_label(new.id, 0, 2, 1, "present")
    assert panel.refresh() == [new.id]
    assert ("insert", 4, 4) in spy.events and ("reset",) not in spy.events
    assert column(panel.recordings_proxy, 0)[-1] == "e.wav"  # added last: shown last
    assert panel.recordings.counts_of(new.id) == (1, 0)


def test_sorting_by_each_column_keeps_the_selection(qtbot, project: Project) -> None:
    panel = ProjectPanel()
    qtbot.addWidget(panel)
    panel.set_project(project, UndoStack(project))
    view, proxy = panel.recordings_table, panel.recordings_proxy
    # A→Z by name (any case) from the start, as a file browser lists files
    assert view.horizontalHeader().sortIndicatorSection() == 0
    assert column(proxy, 0) == ["a.wav", "b.wav", "C.wav", "d.wav"] != NAMES
    chosen = project.recording_columns().ids[2]  # a.wav
    with qtbot.waitSignal(panel.recording_selected):
        panel.select_recording(int(chosen))
    view.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    assert column(proxy, 1) == ["1:30", "30.0 s", "5.0 s", "5.0 s"]
    assert column(proxy, 0)[2:] == ["C.wav", "d.wav"]  # equal durations: order added
    assert panel.current_recording_id() == chosen
    view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert column(proxy, 0) == ["d.wav", "C.wav", "b.wav", "a.wav"]
    assert panel.current_recording_id() == chosen


def test_a_count_change_moves_its_row_when_sorted_by_counts(qtbot, project: Project) -> None:
    panel = ProjectPanel()
    qtbot.addWidget(panel)
    undo = UndoStack(project)
    panel.set_project(project, undo)
    panel.recordings_table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    d = int(project.recording_columns().ids[3])
    undo.push(SetLabel(d, 0, 2, 1, "present"))
    panel.refresh_counts(undo.last_touched)
    assert column(panel.recordings_proxy, 0)[0] == "d.wav"
    assert column(panel.recordings_proxy, 2) == ["1", "0", "0", "0"]


def test_scored_counts_follow_scoring_and_the_active_model(
    qtbot, project: Project, tmp_path: Path
) -> None:
    panel = ProjectPanel()
    qtbot.addWidget(panel)
    panel.set_project(project, UndoStack(project))
    ids = project.recording_columns().ids.tolist()
    first = project.add_model("one", tmp_path / "one.keras", {}, {})
    project.put_predictions(first.id, ids[0], np.arange(4.0), [1], np.zeros((4, 1), np.float32))
    panel.refresh_scores(frozenset({ids[0]}))
    assert panel.recordings.counts_of(ids[0]) == (0, 4)
    project.add_model("two", tmp_path / "two.keras", {}, {})  # now active, nothing scored
    panel.refresh_scores(None)
    assert panel.recordings.counts_of(ids[0]) == (0, 0)
    # scored by the earlier model only: it says so, instead of a 0 that reads as "nothing heard"
    model = panel.recordings
    row = model.row_of(ids[0])
    assert model.index(row, PREDICTIONS).data() == OLD_MODEL
    assert "earlier model" in model.index(row, PREDICTIONS).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(model.row_of(ids[1]), PREDICTIONS).data() == "0"  # never scored
    project.set_active_model(first.id)
    panel.refresh_scores(None)
    assert model.index(row, PREDICTIONS).data() == "4"


def test_missing_files_are_marked_on_the_rows_shown(
    qtbot, project: Project, tmp_path: Path
) -> None:
    panel = ProjectPanel()
    qtbot.addWidget(panel)
    panel.set_project(project, UndoStack(project))
    (tmp_path / "north" / "C.wav").unlink()
    panel.refresh()  # e.g. after Add Folder: marks are checked again
    proxy = panel.recordings_proxy
    row = column(proxy, 0).index("C.wav")
    index = proxy.index(row, 0)
    assert index.data(Qt.ItemDataRole.ForegroundRole) is not None
    assert "file missing" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert str(tmp_path / "north" / "C.wav") in index.data(Qt.ItemDataRole.ToolTipRole)
    other = proxy.index(column(proxy, 0).index("a.wav"), 0)
    assert other.data(Qt.ItemDataRole.ForegroundRole) is None


def test_filter_keeps_the_chosen_recording(qtbot, project: Project) -> None:
    panel = ProjectPanel()
    qtbot.addWidget(panel)
    panel.set_project(project, UndoStack(project))
    b = int(project.recording_columns().ids[0])  # b.wav, in south/
    panel.select_recording(b)
    panel.apply_filter("north")
    assert column(panel.recordings_proxy, 0) == ["C.wav", "d.wav"]
    assert panel.current_recording_id() is None
    panel.apply_filter("")
    assert panel.current_recording_id() == b  # back, still selected
    panel.apply_filter("south b")
    assert [panel.recordings_proxy.index(0, 0).data(ID_ROLE)] == [b]
    assert panel.visible_recording_ids() == [b]


def test_a_hidden_recording_can_still_be_chosen(qtbot, project: Project) -> None:
    panel = ProjectPanel()
    qtbot.addWidget(panel)
    panel.set_project(project, UndoStack(project))
    panel.apply_filter("north")
    b = int(project.recording_columns().ids[0])
    with qtbot.waitSignal(panel.recording_selected) as signal:
        assert panel.select_recording(b)
    assert signal.args == [b]
    assert not panel.select_recording(999)


def test_a_name_that_is_not_utf8_is_shown_not_dropped(
    qtbot, project: Project, tmp_path: Path
) -> None:
    import os

    odd = tmp_path / os.fsdecode(b"caf\xe9.wav")  # a Latin-1 name from an old card
    odd.write_bytes(b"")
    rec = project.add_recording(odd, FakeInfo(), "f-odd")
    panel = ProjectPanel()
    qtbot.addWidget(panel)
    panel.set_project(project, UndoStack(project))
    panel.apply_filter("caf")
    index = panel.recordings_proxy.index(0, 0)
    assert index.data() == "caf\ufffd.wav" and index.data(ID_ROLE) == rec.id
    assert index.data(Qt.ItemDataRole.ForegroundRole) is None  # the file is found
    assert project.recording_path_texts() >= {str(odd)}


def test_labelled_figures_are_read_for_the_rows_shown_not_all_at_opening(
    qtbot, project: Project, monkeypatch
) -> None:
    """Opening read every recording's labelled share in one pass over every label (0.3-0.8 s
    at 100,000 recordings before the window could paint); now a row's figure is read when it
    is shown (with the rows below it), and all of them only to sort by the column."""
    ids = [int(i) for i in project.recording_columns().ids]
    project.put_label(ids[2], 0, 2, 1, "present")
    asked: list[object] = []
    real = project.labelled_ms
    monkeypatch.setattr(
        project, "labelled_ms", lambda recording_ids=None: asked.append(
            None if recording_ids is None else sorted(recording_ids)
        ) or real(recording_ids),
    )  # fmt: skip
    model = RecordingsModel()
    model.set_project(project)
    assert asked == []
    row = model.row_of(ids[2])
    assert model.index(row, LABELLED).data() == f"{2.0 / 90.0:.0%}"
    assert asked == [sorted(model.recording_id(r) for r in range(row, model.rowCount()))]
    assert model.index(model.rowCount() - 1, LABELLED).data() == "0%"  # read with it
    assert len(asked) == 1
    model.sort(LABELLED, Qt.SortOrder.DescendingOrder)
    assert asked[-1] is None and model.recording_id(0) == ids[2]
