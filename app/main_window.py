"""The main window: composes the project panel, the spectrogram and the labelling controller.

The window holds the open project and its undo stack and wires parts together; the parts do the
work (``ProjectPanel`` edits classes, ``LabellingController`` edits labels, ``ListeningActions``
plays). Opening a project or a recording that fails leaves the previous state in place and
shows one dialog naming the file and the cause.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from app import dialogs
from app.context import AppContext
from app.intake import RecordingIntake
from app.jobs import Job, JobRunner
from app.labelling.box_controller import BoxController
from app.labelling.boxes import BoxOverlay
from app.labelling.controller import LabellingController
from app.labelling.history import UndoActions
from app.labelling.jumps import JumpActions
from app.labelling.keys import LabelActions
from app.labelling.lanes import LabelLanes, add_lanes_menu, connect_lanes
from app.labelling.legend import KeyLegend
from app.labelling.listening import ListeningActions
from app.labelling.overlay import LabelOverlay
from app.ml.compute_menu import add_compute_menu, apply_compute
from app.panels import install_panels
from app.panels import sheet_rows as panel_sheet_rows
from app.playback import PlaybackController, Playhead
from app.project_file import ProjectFileActions
from app.project_panel import ProjectPanel
from app.screen_state import ScreenState
from app.settings import Preferences
from app.spectrogram import SpectrogramControls, SpectrogramView
from app.zone_picker import ask_filename_zone
from model.clips.settings import ClipSettings
from model.errors import AudioError, ProjectError
from model.pathtext import display
from model.project import Project, Recording, UndoStack
from model.project.clip_choice import choose_clip_settings


def format_cursor(t: float, f: float, db: float, recording: Recording | None) -> str:
    text = f"{t:.3f} s"
    if recording is not None and recording.start_time is not None:
        from datetime import timedelta

        text += f" ({(recording.start_time + timedelta(seconds=t)).strftime('%H:%M:%S')})"
    text += f"   {f / 1000:.2f} kHz" if f >= 1000 else f"   {f:.0f} Hz"
    text += "" if math.isnan(db) else f"   {db:.1f} dB"
    return text


class MainWindow(RecordingIntake, QMainWindow):
    def __init__(
        self,
        prefs: Preferences | None = None,
        *,
        jobs: JobRunner | None = None,
        playback: PlaybackController | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("sonotag-main-window")
        self.prefs = prefs if prefs is not None else Preferences()
        apply_compute(self.prefs)  # before any worker starts
        self.jobs = jobs if jobs is not None else JobRunner(self)
        # The state other panels (training, review, activity) share with this window.
        self.context = AppContext(self.jobs, self)
        self.context.labels_changed.connect(self._on_edit)
        self.context.predictions_changed.connect(
            lambda rec_id: self.panel.refresh_scores(frozenset({rec_id}))
        )
        self.context.models_changed.connect(lambda: self.panel.refresh_scores(None))
        self.context.error.connect(
            lambda msg, detail: dialogs.report_error(self, "Error", msg, detail)
        )
        self.context.status.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        self._active_jobs: set[Job] = set()

        self.spectrogram = SpectrogramView(self)
        self.spectrogram.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        # A click inside a time-frequency box selects the box; anywhere else, a clip.
        self.spectrogram.clicked.connect(
            lambda t, f, mods: self.boxes.click(t, f) or self.labelling.click(t)
        )
        self.spectrogram.cursor_moved.connect(self._show_cursor)
        self.spectrogram.error.connect(
            lambda msg: dialogs.report_error(self, "Cannot read the recording", msg)
        )
        self.overlay = LabelOverlay()
        self.spectrogram.plot_item.addItem(self.overlay, ignoreBounds=True)
        self.labelling = LabellingController(self.overlay, self)
        self.lanes = LabelLanes(self.spectrogram, self.prefs.label_lanes)
        connect_lanes(self.labelling, self.overlay, self.lanes)
        self.labelling.set_snap(self.prefs.snap_to_grid)
        self.context.geometry_changed.connect(self.labelling.selection.set_geometry)
        self.context.clock_changed.connect(self._on_clock_changed)
        self.labelling.selection.changed.connect(
            lambda clip: clip is not None and self.spectrogram.show_span(clip.start, clip.end)
        )
        self.labelling.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.labelling.error.connect(lambda title, msg: dialogs.report_error(self, title, msg))
        self.box_overlay = BoxOverlay()
        self.spectrogram.plot_item.addItem(self.box_overlay, ignoreBounds=True)
        self.boxes = BoxController(self.box_overlay, self.spectrogram, self.labelling, self)
        self.boxes.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.boxes.error.connect(lambda title, msg: dialogs.report_error(self, title, msg))
        centre = QWidget(self)
        layout = QVBoxLayout(centre)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(SpectrogramControls(self.spectrogram, centre, prefs=self.prefs))
        self.legend = KeyLegend(centre)
        self.legend.class_clicked.connect(self.labelling.set_active_class)
        self.labelling.active_class_changed.connect(self.legend.set_active)
        layout.addWidget(self.legend)
        self.screen = ScreenState(
            self,
            self.spectrogram,
            {
                "new": self.ask_new_project,
                "open": self.ask_open_project,
                "add_files": self.ask_add_recordings,
                "add_folder": self.ask_add_folder,
            },
            self.show_shortcuts,
        )
        layout.addWidget(self.screen.stack, 1)
        self.setCentralWidget(centre)

        self.panel = ProjectPanel(self)
        self.panel.columns.keep(self.prefs)
        self.panel.recording_selected.connect(self.show_recording)
        self.panel.class_selected.connect(self.labelling.set_active_class)
        self.labelling.active_class_changed.connect(self.panel.select_class)
        self.dock = QDockWidget("Project", self)
        self.dock.setObjectName("project-dock")
        self.dock.setWidget(self.panel)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.dock)

        self.playback = playback if playback is not None else PlaybackController(self.jobs)
        self.playback.setParent(self)
        self.playhead = Playhead(self.spectrogram.plot_item).follow(self.playback)
        self.cursor_label = QLabel("", self)
        self.cursor_label.setObjectName("cursor-readout")
        self.cursor_label.setMinimumWidth(280)
        self.recording_warning = self.screen.warning
        self._build_menus()
        self.statusBar().addPermanentWidget(self.recording_warning)
        self.statusBar().addPermanentWidget(self.listening.status_label)
        self.statusBar().addPermanentWidget(self.cursor_label)
        self.statusBar().addPermanentWidget(self.screen.keys_button)
        self.setAcceptDrops(True)
        self.resize(1280, 800)
        geometry, state = self.prefs.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    # -- menus --------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._add(file_menu, "&New project…", self.ask_new_project, QKeySequence.StandardKey.New)
        self._add(file_menu, "&Open project…", self.ask_open_project, QKeySequence.StandardKey.Open)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.project_file = ProjectFileActions(self, file_menu)  # Save a copy, Check project
        file_menu.addSeparator()
        self._add(file_menu, "&Add recordings…", self.ask_add_recordings, "Ctrl+Shift+A")
        self._add(file_menu, "Add &folder…", self.ask_add_folder, "Ctrl+Shift+F")
        self._add(file_menu, "Time &zone of file names…", lambda: ask_filename_zone(self))
        add_compute_menu(file_menu, self.prefs)
        file_menu.addSeparator()

        edit_menu = bar.addMenu("&Edit")
        self.history = UndoActions(self, self.context, edit_menu)
        self.undo_action, self.redo_action = self.history.undo_action, self.history.redo_action

        view_menu = bar.addMenu("&View")
        view_menu.addAction(self.dock.toggleViewAction())
        self.snap_action = self._add(view_menu, "&Snap clips to the scored windows", self._set_snap)
        self.snap_action.setCheckable(True)
        self.snap_action.setChecked(self.prefs.snap_to_grid)
        add_lanes_menu(view_menu, self.lanes, self.prefs)
        clock = self._add(view_menu, "&Clock time on the time axis", self._set_clock_time)
        clock.setCheckable(True)
        clock.setChecked(self.prefs.clock_time)
        self.spectrogram.display_changed.connect(
            lambda _s: clock.setChecked(self.spectrogram.clock_time())
        )
        view_menu.addSeparator()
        self.panels = install_panels(self, file_menu, view_menu)
        file_menu.addSeparator()
        self._add(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        self.label_menu = bar.addMenu("&Label")
        self.label_actions = LabelActions(self, self.labelling, self.label_menu)
        go_menu = bar.addMenu("&Go")
        self.jumps = JumpActions(
            self, self.labelling, self.panels.ml.tracks, self.panel, self.show_recording, go_menu
        )
        playback_menu = bar.addMenu("&Playback")
        self.listening = ListeningActions(
            self, self.playback, self.labelling.selection, self.spectrogram, self.prefs,
            playback_menu,
        )  # fmt: skip
        self.listening.box_band = self.boxes.band_for_playback
        self.listening.stop.triggered.connect(self.boxes.cancel)  # Esc drops a drawn box too

        help_menu = bar.addMenu("&Help")
        self._add(help_menu, "&Keyboard shortcuts", self.show_shortcuts, "F1")
        self._add(help_menu, "&About Sonotag", lambda: dialogs.show_about(self))

    def _add(
        self,
        menu: QMenu,
        text: str,
        slot: Callable[..., object],
        key: str | QKeySequence.StandardKey | None = None,
    ) -> QAction:
        action = menu.addAction(text)
        action.triggered.connect(slot)
        if key is not None:
            action.setShortcut(QKeySequence(key))
        return action

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.prefs.recent_projects():
            action = self.recent_menu.addAction(str(path))
            action.triggered.connect(lambda _=False, p=path: self.open_project(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(none)").setEnabled(False)

    def shortcut_rows(self) -> list[tuple[str, str, str]]:
        rows = self.label_actions.sheet_rows() + self.boxes.sheet_rows()
        rows += self.jumps.sheet_rows()
        rows += self.listening.sheet_rows()
        rows += [
            ("Edit", "Ctrl+Z / Ctrl+Shift+Z", "undo / redo"),
            ("View", "wheel / Shift+wheel", "zoom time / scroll"),
            ("View", "Ctrl+wheel", "zoom frequency"),
            ("View", "drag", "pan"),
            ("File", "drop files or folders", "add recordings (drop a .sonotag to open it)"),
            ("Help", "F1", "this sheet"),
        ]
        return rows + panel_sheet_rows(self.panels)

    def show_shortcuts(self) -> dialogs.ShortcutSheet:
        sheet = dialogs.ShortcutSheet(self.shortcut_rows(), self)
        sheet.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        sheet.show()
        return sheet

    def _set_snap(self, checked: bool) -> None:
        self.prefs.snap_to_grid = checked
        self.labelling.set_snap(checked)

    def _set_clock_time(self, checked: bool) -> None:
        self.spectrogram.set_display(clock_time=checked)

    # -- project ------------------------------------------------------------------------------
    def open_project(self, path: str | Path) -> bool:
        """Opens ``path``; on failure says why and keeps the project that was open."""
        try:
            # Cheap: no whole-file check here; after an unclean shutdown it runs in the
            # background (ProjectFileActions).
            project = Project.open(path, deep_check=False)
        except ProjectError as exc:
            dialogs.report_exception(self, "Cannot open the project", exc)
            return False
        self._set_project(project)
        if project.read_only:
            self.statusBar().showMessage("Opened read-only: labels cannot be changed", 10_000)
        elif project.backup is not None:
            self.statusBar().showMessage(f"Project upgraded; the old file is {project.backup}")
        return True

    def new_project(self, path: str | Path, settings: ClipSettings | None = None) -> bool:
        """Creates the project with ``settings`` (a taxon preset's; the songbird default when
        None) as its clip settings."""
        try:
            project = Project.create(path)
        except ProjectError as exc:
            dialogs.report_exception(self, "Cannot create the project", exc)
            return False
        if settings is not None:
            choose_clip_settings(project, settings)  # a new project: nothing depends on them
        self._set_project(project)
        return True

    @property
    def project(self) -> Project | None:
        return self.context.project

    @property
    def undo(self) -> UndoStack | None:
        return self.context.undo_stack

    @property
    def recording(self) -> Recording | None:
        return self.context.recording

    def _set_project(self, project: Project) -> None:
        self.close_project()
        self.context.set_project(project)
        self.prefs.add_recent_project(project.path)
        self.panel.set_project(project, self.undo)  # first: it shows the active class
        self.labelling.set_project(project, self.undo)
        self.boxes.set_project(project, self.undo)
        self.legend.set_project(project, self.undo)
        self.screen.show(project, None, None)
        # Back where the user left this project, else the first row of the (A→Z) list.
        last = self.prefs.last_recording(project.path)
        if last is None or not self.panel.select_recording(last):
            first = self.panel.first_listed_recording()
            if first is not None:
                self.panel.select_recording(first)

    def close_project(self) -> None:
        project = self.project
        self.show_recording(None)
        self.labelling.set_project(None, None)
        self.boxes.set_project(None, None)
        self.legend.set_project(None, None)
        self.panel.set_project(None, None)
        self.context.set_project(None)
        self.screen.show(None, None, None)
        if project is not None:
            project.close()

    def show_recording(self, rec_id: int | None) -> bool:
        """Shows a recording of the project; a missing or unreadable file is reported."""
        recording = self.project.recording(rec_id) if self.project and rec_id else None
        info, problem = None, ""
        if recording is not None:
            from model.audio import probe

            try:
                if not recording.exists:
                    raise AudioError(recording.path, "the file is missing (moved or deleted?)")
                info = probe(recording.path)
            except AudioError as exc:
                dialogs.report_exception(self, "Cannot open the recording", exc)
                problem = f"{display(recording.path.name)} could not be opened: {exc.cause}"
                recording = None
        self.context.set_recording(recording)
        if recording is not None:  # review and other panels switch recordings too
            self.panel.select_recording(recording.id, emit=False)
        self.listening.set_recording(recording.path if recording else None)
        self.spectrogram.set_recording(recording.path if recording else None, info)
        self.labelling.set_recording(recording)
        self.boxes.set_recording(recording)
        self.screen.show(self.project, recording, info, problem)
        if recording is not None and self.project is not None:
            self.prefs.set_last_recording(self.project.path, recording.id)
        return recording is not None

    def _on_clock_changed(self) -> None:
        """Start times changed: the list and the time axis show them again."""
        self.panel.refresh()
        if self.recording is not None:
            self.show_recording(self.recording.id)

    def _on_edit(self) -> None:
        """After any label edit, undo or redo: the touched rows' counts, and the classes."""
        touched = self.undo.last_touched if self.undo is not None else None
        self.panel.refresh_counts(touched)
        self.panel.refresh_classes()

    def undo_edit(self) -> None:
        self.history.undo()

    def redo_edit(self) -> None:
        self.history.redo()

    # -- status bar ---------------------------------------------------------------------------
    def _show_cursor(self, t: float, f: float, db: float) -> None:
        self.cursor_label.setText(format_cursor(t, f, db, self.recording))

    # -- shutdown -----------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        self.prefs.save_window_state(self.saveGeometry(), self.saveState())
        self.prefs.sync()
        self.playback.close()
        for job in list(self._active_jobs):
            job.cancel()  # stops at the next file; files added so far stay added
        # A new model's figures are not worth waiting for at exit: they stay "pending".
        self.panels.ml.training.evaluation.stop()
        self.jobs.wait_all(5_000)
        self.jobs.shutdown()
        self.close_project()
        self.spectrogram.shutdown()
        super().closeEvent(event)
