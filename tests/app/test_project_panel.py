"""The project panel: recordings with their counts and filter, classes and their editing."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app import dialogs
from app.project_panel import format_duration
from app.recordings_model import DURATION, LABELS, PREDICTIONS
from model.project import Project
from tests.app.conftest import click_at


def shown_names(panel) -> list[str]:
    """File names in the order the view shows them (through the filter proxy)."""
    model = panel.recordings_table.model()
    return [model.index(row, 0).data() for row in range(model.rowCount())]


def table_rows(panel) -> dict[str, tuple[str, str, str]]:
    model = panel.recordings_table.model()
    return {
        model.index(row, 0).data(): tuple(
            model.index(row, c).data() for c in (DURATION, LABELS, PREDICTIONS)
        )
        for row in range(model.rowCount())
    }


def test_format_duration() -> None:
    assert format_duration(0.98) == "1.0 s"
    assert format_duration(60.0) == "1:00"
    assert format_duration(3725.0) == "1:02:05"


def _stored_count(window, name: str) -> str:
    rec = next(r for r in window.project.recordings() if r.path.name == name)
    return str(len(window.project.labels(recording_id=rec.id)))


def test_recordings_show_duration_and_counts(window) -> None:
    rows = table_rows(window.panel)
    tit, finch = "B32_20210415_050630.flac", "bengalese_finch_363.flac"
    assert rows[tit] == ("1:00", _stored_count(window, tit), "0")
    assert rows[finch] == ("21.0 s", _stored_count(window, finch), "0")
    assert int(rows[tit][1]) > 0 and int(rows[finch][1]) > 0
    assert rows["20210502_040000.WAV"] == ("1.0 s", "0", "0")


def test_label_counts_follow_edits_and_undo(qtbot, window) -> None:
    name = "B32_20210415_050630.flac"
    before = int(table_rows(window.panel)[name][1])
    click_at(qtbot, window, 5.0)
    qtbot.keyClick(window.spectrogram, Qt.Key.Key_1)
    assert int(table_rows(window.panel)[name][1]) == before + 1
    window.undo_edit()
    assert int(table_rows(window.panel)[name][1]) == before


def test_number_columns_are_sized_once_not_measured_at_every_edit(qtbot, window) -> None:
    """Columns that fit their contents (ResizeToContents) measure every row on screen again at
    each count change: half of a label key-press at 100,000 recordings (bench_scale), and the
    name column jumping while labelling. The number columns are sized once, wide enough for
    their widest likely value, and keep their width through edits."""
    from PySide6.QtWidgets import QHeaderView

    from app.recordings_model import WIDEST

    table = window.panel.recordings_table
    header = table.horizontalHeader()
    metrics = table.fontMetrics()
    for column, widest in WIDEST.items():
        assert header.sectionResizeMode(column) == QHeaderView.ResizeMode.Interactive
        assert header.sectionSize(column) >= metrics.horizontalAdvance(widest)
        assert header.sectionSize(column) >= header.sectionSizeHint(column)
    widths = [header.sectionSize(c) for c in range(header.count())]
    click_at(qtbot, window, 5.0)
    for key in (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_Right, Qt.Key.Key_1):
        qtbot.keyClick(window.spectrogram, key)
    qtbot.wait(20)
    assert [header.sectionSize(c) for c in range(header.count())] == widths


def test_filter_box_hides_non_matching_recordings(qtbot, window) -> None:
    panel = window.panel
    qtbot.keyClicks(panel.filter_box, "finch")
    qtbot.waitUntil(lambda: len(shown_names(panel)) == 2)  # typing settles, then it filters
    assert shown_names(panel) == ["bengalese_finch_348.flac", "bengalese_finch_363.flac"]
    assert panel.recordings_title.text() == "<b>Recordings</b> (2 of 4)"
    panel.apply_filter("FINCH 363")  # every word, any case
    assert shown_names(panel) == ["bengalese_finch_363.flac"]
    assert panel.recordings_title.text() == "<b>Recordings</b> (1 of 4)"
    panel.apply_filter("demo audio")  # the folder counts too
    assert len(shown_names(panel)) == 4
    panel.filter_box.clear()
    qtbot.waitUntil(lambda: len(panel.visible_recording_ids()) == 4)
    assert panel.recordings_title.text() == "<b>Recordings</b> (4)"


def test_choosing_a_recording_shows_it(qtbot, window) -> None:
    rec = next(r for r in window.project.recordings() if r.path.name.startswith("bengalese"))
    with qtbot.waitSignal(window.context.recording_changed):
        window.panel.select_recording(rec.id)
    assert window.recording.id == rec.id
    assert window.spectrogram.info().duration == rec.duration
    assert len(window.overlay.labels()) == len(window.project.labels(recording_id=rec.id))


def test_classes_are_listed_with_colour_and_key(window) -> None:
    tree = window.panel.class_tree
    rows = [(tree.topLevelItem(i).text(0), tree.topLevelItem(i).text(1)) for i in range(3)]
    assert rows == [("Great tit", "1"), ("Bengalese finch", "2"), ("Noise", "3")]
    assert not tree.topLevelItem(0).icon(0).isNull()


def test_add_rename_recolour_rekey_class(qtbot, window) -> None:
    panel = window.panel
    added = panel.add_class("Storm petrel")
    assert added is not None and added.shortcut == "4"  # next free key
    assert panel.rename_class(added.id, "European storm petrel")
    assert panel.recolour_class(added.id, "#123456")
    assert panel.set_class_shortcut(added.id, "9")
    with Project.open(window.project.path, read_only=True) as project:
        stored = project.label_class(added.id)
    assert (stored.name, stored.colour, stored.shortcut) == (
        "European storm petrel",
        "#123456",
        "9",
    )
    # The new key labels at once, and the list shows the new state.
    click_at(qtbot, window, 5.0)
    qtbot.keyClick(window.spectrogram, Qt.Key.Key_9)
    assert window.project.labels(class_id=added.id)
    names = [panel.class_tree.topLevelItem(i).text(0) for i in range(4)]
    assert names[-1] == "European storm petrel"


def test_rename_by_editing_the_list_item(window) -> None:
    item = window.panel.class_tree.topLevelItem(2)
    item.setText(0, "Wind noise")
    assert window.project.label_class(3).name == "Wind noise"
    window.undo_edit()
    assert window.project.label_class(3).name == "Noise"


def test_bad_class_edits_are_reported_and_change_nothing(window, errors) -> None:
    assert window.panel.add_class("great tit") is None  # names are case-insensitive
    assert window.panel.set_class_shortcut(2, "1") is False  # key taken by Great tit
    assert [title for title, _ in errors] == ["Could not add the class", "Could not change the key"]
    assert "already has a class" in errors[0][1] and str(window.project.path) in errors[0][1]
    assert 'key "1" is already used by "Great tit"' in errors[1][1]
    assert [c.name for c in window.project.classes()] == ["Great tit", "Bengalese finch", "Noise"]


def test_delete_class_asks_first_and_undo_brings_labels_back(qtbot, window, monkeypatch) -> None:
    panel = window.panel
    panel.select_class(1)
    n_labels = len(window.project.labels(class_id=1))
    questions = []

    def answer(reply):
        def ask(parent, title, question):
            questions.append(question)
            return reply

        return ask

    monkeypatch.setattr(dialogs, "confirm", answer(False))
    panel.ask_delete_class()
    assert window.project.label_class(1).name == "Great tit"
    assert f"and its {n_labels} label(s)" in questions[0]

    monkeypatch.setattr(dialogs, "confirm", answer(True))
    panel.ask_delete_class()
    assert [c.name for c in window.project.classes()] == ["Bengalese finch", "Noise"]
    assert window.project.labels(class_id=1) == []
    assert window.overlay.labels() == []  # the great tit bands are gone from the picture
    assert panel.class_tree.topLevelItemCount() == 2

    window.undo_edit()
    assert len(window.project.labels(class_id=1)) == n_labels
    assert panel.class_tree.topLevelItem(0).text(0) == "Great tit"
    assert len(window.overlay.labels()) == n_labels


def test_key_dialog_moves_or_swaps_a_taken_key_in_one_undo_step(window, monkeypatch) -> None:
    from PySide6.QtWidgets import QInputDialog

    panel, project = window.panel, window.project
    petrel = panel.add_class("Storm petrel", shortcut="")  # no key of its own
    offered: list[list[str]] = []

    def pick(starting: str):
        def get_item(parent, title, label, choices, current, editable):
            offered.append(list(choices))
            return next(c for c in choices if c.startswith(starting)), True

        return get_item

    def keys() -> dict[str, str | None]:
        return {c.name: c.shortcut for c in project.classes()}

    panel.select_class(petrel.id)
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(pick("1")))
    panel.ask_class_shortcut()
    assert "1 (move from Great tit, who is left without a key)" in offered[-1]
    assert keys() == {"Great tit": None, "Bengalese finch": "2", "Noise": "3", "Storm petrel": "1"}
    assert window.undo.undo_text == 'Move key 1 from "Great tit" to "Storm petrel"'
    window.undo_edit()  # one step puts both back
    assert keys()["Great tit"] == "1" and keys()["Storm petrel"] is None

    panel.select_class(3)  # Noise, key 3: taking key 2 swaps
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(pick("2")))
    panel.ask_class_shortcut()
    assert "2 (swap with Bengalese finch, who gets 3)" in offered[-1]
    assert keys() == {"Great tit": "1", "Bengalese finch": "3", "Noise": "2", "Storm petrel": None}
    tree = panel.class_tree
    assert [tree.topLevelItem(i).text(1) for i in range(3)] == ["1", "3", "2"]
    window.undo_edit()
    assert keys() == {"Great tit": "1", "Bengalese finch": "2", "Noise": "3", "Storm petrel": None}
    window.redo_edit()
    assert keys()["Noise"] == "2" and keys()["Bengalese finch"] == "3"


def test_class_names_that_would_break_a_table_are_refused_in_the_gui(window, errors) -> None:
    names = [c.name for c in window.project.classes()]
    assert window.panel.add_class("great\ttit") is None  # pasted from a spreadsheet
    item = window.panel.class_tree.topLevelItem(2)
    item.setText(0, "Wind\nnoise")  # an edit in the list
    titles = [title for title, _ in errors]
    assert titles == ["Could not add the class", "Could not rename the class"]
    assert "contains a tab" in errors[0][1] and "contains a line break" in errors[1][1]
    assert [c.name for c in window.project.classes()] == names
    assert window.panel.class_tree.topLevelItem(2).text(0) == "Noise"  # the list shows it back


def test_recording_names_stay_readable_beside_the_site_column(qtbot, window) -> None:
    """With the Site column the name column (stretched into what the number columns left)
    shrank to a few pixels in the default dock, scrolled half out of view: no recording's name
    could be read. The name column keeps room for an AudioMoth name and the list opens on it."""
    from app.recordings_model import NAME

    table = window.panel.recordings_table
    qtbot.wait(50)
    name_width = table.horizontalHeader().sectionSize(NAME)
    assert name_width >= table.fontMetrics().horizontalAdvance("20210502_040000.WAV")
    assert table.columnViewportPosition(NAME) == 0  # scrolled to the names, not past them
    assert table.horizontalScrollBar().value() == 0
