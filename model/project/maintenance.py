"""Whole-file work on a project that may stay open: the integrity check and Save a copy.

Both read through a short-lived read-only SQLite connection of their own inside one read
transaction, so they see one consistent state of the file while the window goes on labelling
(WAL readers never block the writer) and never hold the project's connection for minutes.
SQLite shares its locks between connections of one process, so this second connection is safe
where a plain ``open()`` of the file is not (see ``guard``).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from model.errors import ProjectError
from model.jobs import Cancelled, Reporter
from model.project import connection as db
from model.project import guard, sessions
from model.project.feature_cache import cache_folder

PROGRESS_OPS = 20_000  # SQLite virtual-machine steps between progress reports
STEPS_PER_ROW = 40.0  # quick_check VM steps per row: measured 37 (scores-heavy) to 41 (labels)
COPY_PAGES = 512  # pages per backup step (2 MB at the default page size)


def models_folder(path: Path) -> Path:
    """Trained model bundles beside a project (``P.sonotag`` -> ``P.models/``)."""
    return path.with_name(path.stem + ".models")


@dataclass(frozen=True)
class CheckResult:
    path: Path
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            return f"{self.path.name}: the project file is sound (integrity check passed)."
        return f"{self.path.name} is damaged: " + "; ".join(self.problems[:5])


def _estimated_steps(conn: sqlite3.Connection) -> float:
    """About how many VM steps ``quick_check`` takes: it walks every row of every table, and
    ``max(rowid)`` finds each table's size without reading it."""
    rows = 0
    tables = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    for (name,) in tables:
        try:
            rows += conn.execute(f'SELECT max(rowid) FROM "{name}"').fetchone()[0] or 0
        except sqlite3.DatabaseError:  # WITHOUT ROWID, or damaged (the check will say): small
            rows += 1
    return max(STEPS_PER_ROW * rows, 1.0)


def check_connection(
    conn: sqlite3.Connection, path: Path, reporter: Reporter | None = None
) -> CheckResult:
    """``PRAGMA quick_check`` on ``conn``; raises ProjectError when the file is damaged (when
    there is no reporter) or returns the problems (with one). Cancel interrupts SQLite."""
    if reporter is not None:
        reporter.check()
    steps = [0]
    estimate = _estimated_steps(conn) if reporter is not None else 1.0

    def tick() -> int:
        steps[0] += PROGRESS_OPS
        if reporter is None:
            return 0
        if reporter.cancelled:
            return 1
        done = min(steps[0] / estimate, 0.99)
        reporter.update(round(1000 * done), 1000, "checking every page of the project file")
        return 0

    conn.set_progress_handler(tick, PROGRESS_OPS)
    try:
        problems = [str(r[0]) for r in conn.execute("PRAGMA quick_check(20)").fetchall()]
    except sqlite3.OperationalError as exc:
        if reporter is not None and reporter.cancelled:
            raise Cancelled() from exc
        problems = [str(exc)]
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    finally:
        conn.set_progress_handler(None, 0)
    problems = [] if problems == ["ok"] else problems
    if problems and reporter is None:
        raise ProjectError(path, f"is damaged ({'; '.join(problems[:5])})")
    return CheckResult(path, problems)


def check_job(reporter: Reporter, project_path: str | Path) -> CheckResult:
    """Job: the whole-file check (File ▸ Check project, and after an unclean shutdown).

    The caller marks the project checked (``Project.mark_checked``) when it passes.
    """
    path = Path(project_path)
    reporter.update(0, 1000, "starting the check")  # also the first place a cancel lands
    conn = db.connect_read_only(path)
    try:
        conn.execute("BEGIN")
        return check_connection(conn, path, reporter)
    finally:
        conn.close()


def checkpoint_job(reporter: Reporter, project_path: str | Path) -> bool:
    """Job: moves committed pages from the write-ahead log into the main file (the window
    runs it a few seconds after the last edit), so a copy of the file alone is up to date."""
    from model.project.store import Project

    reporter.check()
    with Project.open(project_path, deep_check=False) as project:
        return project.checkpoint()


