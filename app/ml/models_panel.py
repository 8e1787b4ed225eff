"""The project's models: which one is active, what each was trained on, and scoring controls.

A model is only reusable months later if one can see what made it: its classes and how many
labels each had, the backbone (flagged loudly when untrained), the held-out figures, and when
and with what it was trained. All of that is in the bundle's manifest; this panel shows it.
"""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.context import AppContext
from app.dialogs import confirm
from app.ml.predict_controller import PredictController
from model.errors import SonotagError
from model.ml import backbones
from model.ml.evaluation import is_pending
from model.project.records import ModelRecord

UNTRAINED_FLAG = "⚠ untrained backbone"
COLUMNS = ["Active", "Name", "Created", "Classes", "mAP", "Backbone"]


def _fmt(value: Any) -> str:
    return "–" if value is None else f"{float(value):.2f}"


def held_out_text(metrics: dict[str, Any]) -> str:
    if is_pending(metrics):
        return "Held-out figures: not measured yet (measured after training, in the background)."
    split = metrics.get("split") or {}
    folds = f"{split['folds']} folds by recording" if split.get("folds") else "no folds"
    return f"Held-out mAP {_fmt(metrics.get('map'))} on {metrics.get('clips', 0)} clips ({folds})."


def backbone_text(record: ModelRecord) -> str:
    if is_untrained(record):
        return UNTRAINED_FLAG
    return backbones.name_of_manifest((record.manifest or {}).get("backbone") or {})


def is_untrained(record: ModelRecord) -> bool:
    return bool((record.manifest or {}).get("untrained_backbone"))


def summary_html(record: ModelRecord) -> str:
    """The manifest in words: what a colleague needs to trust (or distrust) the model."""
    manifest = record.manifest or {}
    metrics = record.metrics or manifest.get("metrics") or {}
    training = manifest.get("training") or {}
    history = training.get("history") or {}
    backbone = manifest.get("backbone") or {}
    parts = [f"<b>{escape(record.name)}</b> ({escape(str(manifest.get('kind', '?')))})"]
    if is_untrained(record):
        parts.append(
            "<p style='color:#e65100'><b>Trained on the UNTRAINED backbone (random weights): "
            "for testing only.</b></p>"
        )
    else:
        title = backbone.get("title") or f"ResNet50, {backbone.get('weights', '?')} weights"
        precision = f", {backbone['precision']}" if backbone.get("precision") else ""
        parts.append(f"<p>Backbone: {escape(str(title))}{escape(str(precision))}</p>")
    notice = (manifest.get("licence") or {}).get("notice")
    if notice:
        parts.append(f"<p style='color:#6a1b9a'>{escape(str(notice))}</p>")
    rows = []
    counts = manifest.get("label_counts") or {}
    per_class = metrics.get("per_class") or {}
    for cls in manifest.get("classes") or []:
        name = str(cls.get("name"))
        count = counts.get(name, {})
        ap = (per_class.get(name) or {}).get("ap")
        rows.append(
            f"<tr><td>{escape(name)}</td><td align=right>{count.get('present', '–')}</td>"
            f"<td align=right>{count.get('absent', '–')}</td><td align=right>{_fmt(ap)}</td></tr>"
        )
    parts.append(
        "<table cellspacing=0 cellpadding=2><tr><th align=left>Class</th><th>present</th>"
        "<th>absent</th><th>held-out AP</th></tr>" + "".join(rows) + "</table>"
    )
    parts.append(f"<p>{escape(held_out_text(metrics))}</p>")
    early = ", stopped early" if history.get("stopped_early") else ""
    steps = (
        f"{history.get('epochs_run', '?')} epochs{early}, best {history.get('best_epoch', '?')}"
        if history.get("history")
        else f"{escape(str((training.get('head') or {}).get('kind', 'linear')))} head"
    )
    parts.append(
        f"<p>Trained {escape(record.created.astimezone().strftime('%Y-%m-%d %H:%M'))} on "
        f"{escape(str(training.get('device', '?')))}: {steps}; {training.get('examples', '?')} "
        f"clips{', fine-tuned' if training.get('fine_tune') else ''}.</p>"
    )
    backbone = manifest.get("backbone") or {}
    if backbone.get("engine"):
        precision = "bfloat16" if backbone.get("precision") == "mixed_bfloat16" else "float32"
        parts.append(
            f"<p>Training features computed by {escape(str(backbone['engine']))} in "
            f"{precision}; scoring uses this computer's engine.</p>"
        )
    versions = manifest.get("versions") or {}
    if versions:
        text = ", ".join(f"{escape(k)} {escape(str(v))}" for k, v in versions.items())
        parts.append(f"<p style='color:gray'>{text}</p>")
    parts.append(f"<p style='color:gray'>{escape(str(record.file))}</p>")
    return "".join(parts)


