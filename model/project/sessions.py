"""Knowing that a project was not closed properly, so the slow whole-file check runs only then.

Every process that opens a project for writing leaves a row in ``meta`` (``session:<host>:<pid>
:<start time>``) and removes it when it closes the project. A row whose process is gone (same
machine, and no process with that id and start time) means a crash, a kill or a power cut: the
project is marked ``check_due`` until a ``quick_check`` has passed. Rows from other machines
(a project on a network share) are left alone: their processes cannot be seen from here.

SQLite keeps a file consistent across crashes on its own; the check is for the cases it cannot
cover (a disk that lied about syncing, a copy taken mid-write) and runs in the background.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
from datetime import UTC, datetime

import psutil

PREFIX = "session:"
CHECK_DUE = "check_due"  # meta key: set when a dead session was found, cleared by a passed check


def _host() -> str:
    return platform.node() or "localhost"


def _start_time(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


def own_key() -> str:
    started = _start_time(os.getpid()) or 0.0
    return f"{PREFIX}{_host()}:{os.getpid()}:{started:.0f}"


def alive(key: str) -> bool:
    """False only for a session of this machine whose process is certainly gone."""
    try:
        host, pid_text, started_text = key.removeprefix(PREFIX).rsplit(":", 2)
        pid, started = int(pid_text), float(started_text)
    except ValueError:
        return False  # not written by us: treat as dead so it is cleaned up
    if host != _host():
        return True
    if not psutil.pid_exists(pid):
        return False
    now = _start_time(pid)
    return now is not None and abs(now - started) < 2.0


def dead_sessions(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT key FROM meta WHERE substr(key, 1, ?) = ?", (len(PREFIX), PREFIX))
    return [key for (key,) in rows if not alive(key)]


def check_due(conn: sqlite3.Connection) -> bool:
    """Read-only view: was this project left by a process that did not close it?"""
    flagged = conn.execute("SELECT 1 FROM meta WHERE key = ?", (CHECK_DUE,)).fetchone()
    return flagged is not None or bool(dead_sessions(conn))


def begin(conn: sqlite3.Connection, program: str = "") -> tuple[str, bool]:
    """Registers this process as a writer; returns its key and whether a check is due.

    Dead sessions are turned into the lasting ``check_due`` mark in the same transaction, so a
    second crash before the check has run still leads to one.
    """
    key = own_key()
    value = json.dumps(
        {"pid": os.getpid(), "since": datetime.now(UTC).isoformat(timespec="seconds"),
         "program": program}
    )  # fmt: skip
    conn.execute("BEGIN IMMEDIATE")
    try:
        dead = [k for k in dead_sessions(conn) if k != key]
        if dead:
            conn.executemany("DELETE FROM meta WHERE key = ?", [(k,) for k in dead])
            conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (CHECK_DUE, dead[0])
            )
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))
        due = conn.execute("SELECT 1 FROM meta WHERE key = ?", (CHECK_DUE,)).fetchone()
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return key, due is not None


def end(conn: sqlite3.Connection, key: str) -> None:
    """A clean close: this process's row goes."""
    conn.execute("DELETE FROM meta WHERE key = ?", (key,))


def forget(conn: sqlite3.Connection, pid: int) -> None:
    """A worker process this one ended on purpose (cancel): not a crash, so no check."""
    prefix = f"{PREFIX}{_host()}:{pid}:"
    conn.execute("DELETE FROM meta WHERE substr(key, 1, ?) = ?", (len(prefix), prefix))


def checked(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM meta WHERE key = ?", (CHECK_DUE,))
