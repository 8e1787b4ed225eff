"""Label and play keys for a focused widget that holds clips of its own (the Explorer's grid).

The label keys (number: present, Shift+number: absent, ?: uncertain) and Space are window-wide
actions, matched by Qt's shortcut map, which knows the keyboard layout (Shift+1 is "!" on one
keyboard and "+" on another, yet both are Shift+1). A widget that shows clips of its own takes
them while it has the focus by having a ``take_label_key(digit, state)`` or ``take_play_key()``
method that returns True when it used the key; otherwise the main view gets it, as always.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QApplication

LABEL = "take_label_key"
PLAY = "take_play_key"


def focused_taker(name: str) -> Callable[..., bool] | None:
    """The ``name`` method of the focused widget or the nearest parent that has one."""
    widget = QApplication.focusWidget()
    while widget is not None:
        method = getattr(widget, name, None)
        if callable(method):
            return method
        widget = widget.parentWidget()
    return None


def taken(name: str, *args: Any) -> bool:
    """True when the focused widget used the key (then the main view does not get it)."""
    method = focused_taker(name)
    return bool(method is not None and method(*args))
