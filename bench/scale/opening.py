"""Section "opening": ``Project.open`` on the projects of the other sections, warm and cold.

Warm: the file is in the page cache (opened once before; median of five opens in one process).
Cold: without root the page cache cannot be dropped for the whole machine, so cold here is the
first open in a fresh process after the file (and its ``-wal``) were fsynced and dropped from
the cache with ``posix_fadvise(POSIX_FADV_DONTNEED)``. The Python and SQLite libraries stay
cached; only the project's own pages must come from disk. Reading the whole file cold right
after the same drop is printed beside it as the floor a full check cannot go below.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Any

from scale.common import Code, Row, Settings, figure, run_probe
from scale.projects import all_projects, ordered

TITLE = "opening"


def rows(codes: list[Code], settings: Settings) -> list[Row]:
    projects = all_projects(codes, settings)
    out: list[Row] = []
    keys = ordered({k for per_code in projects.values() for k in per_code})
    for what, probe in (
        ("Project.open, warm (median of 5)", "warm"),
        ("Project.open, cold (fadvise DONTNEED)", "cold"),
        ("read the whole file, cold (for scale)", "read"),
    ):
        for key in keys:
            figures, size = {}, ""
            for code in codes:
                built = projects[code.label].get(key)
                if built is None:
                    continue
                result = run_probe(code, "opening", probe, settings.timeout, project=built["path"])
                figures[code.label] = figure(result, "seconds", settings.timeout)
                size = f"{built['mb']:.0f} MB"
            label = f"{key:,} recordings" if isinstance(key, int) else str(key)
            out.append(Row(what, label, figures, size))
    return out


def drop_from_cache(path: Path) -> None:
    """Evicts the file's pages from the page cache (Linux; a no-op where unsupported)."""
    for suffix in ("", "-wal", "-shm"):
        part = path.with_name(path.name + suffix)
        if not part.exists() or not hasattr(os, "posix_fadvise"):
            continue
        fd = os.open(part, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def probe_warm(project: str) -> dict[str, Any]:
    from model.project import Project

    Project.open(project).close()
    times = []
    for _ in range(5):
        start = time.perf_counter()
        opened = Project.open(project)
        times.append(time.perf_counter() - start)
        opened.close()
    return {"seconds": statistics.median(times)}


def probe_cold(project: str) -> dict[str, Any]:
    from model.project import Project

    drop_from_cache(Path(project))
    start, start_cpu = time.perf_counter(), time.process_time()
    opened = Project.open(project)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    opened.close()
    return {"seconds": elapsed, "seconds_cpu": cpu}


def probe_read(project: str) -> dict[str, Any]:
    drop_from_cache(Path(project))
    start = time.perf_counter()
    with open(project, "rb") as handle:
        while handle.read(1 << 22):
            pass
    return {"seconds": time.perf_counter() - start}
