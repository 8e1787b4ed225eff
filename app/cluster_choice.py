"""Where "Run model on a folder" scores: on this computer, or on a Ray cluster.

Offered only when the cluster extra is installed (checked without importing Ray, so the dialog
opens as fast as before); the job is the same (``model.batch.batch_predict_job``), given the
cluster's address and the number of workers.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from model.cluster import AUTO, available

HERE, CLUSTER = "here", "cluster"


class ClusterChoice(QWidget):
    """ "Run: on this computer | on a Ray cluster", the address and the number of workers."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.where = QComboBox()
        self.where.addItem("on this computer", HERE)
        self.where.addItem("on a Ray cluster", CLUSTER)
        self.where.setToolTip(
            "A Ray cluster spreads the files over its workers; every worker must see the "
            "recordings at the same path (a shared folder). Tables are written here."
        )
        self.address = QLineEdit(AUTO)
        self.address.setToolTip(
            "auto: the cluster started on this computer with 'ray start --head' (or named by "
            "RAY_ADDRESS), else a local one with every core; or the head's HOST:PORT"
        )
        self.address.setPlaceholderText("auto or HOST:PORT")
        self.workers = QSpinBox()
        self.workers.setRange(0, 1024)
        self.workers.setSpecialValueText("automatic")
        self.workers.setToolTip(
            "0 (automatic): one worker per computer with its cores, plus one per GPU"
        )
        self.address_label = QLabel("address")
        self.workers_label = QLabel("workers")
        self.hint = QLabel(
            "Every worker reads the recordings at this same path (a shared folder); the "
            "tables are written here. Ray must run on the other computers (README: Scoring "
            "a season on a Ray cluster)."
        )
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: palette(dark)")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.where)
        for widget in (self.address_label, self.address, self.workers_label, self.workers):
            row.addWidget(widget, 1 if widget is self.address else 0)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(row)
        box.addWidget(self.hint)
        self.where.currentIndexChanged.connect(self._show)
        self._show()

    @staticmethod
    def offered() -> bool:
        return available()

    def on_cluster(self) -> bool:
        return self.where.currentData() == CLUSTER

    def _show(self) -> None:
        shown = (self.address_label, self.address, self.workers_label, self.workers, self.hint)
        for widget in shown:
            widget.setVisible(self.on_cluster())

    def kwargs(self) -> dict[str, Any]:
        """The job's cluster arguments: none for a local run."""
        if not self.on_cluster():
            return {}
        workers = self.workers.value()
        return {"cluster": self.address.text().strip() or AUTO, "workers": workers or None}
