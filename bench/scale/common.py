"""What every section of ``bench_scale.py`` shares: code trees, probes in fresh processes, rows.

Each measurement (a *probe*) runs in its own Python process with one code tree first on its
path, so "before" (the code as it was, unpacked from git) and "after" (this checkout) are timed
the same way on the same machine in the same run, and peak memory is that probe's alone. A probe
is a function ``probe_<name>(**kwargs) -> dict`` in a section module; it prints its result as
one JSON line, which the driver reads back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parents[1]  # bench/
REPO = BENCH_DIR.parent
RESULT_TAG = "@@probe-result@@ "
PARTIAL_TAG = "@@probe-partial@@ "


@dataclass(frozen=True)
class Code:
    """A code tree to measure: ``label`` is "before" or "after"."""

    label: str
    root: Path


@dataclass
class Settings:
    quick: bool
    work: Path  # where projects are built (kept between runs unless --rebuild)
    rebuild: bool
    timeout: float  # seconds a single probe may take before it is stopped
    sizes: list[int] = field(default_factory=list)
    # section "ml": labelled clips to retrain on, one-hour recordings to re-score, and the
    # largest retrain the "before" tree is given (it needs ~29 KB of memory per clip)
    ml_clips: list[int] | None = None
    ml_recordings: list[int] | None = None
    before_max_clips: int | None = None
    ml_rows: tuple[str, ...] = ("cache", "retrain", "examples", "rescore")


@dataclass
class Row:
    """One line of the printed table: what, size, and the figure per code tree."""

    what: str
    size: str
    figures: dict[str, str]
    note: str = ""


class ProbeFailed(RuntimeError):
    pass


def run_probe(
    code: Code, section: str, probe: str, timeout: float, **kwargs: Any
) -> dict[str, Any] | None:
    """Runs ``section.probe_<probe>(**kwargs)`` with ``code`` first on the path; None when it
    ran out of time (the figure is then "> timeout")."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(code.root)  # spawned workers import the same tree
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["SONOTAG_BENCH_CODE"] = str(code.root)
    command = [
        sys.executable,
        str(BENCH_DIR / "bench_scale.py"),
        "--probe",
        f"{section}:{probe}",
        "--code",
        str(code.root),
        "--kwargs",
        json.dumps(kwargs, default=str),
    ]
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        partial: dict[str, Any] = {}
        for line in out.splitlines():
            if line.startswith(PARTIAL_TAG):
                partial.update(json.loads(line[len(PARTIAL_TAG) :]))
        return {**partial, "stopped": True} if partial else None
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_TAG):
            return json.loads(line[len(RESULT_TAG) :])
    tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
    raise ProbeFailed(f"{section}:{probe} ({code.label}) failed:\n" + "\n".join(tail))


def probe_main(target: str, code_root: str, kwargs_json: str) -> None:
    """Inside the probe process: import the section with ``code_root`` first, run, print."""
    sys.path.insert(0, code_root)
    sys.path.append(str(BENCH_DIR))
    import importlib

    section, probe = target.split(":")
    module = importlib.import_module(f"scale.{section}")
    result = getattr(module, f"probe_{probe}")(**json.loads(kwargs_json))
    result.setdefault("peak_rss_mb", peak_rss_mb())
    result.setdefault("cpu_s", cpu_seconds())
    print(RESULT_TAG + json.dumps(result), flush=True)


def partial(**figures: Any) -> None:
    """A probe's figures so far: kept if the probe is stopped before it finishes."""
    print(PARTIAL_TAG + json.dumps(figures), flush=True)


def cpu_seconds() -> float:
    """CPU time of this process, all threads, user and system: on a shared machine it varies
    far less than wall time (``os.times`` works on every platform)."""
    times = os.times()
    return times.user + times.system


def peak_rss_mb() -> float:
    """Peak resident memory of this process (``resource`` exists on Linux and macOS only)."""
    try:
        import resource
    except ImportError:
        return float("nan")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 1024 / 1024


@contextmanager
def timer() -> Iterator[Callable[[], float]]:
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


def seconds(value: float | None, timeout: float | None = None) -> str:
    """A time for the table: ms under a second, s above; "> N s" when the probe was stopped."""
    if value is None:
        return f"> {timeout:.0f} s (stopped)" if timeout else "—"
    if value < 1:
        return f"{value * 1000:.1f} ms" if value < 0.1 else f"{value * 1000:.0f} ms"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def figure(result: dict[str, Any] | None, key: str, timeout: float | None = None) -> str:
    """A probe's time for the table, with the CPU time the probe's process spent on it beside
    it when the probe measured that (``<key>_cpu``): on a machine shared with other work the
    wall time waits for the cores too, the CPU time is what the code itself costs."""
    wall = seconds(None if result is None else result.get(key), timeout)
    cpu = None if result is None else result.get(f"{key}_cpu")
    return wall if cpu is None else f"{wall} (CPU {seconds(cpu)})"


def load_average() -> str:
    """The machine's 1/5/15-minute load averages (how busy the cores were while measuring)."""
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except (AttributeError, OSError):
        return "unknown"


def megabytes(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} MB"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def print_rows(rows: list[Row], labels: list[str]) -> None:
    headers = ["what", "size", *labels, "note"]
    table = [
        [r.what, r.size, *(r.figures.get(label, "—") for label in labels), r.note] for r in rows
    ]
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *table, strict=False)]
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for cells in table:
        print(" | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)), flush=True)
