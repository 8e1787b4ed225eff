"""Section "aggregates": activity summary, review queues and per-recording counts.

Measured on two shapes of project: many short recordings (the window projects: one-minute
files, 59 windows x 3 classes each) and few long ones (one-hour files scored every second for
20 classes: 1,000 of them is the issue's 3.6 million windows x 20 classes). Each figure is the
first call in a fresh process on a warm file. The detection and queue counts are printed so the
"before" and "after" columns can be seen to agree.
"""

from __future__ import annotations

import time
from typing import Any

from scale.common import Code, Row, Settings, run_probe, seconds
from scale.projects import all_projects, ordered

TITLE = "aggregates"

MEASURES = (
    ("Project.counts (every recording)", "counts", None),
    ("activity summary, threshold 0.5", "activity", "detections"),
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
                figures[label] = seconds(
                    None if result is None else result[field], settings.timeout
                )
                if result is not None and check:
                    notes.append(f"{label} {result[check]:,}")
            size = projects["after" if "after" in projects else next(iter(projects))][key]
            label = f"{key:,} recordings" if isinstance(key, int) else str(key)
            out.append(Row(what, label, figures, ", ".join(notes) + f" ({size['mb']:.0f} MB)"))
    return out


def probe_all(project: str) -> dict[str, Any]:
    from model.activity import summarise_activity
    from model.project import Project
    from model.review import build_queue

    out: dict[str, Any] = {}
    with Project.open(project) as opened:
        class_id = opened.classes()[-1].id  # the most frequent caller of the synthetic scores
        start = time.perf_counter()
        opened.counts()
        out["counts"] = time.perf_counter() - start

        start = time.perf_counter()
        activity = summarise_activity(opened, 0.5)
        out["activity"] = time.perf_counter() - start
        # Before: a list of every detection; after: counts (the list is made for exports).
        listed = getattr(activity, "detections", None)
        out["detections"] = len(listed) if listed is not None else activity.count

        for order in ("score", "uncertainty"):
            start = time.perf_counter()
            queue = build_queue(opened, class_id, order, 0.5)
            out[f"queue_{order}"] = time.perf_counter() - start
            out[f"queue_{order}_len"] = len(queue)
    return out
