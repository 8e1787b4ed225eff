"""Section "aggregates": activity summary, review queues and per-recording counts.

Measured on two shapes of project: many short recordings (the window projects: one-minute
files, 59 windows x 3 classes each) and few long ones (one-hour files scored every second for
20 classes: 1,000 of them is the issue's 3.6 million windows x 20 classes). Each figure is the
first call in a fresh process on a warm file. The detection, exported-row and queue counts are
printed so the "before" and "after" columns can be seen to agree. The detections CSV export:
before, the summary had built every detection as an object already (that time is in the
summary's row); after, the summary holds counts and the export lists the detections again from
the scores, as columns.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from scale.common import Code, Row, Settings, figure, partial, run_probe
from scale.projects import all_projects, ordered

TITLE = "aggregates"

MEASURES = (
    ("Project.counts (every recording)", "counts", None),
    ("activity summary, threshold 0.5", "activity", "detections"),
    ("detections CSV export (every detection listed)", "export", "exported"),
    ("review queue, highest score first", "queue_score", "queue_score_len"),
    ("review queue, most uncertain first", "queue_uncertainty", "queue_uncertainty_len"),
)


def rows(codes: list[Code], settings: Settings) -> list[Row]:
    projects = all_projects(codes, settings)
    keys = ordered({k for per_code in projects.values() for k in per_code})
    results: dict[Any, dict[str, dict[str, Any] | None]] = {}
    for key in keys:
        results[key] = {}
        for code in codes:
            built = projects[code.label].get(key)
            if built is not None:
                results[key][code.label] = run_probe(
                    code, "aggregates", "all", settings.timeout, project=built["path"]
                )
    out: list[Row] = []
    for what, field, check in MEASURES:
        for key in keys:
            figures, notes = {}, []
            for label, result in results[key].items():
                figures[label] = figure(result, field, settings.timeout)
                if result is not None and check in result:
                    notes.append(f"{label} {result[check]:,}")
            size = projects["after" if "after" in projects else next(iter(projects))][key]
            label = f"{key:,} recordings" if isinstance(key, int) else str(key)
            out.append(Row(what, label, figures, ", ".join(notes) + f" ({size['mb']:.0f} MB)"))
    return out


class _Clock:
    """Wall and CPU seconds of one step, kept as ``out[name]`` and ``out[name + "_cpu"]``."""

    def __init__(self, out: dict[str, Any], name: str) -> None:
        self.out, self.name = out, name

    def __enter__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def __exit__(self, *exc: object) -> None:
        self.out[self.name] = time.perf_counter() - self.wall
        self.out[f"{self.name}_cpu"] = time.process_time() - self.cpu
        partial(**self.out)  # kept if a later step runs past the probe's time limit


def probe_all(project: str) -> dict[str, Any]:
    from model.activity import summarise_activity

    try:  # after: listed as columns, in a module of its own
        from model.activity_detections import export_detections_csv
    except ImportError:  # before: the summary held every detection as an object
        from model.activity import export_detections_csv
    from model.project import Project
    from model.review import build_queue

    out: dict[str, Any] = {}
    with Project.open(project) as opened:
        class_id = opened.classes()[-1].id  # the most frequent caller of the synthetic scores
        with _Clock(out, "counts"):
            opened.counts()

        with _Clock(out, "activity"):
            activity = summarise_activity(opened, 0.5)
        # Before: a list of every detection; after: counts (the list is made for exports).
        listed = getattr(activity, "detections", None)
        out["detections"] = len(listed) if listed is not None else activity.count
        partial(**out)

        with tempfile.TemporaryDirectory() as scratch:
            target = Path(scratch) / "detections.csv"
            with _Clock(out, "export"):
                export_detections_csv(activity, target, opened)
            with target.open("rb") as handle:
                out["exported"] = sum(1 for _ in handle) - 1
            partial(**out)

        for order in ("score", "uncertainty"):
            with _Clock(out, f"queue_{order}"):
                queue = build_queue(opened, class_id, order, 0.5)
            out[f"queue_{order}_len"] = len(queue)
    return out