def _copy_target_problem(source: Path, target: Path) -> str | None:
    if target.resolve() == source.resolve():
        return "is the project itself; choose another name"
    if guard.is_guarded(target):
        return "is a project open in this program; close it first or choose another name"
    if db.sidecar(target, "-wal").exists():
        return "is a project open in another program (it has a -wal file); choose another name"
    if not target.parent.is_dir():
        return "its folder does not exist"
    return None


def _portable_paths(copy: sqlite3.Connection, source: Path, target: Path) -> None:
    """Paths stored relative to the project folder are rewritten so they resolve from the
    copy's folder (relative when the file is below it, absolute otherwise, as the project
    stores them); model bundles point into the copy's own models folder."""
    old_dir, new_dir = source.parent, target.parent
    old_models, new_models = models_folder(source).name, models_folder(target).name
    for table in ("recordings", "models"):
        column = "path" if table == "recordings" else "file"
        rows = copy.execute(f"SELECT id, {column} FROM {table}").fetchall()
        for row_id, stored in rows:
            if Path(stored).is_absolute():
                continue
            if table == "models" and stored.startswith(old_models + "/"):
                new = new_models + stored[len(old_models) :]
            else:
                absolute = (old_dir / stored).resolve()
                new = (
                    absolute.relative_to(new_dir).as_posix()
                    if absolute.is_relative_to(new_dir)
                    else str(absolute)
                )
            copy.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", (new, row_id))


def _copy_folder(
    source: Path, target: Path, reporter: Reporter, what: str, start: float, span: float
) -> None:
    files = [p for p in source.rglob("*") if p.is_file()]
    for number, file in enumerate(files):
        reporter.update(start + span * number / max(len(files), 1), 1000, f"copying {what}")
        dest = target / file.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, dest)


def save_copy_job(
    reporter: Reporter,
    project_path: str | Path,
    target: str | Path,
    include_cache: bool = False,
) -> Path:
    """Job: a consistent copy of the project (SQLite's backup API inside one read
    transaction) while it stays open, plus its trained models; the feature cache only when
    asked (it can be rebuilt). The copy appears under its name only when complete."""
    source, target = Path(project_path).resolve(), Path(target).expanduser().resolve()
    problem = _copy_target_problem(source, target)
    if problem:
        raise ProjectError(target, problem)
    partial = target.with_name(f".{target.name}.saving")
    made: list[Path] = []
    src = db.connect_read_only(source)
    try:
        src.execute("BEGIN")  # one snapshot for every step below
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()
        dest = sqlite3.connect(str(partial), isolation_level=None)
        try:

            def step(_status: int, remaining: int, total: int) -> None:
                reporter.update(800 * (total - remaining) / max(total, 1), 1000, "copying")

            src.backup(dest, pages=COPY_PAGES, progress=step)
            dest.execute("BEGIN IMMEDIATE")
            dest.execute("DELETE FROM meta WHERE substr(key, 1, ?) = ?", (8, sessions.PREFIX))
            dest.execute("DELETE FROM meta WHERE key = ?", (sessions.CHECK_DUE,))
            _portable_paths(dest, source, target)
            dest.execute("COMMIT")
            dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            dest.close()
        folders = [(models_folder(source), models_folder(target), "trained models", 800)]
        if include_cache:
            folders.append((cache_folder(source), cache_folder(target), "the feature cache", 900))
        for folder, new, what, start in folders:
            if not folder.is_dir() or new == folder:
                continue
            if new.exists():
                raise ProjectError(new, "already exists; choose another name for the copy")
            made.append(new)
            _copy_folder(folder, new, reporter, what, start, 100)
        reporter.check()
        os.replace(partial, target)
        made.clear()
    except sqlite3.Error as exc:
        raise ProjectError(target, f"the copy could not be written ({exc})") from exc
    except OSError as exc:
        raise ProjectError(
            target, f"the copy could not be written ({exc.strerror or exc})"
        ) from exc
    finally:
        src.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            db.sidecar(partial, suffix).unlink(missing_ok=True)
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)
    reporter.update(1000, 1000, f"saved {target.name}")
    return target
