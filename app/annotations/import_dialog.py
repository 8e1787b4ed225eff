"""File ▸ Import annotations…: files from Raven, Audacity, Sonic Visualiser, BirdNET or CSV into
the open project, with a preview of exactly what will be written before anything is.

The user sees the clip rule in words with its numbers, which classes would be new (ticked by
default; unticking one leaves its labels out) and every row that cannot be placed, with the
reason, so nothing is dropped silently. Rows with a frequency band of their own are kept as
time-frequency boxes unless the user unticks that, so a Raven table comes back out of Sonotag
with its frequencies. Import writes one ``ImportLabels`` command on the
context's undo stack, so a single Undo takes the whole import back. Labels replacing one already
on the clip are counted apart from new ones, so the numbers match the recording list's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.annotations.preview_widgets import NewClassList, UnplacedTable
from app.annotations.recording_picker import RecordingCombo
from app.annotations.sources import (
    FORMAT_NAMES,
    AnnotationCache,
    ExistingMarks,
    ImportRule,
    Preview,
    ProjectRecordings,
    Source,
    build_preview,
    default_recording,
    geometry_for_import,
    make_source,
    rate_mismatch,
    rule_text,
    summary_text,
)
from app.dialogs import report_exception
from model.annotations.importer import import_command
from model.errors import SonotagError

if TYPE_CHECKING:
    from app.context import AppContext
    from model.project import Project

_FILE, _FORMAT, _RECORDING, _ROWS = range(4)
_DEBOUNCE_MS = 150  # typing a class name or spinning a box re-plans once the user pauses


class ImportDialog(QDialog):
    """Set up, preview and apply the import of ``paths`` into ``context.project``."""

    def __init__(
        self, context: AppContext, paths: Sequence[str | Path], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        if context.project is None:
            raise ValueError("the import dialog needs an open project")
        self.context = context
        self.project: Project = context.project
        self.setWindowTitle("Import annotations")
        self.known = ProjectRecordings(self.project)  # read as needed, never all at once
        self.sources = [make_source(Path(p), self.known.named, context.recording) for p in paths]
        self.cache = AnnotationCache()
        self.preview = Preview()
        self.refused: set[str] = set()  # lower-cased new class names the user unticked
        self.written = self.added = self.replaced = 0  # added + replaced == written
        self.boxes_written = 0
        # What the project holds before the import; the dialog is modal: it stays so.
        self._existing = ExistingMarks.of(self.project)
        self._geometry = geometry_for_import(self.project)
        self._clip_seconds = self._geometry.clip_seconds
        self._timer = QTimer(self, singleShot=True, interval=_DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh_preview)

        layout = QVBoxLayout(self)
        layout.addWidget(self._build_files())
        row = QHBoxLayout()
        row.addWidget(self._build_rule(), 3)
        row.addWidget(self._build_options(), 2)
        layout.addLayout(row)
        layout.addWidget(self._build_preview(), 1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.import_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.import_button.setText("Import")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(960, 780)
        self.refresh_preview()

    # ----------------------------------------------------------------- building
    def _build_files(self) -> QGroupBox:
        box = QGroupBox("Files", self)
        table = QTableWidget(len(self.sources), 4, box)
        table.setHorizontalHeaderLabels(["File", "Format", "Recording", "Rows"])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = table.horizontalHeader()
        header.setSectionResizeMode(_FILE, QHeaderView.ResizeMode.Stretch)
        for column in (_FORMAT, _RECORDING, _ROWS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        for i, source in enumerate(self.sources):
            item = QTableWidgetItem(source.path.name)
            item.setToolTip(str(source.path))
            table.setItem(i, _FILE, item)
            table.setCellWidget(i, _FORMAT, self._format_combo(i, source))
            table.setCellWidget(i, _RECORDING, self._recording_combo(i))
            table.setItem(i, _ROWS, QTableWidgetItem(""))
        rows = table.verticalHeader().defaultSectionSize() * min(max(len(self.sources), 1), 6)
        table.setFixedHeight(header.sizeHint().height() + rows + 2 * table.frameWidth() + 2)
        self.files_table = table
        QVBoxLayout(box).addWidget(table)
        return box

    def _format_combo(self, row: int, source: Source) -> QComboBox:
        combo = QComboBox()
        for key, name in FORMAT_NAMES.items():
            combo.addItem(name + (" (detected)" if key == source.detected else ""), key)
        combo.setCurrentIndex(combo.findData(source.fmt))
        combo.setToolTip("Detected from the file's first line; change it if it is wrong.")
        combo.currentIndexChanged.connect(lambda _i, r=row: self._format_changed(r))
        return combo

    def _recording_combo(self, row: int) -> RecordingCombo:
        combo = RecordingCombo(self.known)
        current = self.context.recording
        for rec_id in (self.sources[row].recording_id, current.id if current else None):
            combo.ensure(rec_id)
        combo.currentIndexChanged.connect(lambda _i, r=row: self._recording_changed(r))
        combo.picked.connect(lambda rec_id, r=row: self.set_recording(r, rec_id))
        self._sync_recording_combo(row, combo)
        return combo

    def _build_rule(self) -> QGroupBox:
        box = QGroupBox("From time spans to clip labels", self)
        form = QFormLayout(box)
        self.overlap_spin = QSpinBox(box, suffix=" %", minimum=1, maximum=100, value=50)
        self.overlap_spin.setToolTip("Of the shorter of annotation and clip.")
        self.grid_spin = QDoubleSpinBox(box, decimals=2, singleStep=0.5, suffix=" s")
        self.grid_spin.setRange(0.05, self._clip_seconds)
        self.grid_spin.setValue(min(self._geometry.hop_seconds, self._clip_seconds))
        self.rule_label = QLabel(box, wordWrap=True)
        form.addRow("Minimum overlap:", self.overlap_spin)
        form.addRow("Clips start every:", self.grid_spin)
        form.addRow(self.rule_label)
        self.overlap_spin.valueChanged.connect(self._schedule)
        self.grid_spin.valueChanged.connect(self._schedule)
        return box

    def _build_options(self) -> QGroupBox:
        box = QGroupBox("Rows", self)
        form = QFormLayout(box)
        self.default_class_edit = QLineEdit(box, placeholderText="e.g. the species")
        self.default_class_edit.setToolTip(
            "Class given to rows that carry no class name (Sonic Visualiser boxes often have "
            "none). Left empty, such rows are listed as not placed."
        )
        form.addRow("Class for unnamed rows:", self.default_class_edit)
        self.min_score_spin = QDoubleSpinBox(
            box, decimals=2, singleStep=0.05, minimum=0.0, maximum=1.0, specialValueText="any"
        )
        self.min_score_spin.setToolTip("BirdNET confidence: rows below it are listed, not imported")
        form.addRow("Minimum score:", self.min_score_spin)
        self.frames_box = QCheckBox("Sonic Visualiser frames are counted at\nthe recording's rate")
        self.frames_box.setToolTip(
            "Some layers (pykanto's examples among them) state 44100 Hz whatever the audio's "
            "rate but count frames at the audio's own rate. Tick this when the imported spans "
            "look stretched or cut short."
        )
        self.frames_hint = QLabel(box, wordWrap=True)
        self.keep_box = QCheckBox("Keep labels already on a clip", box)
        self.keep_box.setToolTip("Otherwise the imported state replaces the clip's label.")
        self.boxes_box = QCheckBox("Keep frequency bands as time–frequency boxes", box)
        self.boxes_box.setChecked(True)
        self.boxes_box.setToolTip(
            "Rows with a band of their own (Raven Low/High Freq, Audacity frequency lines, "
            "Sonic Visualiser boxes) become boxes you see and edit on the spectrogram, and are "
            "exported again with their frequencies. Unticked, every row becomes clip labels by "
            "the rule on the left."
        )
        form.addRow(self.frames_box)
        form.addRow(self.frames_hint)
        form.addRow(self.boxes_box)
        form.addRow(self.keep_box)
        self.boxes_box.toggled.connect(self._schedule)
        self.default_class_edit.textChanged.connect(self._schedule)
        self.min_score_spin.valueChanged.connect(self._schedule)
        self.frames_box.toggled.connect(self._schedule)
        self.keep_box.toggled.connect(self._show_summary)
        return box

    def _build_preview(self) -> QGroupBox:
        box = QGroupBox("Preview", self)
        layout = QVBoxLayout(box)
        self.summary_label = QLabel(box, wordWrap=True, styleSheet="font-weight: bold;")
        layout.addWidget(self.summary_label)
        row = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(QLabel("New classes (untick to leave out):", box))
        self.new_classes_list = NewClassList(box)
        self.new_classes_list.itemChanged.connect(self._class_ticked)
        left.addWidget(self.new_classes_list)
        row.addLayout(left, 1)
        right = QVBoxLayout()
        head = QHBoxLayout()
        self.unplaced_label = QLabel(box)
        head.addWidget(self.unplaced_label, 1)
        self.copy_button = QPushButton("Copy list", box)
        self.copy_button.clicked.connect(self.copy_unplaced)
        head.addWidget(self.copy_button)
        right.addLayout(head)
        self.unplaced_table = UnplacedTable(box)
        right.addWidget(self.unplaced_table)
        row.addLayout(right, 5)
        layout.addLayout(row)
        return box

    # ----------------------------------------------------------------- state
    def rule(self) -> ImportRule:
        score = self.min_score_spin.value()
        return ImportRule(
            min_overlap=self.overlap_spin.value() / 100.0,
            grid=self.grid_spin.value(),
            clip_seconds=self._clip_seconds,
            default_label=self.default_class_edit.text(),
            min_score=score if score > 0 else None,
            frames_at_recording_rate=self.frames_box.isChecked(),
            keep_boxes=self.boxes_box.isChecked(),
        )

    def _schedule(self) -> None:
        self._timer.start()

    def _combo(self, row: int, column: int) -> QComboBox:
        combo = self.files_table.cellWidget(row, column)
        assert isinstance(combo, QComboBox)
        return combo

    def _format_changed(self, row: int) -> None:
        source = self.sources[row]
        source.fmt = self._combo(row, _FORMAT).currentData()
        if source.single_file and source.recording_id is None:
            rec = default_recording(source.path, self.known.named, self.context.recording)
            source.recording_id = rec.id if rec is not None else None
        self._sync_recording_combo(row, self._combo(row, _RECORDING))
        self.refresh_preview()

    def _sync_recording_combo(self, row: int, combo: QComboBox) -> None:
        source = self.sources[row]
        combo.blockSignals(True)
        combo.setEnabled(source.single_file)
        if source.single_file:
            combo.setItemText(0, "(choose a recording)")
            combo.ensure(source.recording_id)
            combo.setCurrentIndex(max(0, combo.findData(source.recording_id)))
            combo.setToolTip("This format names no audio file: choose the recording it belongs to.")
        else:
            combo.setItemText(0, "as named in each row")
            combo.setCurrentIndex(0)
            combo.setToolTip("Rows are matched to recordings by the file name they give.")
        combo.blockSignals(False)

    def _recording_changed(self, row: int) -> None:
        combo = self._combo(row, _RECORDING)
        if isinstance(combo, RecordingCombo) and combo.wants_other():
            self._sync_recording_combo(row, combo)  # the choice so far, until one is picked
            return
        self.sources[row].recording_id = combo.currentData()
        self.refresh_preview()

    def set_format(self, row: int, fmt: str) -> None:
        self._combo(row, _FORMAT).setCurrentIndex(self._combo(row, _FORMAT).findData(fmt))

    def set_recording(self, row: int, recording_id: int | None) -> None:
        combo = self._combo(row, _RECORDING)
        if isinstance(combo, RecordingCombo):
            combo.ensure(recording_id)
        combo.setCurrentIndex(max(0, combo.findData(recording_id)))

    def _class_ticked(self, item: QListWidgetItem) -> None:
        name = item.text().lower()
        if item.checkState() == Qt.CheckState.Checked:
            self.refused.discard(name)
        else:
            self.refused.add(name)
        self._show_summary()

    # ----------------------------------------------------------------- preview
    def refresh_preview(self) -> None:
        """Re-plans the import from the current settings (nothing is written)."""
        self._timer.stop()
        rule = self.rule()
        self.rule_label.setText(rule_text(rule))
        self.preview = build_preview(self.project, self.sources, rule, self.cache, self.known)
        for i, source in enumerate(self.sources):
            rows = self.preview.rows.get(source.path)
            item = self.files_table.item(i, _ROWS)
            item.setText("unreadable" if rows is None else str(rows))
        self._show_rate_hint()
        self._show_new_classes()
        self._show_unplaced()
        self._show_summary()

    def _show_rate_hint(self) -> None:
        layers = [s for s in self.sources if s.fmt == "sonic_visualiser"]
        self.frames_box.setEnabled(bool(layers))
        notes = []
        for source in layers:
            rec = self.known.get(source.recording_id)
            rate = rate_mismatch(self.cache, source, rec)
            if rate is not None and rec is not None:
                notes.append(f"{source.path.name}: {rate:g} vs {rec.sample_rate:g} Hz")
        if notes:
            notes.insert(0, "Layer rate vs recording rate:")
        self.frames_hint.setText("\n".join(notes))
        self.frames_hint.setVisible(bool(notes))

    def _show_new_classes(self) -> None:
        self.new_classes_list.show_names(self.preview.plan.new_class_names, self.refused)

    def _show_unplaced(self) -> None:
        rows = self.preview.unplaced
        self.unplaced_table.show_entries(rows)
        self.unplaced_label.setText(
            f"{len(rows)} row(s) cannot be placed:" if rows else "Every row can be placed."
        )
        self.copy_button.setEnabled(bool(rows))

    def refused_classes(self) -> set[str]:
        """New class names (project spelling) whose labels the user chose to leave out."""
        return {n for n in self.preview.plan.new_class_names if n.lower() in self.refused}

    def labels_to_write(self) -> int:
        return self.preview.labels_to_write(self.refused_classes())

    def boxes_to_write(self) -> int:
        return self.preview.boxes_to_write(self.refused_classes())

    def boxes_already_there(self) -> int:
        """Planned boxes (of classes kept) the project holds already: added once only."""
        return self._existing.boxes_in(self.preview.plan, self.refused_classes())

    def clips_already_labelled(self) -> int:
        """Planned labels (of classes kept) whose clip already has a label of that class."""
        return self._existing.clips_in(self.preview.plan, self.refused_classes())

    def _show_summary(self) -> None:
        refused = self.refused_classes()
        existing, keep = self.clips_already_labelled(), self.keep_box.isChecked()
        boxes_there = self.boxes_already_there()
        self.summary_label.setText(
            summary_text(self.preview, refused, len(self.sources), existing, keep, boxes_there)
        )
        count = self.preview.labels_to_write(refused)
        boxes = self.preview.boxes_to_write(refused)
        self.import_button.setEnabled(count > (existing if keep else 0) or boxes > boxes_there)

    def copy_unplaced(self) -> None:
        self.unplaced_table.copy()

    # ----------------------------------------------------------------- apply
    def accept(self) -> None:
        if self._timer.isActive():
            self.refresh_preview()
        nothing = self.labels_to_write() == 0 and self.boxes_to_write() == 0
        if nothing or self.context.undo_stack is None:
            return
        refused = self.refused_classes()
        wanted = {n for n in self.preview.plan.new_class_names if n not in refused}
        before = self.project.label_total()
        try:
            command = import_command(
                self.project,
                self.preview.plan,
                create_classes=wanted,
                overwrite=not self.keep_box.isChecked(),
                undo_stack=self.context.undo_stack,
            )
        except (SonotagError, OSError) as exc:
            report_exception(self, "The annotations could not be imported", exc)
            return
        self.written, self.boxes_written = command.written, command.boxes_written
        self.added = self.project.label_total() - before
        self.replaced = self.written - self.added
        boxes = f" and {self.boxes_written} box(es)" if self.boxes_written else ""
        self.context.status.emit(
            f"Imported {self.written} clip label(s){boxes} from {len(self.sources)} file(s): "
            f"{self.added} new, {self.replaced} replacing a label already on the clip"
        )
        super().accept()