class ModelsPanel(QWidget):
    """Lists the models of the open project; the radio button picks the active one."""

    model_selected = Signal(object)  # ModelRecord | None

    def __init__(
        self,
        context: AppContext,
        predictor: PredictController | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.predictor = predictor
        self.records: list[ModelRecord] = []
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.radios = QButtonGroup(self)
        self.radios.setExclusive(True)
        self.details = QTextBrowser()
        self.details.setOpenLinks(False)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setEnabled(False)
        self.hop = QDoubleSpinBox()
        self.hop.setRange(0.1, 10.0)
        self.hop.setSingleStep(0.5)
        self.hop.setDecimals(1)
        self.hop.setSuffix(" s hop")
        self.hop.setValue(predictor.hop if predictor is not None else 1.0)
        self.hop.setToolTip(
            "Step between the starts of the windows that are scored; clips snap to the same "
            "grid (saved in the project)"
        )
        self.score_shown = QPushButton("Score shown recording")
        self.score_all = QPushButton("Score all recordings")
        self.cancel_scoring = QPushButton("Stop scoring")
        self.cancel_scoring.setEnabled(False)
        self.scoring_label = QLabel("")
        self.scoring_label.setWordWrap(True)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.delete_button)
        scoring = QHBoxLayout()
        for widget in (self.hop, self.score_shown, self.score_all, self.cancel_scoring):
            scoring.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 2)
        layout.addLayout(row)
        layout.addWidget(self.details, 3)
        layout.addLayout(scoring)
        layout.addWidget(self.scoring_label)
        for widget in (self.hop, self.score_shown, self.score_all, self.cancel_scoring):
            widget.setVisible(predictor is not None)

        self.radios.idClicked.connect(self._on_radio)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.delete_button.clicked.connect(lambda: self.delete_selected(ask=True))
        if predictor is not None:
            self.hop.valueChanged.connect(lambda v: setattr(predictor, "hop", float(v)))
            self.score_shown.clicked.connect(predictor.predict_visible)
            self.score_all.clicked.connect(lambda: predictor.predict(None))
            self.cancel_scoring.clicked.connect(predictor.cancel)
            predictor.busy_changed.connect(self.cancel_scoring.setEnabled)
            predictor.message.connect(self.scoring_label.setText)
        context.project_changed.connect(lambda _p: self.refresh())
        context.project_changed.connect(lambda _p: self._show_hop())
        context.geometry_changed.connect(lambda _g: self._show_hop())
        context.models_changed.connect(self.refresh)
        self.refresh()

    def _show_hop(self) -> None:
        """The project's hop, without writing it back."""
        self.hop.blockSignals(True)
        self.hop.setValue(self.context.geometry().hop_seconds)
        self.hop.blockSignals(False)

    def refresh(self) -> None:
        project = self.context.project
        selected = self.selected_model_id()
        try:
            self.records = project.models() if project is not None else []
        except SonotagError as exc:
            self.records = []
            self.context.error.emit(str(exc), "")
        for button in self.radios.buttons():
            self.radios.removeButton(button)
        self.table.setRowCount(len(self.records))
        read_only = project is None or project.read_only
        for row, record in enumerate(self.records):
            radio = QRadioButton()
            radio.setChecked(record.active)
            radio.setEnabled(not read_only)
            radio.setToolTip("Make this the active model (its scores are shown)")
            self.radios.addButton(radio, record.id)
            holder = QWidget()
            box = QHBoxLayout(holder)
            box.setContentsMargins(6, 0, 0, 0)
            box.addWidget(radio)
            self.table.setCellWidget(row, 0, holder)
            metrics = record.metrics or {}
            untrained = is_untrained(record)
            values = [
                record.name,
                record.created.astimezone().strftime("%Y-%m-%d %H:%M"),
                str(len((record.manifest or {}).get("classes") or [])),
                "…" if is_pending(metrics) else _fmt(metrics.get("map")),
                backbone_text(record),
            ]
            for column, value in enumerate(values, start=1):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, record.id)
                if column == 5 and untrained:
                    item.setForeground(Qt.GlobalColor.darkYellow)
                    item.setToolTip("Trained on random backbone weights: for testing only")
                self.table.setItem(row, column, item)
        self.delete_button.setEnabled(False)
        if selected is not None and self.select_model(selected):
            # The same row selected again says nothing to Qt, but its record may have changed
            # (figures measured after training): show what is stored now.
            record = self.record(selected)
            self.delete_button.setEnabled(record is not None and not read_only)
            self.details.setHtml(summary_html(record) if record is not None else "")
        elif selected is not None:
            self.details.clear()
        elif selected is None:
            active = next((r for r in self.records if r.active), None)
            if active is not None:
                self.select_model(active.id)
            else:
                self.details.setHtml(
                    "<p>No models yet. Train one in the Training panel.</p>"
                    if project is not None
                    else ""
                )

    def selected_model_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 1)
        return int(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def select_model(self, model_id: int) -> bool:
        for row, record in enumerate(self.records):
            if record.id == model_id:
                self.table.selectRow(row)
                return True
        return False

    def active_model_id(self) -> int | None:
        return next((r.id for r in self.records if r.active), None)

    def record(self, model_id: int) -> ModelRecord | None:
        return next((r for r in self.records if r.id == model_id), None)

    def activate(self, model_id: int | None) -> None:
        project = self.context.project
        if project is None:
            return
        try:
            project.set_active_model(model_id)
        except SonotagError as exc:
            self.context.error.emit(str(exc), "")
        self.context.models_changed.emit()

    def delete_model(self, model_id: int, ask: bool = True) -> bool:
        """Forgets a model and its scores; its bundle file goes too when it lies in the
        project's own models folder (files elsewhere were put there by someone: left alone)."""
        from model.ml.train import models_dir

        project, record = self.context.project, self.record(model_id)
        if project is None or record is None:
            return False
        if ask and not confirm(
            self,
            "Delete model",
            f"Delete the model “{record.name}” and all its scores? Labels are not affected.",
        ):
            return False
        if self.predictor is not None:
            self.predictor.forget_model(model_id)
        try:
            project.delete_model(model_id)
        except SonotagError as exc:
            self.context.error.emit(str(exc), "")
            return False
        folder = models_dir(project.path).resolve()
        if record.file.resolve().parent == folder:
            record.file.unlink(missing_ok=True)
        self.context.models_changed.emit()
        return True

    def delete_selected(self, ask: bool = True) -> None:
        model_id = self.selected_model_id()
        if model_id is not None:
            self.delete_model(model_id, ask=ask)

    def _on_radio(self, model_id: int) -> None:
        if model_id != self.active_model_id():
            self.activate(model_id)

    def _on_selection(self) -> None:
        model_id = self.selected_model_id()
        record = self.record(model_id) if model_id is not None else None
        self.delete_button.setEnabled(record is not None and not self._read_only())
        self.details.setHtml(summary_html(record) if record is not None else "")
        self.model_selected.emit(record)

    def _read_only(self) -> bool:
        project = self.context.project
        return project is None or project.read_only
