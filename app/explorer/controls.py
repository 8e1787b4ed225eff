"""The explorer's rows of controls, built apart from the panel's logic so each file stays short."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QToolButton,
    QWidget,
)

from app.explorer.colours import ColourBy
from app.explorer.map_view import Tool

SCOPES = (
    ("all", "All recordings"),
    ("listed", "Recordings listed"),  # those the project panel's filter lets through
    ("shown", "Recording shown"),
)
TOOL_TEXT = {
    Tool.LASSO: ("Lasso", "Drag a loop around clips to select them (Shift adds)"),
    Tool.RECTANGLE: ("Rectangle", "Drag a rectangle over clips to select them (Shift adds)"),
    Tool.PAN: ("Pan / zoom", "Drag to pan, wheel to zoom"),
}


class TopRow(QWidget):
    """Backbone, colouring, class, scope; compute/cancel with progress."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.backbone = QComboBox()
        self.backbone.setToolTip("Whose features the map is made of (each has its own map)")
        self.colour_by = QComboBox()
        for mode in ColourBy:
            self.colour_by.addItem(mode.value.capitalize(), mode)
        self.class_combo = QComboBox()
        self.class_combo.setToolTip("The class whose labels colour the map and that buttons set")
        self.scope = QComboBox()
        for key, text in SCOPES:
            self.scope.addItem(text, key)
        self.scope.setToolTip(
            "Map every recording, only those the project list shows (type words in its filter: "
            "a site, a date, a folder), or only the recording on screen"
        )
        self.compute = QPushButton("Compute map")
        self.compute.setToolTip(
            "Embed clips not on the map yet (features cached by training or scoring are "
            "reused) and place them; the first time, fit the map (PCA, UMAP, HDBSCAN)"
        )
        self.refit = QPushButton("Refit")
        self.refit.setToolTip("Fit the whole map again from every clip's features")
        self.cancel = QPushButton("Cancel")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        for label, widget in (
            ("Backbone", self.backbone),
            ("Colour by", self.colour_by),
            ("Class", self.class_combo),
            ("Show", self.scope),
        ):
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        row.addStretch(1)
        for widget in (self.compute, self.refit, self.progress, self.cancel):
            row.addWidget(widget)


class ToolRow(QWidget):
    """Selection tools and the map's status line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.group = QButtonGroup(self)
        self.buttons: dict[Tool, QToolButton] = {}
        for tool in (Tool.LASSO, Tool.RECTANGLE, Tool.PAN):
            text, tip = TOOL_TEXT[tool]
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.setCheckable(True)
            self.group.addButton(button)
            self.buttons[tool] = button
            row.addWidget(button)
        self.buttons[Tool.LASSO].setChecked(True)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        row.addWidget(self.status, 1)


class ActionRow(QWidget):
    """What to do with the selected clips."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.count = QLabel("No clips selected")
        self.present = QPushButton("Present")
        self.absent = QPushButton("Absent")
        self.uncertain = QPushButton("Uncertain")
        for button, state in (
            (self.present, "present"),
            (self.absent, "absent"),
            (self.uncertain, "uncertain"),
        ):
            button.setToolTip(f"Label every ticked selected clip {state} for the class (one undo)")
        self.review = QPushButton("Review one by one")
        self.review.setToolTip("Send the ticked selected clips to the Review panel (A/Z/U keys)")
        self.similar = QPushButton("Find similar")
        self.similar.setToolTip(
            "The clips most similar to the selected ones (cosine similarity of their "
            "embeddings), as a ranked queue in the Review panel"
        )
        self.k = QSpinBox()
        self.k.setRange(1, 5000)
        self.k.setValue(50)
        self.k.setToolTip("How many similar clips to queue")
        self.clear = QPushButton("Clear selection")
        row.addWidget(self.count, 1)
        for widget in (self.present, self.absent, self.uncertain, self.review):
            row.addWidget(widget)
        row.addSpacing(12)
        for widget in (self.similar, self.k, self.clear):
            row.addWidget(widget)
