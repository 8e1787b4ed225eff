"""Docks the secondary panels (training, models, review, activity) around the main window and
adds their menu entries, so ``main_window.py`` stays about the spectrogram and labelling.

Each panel is built on the window's ``AppContext`` alone; the only window-specific pieces are
the two callbacks review needs (show a clip, play a clip).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QTabBar, QWidget

from app.activity_panel import ActivityPanel
from app.annotations.actions import export_action, import_annotations_action
from app.batch_dialog import install_batch_menu
from app.explorer.panel import ExplorerPanel
from app.labelling.closeup import ClipCloseup
from app.ml.wiring import MlUi, build_ml_ui
from app.review_panel import ReviewPanel

if TYPE_CHECKING:
    from app.main_window import MainWindow
    from app.settings import Preferences
    from model.project import Recording


@dataclass
class Panels:
    ml: MlUi
    training_dock: QDockWidget
    models_dock: QDockWidget
    thresholds_dock: QDockWidget
    review: ReviewPanel
    activity: ActivityPanel
    explorer: ExplorerPanel
    closeup_dock: QDockWidget

    @property
    def closeup(self) -> ClipCloseup:
        widget = self.closeup_dock.widget()
        assert isinstance(widget, ClipCloseup)
        return widget


def _dock(window: MainWindow, title: str, name: str, widget: QWidget) -> QDockWidget:
    dock = QDockWidget(title, window)
    dock.setObjectName(name)  # restoreState finds docks by object name
    dock.setWidget(widget)
    return dock


def show_clip(window: MainWindow, recording: Recording, start: float, end: float) -> None:
    """Review's "next clip": switch recording if needed, centre the clip and select it."""
    if window.recording is None or window.recording.id != recording.id:
        window.show_recording(recording.id)
    window.spectrogram.center_on((start + end) / 2)
    window.labelling.selection.select_span(start, end)


def play_clip(window: MainWindow, recording: Recording, start: float, end: float) -> None:
    if window.playback.available:
        window.playback.play_span(recording.path, start, end)


def show_raise_or_hide(dock: QDockWidget) -> None:
    """A panel's key (F5-F11): shows a hidden panel, brings one that sits behind another tab
    to the front, and hides only the one the user is looking at. Qt's toggle hid a panel
    that was open behind a tab, so the key seemed to do nothing the first time."""
    if dock.isHidden():
        dock.show()
        dock.raise_()
    elif not dock.isVisible() or _behind_a_tab(dock):
        dock.raise_()
    else:
        dock.hide()
    dock.toggleViewAction().setChecked(not dock.isHidden())


def _behind_a_tab(dock: QDockWidget) -> bool:
    """Docked as a tab that is not the current one (Qt moves such a dock out of sight rather
    than hiding it, so ``isVisible`` stays true)."""
    window = dock.parentWidget()
    if dock.isFloating() or window is None:
        return False
    for bar in window.findChildren(QTabBar):
        titles = [bar.tabText(i) for i in range(bar.count())]
        if bar.isVisible() and dock.windowTitle() in titles:
            return bar.currentIndex() != titles.index(dock.windowTitle())
    return False


def install_panels(window: MainWindow, file_menu: QMenu, view_menu: QMenu) -> Panels:
    context = window.context
    ml = build_ml_ui(context, window.spectrogram)
    training_dock = _dock(window, "Training", "training-dock", ml.training)
    models_dock = _dock(window, "Models", "models-dock", ml.models)
    thresholds_dock = _dock(window, "Thresholds", "thresholds-dock", ml.tracks.controls)
    review = ReviewPanel(
        context,
        on_show=lambda rec, s, e: show_clip(window, rec, s, e),
        on_play=lambda rec, s, e: play_clip(window, rec, s, e),
        parent=window,
    )
    activity = ActivityPanel(context, window)
    window.panel.sites_changed.connect(activity.schedule_refresh)  # split by site: recount
    explorer = ExplorerPanel(
        context,
        on_show=lambda rec, s, e: show_clip(window, rec, s, e),
        on_play=lambda rec, s, e: play_clip(window, rec, s, e),
        review=review,
        parent=window,
        listed=window.panel.visible_recording_ids,
    )
    window.labelling.selection.changed.connect(explorer.set_main_clip)
    listing = window.panel.recordings_proxy
    for signal in (listing.rowsInserted, listing.rowsRemoved, listing.modelReset,
                   listing.layoutChanged):  # fmt: skip
        signal.connect(lambda *_args: explorer.listing_changed())
    closeup = ClipCloseup(window)
    closeup.attach(window.spectrogram, window.labelling, ml.tracks)
    closeup_dock = _dock(window, "Clip close-up", "closeup-dock", closeup)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, closeup_dock)
    # Side panels become tabs beside the project panel, so opening one never widens the window
    # (laptops are 1366 px wide); the activity plots want width, so they go under the view.
    for dock in (training_dock, models_dock, thresholds_dock, review):
        window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        window.tabifyDockWidget(window.dock, dock)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, activity)
    # The map wants room: beside the spectrogram, on the right.
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, explorer)
    # The left column runs the full height; the activity plots sit under the spectrogram only.
    window.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
    window.dock.raise_()
    docks = (closeup_dock, training_dock, models_dock, thresholds_dock, review, activity, explorer)
    keys = ("F5", "F6", "F7", "F8", "F9", "F10", "F11")
    for key, dock in zip(keys, docks, strict=True):
        # Hidden until asked for (View menu); the window's saved state brings them back as
        # the user left them. Showing one also brings its tab to the front.
        dock.hide()
        toggle = dock.toggleViewAction()
        toggle.setShortcut(key)
        toggle.triggered.disconnect()  # Qt's own slot hides a panel that sits behind a tab
        toggle.triggered.connect(lambda _checked, d=dock: show_raise_or_hide(d))
        view_menu.addAction(toggle)
    # The plots under the view open at the height they were last given, else a modest one:
    # the spectrogram is what the window is for.
    RememberedHeight(window, activity, window.prefs, ACTIVITY_DEFAULT_PX, content=activity.plots)

    import_action = file_menu.addAction("&Import annotations…")
    import_action.setShortcut("Ctrl+I")
    import_action.triggered.connect(lambda: import_annotations_action(context, window))
    export = file_menu.addAction("&Export labels or detections…")
    export.setShortcut("Ctrl+E")
    export.triggered.connect(lambda: export_action(context, window))
    install_batch_menu(window, file_menu, ml.predictor)
    return Panels(
        ml, training_dock, models_dock, thresholds_dock, review, activity, explorer, closeup_dock
    )


