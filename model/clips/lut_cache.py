"""Colour tables of matplotlib's colour maps, kept on disk after the first use.

A clip image's colours come from a matplotlib colour map (``ClipSettings.colormap``); reading
one takes 768 bytes but importing matplotlib takes about a second, on every start of
``sonotag predict`` and of every worker. The table is written once to the user's cache folder
under the map's name and matplotlib's version (a new matplotlib may redraw a map), and read
back from there; a missing or damaged file is simply made again.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import numpy as np

SHAPE = (256, 3)
_SAFE = re.compile(r"^[A-Za-z0-9_.+-]{1,64}$")


def _matplotlib_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("matplotlib")
    except PackageNotFoundError:  # a frozen bundle without package metadata
        return "bundled"


def _path(colormap: str) -> Path | None:
    if not _SAFE.match(colormap):
        return None
    from model.cache_dir import user_cache

    return user_cache() / "colour-tables" / f"{colormap}-mpl{_matplotlib_version()}.npy"


def from_matplotlib(colormap: str) -> np.ndarray:
    from matplotlib import colormaps

    try:
        cmap = colormaps[colormap]
    except KeyError:
        raise ValueError(f"unknown colour map {colormap!r} (clip setting 'colormap')") from None
    rgba = cmap(np.linspace(0.0, 1.0, 256))
    return np.ascontiguousarray(np.rint(rgba[:, :3] * 255.0).astype(np.uint8))


def cached_lut(colormap: str) -> np.ndarray:
    """The (256, 3) uint8 table of ``colormap``; ValueError for a name matplotlib lacks."""
    path = _path(colormap)
    if path is not None and path.is_file():
        try:
            lut = np.load(path, allow_pickle=False)
            if lut.shape == SHAPE and lut.dtype == np.uint8:
                return np.ascontiguousarray(lut)
        except (OSError, ValueError):
            pass
    lut = from_matplotlib(colormap)
    if path is not None:
        _write(path, lut)
    return lut


def _write(path: Path, lut: np.ndarray) -> None:
    """Atomically, and silently skipped where the cache cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, part = tempfile.mkstemp(dir=path.parent, suffix=".part")
        with os.fdopen(handle, "wb") as out:
            np.save(out, lut, allow_pickle=False)
        os.replace(part, path)
    except OSError:
        try:
            os.unlink(part)
        except (OSError, UnboundLocalError):
            pass
