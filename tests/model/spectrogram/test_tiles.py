"""Tile addressing: levels, which tiles cover a time range, and tile edges."""

from __future__ import annotations

import math

import numpy as np
import pytest

from model.spectrogram import TILE_COLUMNS, Tile, TileGrid, code_to_db, db_to_code


def grid(seconds: float, sr: int = 48000, n_fft: int = 1024) -> TileGrid:
    return TileGrid("rec.wav", sr, int(seconds * sr), n_fft=n_fft)


def test_level_spacing_doubles_and_max_level_fits_whole_file_in_one_tile() -> None:
    g = grid(7200.0)
    assert g.column_seconds(1) == pytest.approx(2 * g.column_seconds(0))
    assert g.tile_count(g.max_level) == 1
    assert g.tile_count(g.max_level - 1) == 2
    assert grid(1.0).max_level == 0  # 48000 samples < 256 columns x 256 hop


def test_level_for_matches_columns_to_pixels() -> None:
    g = grid(7200.0)
    for seconds, pixels in [(10.0, 1000), (60.0, 1500), (600.0, 800), (7200.0, 1920)]:
        level = g.level_for(seconds, pixels)
        columns_per_pixel = seconds / g.column_seconds(level) / pixels
        assert 0.7 <= columns_per_pixel <= 1.42, (seconds, pixels, level)
    assert g.level_for(0.01, 1000) == 0  # zoomed past full resolution: stay at level 0
    assert g.level_for(1e9, 10) == g.max_level


def test_keys_cover_the_range_centre_first() -> None:
    g = grid(600.0)
    level = 2
    per_tile = TILE_COLUMNS * g.column_seconds(level)
    keys = g.keys_for(100.0, 200.0, level)
    indices = [k.index for k in keys]
    assert sorted(indices) == list(range(int(100 // per_tile), int(math.ceil(200 / per_tile))))
    centre = 150.0
    distances = [abs((i + 0.5) * per_tile - centre) for i in indices]
    assert distances == sorted(distances)
    covered = [g.tile_seconds(k) for k in sorted(keys)]
    assert covered[0][0] <= 100.0 and covered[-1][1] >= 200.0
    for (_, end), (start, _) in zip(covered, covered[1:], strict=False):
        assert end == pytest.approx(start)  # adjacent tiles share an edge


def test_keys_are_clamped_to_the_recording() -> None:
    g = grid(30.0)
    keys = g.keys_for(-50.0, 1000.0, 0)
    assert sorted(k.index for k in keys) == list(range(g.tile_count(0)))
    assert g.keys_for(500.0, 600.0, 0)[0].index == g.tile_count(0) - 1


def test_last_tile_stops_at_the_end_of_the_recording() -> None:
    g = grid(10.0)
    last = g.key(0, g.tile_count(0) - 1)
    columns = g.tile_columns(last)
    assert 0 < columns < TILE_COLUMNS
    start, end = g.tile_seconds(last)
    assert end >= g.duration > end - g.column_seconds(0)


def test_codes_round_trip_and_tile_lookup() -> None:
    assert code_to_db(db_to_code(-60.0)) == pytest.approx(-60.0)
    g = grid(10.0)
    key = g.key(0, 0)
    codes = np.zeros((513, TILE_COLUMNS), dtype=np.uint8)
    codes[64, 10] = 200
    start, end = g.tile_seconds(key)
    tile = Tile(key, codes, start, end, 48000)
    t = start + (10.5 / TILE_COLUMNS) * (end - start)
    assert tile.db_at(t, 3000.0) == pytest.approx(float(code_to_db(200)))
    assert tile.db_at(t, 5000.0) == pytest.approx(float(code_to_db(0)))
    assert math.isnan(tile.db_at(end + 1.0, 3000.0))
