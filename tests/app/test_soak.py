"""Issue 9: a model-based soak test of the real window (``tests/app/soak``).

Random but seeded sequences of real user actions; after every one a separate process reads the
project file and it must hold exactly what the oracle says. CI runs a few seeds at a short
length; ``bench/soak_gui.py`` runs thousands of actions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.soak.driver import Soak

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("seed", "steps", "wait"),
    [(1, 500, 0.5), (2, 150, 0.0), (3, 150, 0.0)],  # the short ones keep labelling during training
)
def test_soak_keeps_every_label(qtbot, tmp_path: Path, seed: int, steps: int, wait: float) -> None:
    soak = Soak(tmp_path, seed, wait_for_training=wait)
    try:
        stats = soak.run(steps)
    finally:
        soak.close()
    assert stats.steps == steps and stats.labels_lost == 0
    # The run really exercised the paths that used to lose labels.
    assert stats.actions["undo"] and stats.actions["present"] and stats.actions["import"]
    assert stats.outcomes["trained"] >= 1 or steps < 500
