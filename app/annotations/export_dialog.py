"""File ▸ Export labels or detections…: the project's clip labels and time-frequency boxes, or
its model's detections above a threshold, as Raven selection tables, Audacity label tracks,
Sonic Visualiser layers or CSV. Boxes keep their band in every format.

Files are written by ``model.annotations.exporter`` in a background job (a season's export is
thousands of files), with progress and Cancel; this dialog gathers the choices, stays open
until the job is done (a bad folder can then be corrected), and afterwards says exactly which
files were written, because a biologist's next step is opening them in Raven or Audacity and
they need to know where they went.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app import file_dialogs
from app.dialogs import JobProgressDialog, confirm, report_error, report_exception
from model.annotations.exporter import SINGLE_RECORDING, SUFFIXES, export_job
from model.project.records import LabelState

if TYPE_CHECKING:
    from app.context import AppContext
    from app.jobs import Job
    from model.project import Project

EXPORT_FORMATS: dict[str, str] = {
    "raven": "Raven selection table",
    "audacity": "Audacity labels",
    "sonic_visualiser": "Sonic Visualiser layers",
    "csv": "CSV table",
}
#: Endings of the files the exporter writes per recording (the dialect's, as Raven names them).
PER_RECORDING_SUFFIX = SUFFIXES
_ONE_TABLE_SUFFIX = {"raven": ".selections.txt", "csv": ".csv"}
_SHOWN_FILES = 12


class ExportDialog(QDialog):
    """Choose what to export, how and where; ``accept`` writes the files and lists them."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if context.project is None:
            raise ValueError("the export dialog needs an open project")
        self.context = context
        self.project: Project = context.project
        self.model = self.project.active_model()
        self.written: list[Path] = []
        self.result_box: QMessageBox | None = None
        self.job: Job | None = None  # the export running, if one is
        self.setWindowTitle("Export labels or detections")

        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)

        self.labels_radio = QRadioButton("Labels", self)
        model_name = f"“{self.model.name}”" if self.model else "(no trained model yet)"
        self.predictions_radio = QRadioButton(f"Detections of the model {model_name}", self)
        self.predictions_radio.setEnabled(self.model is not None)
        self.labels_radio.setChecked(True)
        form.addRow("Export:", _stacked(self.labels_radio, self.predictions_radio))

        self.format_combo = QComboBox(self)
        for key, name in EXPORT_FORMATS.items():
            self.format_combo.addItem(name, key)
        form.addRow("Format:", self.format_combo)

        self.per_recording_radio = QRadioButton("One file per recording", self)
        self.one_table_radio = QRadioButton("One table for all recordings", self)
        self.per_recording_radio.setChecked(True)
        self._layout_group = QButtonGroup(self)
        for radio in (self.per_recording_radio, self.one_table_radio):
            self._layout_group.addButton(radio)
        form.addRow("Files:", _stacked(self.per_recording_radio, self.one_table_radio))

        self.state_boxes: dict[LabelState, QCheckBox] = {}
        row = QHBoxLayout()
        for state in LabelState:
            box = QCheckBox(state.value, self)
            box.setChecked(state is LabelState.PRESENT)
            box.toggled.connect(self._update)
            self.state_boxes[state] = box
            row.addWidget(box)
        row.addStretch(1)
        self.states_label = QLabel("Labels marked:", self)
        form.addRow(self.states_label, row)
        self.clips_box = QCheckBox("Clip labels", self)
        self.boxes_box = QCheckBox("Time–frequency boxes (with their band)", self)
        for box in (self.clips_box, self.boxes_box):
            box.setChecked(True)
            box.toggled.connect(self._update)
        self.kinds_label = QLabel("Include:", self)
        form.addRow(self.kinds_label, _side_by_side(self.clips_box, self.boxes_box))

        self.threshold_spin = QDoubleSpinBox(self, decimals=2, singleStep=0.05)
        self.threshold_spin.setRange(0.0, 1.0)
        self.threshold_spin.setValue(0.5)
        self.merge_box = QCheckBox("Join touching windows into one row", self)
        self.merge_box.setChecked(True)
        self.threshold_label = QLabel("Score at least:", self)
        form.addRow(self.threshold_label, _side_by_side(self.threshold_spin, self.merge_box))

        self.folder_edit = QLineEdit(str(self.project.directory / "exports"), self)
        self.browse_button = QPushButton("Choose…", self)
        self.browse_button.clicked.connect(self.choose_folder)
        form.addRow("Folder:", _side_by_side(self.folder_edit, self.browse_button))

        self.target_label = QLabel(self, wordWrap=True)
        self.target_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.target_label)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.export_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.export_button.setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        for radio in (self.labels_radio, self.predictions_radio, self.per_recording_radio):
            radio.toggled.connect(self._update)
        self.format_combo.currentIndexChanged.connect(self._update)
        self.folder_edit.textChanged.connect(self._update)
        self.resize(560, 0)
        self._update()

    # ----------------------------------------------------------------- choices
    @property
    def fmt(self) -> str:
        return str(self.format_combo.currentData())

    @property
    def exporting_predictions(self) -> bool:
        return self.predictions_radio.isChecked()

    @property
    def per_recording(self) -> bool:
        return self.per_recording_radio.isChecked() or self.fmt in SINGLE_RECORDING

    def states(self) -> list[LabelState]:
        return [state for state, box in self.state_boxes.items() if box.isChecked()]

    def folder(self) -> Path:
        return Path(self.folder_edit.text().strip()).expanduser()

    def target(self) -> Path:
        """The folder (one file per recording) or the single table to be written."""
        if self.per_recording:
            return self.folder()
        what = "detections" if self.exporting_predictions else "labels"
        return self.folder() / f"{self.project.path.stem}_{what}{_ONE_TABLE_SUFFIX[self.fmt]}"

    def set_format(self, fmt: str) -> None:
        self.format_combo.setCurrentIndex(self.format_combo.findData(fmt))

    def choose_folder(self) -> None:
        folder = file_dialogs.get_existing_directory(self, "Export into folder", str(self.folder()))
        if folder:
            self.folder_edit.setText(folder)

    def _update(self) -> None:
        predictions = self.exporting_predictions
        for widget in (self.states_label, *self.state_boxes.values()):
            widget.setEnabled(not predictions)
        for widget in (self.kinds_label, self.clips_box, self.boxes_box):
            widget.setEnabled(not predictions)
        for widget in (self.threshold_label, self.threshold_spin, self.merge_box):
            widget.setEnabled(predictions)
        single = self.fmt in SINGLE_RECORDING
        self.one_table_radio.setEnabled(not single)
        self.one_table_radio.setToolTip(
            f"{EXPORT_FORMATS[self.fmt]} hold one recording each." if single else ""
        )
        if self.per_recording:
            stem = self._example_stem()
            text = (
                f"Writes one file per recording (such as {stem}{PER_RECORDING_SUFFIX[self.fmt]}) "
                f"into {self.folder()}."
            )
        else:
            kind = "a multi-file Raven table" if self.fmt == "raven" else "a CSV with a file column"
            text = f"Writes {kind}: {self.target()}"
        self.target_label.setText(text)
        kinds = self.clips_box.isChecked() or self.boxes_box.isChecked()
        ready = bool(self.folder_edit.text().strip()) and (
            predictions or (bool(self.states()) and kinds)
        )
        self.export_button.setEnabled(ready and self.job is None)

    def _example_stem(self) -> str:
        """The first recording's name, for the example file name. Read alone: this runs on
        every change in the dialog, and listing a season's recordings takes seconds."""
        first = self.project.first_recording_id()
        stored = None if first is None else self.project.stored_paths([first]).get(first)
        return Path(stored).stem if stored else "recording"

    def existing_targets(self) -> list[Path]:
        """Files the export would overwrite (per recording: those named after a recording).
        The folder is listed once, not asked about each recording's file (100,000 of them)."""
        if not self.per_recording:
            return [self.target()] if self.target().exists() else []
        try:
            with os.scandir(self.folder()) as entries:
                present = {e.name for e in entries if e.is_file()}
        except OSError:  # no folder yet (or unreadable: the export names the cause)
            return []
        suffix = PER_RECORDING_SUFFIX[self.fmt]
        names = {Path(stored).stem + suffix for stored in self.project.stored_paths().values()}
        return [self.folder() / n for n in sorted(names & present)]

    # ----------------------------------------------------------------- export
    def options(self) -> dict[str, Any]:
        """The exporter's keyword arguments for the choices made."""
        if self.exporting_predictions:
            assert self.model is not None
            return {
                "detections": True,
                "threshold": self.threshold_spin.value(),
                "merge_adjacent": self.merge_box.isChecked(),
                "per_recording": self.per_recording,
                "model_id": self.model.id,
            }
        return {
            "per_recording": self.per_recording,
            "states": self.states(),
            "clips": self.clips_box.isChecked(),
            "boxes": self.boxes_box.isChecked(),
        }

    def accept(self) -> None:
        """Asks before replacing files, then writes them in a background job; the dialog
        closes when it has finished (a failure or Cancel leaves it open)."""
        if self.job is not None:
            return
        existing = self.existing_targets()
        if existing and not confirm(
            self,
            "Replace files?",
            f"{len(existing)} file(s) in {self.folder()} would be replaced, "
            f"for example {existing[0].name}. Replace them?",
        ):
            return
        try:
            self.folder().mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            report_exception(self, "The export failed", exc, self.folder())
            return
        what = "detections" if self.exporting_predictions else "labels"
        job = self.context.run_thread(
            f"Exporting {what}", export_job, str(self.project.path), str(self.target()),
            self.fmt, **self.options(),
        )  # fmt: skip
        self.job = job
        JobProgressDialog(job, self)
        job.finished.connect(self._exported)
        job.failed.connect(lambda msg, detail: report_error(self, "The export failed", msg, detail))
        job.cancelled.connect(self._cancelled)
        job.ended.connect(self._ended)
        self._update()

    def _exported(self, written: list[Path]) -> None:
        self.written = [Path(p) for p in written]
        self.result_box = show_written(self.parentWidget(), self.written, self.folder())
        self.context.status.emit(f"Exported {len(self.written)} file(s) to {self.folder()}")
        super().accept()

    def _cancelled(self) -> None:
        self.context.status.emit(
            f"Export cancelled: files written before it stopped are in {self.folder()}"
        )

    def _ended(self) -> None:
        self.job = None
        self._update()

    def reject(self) -> None:
        """Closing the dialog while it exports cancels the export."""
        if self.job is not None:
            self.job.cancel()
        super().reject()


def show_written(parent: QWidget | None, files: list[Path], folder: Path) -> QMessageBox:
    """A non-blocking box naming the files written (all of them in the details)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle("Export finished")
    if not files:
        box.setText("Nothing to export: no labels or detections matched the choices.")
    else:
        box.setText(f"{len(files)} file(s) written in {folder}:")
        shown = [str(p.relative_to(folder)) if p.is_relative_to(folder) else str(p) for p in files]
        text = "\n".join(shown[:_SHOWN_FILES])
        if len(shown) > _SHOWN_FILES:
            text += f"\n… and {len(shown) - _SHOWN_FILES} more (see details)"
        box.setInformativeText(text)
        box.setDetailedText("\n".join(str(p) for p in files))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def _stacked(*widgets: QWidget) -> QWidget:
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return holder


def _side_by_side(*widgets: QWidget) -> QWidget:
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return holder
