"""The secondary panels are docked, reachable from the menus, and review can drive the window."""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget


def _menu_texts(window, title: str) -> list[str]:
    for action in window.menuBar().actions():
        if action.text().replace("&", "") == title:
            return [a.text().replace("&", "") for a in action.menu().actions()]
    raise AssertionError(f"no {title} menu")


def test_panels_are_docked_and_toggled_from_the_view_menu(window) -> None:
    names = {dock.objectName() for dock in window.findChildren(QDockWidget)}
    assert {
        "training-dock",
        "models-dock",
        "thresholds-dock",
        "review-dock",
        "activity-dock",
    } <= names
    panels = window.panels
    assert not panels.training_dock.isVisible()
    width = window.width()
    panels.training_dock.toggleViewAction().trigger()
    assert panels.training_dock.isVisible()
    for dock in (panels.models_dock, panels.thresholds_dock, panels.review, panels.activity):
        dock.toggleViewAction().trigger()
    assert window.width() == width, "opening panels must not widen the window"
    assert panels.training_dock.widget() is panels.ml.training
    view = _menu_texts(window, "View")
    assert {"Training", "Models", "Thresholds", "Review", "Activity"} <= set(view)
    file_menu = _menu_texts(window, "File")
    assert "Import annotations…" in file_menu and "Export labels or detections…" in file_menu
    assert file_menu[-1] == "Quit"


def test_review_callback_switches_recording_and_selects_the_clip(window) -> None:
    from app.panels import show_clip

    recordings = window.project.recordings()
    other = next(r for r in recordings if r.id != window.recording.id and r.duration > 10)
    show_clip(window, other, 6.0, 8.0)
    assert window.recording.id == other.id
    assert window.panel.current_recording_id() == other.id  # the list follows
    clip = window.labelling.selection.clip
    assert (clip.start, clip.end) == (6.0, 8.0)
    t0, t1 = window.spectrogram.view_range()
    assert t0 < 7.0 < t1


def test_shortcut_sheet_lists_review_and_panel_keys(window) -> None:
    rows = window.shortcut_rows()
    keys = {(section, key) for section, key, _ in rows}
    assert {("Review", "A"), ("Review", "Z"), ("Review", "U"), ("Review", "S")} <= keys
    assert ("View", "F6") in keys and ("File", "Ctrl+I") in keys
    assert len(keys) == len(rows), "one key bound to two things"


def test_typing_a_floor_does_not_drag_the_ceiling(qtbot, window) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QAbstractSpinBox

    from app.spectrogram import SpectrogramControls

    controls = window.findChild(SpectrogramControls)
    ceiling = controls.ceiling.value()
    box = controls.floor
    box.setFocus()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), "-70")
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)
    assert box.value() == -70 and controls.ceiling.value() == ceiling
    assert window.spectrogram.display().db_floor == -70
    assert box.buttonSymbols() != QAbstractSpinBox.ButtonSymbols.NoButtons


def test_display_settings_come_back_in_the_next_session(qtbot, prefs, fake_output, demo_project):
    from tests.app.conftest import make_window

    first = make_window(qtbot, prefs, fake_output)
    assert first.open_project(demo_project)
    first.spectrogram.set_display(colormap="viridis", db_floor=-90, n_fft=2048, clock_time=True)
    first.close()
    assert first.jobs.wait_all(10_000)
    second = make_window(qtbot, prefs, fake_output)
    display = second.spectrogram.display()
    assert (display.colormap, display.db_floor, display.n_fft) == ("viridis", -90, 2048)
    clock = next(a for a in second.menuBar().actions()[2].menu().actions() if "Clock" in a.text())
    assert clock.isChecked()
    second.close()


def test_review_keys_do_nothing_while_the_review_tab_is_hidden(qtbot, window) -> None:
    review = window.panels.review
    review.toggleViewAction().trigger()
    qtbot.waitUntil(review.keys_live)
    window.dock.raise_()  # the Project tab in front: review is behind it
    qtbot.waitUntil(lambda: not review.keys_live())
    review.raise_()
    qtbot.waitUntil(review.keys_live)


