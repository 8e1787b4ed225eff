"""The user's cache folder for things Sonotag can always recompute (compiled networks, colour
tables): ``SONOTAG_CACHE_DIR`` if set (tests, portable installs), else the platform's cache
folder (``~/.cache/sonotag`` on Linux, ``%LOCALAPPDATA%\\sonotag\\Cache`` on Windows)."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "SONOTAG_CACHE_DIR"


def user_cache() -> Path:
    base = os.environ.get(CACHE_ENV)
    if base:
        return Path(base)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("sonotag", appauthor=False))
