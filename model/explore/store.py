"""The map kept beside the project, per backbone and clip settings: reopening is instant.

    P.sonotag-cache/explore/<backbone>-<hash>/    hash of backbone, clip settings and hop
        map.npz        clip ids and starts, 2-D coordinates, clusters, the reduced vectors
        map.json       what it was made from: backbone, feature cache key, settings, sizes
        model.pickle   the fitted PCA and UMAP, for placing new recordings (``transform``)

Derived data like the features beside it (delete the folder and the map is computed again),
so it stays out of the project file and its schema. Each file is written to a temporary name
and moved into place, ``map.npz`` last: a map is only ever read whole. Recording fingerprints
are kept, so a recording whose audio was replaced is mapped again rather than shown where
its old clips were.
"""

from __future__ import annotations

import json
import os
import pickle
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from model.errors import ProjectError
from model.explore.grid import ClipGrid, clip_keys
from model.project.feature_cache import cache_folder, store_name

FORMAT = 1


@dataclass
class ClipMap:
    """Every mapped clip as parallel arrays (recording order, then time)."""

    recording_ids: np.ndarray  # int64
    starts: np.ndarray  # float64 s
    coords: np.ndarray  # (n, 2) float32
    clusters: np.ndarray  # int32, -1: no cluster
    vectors: np.ndarray  # (n, k) float32 unit rows: the reduced embeddings (find similar)
    clip_seconds: float
    meta: dict[str, Any] = field(default_factory=dict)
    model: Any = None  # {"reducer": Reducer, "layout": UMAP | None}, loaded on demand

    def __len__(self) -> int:
        return len(self.starts)

    @property
    def grid(self) -> ClipGrid:
        return ClipGrid(self.recording_ids, self.starts, self.clip_seconds)

    @property
    def ends(self) -> np.ndarray:
        return self.grid.ends

    def keys(self) -> np.ndarray:
        return clip_keys(self.recording_ids, self.starts)

    def subset(self, rows: np.ndarray) -> ClipMap:
        return ClipMap(
            self.recording_ids[rows], self.starts[rows], self.coords[rows], self.clusters[rows],
            self.vectors[rows], self.clip_seconds, dict(self.meta), self.model,
        )  # fmt: skip

    def index_of(self, recording_id: int, start: float) -> int | None:
        """Row of the clip starting at ``start`` (to the millisecond) in a recording."""
        key = clip_keys(np.array([recording_id]), np.array([start]))[0]
        keys = self.keys()
        order = np.argsort(keys, kind="stable")
        at = int(np.searchsorted(keys[order], key))
        if at < len(keys) and keys[order][at] == key:
            return int(order[at])
        return None

    def nearest_start(self, recording_id: int, time: float) -> int | None:
        """Row of the mapped clip of a recording whose middle is nearest ``time``."""
        rows = np.flatnonzero(self.recording_ids == recording_id)
        if not len(rows):
            return None
        middles = self.starts[rows] + self.clip_seconds / 2
        return int(rows[np.argmin(np.abs(middles - time))])


def map_folder(project_path: str | Path, backbone: str, settings_fp: str, hop: float) -> Path:
    """Named by backbone registry name (readable) and a hash of settings and hop."""
    return cache_folder(project_path) / "explore" / store_name(backbone, f"{settings_fp}|{hop:g}")


def _replace(folder: Path, name: str, write: Any) -> None:
    scratch = folder / f".{name}.{os.getpid()}.tmp"
    write(scratch)
    os.replace(scratch, folder / name)


def save_map(folder: Path, clip_map: ClipMap) -> None:
    """Writes the map (raising ProjectError naming the folder when it cannot)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if clip_map.model is not None:
            _replace(
                folder, "model.pickle",
                lambda p: p.write_bytes(pickle.dumps(clip_map.model, protocol=5)),
            )  # fmt: skip
        meta = {**clip_map.meta, "format": FORMAT, "clip_seconds": clip_map.clip_seconds}
        _replace(folder, "map.json", lambda p: p.write_text(json.dumps(meta, indent=1), "utf-8"))

        def write_npz(path: Path) -> None:
            with path.open("wb") as handle:
                np.savez(
                    handle,
                    recording_ids=clip_map.recording_ids, starts=clip_map.starts,
                    coords=clip_map.coords, clusters=clip_map.clusters,
                    vectors=clip_map.vectors.astype(np.float16),
                )  # fmt: skip

        _replace(folder, "map.npz", write_npz)
    except OSError as exc:
        raise ProjectError(folder, f"the map could not be saved ({exc.strerror or exc})") from exc


def load_map(folder: Path) -> ClipMap | None:
    """The saved map, or None when there is none or it cannot be read (then it is recomputed:
    a damaged derived file is never worth an error dialog)."""
    try:
        meta = json.loads((folder / "map.json").read_text("utf-8"))
        with np.load(folder / "map.npz") as data:
            arrays = {k: data[k] for k in data.files}
        clip_map = ClipMap(
            arrays["recording_ids"].astype(np.int64),
            arrays["starts"].astype(np.float64),
            arrays["coords"].astype(np.float32),
            arrays["clusters"].astype(np.int32),
            arrays["vectors"].astype(np.float32),
            float(meta["clip_seconds"]),
            meta,
        )
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
        return None
    n = len(clip_map.starts)
    shapes_ok = (
        meta.get("format") == FORMAT
        and len(clip_map.recording_ids) == n
        and clip_map.coords.shape == (n, 2)
        and len(clip_map.clusters) == n
        and len(clip_map.vectors) == n
    )
    return clip_map if shapes_ok else None


def load_model(folder: Path) -> Any:
    """The fitted PCA and UMAP, or None when missing or unreadable (the map is then refitted
    instead of extended). Only Sonotag writes this file, beside the user's own project."""
    try:
        return pickle.loads((folder / "model.pickle").read_bytes())  # noqa: S301
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
        return None
