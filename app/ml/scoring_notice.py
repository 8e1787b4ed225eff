"""The line under the spectrogram where score curves would be, when there are none: why, and
the button that fixes it.

Scoring the shown recording normally starts by itself (``PredictController``); this says so
while it runs or waits, and offers "Score this recording" when nothing will happen by itself
(after a cancel or a failure, or a recording the queue skipped), instead of a message with no
way forward.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsProxyWidget,
    QGraphicsSimpleTextItem,
    QPushButton,
)

from app.context import AppContext

if TYPE_CHECKING:
    from app.ml.predict_controller import PredictController
    from model.project.records import ModelRecord


class ScoringNotice(QObject):
    """A text item and a button placed in a plot's view box (pixel coordinates)."""

    def __init__(self, context: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.text = QGraphicsSimpleTextItem()
        self.text.setBrush(QColor("#c8c8c8"))
        self.text.setZValue(50)
        self.button = QPushButton("Score this recording")
        self.button.setToolTip("Score the shown recording with the active model now")
        self.button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.button.hide()
        self._proxy: QGraphicsProxyWidget | None = None
        self.predictor: PredictController | None = None
        self._base = ""
        self._model: ModelRecord | None = None
        self._scored = False

    def attach(self, box: QGraphicsItem, font: QFont) -> None:
        self.text.setParentItem(box)
        self.text.setFont(font)
        self.text.setPos(8, 6)
        self._proxy = QGraphicsProxyWidget(box)
        self._proxy.setWidget(self.button)
        self._proxy.setZValue(60)

    def set_predictor(self, predictor: PredictController) -> None:
        self.predictor = predictor
        predictor.busy_changed.connect(lambda _busy: self.show())
        self.button.clicked.connect(predictor.predict_visible)
        self.button.clicked.connect(self.show)
        self.show()

    def set_state(self, base: str, model: ModelRecord | None, scored: bool) -> None:
        """``base``: the message without a model or recording; ``scored``: the shown
        recording has the active model's scores."""
        self._base, self._model, self._scored = base, model, scored
        self.show()

    def show(self) -> None:
        text, button = self._base, False
        recording, project, model = self.context.recording, self.context.project, self._model
        if model is not None and recording is not None and not self._scored:
            state = self.predictor.state_of(recording.id) if self.predictor else ""
            if state == "scoring":
                text = f"Scoring this recording with model “{model.name}”…"
            elif state == "waiting":
                text = f"This recording is next to be scored with model “{model.name}”."
            elif project is not None and project.read_only:
                text = (
                    f"Model “{model.name}” has not scored this recording, and the project is "
                    "open read-only: scores cannot be stored."
                )
            elif self.predictor is not None and (unfit := self.predictor.unfit_reason()):
                text = f"Model “{model.name}” cannot score this project: {unfit}"
            else:
                text = f"Model “{model.name}” has not scored this recording yet."
                button = self.predictor is not None
        self.text.setText(text)
        self.button.setVisible(button)
        if self._proxy is not None:
            self._proxy.setPos(self.text.boundingRect().width() + 20, 1)
