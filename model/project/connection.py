"""Opening the SQLite file safely: inspect before touching, read-only when we must, upgrade once.

Every check that can refuse a file runs on a connection that cannot write (``mode=ro``, and
``immutable=1`` when no write-ahead log is pending, so not even ``-wal``/``-shm`` side files
appear). Only a file that passed is reopened for writing, so a newer or damaged project is left
exactly as it was.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from model.errors import ProjectError
from model.pathtext import os_arg
from model.project.schema import APPLICATION_ID, SCHEMA_VERSION, TABLES, migrate

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
    """Returns the schema version of a project file, or raises ProjectError without writing.

    Cheap on purpose (a cold 5 GB project opens in well under a second): the header, the
    application id, the schema version and the table set, all read through SQLite. The file is
    never opened any other way (see ``guard``); ``quick_check`` walks the whole file and runs
    only after an unclean shutdown or on demand.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ProjectError(path, "file not found") from None
    except OSError as exc:
        raise ProjectError(path, f"cannot be read ({exc.strerror or exc})") from exc
    if stat.S_ISDIR(st.st_mode):
        raise ProjectError(path, "is a folder, not a Sonotag project file")
    if not stat.S_ISREG(st.st_mode):
        raise ProjectError(path, "is not a regular file (a device, pipe or socket)")
    if st.st_size == 0:
        raise ProjectError(path, "is empty, not a Sonotag project")
    if st.st_size < 100:
        raise ProjectError(path, "is not a Sonotag project (it is not a database file)")
    if not os.access(path, os.R_OK):
        raise ProjectError(path, "cannot be read (permission denied)")
    try:
        conn = connect_read_only(path, brief=True)
    except sqlite3.Error as exc:
        raise ProjectError(path, f"cannot be opened ({exc})") from exc
    try:
        return _check_header(conn, path)
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise ProjectError(
                path, "is not a Sonotag project (it is not a database file)"
            ) from exc
        raise ProjectError(path, f"is damaged or not a Sonotag project ({exc})") from exc
    finally:
        conn.close()


def _check_header(conn: sqlite3.Connection, path: Path) -> int:
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
    for name in sorted(TABLES[version]):  # each table's first leaf: a few pages, not the file
        conn.execute(f'SELECT * FROM "{name}" LIMIT 1').fetchall()
    return version


def connect_writable(path: Path) -> sqlite3.Connection:
    """The normal connection: WAL, every commit fsynced, foreign keys enforced."""
    try:
        conn = sqlite3.connect(
            os_arg(path),
            isolation_level=None,
            check_same_thread=False,
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
    except sqlite3.Error as exc:
        raise ProjectError(path, f"cannot be opened for writing ({exc})") from exc
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
    except (sqlite3.Error, OSError, ProjectError) as exc:
        conn.execute("ROLLBACK")
        raise ProjectError(path, f"upgrade from schema {version} failed ({exc})") from exc
    _give_back_free_space(conn)
    return target


def _give_back_free_space(conn: sqlite3.Connection) -> None:
    """An upgrade can leave most of the file unused (version 3 moved the feature cache out):
    rewrite it so it shrinks. Best effort; the project is fine without it."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    if free > 256 and free > pages // 4:
        try:
            conn.execute("VACUUM")
        except sqlite3.Error:
            pass


def upgraded_copy_in_memory(conn: sqlite3.Connection, version: int) -> sqlite3.Connection:
    """An old project on read-only media: upgrade a private in-memory copy so it can be viewed."""
    mem = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    conn.backup(mem)
    mem.execute("PRAGMA foreign_keys = ON")
    mem.execute("BEGIN")
    migrate(mem, version)
    mem.execute("COMMIT")
    return mem
