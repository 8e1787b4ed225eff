"""The review dock: keys make labels, the clip is shown and played, counters follow undo."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.context import AppContext
from app.review_panel import ReviewPanel
from model.project import AddClass, LabelState, Project
from tests.model.test_review import make_review_project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    with make_review_project(tmp_path) as proj:
        yield proj


@pytest.fixture
def context(qtbot, project: Project) -> AppContext:
    ctx = AppContext()
    ctx.set_project(project)
    yield ctx
    ctx.jobs.wait_all()
    ctx.set_project(None)


class Calls:
    def __init__(self) -> None:
        self.shown: list[tuple[str, float, float]] = []
        self.played: list[tuple[str, float, float]] = []

    def show(self, recording, start: float, end: float) -> None:
        self.shown.append((recording.path.name, start, end))

    def play(self, recording, start: float, end: float) -> None:
        self.played.append((recording.path.name, start, end))


def open_panel(qtbot, context: AppContext, calls: Calls) -> ReviewPanel:
    panel = ReviewPanel(context, on_show=calls.show, on_play=calls.play)
    qtbot.addWidget(panel)
    panel.resize(420, 420)
    panel.show()
    qtbot.waitExposed(panel)
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow)
    return panel


def start(qtbot, panel: ReviewPanel, class_name: str, order: str, threshold: float) -> None:
    panel.class_combo.setCurrentIndex(panel.class_combo.findText(class_name))
    panel.order_combo.setCurrentIndex(panel.order_combo.findData(order))
    panel.threshold.setValue(threshold)
    with qtbot.waitSignal(panel.session_started, timeout=5000):
        qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert panel.start_button.isEnabled()  # a new queue can be built at any time


def test_keys_label_clips_show_and_play_them(
    qtbot, context: AppContext, project: Project, output_dir: Path
) -> None:
    calls = Calls()
    panel = open_panel(qtbot, context, calls)
    assert [panel.class_combo.itemText(i) for i in range(panel.class_combo.count())] == [
        "wren",
        "robin",
    ]
    assert not panel.buttons["accept"].isEnabled()
    qtbot.keyClick(panel, Qt.Key.Key_A)  # no review running: the key does nothing
    assert project.labels() == []

    start(qtbot, panel, "wren", "score", 0.5)
    assert calls.shown == [("a.wav", 8.0, 10.0)] and calls.played == calls.shown
    assert panel.progress_label.text() == "1 / 8 — accepted 0, rejected 0, uncertain 0, skipped 0"
    assert "score 0.99" in panel.clip_label.text() and "04:30:08" in panel.clip_label.text()

    wren = project.class_by_name("wren").id
    for key in (Qt.Key.Key_A, Qt.Key.Key_Z, Qt.Key.Key_U, Qt.Key.Key_S):
        qtbot.keyClick(panel, key)
    states = {(lb.recording_id, lb.start): lb.state for lb in project.labels(class_id=wren)}
    assert states == {
        (1, 8.0): LabelState.PRESENT,  # 0.99
        (1, 1.0): LabelState.ABSENT,  # 0.95
        (2, 4.0): LabelState.UNCERTAIN,  # 0.91; the 0.80 window at 2 s was skipped
    }
    assert panel.progress_label.text() == "5 / 8 — accepted 1, rejected 1, uncertain 1, skipped 1"
    assert calls.shown[1:] == [("a.wav", 1.0, 3.0), ("b.wav", 4.0, 6.0), ("a.wav", 2.0, 4.0),
                               ("b.wav", 0.0, 2.0)]  # fmt: skip

    qtbot.keyClick(panel, Qt.Key.Key_B)  # back to the skipped 0.80 window...
    assert calls.shown[-1] == ("a.wav", 2.0, 4.0) and "skipped before" in panel.clip_label.text()
    qtbot.keyClick(panel, Qt.Key.Key_A)  # ...and accept it after all
    assert project.label_at(1, 2.0, 4.0, wren).state is LabelState.PRESENT
    assert panel.progress_label.text() == "5 / 8 — accepted 2, rejected 1, uncertain 1, skipped 0"

    context.undo_stack.undo()  # Ctrl+Z in the main window: the counters follow
    assert project.label_at(1, 2.0, 4.0, wren) is None
    assert panel.progress_label.text() == "5 / 8 — accepted 1, rejected 1, uncertain 1, skipped 0"
    context.undo_stack.redo()

    played = len(calls.played)
    qtbot.keyClick(panel, Qt.Key.Key_P)
    assert len(calls.played) == played + 1 and calls.played[-1] == calls.shown[-1]
    panel.autoplay.setChecked(False)
    qtbot.keyClick(panel, Qt.Key.Key_S)
    assert len(calls.played) == played + 1 and len(calls.shown) == 8
    qtbot.wait(20)  # let the layout settle before the picture
    panel.grab().save(str(output_dir / "review_panel.png"))

    for _ in range(3):
        qtbot.mouseClick(panel.buttons["reject"], Qt.MouseButton.LeftButton)
    assert panel.session.finished
    assert "Review done: 7 clips labelled" in panel.clip_label.text()
    assert not panel.buttons["reject"].isEnabled()
    assert len(project.labels(class_id=wren)) == 7


def test_uncertainty_order_and_a_class_with_nothing_to_review(
    qtbot, context: AppContext, project: Project
) -> None:
    calls = Calls()
    panel = open_panel(qtbot, context, calls)
    start(qtbot, panel, "wren", "uncertainty", 0.5)
    assert [round(i.score, 2) for i in panel.session.items[:2]] == [0.52, 0.48]
    assert calls.shown == [("b.wav", 1.0, 3.0)]
    robin = project.class_by_name("robin").id
    project.put_label(2, 3.0, 5.0, robin, LabelState.PRESENT)  # robin's only window >= 0.96
    start(qtbot, panel, "robin", "score", 0.96)
    assert len(panel.session) == 0 and "Nothing to review" in panel.clip_label.text()
    assert not panel.buttons["accept"].isEnabled()


def test_new_project_resets_the_review(qtbot, context: AppContext, tmp_path: Path) -> None:
    panel = open_panel(qtbot, context, Calls())
    start(qtbot, panel, "wren", "score", 0.5)
    context.undo_stack.push(AddClass("owl"))
    assert panel.class_combo.findText("owl") >= 0  # classes follow edits
    with Project.create(tmp_path / "other.sonotag") as other:
        context.set_project(other)
        assert panel.session is None and panel.class_combo.count() == 0
        assert not panel.start_button.isEnabled()


def test_the_clip_under_review_names_the_boxes_drawn_in_it(
    qtbot, context: AppContext, project: Project
) -> None:
    """The 0.99 window (a.wav 8-10 s) holds a robin box; wren is reviewed, and the box (of
    another class, so the window stays in the queue) is named with its band."""
    robin = project.class_by_name("robin")
    project.add_box(1, 8.2, 8.9, 2500.0, 4100.0, robin.id, LabelState.UNCERTAIN)
    project.add_box(1, 12.0, 13.0, 2500.0, 4100.0, robin.id)  # not in that clip
    panel = open_panel(qtbot, context, Calls())
    start(qtbot, panel, "wren", "score", 0.5)
    text = panel.clip_label.text()
    assert "score 0.99" in text and "boxes here: ? robin 2.5–4.1 kHz" in text
    assert text.count("robin") == 1


def test_deleting_the_class_under_review_ends_the_review(
    qtbot, context: AppContext, project: Project
) -> None:
    """Found by the soak test: the review went on with a deleted class's id, and the next key
    raised "change refused" out of the key's slot."""
    from model.project import DeleteClass

    panel = open_panel(qtbot, context, Calls())
    start(qtbot, panel, "wren", "score", 0.5)
    wren = project.class_by_name("wren").id
    context.undo_stack.push(DeleteClass(wren))
    assert panel.session is None
    assert "deleted" in panel.clip_label.text()
    assert not panel.buttons["accept"].isEnabled()
    qtbot.keyClick(panel, Qt.Key.Key_A)  # nothing under review: nothing happens
    assert project.labels() == []
    context.undo_stack.undo()  # the class is back; a new review can start
    start(qtbot, panel, "wren", "score", 0.5)
