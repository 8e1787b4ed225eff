"""Shared fixtures: paths to the real recordings and a scratch directory per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
REAL_DATA = Path(os.environ.get("SONOTAG_REAL_DATA", REPO.parent / "shared" / "data" / "real"))
OUTPUT = REPO / "tests" / "output"


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The real recordings from ../shared/data/real; tests that need them fail loudly without."""
    if not REAL_DATA.is_dir():
        pytest.fail(f"real recordings not found at {REAL_DATA} (set SONOTAG_REAL_DATA)")
    return REAL_DATA


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where tests write artefacts a person should look at (PNG renders of the window)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT
