"""Display settings validate their values and map dB to image levels."""

from __future__ import annotations

import pytest

from model.spectrogram import DB_STEP, SpectrogramSettings, code_to_db


def test_defaults_and_hop() -> None:
    s = SpectrogramSettings()
    assert s.n_fft == 1024 and s.hop == 256
    lo, hi = s.code_levels()
    assert code_to_db(lo) == pytest.approx(s.db_floor)
    assert (hi - lo) * DB_STEP == pytest.approx(s.db_ceiling - s.db_floor)


@pytest.mark.parametrize(
    "changes",
    [
        {"n_fft": 1000},
        {"window": "kaiser"},
        {"colormap": "jet"},
        {"db_floor": -20.0, "db_ceiling": -30.0},
        {"freq_min": 5000.0, "freq_max": 1000.0},
        {"channel": -1},
        {"db_floor": float("nan")},
    ],
)
def test_bad_values_are_refused(changes: dict) -> None:
    with pytest.raises(ValueError):
        SpectrogramSettings(**changes)


def test_with_changes_ignores_none() -> None:
    s = SpectrogramSettings().with_changes(n_fft=2048, colormap=None)
    assert s.n_fft == 2048 and s.colormap == "magma"
