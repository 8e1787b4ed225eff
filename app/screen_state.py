"""What the window says about what is on screen: which recording (title bar and a line over the
plot), what to do when there is nothing to show, and where the keys are (F1).

A biologist switching between two hundred files must see at a glance which one is open; a new
project must say "add recordings" rather than show a black plot; and the shortcut sheet must be
findable without knowing F1. The window calls ``show_recording``/``show_project``; this class
decides the words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from model.pathtext import display
from model.timefmt import format_clock

if TYPE_CHECKING:
    from app.spectrogram import SpectrogramView
    from model.audio import AudioInfo
    from model.project import Project, Recording

APP = "Sonotag"
TEXT_WIDTH = 460


def duration_text(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 60 else format_clock(seconds)


def caption_of(recording: Recording, info: AudioInfo | None) -> tuple[str, str]:
    """(line over the plot, its tooltip): name, length, sample rate and start time if known."""
    name = display(recording.path.name)
    parts = [f"<b>{_escape(name)}</b>", duration_text(recording.duration)]
    rate = info.sample_rate if info is not None else recording.sample_rate
    parts.append(f"{rate / 1000:g} kHz")
    start = recording.start_time
    if start is not None:
        parts.append(start.strftime("%Y-%m-%d %H:%M:%S %Z").strip())
    return "  ·  ".join(parts), display(recording.path)


def window_title(project: Project | None, recording: Recording | None) -> str:
    """ "XC46092.wav — busy — Sonotag": the recording first, so a task bar shows it."""
    parts = []
    if recording is not None:
        parts.append(display(recording.path.name))
    if project is not None:
        parts.append(display(project.path.stem))
    return " — ".join([*parts, APP])


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Hint:
    title: str
    detail: str
    actions: tuple[str, ...]  # keys of EmptyState's callbacks, in button order


NO_PROJECT = Hint(
    "No project is open",
    "A project keeps your recordings, classes and labels in one file.",
    ("new", "open"),
)
NO_RECORDINGS = Hint(
    "This project has no recordings yet",
    "Add the recordings you want to label: single files, or a whole folder (its subfolders "
    "are searched too). You can also drop files or folders on this window.",
    ("add_files", "add_folder"),
)
NO_RECORDING = Hint(
    "No recording is shown",
    "Choose one in the Recordings list on the left (View ▸ Project brings the list back).",
    (),
)
BUTTON_TEXTS = {
    "new": "New project…",
    "open": "Open project…",
    "add_files": "Add recordings…",
    "add_folder": "Add a folder…",
}


class EmptyState(QWidget):
    """Stands in for the spectrogram when there is nothing to show, with the way forward."""

    def __init__(self, actions: dict[str, Callable[[], None]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("empty-state")
        self.setAutoFillBackground(True)
        self.title = QLabel("", self)
        self.title.setObjectName("empty-title")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title.setFont(font)
        self.detail = QLabel("", self)
        self.problem = QLabel("", self)
        self.problem.setStyleSheet("color: #b35900;")
        for label in (self.detail, self.problem):
            # A fixed width lets a wrapped label take the height it needs when centred.
            label.setWordWrap(True)
            label.setFixedWidth(TEXT_WIDTH)
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        row.addStretch(1)
        for key, text in BUTTON_TEXTS.items():
            button = QPushButton(text, self)
            button.clicked.connect(actions[key])
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            row.addWidget(button)
            self.buttons[key] = button
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        for label in (self.title, self.detail, self.problem):
            # Centred by stretches, not by an alignment: an aligned item gets its size hint,
            # and a wrapped label's hint is one line.
            line = QHBoxLayout()
            line.addStretch(1)
            line.addWidget(label)
            line.addStretch(1)
            layout.addLayout(line)
        layout.addSpacing(12)
        layout.addLayout(row)
        layout.addStretch(3)
        self.hint: Hint | None = None

    def show_hint(self, hint: Hint, problem: str = "") -> None:
        self.hint = hint
        self.title.setText(hint.title)
        self.detail.setText(hint.detail)
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        for key, button in self.buttons.items():
            button.setVisible(key in hint.actions)
        first = next((self.buttons[k] for k in hint.actions), None)
        if first is not None:
            first.setDefault(True)


def hint_for(project: Project | None, recording: Recording | None) -> Hint | None:
    """What to say instead of the spectrogram, or None when a recording is shown."""
    if recording is not None:
        return None
    if project is None:
        return NO_PROJECT
    if project.recording_count() == 0:
        return NO_RECORDINGS
    return NO_RECORDING


def shortcuts_button(open_sheet: Callable[[], object], parent: QWidget) -> QToolButton:
    """A permanent "Keys: F1" button in the status bar: the sheet is one click away, and the
    key is written on it."""
    button = QToolButton(parent)
    button.setObjectName("shortcuts-hint")
    button.setText("⌨ Keys: F1")
    button.setToolTip("Every keyboard shortcut (F1, also in the Help menu)")
    button.setAutoRaise(True)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    button.clicked.connect(lambda: open_sheet())
    return button


class ScreenState(QObject):
    """Owns the spectrogram's place in the window (the plot or the empty-state hint), the
    caption over the plot, the window title, the damaged-recording flag and the F1 button."""

    def __init__(
        self,
        window: QMainWindow,
        spectrogram: SpectrogramView,
        actions: dict[str, Callable[[], None]],
        open_sheet: Callable[[], object],
    ) -> None:
        super().__init__(window)
        self.window = window
        self.spectrogram = spectrogram
        self.empty = EmptyState(actions, window)
        self.stack = QStackedWidget(window)
        self.stack.addWidget(spectrogram)
        self.stack.addWidget(self.empty)
        # What is wrong with the recording on screen (cut short, NaN samples): stays while it
        # is shown, unlike passing messages; the full text is in the tooltip.
        self.warning = QLabel("", window)
        self.warning.setObjectName("recording-warning")
        self.warning.setStyleSheet("color: #b35900; font-weight: bold;")
        self.warning.setMaximumWidth(520)
        self.warning.hide()
        self.keys_button = shortcuts_button(open_sheet, window)
        self.show(None, None, None)

    def show(
        self,
        project: Project | None,
        recording: Recording | None,
        info: AudioInfo | None,
        problem: str = "",
    ) -> None:
        """Title, caption and hint for what the window now holds; ``problem`` says why a
        recording asked for is not shown."""
        self.window.setWindowTitle(window_title(project, recording))
        if recording is not None:
            self.spectrogram.set_caption(*caption_of(recording, info))
        else:
            self.spectrogram.set_caption("")
        hint = hint_for(project, recording)
        if hint is None:
            self.stack.setCurrentWidget(self.spectrogram)
        else:
            self.empty.show_hint(hint, problem)
            self.stack.setCurrentWidget(self.empty)
        self._show_warning(recording, info)

    def _show_warning(self, recording: Recording | None, info: AudioInfo | None) -> None:
        warning = info.warning if recording is not None and info is not None else ""
        label = self.warning
        label.setVisible(bool(warning))
        if not warning or recording is None:
            label.clear()
            return
        text = f"⚠ {display(recording.path.name)}: {warning}"
        label.setToolTip(text)
        label.setText(label.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, 500))
