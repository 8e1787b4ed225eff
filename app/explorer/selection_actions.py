"""What the explorer does with clips: select, show in the main view, preview, gallery, label in
bulk, review one by one, find similar. Kept apart from the panel's layout and map jobs."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtGui import QColor, QCursor

from app.explorer.gallery import MAX_CELLS
from model.explore.commands import label_clips
from model.explore.similar import similar
from model.explore.table import CODE
from model.explore.thumbnails import thumbnails_job
from model.pathtext import display
from model.project.records import LabelState, to_ms
from model.review import ReviewQueue

if TYPE_CHECKING:
    from app.explorer.panel import ExplorerPanel


class SelectionActions:
    def __init__(self, panel: ExplorerPanel) -> None:
        self.panel = panel
        row = panel.actions_row
        row.present.clicked.connect(lambda: self.label(LabelState.PRESENT))
        row.absent.clicked.connect(lambda: self.label(LabelState.ABSENT))
        row.uncertain.clicked.connect(lambda: self.label(LabelState.UNCERTAIN))
        row.review.clicked.connect(self.review_selection)
        row.similar.clicked.connect(self.find_similar)
        row.clear.clicked.connect(lambda: self.select(np.zeros(0, bool)))
        gallery = panel.gallery
        gallery.label_key.connect(self.label_cell)
        gallery.play_key.connect(self.play)
        gallery.focused.connect(self.hover)

    # ----------------------------------------------------------------- selection
    def select(self, mask: np.ndarray, add: bool = False) -> None:
        panel = self.panel
        n = len(panel.map) if panel.map is not None else 0
        mask = np.asarray(mask, bool) if len(mask) == n else np.zeros(n, bool)
        mask = mask & panel.visible()
        panel.selection = (panel.selection | mask) if add and len(panel.selection) == n else mask
        panel.view.set_selected(panel.selection)
        rows = np.flatnonzero(panel.selection)
        if len(rows) > MAX_CELLS:  # a fair look at a big selection: spread over all of it
            rows = rows[np.linspace(0, len(rows) - 1, MAX_CELLS).astype(np.int64)]
        panel.gallery.show_rows(rows, [self.caption(int(r)) for r in rows])
        self.show_states()
        for row in rows:
            if int(row) in panel.pictures:
                panel.gallery.set_picture(int(row), panel.pictures[int(row)])
        self.request_pictures()
        self.update_controls()

    def chosen(self) -> np.ndarray:
        """Selected rows, less the ones unticked in the gallery."""
        rows = np.flatnonzero(self.panel.selection)
        unticked = self.panel.gallery.unticked()
        return rows[~np.isin(rows, list(unticked))] if unticked else rows

    def click(self, row: int, add: bool) -> None:
        mask = np.zeros(len(self.panel.selection), bool)
        mask[row] = True
        if add and self.panel.selection[row]:
            self.panel.selection[row] = False
            self.select(self.panel.selection)
        else:
            self.select(mask, add)
        self.activate(row)

    def activate(self, row: int) -> None:
        """Shows the clip in the main view and selects it there (Space then plays it)."""
        recording, start, end = self.clip(row)
        if recording is not None and self.panel.on_show is not None:
            self.panel.on_show(recording, start, end)
        self.panel.view.set_current(row)

    def clip(self, row: int) -> tuple[Any, float, float]:
        clip_map = self.panel.map
        assert clip_map is not None
        rid = int(clip_map.recording_ids[row])
        start = float(clip_map.starts[row])
        return self.panel.recordings.get(rid), start, round(start + clip_map.clip_seconds, 3)

    def caption(self, row: int) -> str:
        recording, start, _ = self.clip(row)
        stem = display(recording.path.stem) if recording is not None else "?"
        return f"{start:.1f} s\n{stem}"

    def follow_main_view(self) -> None:
        """Rings the clip selected in the main view, if it is on the map."""
        panel, recording = self.panel, self.panel.context.recording
        if panel.map is None or recording is None:
            panel.view.set_current(None)
            return
        clip = getattr(panel, "main_clip", None)
        row = None
        if clip is not None:
            row = panel.map.index_of(recording.id, clip.start)
            if row is None:
                row = panel.map.nearest_start(recording.id, clip.centre)
        panel.view.set_current(row)

    def show_states(self) -> None:
        """Marks the gallery's cells with the label their own clip carries for the Explorer's
        class (the exact span a key or button labels; the map's colours follow the training
        rule, where a neighbouring clip's label can count too)."""
        panel, project = self.panel, self.panel.context.project
        rows = panel.gallery.rows()
        if project is None or panel.map is None or panel.class_id is None or not rows:
            panel.gallery.set_states({})
            return
        panel.gallery.present_colour = QColor(project.label_class(panel.class_id).colour)
        clips = {}
        for row in rows:
            start = float(panel.map.starts[row])
            end = start + panel.map.clip_seconds
            clips[(int(panel.map.recording_ids[row]), to_ms(start), to_ms(end))] = row
        states = project.label_states(panel.class_id, list(clips))
        panel.gallery.set_states({clips[key]: CODE[state] for key, state in states.items()})

    # ----------------------------------------------------------------- pictures
    def hover(self, row: int, popup: bool = False) -> None:
        """The clip under the pointer (``popup``: on the map, shown beside the pointer too) or
        the gallery's focused cell: in the preview pane; -1: none."""
        panel = self.panel
        if popup:
            if row < 0 or panel.map is None:
                panel.popup.leave()
            elif row != panel.popup.row or not panel.popup.isVisible():
                panel.popup.show_clip(row, self.describe(row), panel.pictures.get(row))
            else:
                panel.popup.place(QCursor.pos())
        if row == panel._hover_row or panel.map is None:
            return
        panel._hover_row = row
        if row < 0:
            return
        text = self.describe(row)
        panel.preview.setToolTip(text.replace("\n", " "))
        panel.preview.setText(text)
        if row in panel.pictures:
            panel.show_picture(row, panel.pictures[row])
        else:
            self.request_pictures()

    def describe(self, row: int) -> str:
        """File, span and (when the recording's start is known) the clock time of a clip."""
        recording, start, end = self.clip(row)
        name = display(recording.path.name) if recording is not None else "?"
        when = ""
        if recording is not None and recording.start_time is not None:
            when = f" ({recording.start_time + timedelta(seconds=start):%Y-%m-%d %H:%M:%S})"
        return f"{name}\n{start:.1f}–{end:.1f} s{when}"

    def request_pictures(self) -> None:
        """The hovered clip first, then gallery cells still without a picture."""
        panel = self.panel
        project = panel.context.project
        if project is None or panel.map is None:
            return
        rows = [
            r
            for r in [panel._hover_row, *panel.gallery.rows()]
            if r >= 0 and r not in panel.pictures
        ]
        clips = []
        for row in dict.fromkeys(rows):
            recording, start, _ = self.clip(row)
            if recording is not None:
                clips.append((row, str(recording.path), start))
        if not clips:
            return
        from model.ml.features import clip_settings_of

        if panel._thumbs is not None:
            panel._thumbs.cancel()  # wanted clips changed: the new job starts with them
        job = panel.context.run_thread(
            "Clip thumbnails", thumbnails_job, clips, clip_settings_of(project).to_dict()
        )
        panel._thumbs = job
        job.yielded.connect(lambda value: panel.show_picture(*value))
        job.ended.connect(
            lambda j=job: setattr(panel, "_thumbs", None) if panel._thumbs is j else None
        )

    # ----------------------------------------------------------------- actions
    def label(self, state: LabelState) -> None:
        panel = self.panel
        stack, rows = panel.context.undo_stack, self.chosen()
        if stack is None or panel.map is None or panel.class_id is None or not len(rows):
            return
        command = label_clips(
            stack.project, panel.map.recording_ids[rows], panel.map.starts[rows],
            panel.map.clip_seconds, panel.class_id, state,
        )  # fmt: skip
        if command is None:
            panel.context.status.emit(f"Every selected clip is already {state.value}.")
            return
        stack.push(command)
        panel.context.status.emit(f"{command.text} (Ctrl+Z undoes all of them)")

    def label_cell(self, row: int, digit: str | None, state: LabelState) -> None:
        """A label key on the gallery's focused cell: that one clip, one undo step; the focus
        then moves on to the next cell. ``digit`` names the class by its key (the main
        window's binding); None is the Explorer's class (``?``)."""
        panel = self.panel
        stack, project = panel.context.undo_stack, panel.context.project
        if stack is None or project is None or panel.map is None or project.read_only:
            return
        if digit is None:
            cls = project.label_class(panel.class_id) if panel.class_id is not None else None
        else:
            cls = next((c for c in project.classes() if c.shortcut == digit), None)
        if cls is None:
            panel.context.status.emit(
                f'No class uses key "{digit}" (set one in the class list)' if digit
                else "Pick the Explorer's class first"
            )  # fmt: skip
            return
        command = label_clips(
            stack.project, panel.map.recording_ids[[row]], panel.map.starts[[row]],
            panel.map.clip_seconds, cls.id, state,
        )  # fmt: skip
        if command is not None:
            stack.push(command)
            _, start, _ = self.clip(row)
            panel.context.status.emit(f"{cls.name} {state.value} at {start:.1f} s (Ctrl+Z undoes)")
        panel.gallery.advance()

    def play(self, row: int) -> None:
        """Space on the gallery's focused cell plays its clip."""
        recording, start, end = self.clip(row)
        if recording is not None and self.panel.on_play is not None:
            self.panel.on_play(recording, start, end)

    def _queue(self, rows: np.ndarray, scores: np.ndarray) -> ReviewQueue:
        clip_map = self.panel.map
        assert clip_map is not None
        starts = clip_map.starts[rows]
        return ReviewQueue(
            clip_map.recording_ids[rows], starts,
            np.round((starts + clip_map.clip_seconds) * 1000) / 1000, scores.astype(np.float64),
        )  # fmt: skip

    def review_selection(self) -> None:
        panel, rows = self.panel, self.chosen()
        if panel.map is None or panel.class_id is None or not len(rows):
            return
        scores = panel.extra.get("scores")
        values = scores[rows] if scores is not None else np.full(len(rows), np.nan)
        queue = self._queue(rows, np.nan_to_num(values, nan=0.0))
        if panel.review is not None:
            panel.review.review_items(
                panel.class_id, queue, f"{len(rows)} clips selected on the map", "top score"
            )

    def find_similar(self) -> None:
        panel, rows = self.panel, self.chosen()
        if panel.map is None or panel.class_id is None or not len(rows):
            return
        found, scores = similar(
            panel.map.vectors, rows, panel.actions_row.k.value(), candidates=panel.visible()
        )
        if not len(found):
            panel.context.status.emit("No similar clips found (no other clip has features).")
            return
        mask = np.zeros(len(panel.map), bool)
        mask[found] = True
        self.select(mask, add=True)  # where they are on the map, and their pictures
        if panel.review is not None:
            panel.review.review_items(
                panel.class_id, self._queue(found, scores),
                f"{len(found)} clips most similar to {len(rows)} chosen", "similarity",
            )  # fmt: skip

    def update_controls(self) -> None:
        panel, row = self.panel, self.panel.actions_row
        count = len(self.chosen()) if panel.map is not None and len(panel.selection) else 0
        total = int(panel.selection.sum()) if len(panel.selection) else 0
        dropped = total - count
        row.count.setText(
            f"{count} clip{'s' if count != 1 else ''} selected"
            + (f" ({dropped} unticked in the gallery)" if dropped else "")
            if total else "No clips selected — drag a lasso on the map"
        )  # fmt: skip
        writable = panel.context.project is not None and not panel.context.project.read_only
        can = bool(count) and panel.class_id is not None
        for button in (row.present, row.absent, row.uncertain):
            button.setEnabled(can and writable)
        row.review.setEnabled(can and writable and panel.review is not None)
        row.similar.setEnabled(can and panel.review is not None)
        row.clear.setEnabled(bool(total))
        name = panel.top.class_combo.currentText()
        for button, text in ((row.present, "present"), (row.absent, "absent"),
                             (row.uncertain, "uncertain")):  # fmt: skip
            button.setText(f"{name} {text}" if name else text.capitalize())
