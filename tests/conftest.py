"""Shared fixtures: the real recordings in tests/data and a folder for artefacts to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Compiled networks and colour tables go to a folder of this test run, not the user's cache
# (worker processes inherit it).
if "SONOTAG_CACHE_DIR" not in os.environ:
    import atexit
    import shutil
    import tempfile

    _CACHE = tempfile.mkdtemp(prefix="sonotag-test-cache-")
    os.environ["SONOTAG_CACHE_DIR"] = _CACHE
    atexit.register(shutil.rmtree, _CACHE, True)

REPO = Path(__file__).resolve().parents[1]
#: Real recordings committed with the tests (sources and licences in tests/data/SOURCES.md), so a
#: fresh clone passes on its own; nothing outside the repository is read.
REAL_DATA = REPO / "tests" / "data"
OUTPUT = REPO / "tests" / "output"


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The real recordings in tests/data (great_tit/, pykanto-raw/...)."""
    if not (REAL_DATA / "SOURCES.md").is_file():
        pytest.fail(f"test recordings missing from {REAL_DATA}: is this a complete clone?")
    return REAL_DATA


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where tests write artefacts a person should look at (PNG renders of the window)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT
