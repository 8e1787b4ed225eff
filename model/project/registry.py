"""One SQLite connection per project per process, shared by every ``Project`` handle on it.

``Project.open`` of a file this process already has open returns a new handle on the same
connection instead of a second connection: the GUI's threads (adding recordings, building a
review queue) and the window then see one database state, one lock set, one writer. The
connection closes when the last handle does. Other processes (the training and scoring worker)
open their own connection in their own registry, which is what SQLite's locking is built for.

While a connection is registered its files are guarded (``guard``): nothing else in the process
may open them.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from model.project import guard

# Held while a project is being opened or closed, so two threads opening the same file at once
# end up on one connection. Never held while SQL runs on an open project.
LOCK = threading.RLock()


@dataclass(eq=False)
class SharedConnection:
    """The connection and what every handle on it shares (transaction depth, edit clock)."""

    path: Path
    conn: sqlite3.Connection
    writable: bool
    migrated_from: int | None = None
    backup: Path | None = None
    session: str | None = None  # this process's row in ``meta`` (sessions.py)
    check_due: bool = False  # an unclean shutdown was found and no check has passed since
    handles: int = 0
    depth: int = 0
    commits: int = 0  # commits through this connection, ever
    checkpointed: int = 0  # ``commits`` at the last checkpoint
    last_commit: float = 0.0  # time.monotonic() of the last commit
    lock: threading.RLock = field(default_factory=threading.RLock)

    def committed(self) -> None:
        self.commits += 1
        self.last_commit = time.monotonic()


_open: dict[Path, SharedConnection] = {}


def lookup(path: Path) -> SharedConnection | None:
    with LOCK:
        return _open.get(path)


def register(shared: SharedConnection) -> None:
    with LOCK:
        if shared.path in _open:
            raise RuntimeError(f"{shared.path} is already open in this process")
        guard.guard(shared.path)
        _open[shared.path] = shared


def unregister(shared: SharedConnection) -> None:
    """After the connection is closed: the files may be opened again."""
    with LOCK:
        if _open.get(shared.path) is shared:
            del _open[shared.path]
            guard.unguard(shared.path)


def open_paths() -> list[Path]:
    """Projects open in this process (for tests and for the check that nothing leaks)."""
    with LOCK:
        return list(_open)
