"""The recordings list keeps its names readable in a narrow dock, hides columns on request and
keeps the layout (the names read "…" with six columns in the default 370-px dock)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.recordings_columns import NAME_FLOOR_TEXT, RecordingsColumns
from app.recordings_model import NAME, PREDICTIONS


def _name_width(window) -> int:
    return window.panel.recordings_table.horizontalHeader().sectionSize(NAME)


def test_names_stay_readable_in_a_narrow_dock(qtbot, window) -> None:
    table = window.panel.recordings_table
    window.resizeDocks([window.dock], [300], Qt.Orientation.Horizontal)  # as narrow as it goes
    qtbot.wait(50)
    header = table.horizontalHeader()
    others = sum(header.sectionSize(c) for c in range(header.count()) if c != NAME)
    assert others + 100 > table.viewport().width()  # a stretched name would get < 100 px
    floor = table.fontMetrics().horizontalAdvance(NAME_FLOOR_TEXT)
    assert _name_width(window) >= floor  # a whole AudioMoth name fits
    # the name column can still be dragged, and then keeps the user's width
    header.resizeSection(NAME, floor + 80)
    table.viewport().resize(table.viewport().width() + 10, table.viewport().height())
    assert _name_width(window) == floor + 80


def test_the_name_takes_the_room_the_other_columns_leave(qtbot, window) -> None:
    window.resizeDocks([window.dock], [900], Qt.Orientation.Horizontal)
    qtbot.wait(50)
    table = window.panel.recordings_table
    header = table.horizontalHeader()
    shown = sum(header.sectionSize(c) for c in range(header.count()))
    assert abs(shown - table.viewport().width()) <= 2  # no gap, no sideways scrolling


def test_a_hidden_column_gives_its_room_to_the_name_and_stays_hidden(
    qtbot, window, prefs, fake_output
) -> None:
    columns: RecordingsColumns = window.panel.columns
    before = _name_width(window)
    width = window.panel.recordings_table.horizontalHeader().sectionSize(PREDICTIONS)
    menu = columns.menu()
    scored = next(a for a in menu.actions() if a.text() == "Scored")
    scored.trigger()  # untick: hide it
    assert columns.hidden_columns() == [PREDICTIONS]
    assert _name_width(window) >= min(before + width, before)  # never narrower
    assert prefs.header_state("recordings") is not None

    window.close()
    from tests.app.conftest import make_window

    again = make_window(qtbot, prefs, fake_output)  # the next session
    assert again.panel.columns.hidden_columns() == [PREDICTIONS]
    assert again.panel.recordings_table.horizontalHeader().sectionSize(NAME) >= before
    again.close()
