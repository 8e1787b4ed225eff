"""``clips.csv`` and ``map.png``: the map for scripts and reports (``sonotag explore``).

The CSV has one row per mapped clip: recording (its path as stored in the project), start_s,
end_s, x, y, cluster (-1: none), top_score (empty when unscored) and one column per class with
its label state (present / absent / uncertain, empty when unlabelled). The PNG shows the map
twice, coloured by cluster and by label state, drawn with matplotlib's Agg backend (no display).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from model.explore.store import ClipMap
from model.explore.table import (
    ABSENT,
    PRESENT,
    STATE_NAMES,
    UNCERTAIN,
    label_codes,
    top_scores,
)

CSV_NAME = "clips.csv"
PNG_NAME = "map.png"


def write_csv(project: Any, clip_map: ClipMap, path: Path) -> int:
    """Writes the table; returns the number of rows."""
    classes = project.classes()
    codes = label_codes(project, clip_map.grid, [c.id for c in classes])
    scores, _ = top_scores(project, clip_map.grid)
    names = {r.id: r.stored_path for r in project.recordings()}
    ends = clip_map.ends
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["recording", "start_s", "end_s", "x", "y", "cluster", "top_score"]
            + [c.name for c in classes]
        )
        for i in range(len(clip_map)):
            score = "" if np.isnan(scores[i]) else f"{scores[i]:.4f}"
            writer.writerow(
                [
                    names.get(int(clip_map.recording_ids[i]), str(clip_map.recording_ids[i])),
                    f"{clip_map.starts[i]:.3f}",
                    f"{ends[i]:.3f}",
                    f"{clip_map.coords[i, 0]:.5f}",
                    f"{clip_map.coords[i, 1]:.5f}",
                    int(clip_map.clusters[i]),
                    score,
                ]
                + [STATE_NAMES[int(c)] for c in codes[i]]
            )
    return len(clip_map)


def cluster_colours(clusters: np.ndarray) -> np.ndarray:
    """RGBA per clip: a tab20 colour per cluster, light grey for no cluster."""
    from matplotlib import colormaps

    table = colormaps["tab20"](np.arange(20))
    out = np.tile(np.array([[0.78, 0.78, 0.78, 0.6]]), (len(clusters), 1))
    inside = clusters >= 0
    out[inside] = table[clusters[inside] % 20]
    return out


def write_png(project: Any, clip_map: ClipMap, path: Path, title: str = "") -> None:
    """Two panels: clusters, and the label state of every class (the first labelled class
    that applies: present in its colour, absent dark grey, uncertain orange)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    classes = project.classes()
    codes = label_codes(project, clip_map.grid, [c.id for c in classes])
    figure = Figure(figsize=(12, 6), dpi=110, layout="constrained")
    left, right = figure.subplots(1, 2)
    size = max(1.0, min(12.0, 4000.0 / max(1, len(clip_map))))
    x, y = clip_map.coords[:, 0], clip_map.coords[:, 1]
    left.scatter(x, y, s=size, c=cluster_colours(clip_map.clusters), linewidths=0)
    found = int(clip_map.clusters.max(initial=-1) + 1)
    left.set_title(f"{found} clusters (HDBSCAN); grey: in none")
    right.scatter(x, y, s=size, c="#d0d0d0", linewidths=0, label="unlabelled")
    for column, cls in enumerate(classes):
        for code, colour, text in (
            (ABSENT, "#505050", "absent"),
            (UNCERTAIN, "#ff9900", "uncertain"),
            (PRESENT, cls.colour, "present"),
        ):
            rows = codes[:, column] == code
            if rows.any():
                right.scatter(
                    x[rows], y[rows], s=size * 3, c=colour, linewidths=0,
                    label=f"{cls.name} {text} ({int(rows.sum())})",
                )  # fmt: skip
    right.set_title("label states")
    if classes and codes.any():
        right.legend(loc="best", fontsize=7, markerscale=3)
    for axes in (left, right):
        axes.set_xticks([])
        axes.set_yticks([])
    figure.suptitle(title or f"{len(clip_map)} clips")
    figure.savefig(path)