ACTIVITY_DEFAULT_PX = 240
QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's "no maximum" (PySide6 does not export it)
#: A bottom dock never opens taller than this share of the window unless the user made it so.
MAX_DEFAULT_SHARE = 1 / 3
SAVE_DELAY_MS = 400


class RememberedHeight(QObject):
    """Remembers the height the user gives a bottom dock and gives it back each time the dock
    is shown; the first time, ``default_px`` but at most a third of the window.

    ``content`` is the part that wants the height (the activity plots): while it is hidden the
    dock holds only words (no model yet, nothing to plot) and takes just their height, so the
    spectrogram keeps the rest; when it shows, the remembered height comes back."""

    def __init__(
        self,
        window: QMainWindow,
        dock: QDockWidget,
        prefs: Preferences,
        default_px: int,
        content: QWidget | None = None,
    ) -> None:
        super().__init__(dock)
        self.window, self.dock, self.prefs, self.default_px = window, dock, prefs, default_px
        self.content = content
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_DELAY_MS)
        self._timer.timeout.connect(self._save)
        self._restoring = False
        dock.installEventFilter(self)
        dock.toggleViewAction().triggered.connect(lambda checked: checked and self.restore())
        if content is not None:
            content.installEventFilter(self)
            self._fit_content()

    def words_only(self) -> bool:
        return self.content is not None and self.content.isHidden()

    def _fit_content(self) -> None:
        body = self.dock.widget()
        if body is None:
            return
        if self.words_only():  # a line of slack: a summary may wrap once the dock is narrower
            body.setMaximumHeight(body.sizeHint().height() + body.fontMetrics().height())
        elif body.maximumHeight() != QWIDGETSIZE_MAX:
            body.setMaximumHeight(QWIDGETSIZE_MAX)
            if self.dock.isVisible():
                self.restore()

    def height(self) -> int:
        saved = self.prefs.dock_size(self.dock.objectName())
        if saved is not None:
            return saved
        return int(min(self.default_px, self.window.height() * MAX_DEFAULT_SHARE))

    def restore(self) -> None:
        self._restoring = True
        try:
            self.window.resizeDocks([self.dock], [self.height()], Qt.Orientation.Vertical)
        finally:
            self._restoring = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if watched is self.content:
            if event.type() in (QEvent.Type.Show, QEvent.Type.Hide):
                QTimer.singleShot(0, self, self._fit_content)  # once the layout knows the change
            return False
        if event.type() == QEvent.Type.Resize and not self._restoring and not self.words_only():
            if self.dock.isVisible() and not self.dock.isFloating() and self.window.isVisible():
                self._timer.start()
        return False

    def _save(self) -> None:
        if self.words_only():  # the words' height is not one the user chose
            return
        if self.dock.isVisible() and not self.dock.isFloating() and self.dock.height() > 0:
            self.prefs.set_dock_size(self.dock.objectName(), self.dock.height())


def sheet_rows(panels: Panels) -> list[tuple[str, str, str]]:
    """The panels' keys for the shortcut sheet (F1), read from the same tables they bind."""
    from app.explorer.gallery import GALLERY_KEYS
    from app.review_panel import BACK_KEY, DECISION_KEYS, REPLAY_KEY

    rows = [
        ("Review", key, f"{text.lower()} the clip under review (while a review runs)")
        for _decision, text, key in DECISION_KEYS
    ]
    rows += [
        ("Review", BACK_KEY, "back to the previous clip"),
        ("Review", REPLAY_KEY, "play the clip again"),
    ]
    for dock in (
        panels.closeup_dock,
        panels.training_dock,
        panels.models_dock,
        panels.thresholds_dock,
        panels.review,
        panels.activity,
        panels.explorer,
    ):
        action = dock.toggleViewAction()
        rows.append(
            ("View", action.shortcut().toString(), f"show / hide the {action.text()} panel")
        )
    rows += [("Explorer grid", keys, what) for keys, what in GALLERY_KEYS]
    rows += [
        ("File", "Ctrl+I", "import annotations"),
        ("File", "Ctrl+E", "export labels or detections"),
    ]
    return rows
