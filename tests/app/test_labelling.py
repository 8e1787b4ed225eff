"""Point-and-click labelling on the demo project: clicks, keys, undo, what reaches the disk."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.labelling.selection import Clip, ClipSelection, clip_at
from model.clips import ClipGeometry, window_starts
from tests.app.conftest import click_at, stored_labels

# The demo's first recording (great tit, 60 s) has no labels between 3 and 9 s.
FREE_T = 5.0


# -- the clip rules, without a window ----------------------------------------------------------
def test_clip_is_centred_on_the_click_and_kept_inside_the_recording() -> None:
    assert clip_at(10.3, 60.0) == Clip(9.3, 11.3)
    assert clip_at(0.4, 60.0) == Clip(0.0, 2.0)
    assert clip_at(59.9, 60.0) == Clip(58.0, 60.0)
    assert clip_at(0.5, 1.2) == Clip(0.0, 1.2)  # shorter than a clip: all of it


def test_snapping_puts_clip_starts_on_whole_seconds() -> None:
    assert clip_at(10.3, 60.0, snap=True) == Clip(9.0, 11.0)
    assert clip_at(10.6, 60.0, snap=True) == Clip(10.0, 12.0)
    # The last window the model scores (it runs past the end, padded) can be selected too.
    assert clip_at(59.9, 59.5, snap=True) == Clip(58.0, 60.0)


@pytest.mark.parametrize("duration", [2.0, 5.5, 7.25, 59.5, 60.0, 3601.7])
@pytest.mark.parametrize(("clip", "hop"), [(2.0, 1.0), (3.0, 0.5), (2.0, 0.3), (5.0, 5.0)])
def test_every_snapped_clip_is_a_scored_window_and_every_window_can_be_snapped(
    duration: float, clip: float, hop: float
) -> None:
    geometry = ClipGeometry(clip, hop)
    windows = [round(s, 3) for s in window_starts(duration, clip, hop)]
    snapped = {
        clip_at(t, duration, geometry=geometry, snap=True).start
        for t in np.arange(0.0, duration + 1.0, 0.05)
    }
    if duration > clip:
        assert snapped == set(windows)
    for start in windows:  # a click on a window's centre selects that very window
        found = clip_at(start + clip / 2, duration, geometry=geometry, snap=True)
        assert duration <= clip or found == Clip(start, round(start + clip, 3))


def test_arrow_keys_reach_the_last_scored_window_when_snapping(qtbot) -> None:
    selection = ClipSelection()
    selection.set_geometry(ClipGeometry(2.0, 1.0))
    selection.set_recording_duration(5.5)
    selection.snap = True
    selection.select_at(1.0)
    assert selection.move(10) == Clip(4.0, 6.0)  # window_starts(5.5) ends with 4.0


def test_selection_moves_by_a_clip_or_by_the_grid_and_stops_at_the_ends(qtbot) -> None:
    selection = ClipSelection()
    selection.set_recording_duration(9.0)
    assert selection.move(1) == Clip(0.0, 2.0)  # nothing selected: the first clip
    assert selection.move(1) == Clip(2.0, 4.0)
    # the last stop is the first clip that reaches the end (8-10 s, past the 9-s end), not
    # 7-9 s laid over 6-8 s
    assert selection.move(10) == Clip(8.0, 10.0)
    assert selection.move(1) == Clip(8.0, 10.0)
    assert selection.move(-1) == Clip(6.0, 8.0)
    selection.snap = True
    assert selection.move(-1) == Clip(5.0, 7.0)
    with qtbot.waitSignal(selection.changed, check_params_cb=lambda c: c == Clip(4.0, 6.0)):
        selection.move(-1)


def test_arrows_to_the_end_of_a_file_never_overlap_the_clips_before(qtbot) -> None:
    selection = ClipSelection()
    for duration in (10.5, 11.0, 9.999, 2.5):
        selection.set_recording_duration(duration)
        clips = [selection.move(1)]
        while (clip := selection.move(1)) != clips[-1]:
            clips.append(clip)
        for before, after in zip(clips, clips[1:], strict=False):
            assert after.start == pytest.approx(before.end), (duration, clips)
        assert clips[-1].end >= duration > clips[-1].start  # the end is covered, once


# -- in the window -----------------------------------------------------------------------------
def press(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(window.spectrogram, key, modifier)


def test_click_selects_the_clip_centred_on_it_and_draws_it(qtbot, window) -> None:
    click_at(qtbot, window, FREE_T)
    clip = window.labelling.selection.clip
    assert clip is not None and clip.start == pytest.approx(4.0, abs=0.05)
    assert clip.end - clip.start == pytest.approx(2.0)
    assert window.overlay._selection == clip


def test_keys_label_present_absent_uncertain_and_several_classes(qtbot, window) -> None:
    rec = window.recording
    click_at(qtbot, window, FREE_T)
    clip = window.labelling.selection.clip
    span = (clip.start, clip.end)

    press(qtbot, window, Qt.Key.Key_1)
    assert stored_labels(window.project.path, rec.id).count((*span, "Great tit", "present")) == 1
    press(qtbot, window, Qt.Key.Key_2)  # a second class on the same clip
    press(qtbot, window, Qt.Key.Key_1, Qt.KeyboardModifier.ShiftModifier)  # great tit: absent
    on_clip = {
        (n, s) for a, b, n, s in stored_labels(window.project.path, rec.id) if (a, b) == span
    }
    assert on_clip == {("Great tit", "absent"), ("Bengalese finch", "present")}

    press(qtbot, window, Qt.Key.Key_Question, Qt.KeyboardModifier.ShiftModifier)
    on_clip = {
        (n, s) for a, b, n, s in stored_labels(window.project.path, rec.id) if (a, b) == span
    }
    assert on_clip == {("Great tit", "uncertain"), ("Bengalese finch", "present")}
    # The overlay shows what the database holds.
    drawn = {(la.class_id, la.state.value) for la in window.overlay.labels() if la.start == span[0]}
    assert drawn == {(1, "uncertain"), (2, "present")}


def test_unbound_key_and_no_selection_change_nothing(qtbot, window) -> None:
    before = stored_labels(window.project.path, window.recording.id)
    press(qtbot, window, Qt.Key.Key_1)  # nothing selected yet
    assert "select a clip" in window.statusBar().currentMessage()
    click_at(qtbot, window, FREE_T)
    press(qtbot, window, Qt.Key.Key_7)  # no class on 7
    assert 'No class uses key "7"' in window.statusBar().currentMessage()
    assert stored_labels(window.project.path, window.recording.id) == before


def test_arrows_move_the_selection_and_r_repeats_the_last_label(qtbot, window) -> None:
    click_at(qtbot, window, FREE_T)
    start = window.labelling.selection.clip.start
    press(qtbot, window, Qt.Key.Key_3)  # noise
    press(qtbot, window, Qt.Key.Key_Right)
    assert window.labelling.selection.clip.start == pytest.approx(start + 2.0)
    press(qtbot, window, Qt.Key.Key_R)
    press(qtbot, window, Qt.Key.Key_Left)
    press(qtbot, window, Qt.Key.Key_Left)
    assert window.labelling.selection.clip.start == pytest.approx(start - 2.0)
    noise = [(a, b) for a, b, n, s in stored_labels(window.project.path, window.recording.id)
             if n == "Noise" and s == "present"]  # fmt: skip
    assert noise == [(start, start + 2.0), (start + 2.0, start + 4.0)]


def test_snapping_moves_by_one_second(qtbot, window) -> None:
    window.snap_action.trigger()
    assert window.prefs.snap_to_grid
    click_at(qtbot, window, 5.3)
    assert window.labelling.selection.clip == Clip(4.0, 6.0)
    press(qtbot, window, Qt.Key.Key_Right)
    assert window.labelling.selection.clip == Clip(5.0, 7.0)


def test_delete_undo_redo_with_keys(qtbot, window) -> None:
    path, rec = window.project.path, window.recording.id
    before = stored_labels(path, rec)
    click_at(qtbot, window, FREE_T)
    press(qtbot, window, Qt.Key.Key_1)
    press(qtbot, window, Qt.Key.Key_2)
    labelled = stored_labels(path, rec)
    assert len(labelled) == len(before) + 2

    press(qtbot, window, Qt.Key.Key_Delete)  # both labels of the clip, one undo step
    assert stored_labels(path, rec) == before
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert stored_labels(path, rec) == labelled
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo key 2
    assert len(stored_labels(path, rec)) == len(before) + 1
    assert window.redo_action.isEnabled() and "Bengalese finch" in window.redo_action.text()
    shift_ctrl = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    press(qtbot, window, Qt.Key.Key_Z, shift_ctrl)
    assert stored_labels(path, rec) == labelled
    assert len(window.overlay.labels()) == len(labelled)


def test_click_on_an_existing_label_selects_it_for_deletion(qtbot, window) -> None:
    path, rec = window.project.path, window.recording.id
    click_at(qtbot, window, 2.5)  # inside the demo's "great tit absent" at 1-3 s
    assert window.labelling.selection.clip == Clip(1.0, 3.0)
    press(qtbot, window, Qt.Key.Key_Delete)
    assert (1.0, 3.0, "Great tit", "absent") not in stored_labels(path, rec)


def test_label_keys_reach_the_window_from_the_class_list_but_not_the_filter_box(
    qtbot, window
) -> None:
    click_at(qtbot, window, FREE_T)
    before = len(stored_labels(window.project.path, window.recording.id))
    window.panel.filter_box.setFocus()
    qtbot.keyClicks(window.panel.filter_box, "1")  # typing a file name, not labelling
    assert window.panel.filter_box.text() == "1"
    assert len(stored_labels(window.project.path, window.recording.id)) == before
    qtbot.keyClick(window.panel.class_tree, Qt.Key.Key_2)
    assert len(stored_labels(window.project.path, window.recording.id)) == before + 1


def test_label_menu_names_the_classes_on_their_keys(window) -> None:
    texts = [a.text() for a in window.label_menu.actions() if a.text()]
    assert "Great tit: present" in texts and "Noise: absent" in texts
    assert window.label_actions.present["1"].shortcut().toString() == "1"
    assert window.label_actions.absent["1"].shortcut().toString() == "Shift+1"


def test_the_models_panel_hop_is_the_snap_grid_and_is_kept_in_the_project(qtbot, window) -> None:
    from model.clips import geometry_of
    from model.project import Project

    models = window.panels.ml.models
    window.labelling.set_snap(True)
    models.hop.setValue(0.5)  # as if typed into the Models panel
    assert window.panels.ml.predictor.hop == 0.5
    click_at(qtbot, window, FREE_T + 0.3)  # a 2-s clip from 4.3 s: the nearest window is 4.5
    clip = window.labelling.selection.clip
    assert clip is not None and (clip.start, clip.end) == (4.5, 6.5)
    path = window.context.project.path
    window.close_project()
    with Project.open(path, read_only=True) as project:
        assert geometry_of(project).hop_seconds == 0.5


def test_the_view_follows_a_clip_moved_off_screen_by_the_keys(qtbot, window) -> None:
    view = window.spectrogram
    view.set_view_range(0.0, 10.0)
    click_at(qtbot, window, 7.0)
    for _ in range(4):  # 6-8 s, then 8-10, 10-12, 12-14, 14-16 s: off the 0-10 s screen
        press(qtbot, window, Qt.Key.Key_Right)
    clip = window.labelling.selection.clip
    t0, t1 = view.view_range()
    assert t0 <= clip.start and clip.end <= t1
    assert t1 - t0 == pytest.approx(10.0)  # scrolled, not zoomed