def test_activity_dock_opens_small_and_comes_back_at_the_height_it_was_given(
    qtbot, prefs, fake_output, demo_project
) -> None:
    from PySide6.QtCore import Qt

    from tests.app.conftest import make_window

    window = make_window(qtbot, prefs, fake_output)
    window.resize(1366, 768)
    assert window.open_project(demo_project)
    dock = window.panels.activity
    toggle = dock.toggleViewAction()
    toggle.trigger()
    qtbot.waitUntil(dock.isVisible)
    qtbot.waitUntil(lambda: "No model yet" in dock.summary.text(), timeout=5000)
    dock.plots.show()  # as when a model's detections arrive (the demo project has no model)
    qtbot.wait(50)
    # never half the window at first (unless the plots' own minimum needs more)
    assert 0 < dock.height() <= max(window.height() / 3, dock.minimumSizeHint().height()) + 1
    spectrogram = window.spectrogram.height()
    assert spectrogram > dock.height()
    window.resizeDocks([dock], [300], Qt.Orientation.Vertical)  # the user drags its edge
    qtbot.waitUntil(lambda: prefs.dock_size("activity-dock") == dock.height(), timeout=3000)
    given = dock.height()
    toggle.trigger()
    window.resizeDocks([window.dock], [300], Qt.Orientation.Horizontal)  # the layout moves on
    toggle.trigger()
    qtbot.waitUntil(lambda: abs(dock.height() - given) <= 2, timeout=3000)
    window.close()
    again = make_window(qtbot, prefs, fake_output)
    assert again.open_project(demo_project)
    activity = again.panels.activity
    assert activity.isVisible()  # the layout comes back as it was left
    qtbot.waitUntil(lambda: "No model yet" in activity.summary.text(), timeout=5000)
    activity.plots.show()
    qtbot.waitUntil(lambda: abs(activity.height() - given) <= 2, timeout=3000)
    again.close()


def test_activity_dock_with_words_only_takes_their_height_not_the_plots(
    qtbot, prefs, fake_output, demo_project
) -> None:
    """No model yet: one line of words in a 240-px dock left a busy project's spectrogram a
    sliver on a laptop. Words only take their own height; the plots get the remembered one."""
    from tests.app.conftest import make_window

    window = make_window(qtbot, prefs, fake_output)
    window.resize(1366, 768)
    assert window.open_project(demo_project)
    dock = window.panels.activity
    dock.toggleViewAction().trigger()
    qtbot.waitUntil(lambda: "No model yet" in dock.summary.text(), timeout=5000)
    qtbot.waitUntil(lambda: dock.height() <= 150, timeout=3000)
    assert dock.summary.isVisible() and dock.summary.height() > 0  # the words are not cut
    assert dock.summary.geometry().bottom() <= dock.widget().height()
    words = dock.height()
    dock.plots.show()  # detections to plot: the dock takes the plots' height
    qtbot.waitUntil(lambda: dock.height() >= 200, timeout=3000)
    qtbot.wait(600)  # past the save delay
    given = prefs.dock_size("activity-dock")
    dock.plots.hide()
    qtbot.waitUntil(lambda: dock.height() <= words + 2, timeout=3000)
    qtbot.wait(600)
    assert prefs.dock_size("activity-dock") == given  # the words' height is not remembered
    window.close()


def test_a_panel_key_brings_a_panel_behind_a_tab_to_the_front(qtbot, window) -> None:
    """F6 on a Training panel open behind the Project tab hid it (Qt's toggle); it must come
    to the front, and only a second press (now that it is seen) hides it."""
    from app.panels import _behind_a_tab

    dock = window.panels.training_dock
    toggle = dock.toggleViewAction()
    toggle.trigger()  # open: it comes to the front
    qtbot.waitUntil(dock.isVisible)
    window.dock.raise_()  # the user clicks the Project tab: Training sits behind it
    qtbot.waitUntil(lambda: _behind_a_tab(dock))
    assert not dock.isHidden() and toggle.isChecked()
    toggle.trigger()  # F6
    qtbot.waitUntil(lambda: not _behind_a_tab(dock))
    assert dock.isVisible() and toggle.isChecked()
    toggle.trigger()  # F6 again, while it is seen: now it hides
    assert dock.isHidden() and not toggle.isChecked()
    toggle.trigger()
    qtbot.waitUntil(dock.isVisible)
