"""Words for a cluster run's progress, shared by the command line and the GUI's progress view
(light: no Ray import)."""

from __future__ import annotations

from typing import Any


def cluster_parts(data: dict[str, Any]) -> list[str]:
    """Words for the progress line of a cluster run: hours of audio per minute and workers."""
    parts = []
    rate = data.get("audio_hours_per_min")
    if rate:
        parts.append(f"{rate:.2f} h audio/min")
    workers = data.get("workers")
    if workers:
        busy = sum(1 for w in workers if w.get("stage") == "scoring")
        parts.append(f"{busy}/{len(workers)} workers busy")
    return parts


def worker_lines(data: dict[str, Any]) -> list[str]:
    """One line per worker: where it runs, what it does, files it finished."""
    lines = []
    for worker in data.get("workers") or []:
        doing = worker.get("stage", "")
        if doing == "scoring" and worker.get("file"):
            doing = f"scoring {worker['file']} ({worker.get('fraction', 0.0):.0%})"
        host = f" on {worker['host']}" if worker.get("host") else ""
        lines.append(
            f"{worker.get('name', 'worker')}{host}: {doing}; "
            f"{worker.get('files_done', 0)} file(s) done; {worker.get('device', '')}"
        )
    return lines
