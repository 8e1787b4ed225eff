"""The labelling keys as ``QAction``s on the main window.

Actions on the window (window-wide shortcut context) fire whichever child has focus, the
spectrogram included, while text fields still get their typing (Qt lets a focused line edit
claim plain digits first). Shift+digit is bound by key code, not by the character: Shift+1
types "!" on a US keyboard and "+" on a Swiss one, but Qt matches ``Shift+1`` on both.

One action per digit and state stays in place for the life of the window; only the texts
follow the classes, so the Label menu and the shortcut sheet show what each key does now.
A focused widget with clips of its own (the Explorer's grid) takes the label keys first
(``app.labelling.key_target``).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from app.labelling.controller import LabellingController
from app.labelling.key_target import LABEL, taken
from model.project import LabelState

DIGITS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0")
_QT_DIGIT = {d: getattr(Qt.Key, f"Key_{d}") for d in DIGITS}


class LabelActions(QObject):
    """Creates the label actions on ``window`` and keeps the ``menu`` listing them current."""

    def __init__(self, window: QWidget, controller: LabellingController, menu: QMenu) -> None:
        super().__init__(window)
        self.window = window
        self.controller = controller
        self.menu = menu
        self.present: dict[str, QAction] = {}
        self.absent: dict[str, QAction] = {}
        for digit in DIGITS:
            key = _QT_DIGIT[digit]
            self.present[digit] = self._action(
                f"Key {digit}: present",
                [QKeySequence(key)],
                lambda _=False, d=digit: (
                    taken(LABEL, d, LabelState.PRESENT)
                    or controller.apply_key(d, LabelState.PRESENT)
                ),
            )
            self.absent[digit] = self._action(
                f"Key Shift+{digit}: absent",
                [QKeySequence(Qt.KeyboardModifier.ShiftModifier | key)],
                lambda _=False, d=digit: (
                    taken(LABEL, d, LabelState.ABSENT) or controller.apply_key(d, LabelState.ABSENT)
                ),
            )
        # "?" arrives as Key_Question with Shift held on most layouts; accept it either way.
        self.uncertain = self._action(
            "Mark the current class uncertain",
            [
                QKeySequence("?"),
                QKeySequence(Qt.KeyboardModifier.ShiftModifier | Qt.Key.Key_Question),
            ],
            lambda: taken(LABEL, None, LabelState.UNCERTAIN) or controller.mark_uncertain(),
        )
        self.repeat = self._action(
            "Repeat the last label", [QKeySequence(Qt.Key.Key_R)], lambda: controller.repeat_last()
        )
        self.delete = self._action(
            "Delete the labels of the selected clip",
            [QKeySequence(Qt.Key.Key_Delete), QKeySequence(Qt.Key.Key_Backspace)],
            lambda: controller.delete_selected(),
        )
        self.previous = self._action(
            "Previous clip", [QKeySequence(Qt.Key.Key_Left)], lambda: controller.move(-1)
        )
        self.next = self._action(
            "Next clip", [QKeySequence(Qt.Key.Key_Right)], lambda: controller.move(1)
        )
        controller.labels_changed.connect(self.update_texts)
        self.update_texts()

    def _action(self, text: str, keys: list[QKeySequence], slot: object) -> QAction:
        action = QAction(text, self.window)
        action.setShortcuts(keys)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.window.addAction(action)
        return action

    def update_texts(self) -> None:
        """Names the classes on the digit actions and lists the bound ones in the menu."""
        bound = {c.shortcut: c for c in self.controller.classes() if c.shortcut}
        self.menu.clear()
        for digit in DIGITS:
            cls = bound.get(digit)
            name = cls.name if cls else f"(no class on {digit})"
            self.present[digit].setText(f"{name}: present")
            self.absent[digit].setText(f"{name}: absent")
            if cls is not None:
                self.menu.addAction(self.present[digit])
                self.menu.addAction(self.absent[digit])
        if bound:
            self.menu.addSeparator()
        for action in (self.uncertain, self.repeat, self.delete):
            self.menu.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction(self.previous)
        self.menu.addAction(self.next)

    def sheet_rows(self) -> list[tuple[str, str, str]]:
        """(area, keys, action) rows for the shortcut sheet, from the live bindings."""
        rows = []
        for cls in self.controller.classes():
            if cls.shortcut:
                rows.append(("Label", cls.shortcut, f"{cls.name} present in the selected clip"))
                rows.append(("Label", f"Shift+{cls.shortcut}", f"{cls.name} absent (a negative)"))
        rows += [
            ("Label", "?", "current class uncertain in the selected clip"),
            ("Label", "R", "repeat the last label on the selected clip"),
            ("Label", "Delete", "remove the labels of the selected clip"),
            ("Label", "← / →", "previous / next clip (one clip, or one grid step when snapping)"),
            ("Label", "click", "select the 2-s clip centred on the click (or the label clicked)"),
        ]
        return rows
