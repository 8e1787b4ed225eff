"""A comparison of backbones on the user's own labels: per-class AP side by side, PR curves.

One column per backbone that could be compared, one row per class (and mAP last), each cell the
AP pooled over the folds with its spread across folds; the best figure of each row in bold.
Under each column a button trains the real model on that backbone. Below the table, one small
precision-recall plot per class with a curve per backbone, in the same colours everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

COLOURS = ("#1e88e5", "#e53935", "#43a047", "#8e24aa", "#fb8c00", "#00897b")
FIXED_COLUMNS = ("Class", "Present", "Recordings")
PLOTS_PER_ROW = 3


def ap_text(ap: float | None, spread: Mapping[str, Any] | None) -> str:
    if ap is None:
        return "–"
    std = (spread or {}).get("std")
    folds = (spread or {}).get("folds", 0)
    return f"{ap:.2f} ± {std:.2f}" if std is not None and folds > 1 else f"{ap:.2f}"


def compared(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The backbones that have figures, in the order they were asked for."""
    return [e for e in result.get("backbones") or [] if e.get("metrics")]


class CompareView(QWidget):
    train_requested = Signal(str)  # backbone name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 0, self)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setToolTip(
            "AP on held-out clips, pooled over folds by recording, ± its standard deviation "
            "across folds. Every backbone is tested on exactly the same clips."
        )
        self.notes = QLabel("")
        self.notes.setWordWrap(True)
        self.plots = QWidget()
        self.grid = QGridLayout(self.plots)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.train_buttons: dict[str, QPushButton] = {}
        self.plot_widgets: dict[str, pg.PlotWidget] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addWidget(self.notes)
        layout.addWidget(self.plots)
        layout.addStretch(1)

    def clear(self) -> None:
        self.table.hide()  # an empty grid would read as "no results"
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self.notes.setText("")
        self.train_buttons.clear()
        for plot in self.plot_widgets.values():
            self.grid.removeWidget(plot)
            plot.deleteLater()
        self.plot_widgets.clear()

    def show_result(self, result: Mapping[str, Any]) -> None:
        self.clear()
        entries = compared(result)
        classes = list(result.get("classes") or [])
        self.table.setVisible(bool(entries))
        if entries:
            self._fill_table(entries, classes)
        self._fill_plots(entries, classes)
        self.notes.setText(self._notes(result, entries))

    # -- the table ---------------------------------------------------------------------------
    def _fill_table(self, entries: list[dict[str, Any]], classes: list[str]) -> None:
        fixed = len(FIXED_COLUMNS)
        self.table.setColumnCount(fixed + len(entries))
        self.table.setRowCount(len(classes) + 2)  # classes, mAP, Train buttons
        headers = list(FIXED_COLUMNS)
        for entry in entries:
            headers.append(("⚠ " if entry.get("flagged") else "") + entry["name"])
        self.table.setHorizontalHeaderLabels(headers)
        for number, entry in enumerate(entries):
            header = self.table.horizontalHeaderItem(fixed + number)
            header.setToolTip(entry.get("title", ""))
            header.setForeground(QColor(COLOURS[number % len(COLOURS)]))
        first = entries[0]["metrics"]["per_class"] if entries else {}
        for row, name in enumerate(classes):
            figures = first.get(name) or {}
            self._cell(row, 0, name, left=True, tip=figures.get("warning"))
            self._cell(row, 1, str(figures.get("positives", "–")))
            self._cell(row, 2, str(figures.get("recordings", "–")))
            values = [(e["metrics"]["per_class"].get(name) or {}) for e in entries]
            self._ap_row(row, [(v.get("ap"), v.get("ap_spread")) for v in values])
        mean_row = len(classes)
        self._cell(mean_row, 0, "mAP", left=True, bold=True)
        self._ap_row(
            mean_row, [(e["metrics"].get("map"), e["metrics"].get("map_spread")) for e in entries]
        )
        for number, entry in enumerate(entries):
            button = QPushButton("Train with this backbone")
            button.setToolTip(f"Select {entry.get('title', entry['name'])} and train the model")
            button.clicked.connect(lambda _c=False, n=entry["name"]: self.train_requested.emit(n))
            self.train_buttons[entry["name"]] = button
            self.table.setCellWidget(mean_row + 1, fixed + number, button)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, self.table.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.resizeRowsToContents()
        height = (
            header.height() + 6 + sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        )
        self.table.setFixedHeight(min(height, 420))

    def _ap_row(self, row: int, values: list[tuple[float | None, Any]]) -> None:
        # Compared as shown (two decimals): a bold 1.00 beside a plain 1.00 would read as a
        # difference nobody can see.
        known = [round(ap, 2) for ap, _ in values if ap is not None]
        best = max(known) if len(known) > 1 else None
        for number, (ap, spread) in enumerate(values):
            bold = best is not None and ap is not None and round(ap, 2) >= best
            self._cell(row, len(FIXED_COLUMNS) + number, ap_text(ap, spread), bold=bold)

    def _cell(
        self, row: int, column: int, text: str, left: bool = False, bold: bool = False,
        tip: str | None = None,
    ) -> None:  # fmt: skip
        item = QTableWidgetItem(f"⚠ {text}" if tip else text)
        align = Qt.AlignmentFlag.AlignLeft if left else Qt.AlignmentFlag.AlignRight
        item.setTextAlignment(align | Qt.AlignmentFlag.AlignVCenter)
        if bold:
            font = QFont(item.font())
            font.setBold(True)
            item.setFont(font)
        if tip:
            item.setToolTip(tip)
            item.setForeground(QColor("#e65100"))
        self.table.setItem(row, column, item)

    # -- PR curves ---------------------------------------------------------------------------
    def _fill_plots(self, entries: list[dict[str, Any]], classes: list[str]) -> None:
        for index, name in enumerate(classes):
            plot = pg.PlotWidget(title=name)
            plot.setMinimumWidth(220)
            plot.setFixedHeight(240)
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.setLabel("bottom", "recall")
            plot.setLabel("left", "precision")
            plot.setXRange(0, 1, padding=0.02)
            plot.setYRange(0, 1.02, padding=0.02)
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.addLegend(offset=(-4, -4), labelTextSize="7pt")
            for number, entry in enumerate(entries):
                figures = entry["metrics"]["per_class"].get(name) or {}
                curve = figures.get("pr_curve")
                if not curve:
                    continue
                plot.plot(
                    curve["recall"], curve["precision"],
                    pen=pg.mkPen(COLOURS[number % len(COLOURS)], width=2),
                    name=f"{entry['name']} ({ap_text(figures.get('ap'), None)})",
                )  # fmt: skip
            self.plot_widgets[name] = plot
            self.grid.addWidget(plot, index // PLOTS_PER_ROW, index % PLOTS_PER_ROW)

    # -- notes -------------------------------------------------------------------------------
    @staticmethod
    def _notes(result: Mapping[str, Any], entries: list[dict[str, Any]]) -> str:
        split = result.get("split") or {}
        lines = []
        if entries:
            blocks = split.get("method") in ("recording+time-block", "time-block")
            cut = " (recordings holding a class's only examples cut into blocks of time)"
            lines.append(
                f"Head: {result.get('head')}; {split.get('folds', 0)} folds by recording"
                f"{cut if blocks else ''}, the same clips held out for every backbone; "
                f"computed in {result.get('seconds', 0):.0f} s."
            )
        for entry in result.get("backbones") or []:
            if entry.get("error"):
                lines.append(f"{entry['name']}: not compared — {entry['error']}")
            elif entry.get("licence_notice"):
                lines.append(f"{entry['name']}: {entry['licence_notice']}")
            elif entry.get("flagged"):
                lines.append(f"⚠ {entry['name']}: random weights, for testing only.")
        first = entries[0]["metrics"] if entries else {}
        for name, figures in (first.get("per_class") or {}).items():
            if figures.get("warning"):
                lines.append(f"⚠ {name}: {figures['warning']}.")
        if first.get("sources_note"):
            lines.append(str(first["sources_note"]))
        return "\n".join(lines)
