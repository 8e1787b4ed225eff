"""What the points are coloured by, as a few shared brushes and a legend.

Each mode gives every clip an index into a short palette (at most a few dozen colours); the map
draws higher indices on top, so palettes put what matters for the mode (labelled clips, high
scores, clusters) last. Continuous values (score, hour) are binned into 32 colours; pyqtgraph draws
100k points quickly only when they share a handful of brushes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtGui import QColor

from model.explore.table import ABSENT, PRESENT, UNCERTAIN
from model.pathtext import display

if TYPE_CHECKING:
    from app.explorer.panel import ExplorerPanel

GREY = "#c8c8c8"
BINS = 32


class ColourBy(StrEnum):
    LABEL = "label state"
    SCORE = "top score"
    RECORDING = "recording"
    HOUR = "hour of day"
    CLUSTER = "cluster"


@dataclass
class Colouring:
    index: np.ndarray  # palette index per row; higher drawn on top
    palette: list[QColor]
    legend: list[tuple[str, str]]  # (colour "#rrggbb", text)
    under_all: bool = False  # the first colour is drawn under every point (label states)


def _table(name: str, count: int) -> list[QColor]:
    from matplotlib import colormaps

    cmap = colormaps[name]
    values = cmap(np.linspace(0, 1, count)) if cmap.N > 64 else cmap(np.arange(count) % cmap.N)
    return [QColor.fromRgbF(float(r), float(g), float(b), 0.85) for r, g, b, _ in values]


def _hex(colour: QColor) -> str:
    return colour.name()


def by_label(codes: np.ndarray, class_colour: str, class_name: str) -> Colouring:
    palette = [QColor(GREY), QColor("#4d4d4d"), QColor("#ff9900"), QColor(class_colour)]
    index = np.zeros(len(codes), np.int64)
    index[codes == ABSENT] = 1
    index[codes == UNCERTAIN] = 2
    index[codes == PRESENT] = 3
    counts = [int((index == i).sum()) for i in range(4)]
    legend = [
        (_hex(palette[3]), f"{class_name} present ({counts[3]})"),
        (_hex(palette[1]), f"absent ({counts[1]})"),
        (_hex(palette[2]), f"uncertain ({counts[2]})"),
        (GREY, f"unlabelled ({counts[0]})"),
    ]
    return Colouring(index, palette, legend, under_all=True)


def by_value(values: np.ndarray, cmap: str, low: float, high: float, what: str) -> Colouring:
    """Binned continuous values; NaN (not scored, no start time) grey and drawn first."""
    palette = [QColor(GREY), *_table(cmap, BINS)]
    known = np.isfinite(values)
    index = np.zeros(len(values), np.int64)
    scaled = (np.clip(values[known], low, high) - low) / max(high - low, 1e-12)
    index[known] = 1 + np.minimum((scaled * BINS).astype(np.int64), BINS - 1)
    legend = [
        (_hex(palette[1]), f"{what} {low:g}"),
        (_hex(palette[BINS // 2]), f"{(low + high) / 2:g}"),
        (_hex(palette[BINS]), f"{high:g}"),
    ]
    if (~known).any():
        legend.append((GREY, f"unknown ({int((~known).sum())})"))
    return Colouring(index, palette, legend)


def by_category(numbers: np.ndarray, names: dict[int, str], what: str) -> Colouring:
    """Categories (recordings, clusters) in tab20 colours; -1 grey (no cluster) drawn first."""
    palette = [QColor(GREY), *_table("tab20", 20)]
    index = np.where(numbers >= 0, 1 + np.mod(numbers, 20), 0).astype(np.int64)
    shown = [int(n) for n in np.unique(numbers[numbers >= 0])[:12]]
    legend = [(_hex(palette[1 + n % 20]), names.get(n, f"{what} {n}")) for n in shown]
    if len(np.unique(numbers[numbers >= 0])) > 12:
        legend.append(("#ffffff", "…"))
    if (numbers < 0).any():
        legend.append((GREY, f"in no {what} ({int((numbers < 0).sum())})"))
    return Colouring(index, palette, legend)


def legend_html(legend: list[tuple[str, str]]) -> str:
    from html import escape

    return "&nbsp;&nbsp;".join(
        f"<span style='color:{colour}; font-size:14pt'>●</span>&nbsp;{escape(text)}"
        for colour, text in legend
    )


def colouring_of(panel: ExplorerPanel) -> Colouring | None:
    """The Explorer panel's map coloured as its "Colour by" choice says."""
    clip_map = panel.map
    if clip_map is None:
        return None
    mode = ColourBy(panel.top.colour_by.currentData())
    if mode is ColourBy.LABEL:
        project = panel.context.project
        cls = project.label_class(panel.class_id) if project and panel.class_id else None
        return by_label(panel.codes, cls.colour if cls else "#1f77b4", cls.name if cls else "")
    if mode is ColourBy.SCORE:
        name = panel.extra.get("model_name") or "no active model"
        scores = panel.extra.get("scores", np.full(len(clip_map), np.nan))
        return by_value(scores, "viridis", 0.0, 1.0, f"top score ({name})")
    if mode is ColourBy.HOUR:
        hours = panel.extra.get("hours", np.full(len(clip_map), np.nan))
        return by_value(hours, "twilight", 0.0, 24.0, "hour")
    if mode is ColourBy.RECORDING:
        ids = np.unique(clip_map.recording_ids)
        numbers = np.searchsorted(ids, clip_map.recording_ids)
        paths = panel.recordings.stored_paths(ids.tolist())
        names = {
            i: display(PurePath(paths[int(r)]).name)
            for i, r in enumerate(ids) if int(r) in paths
        }  # fmt: skip
        return by_category(numbers, names, "recording")
    return by_category(clip_map.clusters, {}, "cluster")
