"""A project's life cycle: create, open (once per process), transactions, checkpoint, close.

``Project.open`` hands out handles; all handles on one file in one process share one SQLite
connection (``registry``), so nothing in the process ever opens the file a second way. Closing a
handle is final for that handle only; the connection closes with the last one, after a clean
shutdown record and a checkpoint that leaves the main file complete for copying.
"""

from __future__ import annotations

import getpass
import sqlite3
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from model.errors import ProjectError, SonotagError
from model.pathtext import resolved
from model.project import connection as db
from model.project import registry, sessions
from model.project.base import StoreBase
from model.project.registry import SharedConnection
from model.project.schema import SCHEMA_VERSION, create_schema
from model.writable import create_new_file


def _default_author() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some sandboxes; any name will do
        return "unknown"


def _release(shared: SharedConnection) -> None:
    """One handle fewer; the last one closes the connection (also run by the garbage
    collector for a handle nobody closed, and at interpreter exit)."""
    with registry.LOCK:
        shared.handles -= 1
        if shared.handles > 0:
            return
        with shared.lock:
            try:
                if shared.writable and shared.session is not None:
                    sessions.end(shared.conn, shared.session)
                    shared.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error:
                pass  # a clean-close record that cannot be written only means a check later
            finally:
                shared.conn.close()
                registry.unregister(shared)


def _connect(path: Path, read_only: bool, deep_check: bool | None) -> SharedConnection:
    """A new connection on a file no handle of this process has open."""
    version = db.inspect(path)
    migrated_from = version if version < SCHEMA_VERSION else None
    if read_only:
        conn = db.connect_read_only(path)
        try:
            due = sessions.check_due(conn) if migrated_from is None else False
        except sqlite3.Error as exc:
            conn.close()
            raise ProjectError(path, f"is damaged or not a Sonotag project ({exc})") from exc
        if migrated_from is not None:
            old, conn = conn, db.upgraded_copy_in_memory(conn, version)
            old.close()
        shared = SharedConnection(path, conn, False, migrated_from, check_due=due)
    else:
        shared = SharedConnection(path, db.connect_writable(path), True, migrated_from)
        try:
            if migrated_from is not None:
                shared.backup = db.upgrade(shared.conn, path, version)
            shared.session, shared.check_due = sessions.begin(shared.conn)
        except (ProjectError, sqlite3.Error) as exc:
            shared.conn.close()
            if isinstance(exc, ProjectError):
                raise
            raise ProjectError(path, f"cannot be opened for writing ({exc})") from exc
    if shared.check_due and deep_check is not False:
        deep_check = True
    if deep_check:
        from model.project.maintenance import check_connection

        try:
            check_connection(shared.conn, path)
        except ProjectError:
            shared.conn.close()
            raise
        if shared.writable:
            sessions.checked(shared.conn)
        shared.check_due = False
    return shared


def _make_writable(shared: SharedConnection) -> None:
    """A file first opened read-only here is now wanted for writing: swap the connection."""
    fresh = _connect(shared.path, False, False)
    with shared.lock:
        old = shared.conn
        shared.conn, shared.writable, shared.session = fresh.conn, True, fresh.session
        shared.backup = fresh.backup
        shared.check_due = shared.check_due or fresh.check_due
        old.close()


