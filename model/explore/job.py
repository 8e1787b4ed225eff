"""Building the map as one job: embeddings (cached or computed), PCA, UMAP, clusters, saved.

Reopening is instant (``saved_map`` reads the map and checks it still fits the project, with no
TensorFlow and no UMAP). When recordings were added since, only their clips are embedded and
placed on the existing map by their nearest landmarks (``model.explore.landmarks``), so the
map people have learnt to read does not move; when they make up more than ``EXTEND_SHARE`` of
the clips, or the fitted model is gone, the whole map is fitted again. Clips of removed or
replaced recordings are dropped.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from model.errors import ProjectError
from model.explore.embeddings import Embeddings, gather
from model.explore.grid import ClipGrid, project_grid
from model.explore.projection import (
    cluster,
    fit_layout,
    fit_reducer,
    nearest_clusters,
    place,
)
from model.explore.store import ClipMap, load_map, load_model, map_folder, save_map
from model.jobs import Reporter

EXTEND_SHARE = 0.5  # new clips up to half the mapped ones are placed by transform


def folder_for(project: Any, backbone: str) -> Path:
    from model.clips.geometry import geometry_of
    from model.ml.features import clip_settings_of

    settings = clip_settings_of(project)
    return map_folder(
        project.path, backbone, settings.fingerprint(), geometry_of(project).hop_seconds
    )


def _fingerprints(project: Any) -> dict[str, str]:
    return {str(r.id): r.fingerprint for r in project.recordings()}


def _still_valid(clip_map: ClipMap, project: Any, grid: ClipGrid) -> np.ndarray:
    """Rows of the saved map whose recording is unchanged and whose clip is still on the grid."""
    if abs(clip_map.clip_seconds - grid.clip_seconds) > 1e-9:
        return np.zeros(len(clip_map), bool)
    saved = clip_map.meta.get("fingerprints", {})
    now = _fingerprints(project)
    same = np.array(
        [saved.get(str(int(r))) == now.get(str(int(r))) for r in np.unique(clip_map.recording_ids)]
    )
    unchanged = np.unique(clip_map.recording_ids)[same] if len(same) else np.zeros(0, np.int64)
    return np.isin(clip_map.recording_ids, unchanged) & np.isin(clip_map.keys(), grid.keys())


def saved_map(project: Any, backbone: str) -> tuple[ClipMap | None, int]:
    """The saved map reduced to the clips still in the project, and how many clips of the
    project it lacks (0: up to date). None when there is no usable map."""
    clip_map = load_map(folder_for(project, backbone))
    if clip_map is None:
        return None, -1
    grid = project_grid(project)
    keep = _still_valid(clip_map, project, grid)
    unusable = set(int(k) for k in clip_map.meta.get("unusable_keys", []))
    lacking = int((~np.isin(grid.keys(), clip_map.keys()[keep])).sum())
    lacking -= int(np.isin(grid.keys(), np.fromiter(unusable, np.int64, len(unusable))).sum())
    return clip_map.subset(np.flatnonzero(keep)), max(0, lacking)


def _embed(
    project: Any, backbone: Any, grid: ClipGrid, reporter: Reporter
) -> tuple[Embeddings, Any]:
    from model.ml.features import FeatureSource, clip_settings_of

    source = FeatureSource(project, clip_settings_of(project), backbone)
    recordings = {r.id: r for r in project.recordings()}
    return gather(source, grid, recordings, reporter), source


def _sorted(clip_map: ClipMap) -> ClipMap:
    order = np.lexsort((clip_map.starts, clip_map.recording_ids))
    return clip_map.subset(order)


def build_map(
    project: Any,
    backbone_name: str,
    reporter: Reporter,
    *,
    refit: bool = False,
    seed: int | None = None,
    allow_download: bool = True,
) -> tuple[ClipMap, dict[str, Any]]:
    """The project's map, brought up to date (see the module note); saved beside the project."""
    from model.ml import backbones

    began = time.monotonic()
    folder = folder_for(project, backbone_name)
    grid = project_grid(project)
    if len(grid) == 0:
        raise ProjectError(project.path, "has no recordings to map; add recordings first")
    old = None if refit else load_map(folder)
    keep = _still_valid(old, project, grid) if old is not None else np.zeros(0, bool)
    kept = old.subset(np.flatnonzero(keep)) if old is not None else None
    known = kept.keys() if kept is not None else np.zeros(0, np.int64)
    unusable_before = np.asarray(old.meta.get("unusable_keys", []) if old else [], np.int64)
    todo_rows = np.flatnonzero(
        ~np.isin(grid.keys(), known) & ~np.isin(grid.keys(), unusable_before)
    )
    model = load_model(folder) if kept is not None and len(todo_rows) else None
    extend = (
        kept is not None
        and len(kept) > 0
        and (len(todo_rows) == 0 or (model is not None and model.get("layout") is not None
             and len(todo_rows) <= EXTEND_SHARE * len(kept)))
    )  # fmt: skip
    chosen = backbones.create(backbone_name, allow_download=allow_download)
    summary: dict[str, Any] = {"backbone": backbone_name, "folder": str(folder)}
    if extend and kept is not None:
        new_grid = ClipGrid(
            grid.recording_ids[todo_rows], grid.starts[todo_rows], grid.clip_seconds
        )
        clip_map, embeddings = _extend(project, chosen, kept, model, new_grid, reporter)
        summary["mode"] = "extended" if len(todo_rows) else "unchanged"
        summary["placed"] = int(clip_map.meta.get("placed_now", 0))
    else:
        clip_map, embeddings = _refit(project, chosen, grid, reporter, seed)
        summary["mode"] = "fitted"
        summary["placed"] = len(clip_map)
    clip_map.meta.update(
        backbone=backbone_name,
        fingerprints=_fingerprints(project),
        made=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    summary.update(
        clips=len(clip_map),
        clusters=int(clip_map.clusters.max(initial=-1) + 1),
        computed=embeddings.computed if embeddings else 0,
        missing_recordings=embeddings.missing_recordings if embeddings else [],
        cache_errors=embeddings.cache_errors if embeddings else [],
        seconds=round(time.monotonic() - began, 2),
    )
    if summary["mode"] != "unchanged" or len(kept or []) != len(old or []):
        try:
            save_map(folder, clip_map)
        except ProjectError as exc:
            summary["cache_errors"] = [*summary["cache_errors"], exc.cause]
    clip_map.model = None  # what callers get back travels light (process jobs pickle it)
    return clip_map, summary


def _refit(
    project: Any, backbone: Any, grid: ClipGrid, reporter: Reporter, seed: int | None
) -> tuple[ClipMap, Embeddings]:
    embeddings, source = _embed(project, backbone, grid, reporter)
    usable = np.flatnonzero(embeddings.usable)
    if len(usable) == 0:
        causes = "; ".join(embeddings.missing_recordings[:3]) or "no features"
        raise ProjectError(project.path, f"no clip could be embedded ({causes})")
    vectors = embeddings.vectors[usable]
    reporter.update(0, None, f"principal components of {len(usable)} clips", stage="pca")
    reducer = fit_reducer(vectors, seed=0 if seed is None else seed)
    reduced = reducer.apply(vectors)
    del vectors
    layout = fit_layout(reduced, seed=seed, reporter=reporter, groups=grid.recording_ids[usable])
    reporter.update(0, None, "finding clusters (HDBSCAN)", stage="clusters")
    clusters = cluster(layout.coords, layout.fitted)
    unusable = grid.keys()[~embeddings.usable]
    clip_map = ClipMap(
        grid.recording_ids[usable], grid.starts[usable], layout.coords, clusters, reduced,
        grid.clip_seconds,
        {
            "cache_key": source.extractor.cache_key,
            "method": layout.method,
            "pca_components": int(reducer.components.shape[0]),
            "pca_variance": round(reducer.explained, 4),
            "fitted_on": int(len(usable)),
            "landmarks": layout.landmarks,
            "unusable_keys": [int(k) for k in unusable],
        },
        {"reducer": reducer, "layout": layout.model},
    )  # fmt: skip
    return clip_map, embeddings


def _extend(
    project: Any,
    backbone: Any,
    kept: ClipMap,
    model: Any,
    new_grid: ClipGrid,
    reporter: Reporter,
) -> tuple[ClipMap, Embeddings | None]:
    if len(new_grid) == 0:
        return kept, None
    embeddings, _ = _embed(project, backbone, new_grid, reporter)
    usable = np.flatnonzero(embeddings.usable)
    reporter.update(0, None, f"placing {len(usable)} new clips on the map", stage="umap")
    reduced = model["reducer"].apply(embeddings.vectors[usable])
    coords = place(model["layout"], reduced)
    clusters = nearest_clusters(kept.coords, kept.clusters, coords)
    unusable = list(kept.meta.get("unusable_keys", [])) + [
        int(k) for k in new_grid.keys()[~embeddings.usable]
    ]
    merged = ClipMap(
        np.concatenate([kept.recording_ids, new_grid.recording_ids[usable]]),
        np.concatenate([kept.starts, new_grid.starts[usable]]),
        np.concatenate([kept.coords, coords]),
        np.concatenate([kept.clusters, clusters]),
        np.concatenate([kept.vectors, reduced]),
        kept.clip_seconds,
        {**kept.meta, "unusable_keys": unusable, "placed_now": int(len(usable))},
        model,
    )
    return _sorted(merged), embeddings


def explore_job(
    reporter: Reporter,
    project_path: str,
    *,
    backbone: str | None = None,
    refit: bool = False,
    seed: int | None = None,
    allow_download: bool = True,
) -> dict[str, Any]:
    """Process or thread job: ``{"map": ClipMap, "summary": {...}}`` for the project."""
    from model.ml import backbones
    from model.project import Project

    name = backbone or backbones.IMAGENET
    with Project.open(project_path) as project:
        clip_map, summary = build_map(
            project, name, reporter, refit=refit, seed=seed, allow_download=allow_download
        )
    return {"map": clip_map, "summary": summary}


def open_map_job(reporter: Reporter, project_path: str, backbone: str) -> dict[str, Any]:
    """Thread job for the panel: the saved map (None if there is none), how many clips of the
    project it lacks, and what points are coloured by that does not change with labels: top
    scores of the active model and hours of day."""
    from model.explore.table import hours, top_scores
    from model.project import Project

    reporter.update(0, None, "reading the saved map")
    with Project.open(project_path, read_only=True) as project:
        clip_map, lacking = saved_map(project, backbone)
        if clip_map is None:
            from model.explore.grid import project_grid

            return {"map": None, "lacking": len(project_grid(project))}
        scores, model_name = top_scores(project, clip_map.grid)
        return {
            "map": clip_map,
            "lacking": lacking,
            "scores": scores,
            "model_name": model_name,
            "hours": hours(project, clip_map.grid),
        }
