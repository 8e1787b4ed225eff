"""Where the shipped files (icons, demo project) live, in a source checkout and in a bundle.

A PyInstaller bundle unpacks ``resources/`` under ``sys._MEIPASS`` rather than next to the
source tree, so every lookup goes through ``resources_dir()`` instead of ``__file__`` arithmetic.
Qt-free on purpose: the CLI and the packaging scripts use it too.
"""

from __future__ import annotations

import sys
from pathlib import Path

ICON_NAME = "sonotag"
# The PNG sizes rendered by resources/icons/render_icons.sh (the usual desktop icon sizes).
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


def resources_dir() -> Path:
    """``resources/`` of the source checkout, or of the running PyInstaller bundle."""
    base = getattr(sys, "_MEIPASS", None)
    root = Path(base) if base is not None else Path(__file__).resolve().parents[1]
    return root / "resources"


def icons_dir() -> Path:
    return resources_dir() / "icons"


def icon_path(size: int | None = None) -> Path:
    """The application icon: the SVG for ``None``, else the smallest PNG at least ``size`` wide.

    Asking for a size between the rendered ones (say 100) gets the next larger PNG (128), which
    Qt scales down cleanly; a size above the largest gets the largest.
    """
    folder = icons_dir()
    if size is None:
        return folder / f"{ICON_NAME}.svg"
    if size <= 0:
        raise ValueError(f"icon size must be positive, not {size}")
    chosen = next((s for s in ICON_SIZES if s >= size), ICON_SIZES[-1])
    return folder / f"{ICON_NAME}-{chosen}.png"


def all_icon_paths() -> list[Path]:
    """Every rendered PNG, smallest first (for ``QIcon.addFile`` so each size stays sharp)."""
    return [icon_path(size) for size in ICON_SIZES]