class ProjectHandle(StoreBase):
    """The connection plumbing of ``Project``; see ``Project.open``."""

    def __init__(self, path: Path, shared: SharedConnection, read_only: bool) -> None:
        self.path = path
        self.read_only = read_only or not shared.writable
        self.author = _default_author()
        self._shared = shared
        self._closed = False
        shared.handles += 1
        self._finalizer = weakref.finalize(self, _release, shared)

    # ----------------------------------------------------------------- life cycle
    @classmethod
    def create(cls, path: str | Path) -> Self:
        path = resolved(Path(path).expanduser())
        if path.exists() or db.sidecar(path, "-wal").exists():
            raise ProjectError(path, "already exists; choose another name or open it")
        if not path.parent.is_dir():
            raise ProjectError(path, "its folder does not exist")
        try:  # SQLite would only say "unable to open database file": let the OS say why
            create_new_file(path, "project file")
        except SonotagError as exc:
            raise ProjectError(path, exc.cause) from None
        with registry.LOCK:
            try:
                conn = db.connect_writable(path)
            except ProjectError:
                path.unlink(missing_ok=True)
                raise
            try:
                conn.execute("BEGIN IMMEDIATE")
                create_schema(conn)
                conn.execute("COMMIT")
                session, _ = sessions.begin(conn)
            except sqlite3.Error as exc:
                conn.close()
                path.unlink(missing_ok=True)
                raise ProjectError(path, f"could not be created ({exc})") from exc
            shared = SharedConnection(path, conn, True, session=session)
            registry.register(shared)
            return cls(path, shared, read_only=False)

    @classmethod
    def open(
        cls, path: str | Path, read_only: bool | None = None, deep_check: bool | None = None
    ) -> Self:
        """A handle on the project (upgrading an old file, with a backup, when writable).

        ``read_only=None`` decides from permissions. A file this process has open already gives
        a handle on that same connection. Opening is cheap: the full ``quick_check`` runs only
        after an unclean shutdown (``deep_check=None``), always (True) or never (False; the
        caller checks ``check_due`` and runs ``maintenance.check_job`` in the background).
        """
        path = resolved(Path(path).expanduser())
        with registry.LOCK:
            shared = registry.lookup(path)
            if read_only is None:
                read_only = db.detect_read_only(path)
            if shared is None:
                shared = _connect(path, read_only, deep_check)
                registry.register(shared)
            elif not read_only and not shared.writable:
                _make_writable(shared)
            return cls(path, shared, read_only)

    def close(self) -> None:
        """This handle is done; the connection closes with the last handle of the process."""
        self._closed = True
        self._finalizer()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def migrated_from(self) -> int | None:
        """Schema the file had before this process upgraded it (None: it was current)."""
        return self._shared.migrated_from

    @property
    def backup(self) -> Path | None:
        """The copy made before that upgrade."""
        return self._shared.backup

    @property
    def check_due(self) -> bool:
        """The project was not closed properly last time and has not been checked since."""
        return self._shared.check_due

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "read-only" if self.read_only else "writable"
        return f"Project({str(self.path)!r}, {mode})"

    @property
    def directory(self) -> Path:
        return self.path.parent

    # ----------------------------------------------------------------- plumbing
    @property
    def conn(self) -> sqlite3.Connection:
        if self._closed:
            raise ProjectError(self.path, "project is closed")
        return self._shared.conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic, durable change; nests (inner levels are savepoints)."""
        if self.read_only:
            raise ProjectError(self.path, "project is open read-only")
        shared = self._shared
        with shared.lock:
            conn = self.conn
            level = shared.depth
            try:
                conn.execute("BEGIN IMMEDIATE" if level == 0 else f"SAVEPOINT s{level}")
            except sqlite3.OperationalError as exc:
                raise ProjectError(self.path, f"cannot be changed now ({exc})") from exc
            shared.depth += 1
            try:
                yield conn
            except BaseException as exc:
                shared.depth -= 1
                if level == 0:
                    conn.execute("ROLLBACK")
                else:
                    conn.execute(f"ROLLBACK TO s{level}")
                    conn.execute(f"RELEASE s{level}")
                if isinstance(exc, sqlite3.IntegrityError):
                    raise ProjectError(self.path, f"change refused ({exc})") from exc
                raise
            else:
                shared.depth -= 1
                conn.execute("COMMIT" if level == 0 else f"RELEASE s{level}")
                if level == 0:
                    shared.committed()

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._shared.lock, self._unreadable():
            return self.conn.execute(sql, params).fetchall()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        with self._shared.lock, self._unreadable():
            return self.conn.execute(sql, params).fetchone()

    @contextmanager
    def _unreadable(self) -> Iterator[None]:
        """A damaged page met while reading (opening does not read every page) is reported
        like any other project problem, naming the file, not as a crash."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if type(exc) is sqlite3.DatabaseError or "disk I/O" in str(exc):
                raise ProjectError(
                    self.path,
                    f"cannot be read ({exc}); File ▸ Check project… tells what is damaged",
                ) from exc
            raise

    # ----------------------------------------------------------------- copy safety
    def seconds_since_edit(self) -> float | None:
        """Seconds since the last commit through this process not yet checkpointed (None:
        everything committed here is in the main file already)."""
        import time

        shared = self._shared
        if shared.commits == shared.checkpointed:
            return None
        return time.monotonic() - shared.last_commit

    def checkpoint(self) -> bool:
        """Copies committed pages from the write-ahead log into the main file (PASSIVE: never
        waits for, nor disturbs, a reader or another process). True when the log is fully
        copied, so the main file alone holds every committed change."""
        if self.read_only:
            return False
        shared = self._shared
        with shared.lock:
            commits = shared.commits
            busy, log, done = self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            # Tried: the next try waits for a new edit (or the caller's periodic one), so a
            # reader that holds the log back is not hammered.
            shared.checkpointed = commits
            return not busy and (log == -1 or done == log)

    def forget_session(self, pid: int) -> None:
        """A worker process ended on purpose (cancel): its open-session row is no crash."""
        if not self.read_only:
            with self._shared.lock:
                sessions.forget(self.conn, pid)

    def mark_checked(self) -> None:
        """A whole-file check just passed: no check is due any more."""
        with self._shared.lock:
            if not self.read_only:
                sessions.checked(self.conn)
            self._shared.check_due = False
