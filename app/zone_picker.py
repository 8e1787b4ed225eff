"""Choosing a time zone by name, and the dialog that sets the zone a project's file names are in.

Named zones (``Europe/London``, ``America/Santiago``) follow daylight saving, which a fixed
offset does not: a dawn chorus at 05:00 in June and at 06:00 in December is the same hour of day
to a bird. Fixed offsets stay on offer for tables kept in standard time. The list is the
``zoneinfo`` database (``tzdata`` on Windows); typing filters it.
"""

from __future__ import annotations

from datetime import UTC, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from model.audio.start_time import zone_named, zone_names
from model.project.clock import filename_dated, filename_zone_name, set_filename_zone

if TYPE_CHECKING:
    from app.main_window import MainWindow
    from model.project import Project

AS_RECORDED = "As recorded"


def zone_choices(as_recorded: bool = True) -> list[tuple[str, tzinfo | str | None]]:
    """(text, zone) pairs: as recorded, UTC, every named zone, then fixed offsets. A named
    zone is given by its name and read from the zone database when chosen (``zone_of``):
    reading all 600 when the window opens cost a tenth of its start."""
    choices: list[tuple[str, tzinfo | str | None]] = [(AS_RECORDED, None)] if as_recorded else []
    choices.append(("UTC", UTC))
    choices += [(name, name) for name in sorted(zone_names().values()) if name != "UTC"]
    for hours in range(-12, 15):
        if hours:
            choices.append((f"UTC{hours:+03d}:00", timezone(timedelta(hours=hours))))
    return choices


def zone_of(choice: tzinfo | str | None) -> tzinfo | None:
    """The zone a ``zone_choices`` entry stands for."""
    if isinstance(choice, str):
        from zoneinfo import ZoneInfo

        return ZoneInfo(choice)
    return choice


class ZoneCombo(QComboBox):
    """An editable list of zones; ``zone()`` is the chosen one (None: as recorded)."""

    def __init__(self, as_recorded: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for text, zone in zone_choices(as_recorded):
            self.addItem(text, zone)
        completer = QCompleter([self.itemText(i) for i in range(self.count())], self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.setCompleter(completer)
        self.setMinimumContentsLength(18)

    def zone(self) -> tzinfo | None:
        return zone_of(self.currentData())

    def zone_name(self) -> str:
        return self.currentText() if self.currentIndex() >= 0 else ""

    def set_zone_name(self, name: str) -> bool:
        """Selects ``name`` (any spelling the zone database knows); False if it names none."""
        index = self.findText(name)
        if index < 0 and (zone := zone_named(name)) is not None:
            index = self.findText(str(zone))
        if index >= 0:
            self.setCurrentIndex(index)
        return index >= 0


class FilenameZoneDialog(QDialog):
    """Which zone the recorders wrote their file names in; accepting re-dates those files."""

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Time zone of file names")
        self.project = project
        self.changed = 0
        dated = filename_dated(project)
        text = QLabel(
            "Recorders such as AudioMoth write the start time into the file name "
            "(20210502_040000.WAV) without saying which time zone it is in. AudioMoth uses UTC "
            "unless its configuration app was given a local time zone.<br><br>"
            f"<b>{dated}</b> recording(s) of this project take their start time from the file "
            "name; they are dated again in the zone chosen here. Times that the recorder wrote "
            "with their zone (GUANO, the AudioMoth comment) are not changed."
        )
        text.setWordWrap(True)
        self.combo = ZoneCombo(as_recorded=False, parent=self)
        self.combo.set_zone_name(filename_zone_name(project))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.combo)
        layout.addWidget(buttons)
        self.resize(460, self.sizeHint().height())

    def accept(self) -> None:
        from app import dialogs
        from model.errors import SonotagError

        name = self.combo.currentText().strip()
        try:
            self.changed = set_filename_zone(self.project, name)
        except SonotagError as exc:
            dialogs.report_exception(self, "Cannot set the time zone", exc)
            return
        super().accept()


def ask_filename_zone(window: MainWindow) -> None:
    """File ▸ Time zone of file names…: the dialog, then everything that shows a clock time
    re-reads the recordings."""
    project = window.project
    if project is None:
        return
    dialog = FilenameZoneDialog(project, window)
    if dialog.exec() == QDialog.DialogCode.Accepted:
        window.context.clock_changed.emit()
        window.statusBar().showMessage(
            f"Time zone of file names: {filename_zone_name(project)}; "
            f"{dialog.changed} recording(s) dated again",
            10_000,
        )
