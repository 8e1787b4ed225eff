"""Opening the SQLite file safely: inspect before touching, read-only when we must, upgrade once.

Every check that can refuse a file runs on a connection that cannot write (``mode=ro``, and
``immutable=1`` when no write-ahead log is pending, so not even ``-wal``/``-shm`` side files
appear). Only a file that passed is reopened for writing, so a newer or damaged project is left
exactly as it was.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from model.errors import ProjectError
from model.project.schema import APPLICATION_ID, SCHEMA_VERSION, TABLES, migrate

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000


def sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def detect_read_only(path: Path) -> bool:
    """True when we could not write the file or create its ``-wal``/``-shm`` files beside it.

    Uses ``os.access`` (not a trial write) so that merely opening never changes the medium.
    """
    return not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def _ro_uri(path: Path, immutable: bool) -> str:
    return path.as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")


def connect_read_only(path: Path, brief: bool = False) -> sqlite3.Connection:
    """A connection that cannot write; ``immutable=1`` where nobody can be writing the file.

    With no ``-wal`` beside the file no connection is open on it, so a ``brief`` look (the
    checks before opening) reads it as immutable and leaves no ``-wal``/``-shm`` behind. A
    long-lived reader uses plain ``mode=ro`` so it sees what another process writes later, and
    falls back to immutable on read-only media, where SQLite cannot create the ``-shm`` it needs.
    """
    wal_exists = sidecar(path, "-wal").exists()
    if not wal_exists and (brief or not os.access(path.parent, os.W_OK)):
        conn = sqlite3.connect(_ro_uri(path, True), uri=True, check_same_thread=False)
    else:
        conn = sqlite3.connect(_ro_uri(path, False), uri=True, check_same_thread=False)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            conn.close()
            conn = sqlite3.connect(_ro_uri(path, True), uri=True, check_same_thread=False)
    conn.isolation_level = None
    return conn


def inspect(path: Path) -> int:
    """Returns the schema version of a project file, or raises ProjectError without writing."""
    if not path.exists():
        raise ProjectError(path, "file not found")
    if path.is_dir():
        raise ProjectError(path, "is a folder, not a Sonotag project file")
    try:
        with path.open("rb") as handle:
            head = handle.read(100)
    except OSError as exc:
        raise ProjectError(path, f"cannot be read ({exc.strerror or exc})") from exc
    if not head:
        raise ProjectError(path, "is empty, not a Sonotag project")
    if len(head) < 100 or not head.startswith(SQLITE_MAGIC):
        raise ProjectError(path, "is not a Sonotag project (it is not a database file)")
    try:
        conn = connect_read_only(path, brief=True)
    except sqlite3.Error as exc:
        raise ProjectError(path, f"cannot be opened ({exc})") from exc
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if app_id != APPLICATION_ID:
            raise ProjectError(path, "is a database, but not a Sonotag project")
        if version > SCHEMA_VERSION:
            raise ProjectError(
                path,
                f"was written by a newer Sonotag (schema {version}); this version reads up to "
                f"{SCHEMA_VERSION} — please update Sonotag to open it",
            )
        if version < 1:
            raise ProjectError(path, "is an unfinished Sonotag project (it was never set up)")
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        missing = TABLES[version] - names
        if missing:
            raise ProjectError(path, f"is damaged: tables {', '.join(sorted(missing))} missing")
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
        if problems != ["ok"]:
            raise ProjectError(path, f"is damaged ({'; '.join(problems)})")
    except sqlite3.DatabaseError as exc:
        raise ProjectError(path, f"is damaged or not a Sonotag project ({exc})") from exc
    finally:
        conn.close()
    return version


def connect_writable(path: Path) -> sqlite3.Connection:
    """The normal connection: WAL, every commit fsynced, foreign keys enforced."""
    conn = sqlite3.connect(
        str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        conn.close()
        raise ProjectError(path, f"cannot be opened for writing ({exc})") from exc
    return conn


def backup_path(path: Path, version: int) -> Path:
    return path.with_name(f"{path.name}.v{version}.bak")


def upgrade(conn: sqlite3.Connection, path: Path, version: int) -> Path:
    """Copies the file aside as ``<name>.v<N>.bak``, then migrates in one transaction.

    The copy uses SQLite's backup API so pages still in the write-ahead log are included.
    """
    target = backup_path(path, version)
    if target.exists():
        target = target.with_name(f"{target.name}-{os.getpid()}")
    try:
        dest = sqlite3.connect(str(target))
        with dest:
            conn.backup(dest)
        dest.close()
    except sqlite3.Error as exc:
        raise ProjectError(path, f"could not make a backup before upgrading ({exc})") from exc
    try:
        conn.execute("BEGIN IMMEDIATE")
        migrate(conn, version)
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        conn.execute("ROLLBACK")
        raise ProjectError(path, f"upgrade from schema {version} failed ({exc})") from exc
    return target


def upgraded_copy_in_memory(conn: sqlite3.Connection, version: int) -> sqlite3.Connection:
    """An old project on read-only media: upgrade a private in-memory copy so it can be viewed."""
    mem = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    conn.backup(mem)
    mem.execute("PRAGMA foreign_keys = ON")
    mem.execute("BEGIN")
    migrate(mem, version)
    mem.execute("COMMIT")
    return mem
