"""What training reports: live loss curves, then per-class AP, mAP and precision-recall curves.

Figures are on the held-out recordings (never on clips the model was trained on), which is
what users of other tools miss most; when too few clips could be held out the view says so
instead of showing numbers that would flatter the model.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

UNTRAINED_TEXT = "⚠ Trained on the UNTRAINED backbone: for testing only, not for results."


def _fmt(value: Any, digits: int = 2) -> str:
    return "–" if value is None else f"{float(value):.{digits}f}"


LEFT_OUT_SHOWN = 2  # more left-out classes than this are summed up to one line


class LossPlot(pg.PlotWidget):
    """Loss and held-out figures per epoch, growing as the worker reports them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedHeight(180)
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.showGrid(x=True, y=True, alpha=0.2)
        self.setLabel("bottom", "epoch")
        self.addLegend(offset=(-8, 8), labelTextSize="8pt")
        self.rows: list[dict[str, Any]] = []
        self.fine_tune_rows: list[dict[str, Any]] = []
        self._loss = self.plot([], [], pen=pg.mkPen("#64b5f6", width=2), name="loss")
        self._val_loss = self.plot([], [], pen=pg.mkPen("#ffb74d", width=2), name="held-out loss")
        self._val_ap = self.plot(
            [], [], pen=pg.mkPen("#81c784", width=2, style=Qt.PenStyle.DashLine),
            name="held-out mAP",
        )  # fmt: skip
        self._fine = self.plot([], [], pen=pg.mkPen("#ce93d8", width=2), name="fine-tune loss")
        self._legend = self.plotItem.legend
        self._legend.removeItem(self._fine)  # listed only once there is fine-tuning to show

    def clear_rows(self) -> None:
        self.rows, self.fine_tune_rows = [], []
        self._redraw()

    def set_history(self, rows: list[dict[str, Any]], fine_tune: list[dict[str, Any]]) -> None:
        self.rows, self.fine_tune_rows = list(rows), list(fine_tune)
        self._redraw()

    def add_epoch(self, row: Mapping[str, Any]) -> None:
        self.rows.append(dict(row))
        self._redraw()

    def add_fine_tune_epoch(self, row: Mapping[str, Any]) -> None:
        self.fine_tune_rows.append(dict(row))
        self._redraw()

    def _series(self, key: str) -> tuple[list[float], list[float]]:
        pairs = [(r["epoch"], r[key]) for r in self.rows if r.get(key) is not None]
        return [float(e) for e, _ in pairs], [float(v) for _, v in pairs]

    def _redraw(self) -> None:
        self._loss.setData(*self._series("loss"))
        self._val_loss.setData(*self._series("val_loss"))
        self._val_ap.setData(*self._series("val_ap"))
        offset = max((float(r["epoch"]) for r in self.rows), default=0.0)
        fine = [(offset + r["epoch"], r["loss"]) for r in self.fine_tune_rows if "loss" in r]
        self._fine.setData([float(e) for e, _ in fine], [float(v) for _, v in fine])
        listed = self._legend.getLabel(self._fine) is not None
        if fine and not listed:
            self._legend.addItem(self._fine, "fine-tune loss")
        elif not fine and listed:
            self._legend.removeItem(self._fine)


def _swatch(colour: str) -> QPixmap:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(colour))
    return pixmap


