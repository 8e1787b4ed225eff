"""Nothing but SQLite may open the file of a project that is open in this process.

POSIX advisory locks belong to a process, not to a file descriptor: closing *any* descriptor of
a file drops every lock the process holds on it (SQLite's "How To Corrupt An SQLite Database
File", section 2.2). A plain ``open(project).close()`` in the app (a header check, a copy, an
audio probe of the wrong file, a file dialog sniffing the file type) silently removes the
window's shared lock; the next connection to close in another process then believes it is the
last one, checkpoints, and deletes the write-ahead log under the window. Labels made after that
go into a deleted file.

SQLite itself is safe: its connections in one process share one lock record per file and defer
closing descriptors while any connection holds a lock. So the rule is simple: while a project is
open here, any Python-level ``open`` of its database, ``-wal``, ``-shm`` or ``-journal`` file is
refused (an audit hook, installed once, sees every ``open``/``os.open``), and C libraries that
open paths themselves (libsndfile) ask ``is_guarded`` first. Qt's file dialogs, which read files
to guess their type, are built by ``app.file_dialogs`` with an icon provider that never does.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from model.errors import ProjectError

SIDE_FILES = ("", "-wal", "-shm", "-journal")

_lock = threading.Lock()
_counts: dict[str, int] = {}  # real path of each guarded file -> projects guarding it
_names: frozenset[str] = frozenset()  # their base names, for a cheap first test in the hook
_installed = False


def _files(path: Path) -> list[str]:
    real = os.path.realpath(path)
    return [real + suffix for suffix in SIDE_FILES]


def _audit(event: str, args: tuple) -> None:
    """Refuses ``open`` of a guarded file; every other event costs one comparison."""
    if event != "open" or not _names:
        return
    target = args[0]
    if target is None or isinstance(target, int):
        return
    try:
        name = os.fsdecode(target)
    except (TypeError, ValueError):
        return
    if os.path.basename(name) not in _names:
        return
    real = os.path.realpath(name)
    if real in _counts:
        raise ProjectError(
            Path(real),
            "is a Sonotag project open in this program; only its database engine may open it "
            "(reading it any other way would release the database's locks)",
        )


def _install() -> None:
    global _installed
    if not _installed:
        sys.addaudithook(_audit)
        _installed = True


def guard(path: Path) -> None:
    """From now on nothing in this process but SQLite opens ``path`` or its side files."""
    global _names
    with _lock:
        _install()
        for name in _files(path):
            _counts[name] = _counts.get(name, 0) + 1
        _names = frozenset(os.path.basename(n) for n in _counts)


def unguard(path: Path) -> None:
    global _names
    with _lock:
        for name in _files(path):
            left = _counts.get(name, 0) - 1
            if left > 0:
                _counts[name] = left
            else:
                _counts.pop(name, None)
        _names = frozenset(os.path.basename(n) for n in _counts)


def is_guarded(path: str | Path) -> bool:
    """True for the database file (or a side file) of a project open in this process: code that
    hands paths to a C library (libsndfile) must not open it."""
    if not _names or os.path.basename(os.fspath(path)) not in _names:
        return False
    return os.path.realpath(path) in _counts
