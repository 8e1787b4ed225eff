"""The soak test's oracle: what a project must hold, in plain Python, no Sonotag code.

It models storage semantics only: which labels and classes exist after each user action, with
undo and redo as a history of snapshots (one per entry the app's undo stack gets; the app keeps
at most 1,000). Inputs the user sees on screen (the selected clip, the highlighted class, the
clip under review) are given to it by the driver; results are never read from the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0")
UNDO_LIMIT = 1000
RANK = {"absent": 0, "uncertain": 1, "present": 2}

LabelKey = tuple[str, int, int, str]  # recording file name, start ms, end ms, class name


@dataclass
class Snapshot:
    classes: list[tuple[str, str | None]]  # (name, key) in list order
    labels: dict[LabelKey, str]


@dataclass
class ProjectModel:
    classes: list[tuple[str, str | None]] = field(default_factory=list)
    labels: dict[LabelKey, str] = field(default_factory=dict)
    recordings: set[str] = field(default_factory=set)
    undo: list[Snapshot] = field(default_factory=list)
    redo: list[Snapshot] = field(default_factory=list)

    # -- history ------------------------------------------------------------------------------
    def _snapshot(self) -> Snapshot:
        return Snapshot(list(self.classes), dict(self.labels))

    def _restore(self, snap: Snapshot) -> None:
        self.classes, self.labels = list(snap.classes), dict(snap.labels)

    def _push(self) -> None:
        self.undo.append(self._snapshot())
        del self.undo[: max(0, len(self.undo) - UNDO_LIMIT)]
        self.redo.clear()

    def undo_step(self) -> None:
        if self.undo:
            self.redo.append(self._snapshot())
            self._restore(self.undo.pop())

    def redo_step(self) -> None:
        if self.redo:
            self.undo.append(self._snapshot())
            self._restore(self.redo.pop())

    def forget_history(self) -> None:
        """The project was closed: a new opening starts a new undo history."""
        self.undo.clear()
        self.redo.clear()

    # -- classes ------------------------------------------------------------------------------
    def names(self) -> list[str]:
        return [name for name, _ in self.classes]

    def find(self, name: str) -> str | None:
        return next((n for n in self.names() if n.lower() == name.lower()), None)

    def class_for_key(self, key: str) -> str | None:
        return next((n for n, k in self.classes if k == key), None)

    def _next_key(self) -> str | None:
        used = {k for _, k in self.classes}
        return next((k for k in KEYS if k not in used), None)

    def _add(self, name: str) -> None:
        self.classes.append((name, self._next_key()))

    def add_class(self, name: str) -> bool:
        if not name.strip() or self.find(name) is not None:
            return False  # refused with a message: no undo entry
        self._push()
        self._add(name)
        return True

    def rename_class(self, old: str, new: str) -> bool:
        other = self.find(new)
        if not new.strip() or new == old or (other is not None and other != old):
            return False
        self._push()
        self.classes = [(new if n == old else n, k) for n, k in self.classes]
        self.labels = {
            (r, s, e, new if c == old else c): v for (r, s, e, c), v in self.labels.items()
        }
        return True

    def delete_class(self, name: str) -> None:
        self._push()
        self.classes = [(n, k) for n, k in self.classes if n != name]
        self.labels = {key: v for key, v in self.labels.items() if key[3] != name}

    # -- labels -------------------------------------------------------------------------------
    def set_label(self, key: LabelKey, state: str) -> None:
        """A label key or ``?``: the app pushes an undo entry even when nothing changes."""
        self._push()
        self.labels[key] = state

    def review_decision(self, key: LabelKey, state: str) -> None:
        """Accept / reject / uncertain in review: an entry only when the label changes."""
        if self.labels.get(key) != state:
            self._push()
            self.labels[key] = state

    def delete_clip(self, recording: str, start: int, end: int) -> None:
        on_clip = [k for k in self.labels if k[:3] == (recording, start, end)]
        if on_clip:
            self._push()
            for key in on_clip:
                del self.labels[key]

    def import_rows(self, rows: list[tuple[str, int, int, str, str]]) -> bool:
        """One table import (every new class ticked, labels replaced): one undo entry."""
        chosen: dict[LabelKey, str] = {}
        new: list[str] = []
        for recording, start, end, name, state in rows:
            known = self.find(name) or next((n for n in new if n.lower() == name.lower()), None)
            if known is None:
                new.append(name)
                known = name
            key = (recording, start, end, known)
            if key not in chosen or RANK[state] > RANK[chosen[key]]:
                chosen[key] = state
        if not chosen:
            return False
        self._push()
        for name in new:
            self._add(name)
        self.labels.update(chosen)
        return True