class ResultsView(QWidget):
    """mAP line, split line, the per-class AP table and the PR curves of one trained model;
    while its figures are being measured, a progress line with a Stop button instead."""

    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pending_label = QLabel("")
        self.pending_label.setWordWrap(True)
        self.pending_bar = QProgressBar()
        self.pending_bar.setRange(0, 0)
        self.pending_bar.setTextVisible(False)
        self.pending_bar.setMaximumHeight(10)
        self.stop_button = QPushButton("Stop measuring")
        self.stop_button.setToolTip(
            "The model is already in use; only its held-out figures are being measured."
        )
        self.stop_button.clicked.connect(self.stop_requested.emit)
        self.pending_box = QWidget()
        pending = QHBoxLayout(self.pending_box)
        pending.setContentsMargins(0, 0, 0, 0)
        pending.addWidget(self.pending_bar, 1)
        pending.addWidget(self.stop_button)
        self.title = QLabel("No model trained yet.")
        self.title.setWordWrap(True)
        self.map_label = QLabel("")
        font = self.map_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.map_label.setFont(font)
        self.flag = QLabel(UNTRAINED_TEXT)
        self.flag.setWordWrap(True)
        self.flag.setStyleSheet("color: #e65100; font-weight: bold;")
        self.flag.hide()
        self.split_label = QLabel("")
        self.split_label.setWordWrap(True)
        self.left_out_label = QLabel("")
        self.left_out_label.setWordWrap(True)
        self.left_out_label.setStyleSheet("color: #e65100;")
        self.left_out_label.hide()
        # A long "left out" list (BirdNET imports bring dozens of classes) would be a wall of
        # orange text: it is summed up to a line, and a link opens or closes the full list.
        self.left_out_label.setTextFormat(Qt.TextFormat.RichText)
        self.left_out_label.linkActivated.connect(self._toggle_left_out)
        self._left_out: tuple[list[str], int, dict[str, str]] = ([], 0, {})
        self._left_out_open = False
        self.table = QTableWidget(0, 5, self)
        self.table.setHorizontalHeaderLabels(["Class", "AP", "± folds", "Present", "Recordings"])
        self.table.setToolTip(
            "AP on held-out clips (each fold's test part), pooled over folds; ± is its standard "
            "deviation across folds; Present: clips labelled present; Recordings: how many "
            "recordings those come from."
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.pr_plot = pg.PlotWidget()
        self.pr_plot.setFixedHeight(240)
        self.pr_plot.setMenuEnabled(False)
        self.pr_plot.setMouseEnabled(x=False, y=False)
        self.pr_plot.hideButtons()
        self.pr_plot.setLabel("bottom", "recall")
        self.pr_plot.setLabel("left", "precision")
        self.pr_plot.setXRange(0, 1, padding=0.02)
        self.pr_plot.setYRange(0, 1.02, padding=0.02)
        self.pr_plot.showGrid(x=True, y=True, alpha=0.2)
        self.pr_plot.setAspectLocked(False)
        self._legend = self.pr_plot.addLegend(offset=(8, -8), labelTextSize="8pt")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (
            self.title,
            self.map_label,
            self.flag,
            self.pending_label,
            self.pending_box,
            self.split_label,
            self.left_out_label,
            self.table,
        ):
            layout.addWidget(widget)
        layout.addWidget(self.pr_plot)
        layout.addStretch(1)
        self.metrics: dict[str, Any] = {}
        self.show_nothing("No model trained yet.")

    def show_nothing(self, text: str) -> None:
        """Only ``text``: before any model there are no figures to call "not available"."""
        self.metrics = {}
        self.title.setText(text)
        for widget in (
            self.map_label,
            self.flag,
            self.pending_label,
            self.pending_box,
            self.split_label,
            self.left_out_label,
            self.table,
            self.pr_plot,
        ):
            widget.hide()

    def show_pending(self, title: str, untrained: bool, measuring: bool) -> None:
        """A model whose figures are not measured yet: being measured now (``measuring``,
        with progress and Stop), or left unmeasured (stopped, or the app was closed)."""
        self.show_nothing(title)
        self.flag.setVisible(untrained)
        self.map_label.setText("Held-out mAP: measuring…" if measuring else "Held-out mAP: –")
        self.map_label.show()
        self.pending_label.setText(
            "The model is in use. Its held-out figures are being measured on folds by "
            "recording and appear here when done."
            if measuring
            else "Held-out figures were not measured: the measurement was stopped before it "
            "finished (a newer model was trained, or Sonotag was closed). Train again to "
            "measure them."
        )
        self.pending_label.show()
        self.pending_bar.setRange(0, 0)
        self.pending_box.setVisible(measuring)
        self.stop_button.setEnabled(measuring)

    def show_measuring_progress(self, text: str, fraction: float | None) -> None:
        self.pending_label.setText(text)
        if fraction is None:
            self.pending_bar.setRange(0, 0)
        else:
            self.pending_bar.setRange(0, 1000)
            self.pending_bar.setValue(round(1000 * fraction))

    def show_left_out(
        self, names: list[str], minimum: int, reasons: dict[str, str] | None = None
    ) -> None:
        """Classes training skipped, each with why (none: the line is hidden)."""
        self._left_out = (list(names), minimum, dict(reasons or {}))
        self._left_out_open = False
        self._render_left_out()

    def _toggle_left_out(self, _link: str = "") -> None:
        self._left_out_open = not self._left_out_open
        self._render_left_out()

    def _render_left_out(self) -> None:
        names, minimum, reasons = self._left_out
        default = f"needs at least {minimum} clips labelled present"
        parts = [html.escape(f"{name} ({reasons.get(name, default)})") for name in names]
        if len(names) <= LEFT_OUT_SHOWN:
            text = f"Left out: {'; '.join(parts)}. Label more, then train again."
        elif self._left_out_open:
            text = (
                f"Left out, {len(names)} classes: {'; '.join(parts)}. Label more, then train "
                "again. <a href='fewer'>Show fewer</a>"
            )
        else:
            shown = ", ".join(html.escape(n) for n in names[:LEFT_OUT_SHOWN])
            text = (
                f"Left out: {len(names)} classes ({shown} and {len(names) - LEFT_OUT_SHOWN} "
                "more). Label more, then train again. <a href='all'>Show all, with why</a>"
            )
        self.left_out_label.setText(text if names else "")
        self.left_out_label.setVisible(bool(names))

    def show_metrics(
        self, title: str, metrics: Mapping[str, Any], colours: Mapping[str, str], untrained: bool
    ) -> None:
        """``metrics`` as ``model.ml.metrics.evaluate`` returns them (plus ``split``)."""
        self.metrics = dict(metrics)
        self.title.setText(title)
        self.flag.setVisible(untrained)
        self.pending_label.hide()
        self.pending_box.hide()
        for widget in (self.map_label, self.split_label, self.table, self.pr_plot):
            widget.show()
        self.left_out_label.hide()  # said again by the caller for the model it knows about
        per_class: dict[str, Any] = dict(metrics.get("per_class") or {})
        mean = metrics.get("map")
        self.map_label.setText(
            f"Held-out mAP {_fmt(mean)}" if mean is not None else "Held-out mAP: not available"
        )
        self.split_label.setText(self._split_text(metrics))
        self.table.setRowCount(len(per_class))
        self.pr_plot.clear()
        self._legend.clear()
        for row, (name, figures) in enumerate(per_class.items()):
            colour = colours.get(name, "#9e9e9e")
            item = QTableWidgetItem(name)
            item.setIcon(_swatch(colour))
            self.table.setItem(row, 0, item)
            spread = (figures.get("ap_spread") or {}).get("std")
            values = (
                _fmt(figures.get("ap")),
                "–" if spread is None else f"±{spread:.2f}",
                str(figures.get("positives", "–")),
                str(figures.get("recordings", "–")),
            )
            for column, text in enumerate(values, start=1):
                cell = QTableWidgetItem(text)
                cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if column == 1 and figures.get("ap") is None:
                    cell.setToolTip("No positive or no negative among the held-out clips")
                if figures.get("warning"):
                    cell.setToolTip(str(figures["warning"]))
                    cell.setForeground(QColor("#e65100"))
                self.table.setItem(row, column, cell)
            if figures.get("warning"):
                item.setText(f"⚠ {name}")
                item.setToolTip(str(figures["warning"]))
            curve = figures.get("pr_curve")
            if curve:
                self.pr_plot.plot(
                    curve["recall"],
                    curve["precision"],
                    pen=pg.mkPen(colour, width=2),
                    name=f"{name} (AP {_fmt(figures.get('ap'))})",
                )
        self.table.resizeRowsToContents()
        height = self.table.horizontalHeader().height() + 4
        height += sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        self.table.setFixedHeight(min(height, 260))

    @staticmethod
    def _split_text(metrics: Mapping[str, Any]) -> str:
        split = metrics.get("split") or {}
        method = split.get("method")
        note = metrics.get("note")
        warnings = [
            f"⚠ {name}: {figures['warning']}."
            for name, figures in (metrics.get("per_class") or {}).items()
            if figures.get("warning")
        ]
        if split.get("folds"):
            blocks = " (recordings holding the only examples of a class cut into blocks of time)"
            text = (
                f"AP measured in {split['folds']} folds by recording"
                f"{blocks if split.get('block_recordings') else ''}: each clip is scored once by "
                "a head that never saw its recording, and never by the part that stopped "
                "training early."
            )
            sources = [str(metrics["sources_note"])] if metrics.get("sources_note") else []
            text = " ".join([text, *warnings, *sources])
        elif method == "recording":
            held = len(split.get("held_out_recordings") or [])
            text = (
                f"Held out {held} whole recording(s), {split.get('held_out_clips', 0)} clips; "
                f"trained on {split.get('train_clips', 0)} clips."
            )
        elif method == "time-block":
            text = (
                f"One recording only: held out 30-s blocks, {split.get('held_out_clips', 0)} "
                f"clips; trained on {split.get('train_clips', 0)} clips."
            )
        else:
            text = "Nothing could be held out: label more clips (in more recordings) to get AP."
        return f"{text} {note}" if note else text
