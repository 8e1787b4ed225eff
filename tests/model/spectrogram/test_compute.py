"""Tile computation from real files: shapes, dB of a known tone, levels, bounded reading."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from model.audio import AudioFile
from model.spectrogram import (
    FRAMES_PER_COLUMN,
    TILE_COLUMNS,
    TileGrid,
    code_to_db,
    compute_tile,
    frame_starts,
)


def open_grid(path: Path, n_fft: int = 1024, channel: int | None = None):
    audio = AudioFile(path)
    info = audio.info
    return audio, TileGrid(str(path), info.sample_rate, info.frames, n_fft=n_fft, channel=channel)


class CountingReader:
    """Wraps an AudioFile and counts what tile computation asks of it."""

    def __init__(self, audio: AudioFile) -> None:
        self.audio, self.calls, self.samples = audio, 0, 0

    def read_frames(self, start: int, n: int, *, channel: int | None = None) -> np.ndarray:
        self.calls += 1
        self.samples += n
        return self.audio.read_frames(start, n, channel=channel)


def test_tile_shape_dtype_and_edges(tone_file: Callable[..., Path]) -> None:
    audio, g = open_grid(tone_file(seconds=3.0))
    with audio:
        tile = compute_tile(audio, g, g.key(0, 0))
        assert tile.codes.shape == (513, TILE_COLUMNS)
        assert tile.codes.dtype == np.uint8 and tile.codes.flags.c_contiguous
        assert not tile.codes.flags.writeable
        last = compute_tile(audio, g, g.key(0, g.tile_count(0) - 1))
        assert last.codes.shape[1] == g.tile_columns(last.key) < TILE_COLUMNS
        assert last.end_s == pytest.approx(g.tile_seconds(last.key)[1])


@pytest.mark.parametrize("n_fft", [512, 1024, 4096])
def test_tone_lands_in_its_row_at_its_level(tone_file: Callable[..., Path], n_fft: int) -> None:
    # 3 kHz at 48 kHz is an exact bin for every power-of-two FFT from 16 points up
    audio, g = open_grid(tone_file(seconds=4.0, amplitude=0.5), n_fft=n_fft)
    with audio:
        tile = compute_tile(audio, g, g.key(0, 0))
    row = round(3000.0 / tile.bin_hz)
    inner = tile.codes[:, 8:-8]  # away from the zero padding before 0 s
    assert (inner.argmax(axis=0) == row).all()
    level = code_to_db(inner[row]).mean()
    assert level == pytest.approx(20 * np.log10(0.5), abs=0.7)  # -6 dB, within a code step
    far = code_to_db(inner[row // 3]).max()
    assert far < -60.0  # Hann sidelobes fall fast; a 16-bit tone leaves other bins dark


def test_every_level_shows_the_tone_with_bounded_reads(tone_file: Callable[..., Path]) -> None:
    # 10 minutes at 8 kHz: deep enough for 8 levels, small enough to write quickly
    path = tone_file(seconds=600.0, sample_rate=8000, freq=1000.0, amplitude=0.25)
    audio, g = open_grid(path, n_fft=256)
    with audio:
        assert g.max_level >= 7
        # merging nearby frames may read the gaps between them: at most twice the FFT samples
        bound = 2 * TILE_COLUMNS * FRAMES_PER_COLUMN * 256
        for level in range(g.max_level + 1):
            reader = CountingReader(audio)
            tile = compute_tile(reader, g, g.key(level, 0))
            row = round(1000.0 / tile.bin_hz)
            assert (tile.codes[:, 2:-2].argmax(axis=0) == row).all(), level
            assert reader.samples <= bound + 256, level
            if level == 0:
                assert reader.calls == 1  # overlapping frames: one contiguous read
        # deepest level: one read per FFT frame, nothing between frames
        frames = tile.columns * FRAMES_PER_COLUMN
        assert frames - FRAMES_PER_COLUMN <= reader.calls <= frames  # frames past the end: none
        assert reader.samples <= reader.calls * 256


def test_frames_sit_inside_their_columns() -> None:
    g = TileGrid("x.wav", 48000, 48000 * 3600, n_fft=1024)
    for level in (0, 1, 2, 5, 12):
        key = g.key(level, 3)
        starts = frame_starts(key, TILE_COLUMNS)
        centres = starts + 512
        col_lo = key.start_frame + key.column_samples * np.arange(TILE_COLUMNS)[:, None]
        assert ((centres >= col_lo) & (centres < col_lo + key.column_samples)).all()
        assert starts.shape[1] == min(2**level, FRAMES_PER_COLUMN)
        assert (np.diff(starts.ravel()) > 0).all()


def test_silence_is_code_zero_and_channels_are_separate(tone_file: Callable[..., Path]) -> None:
    path = tone_file(seconds=2.0, channels=2, tone_channel=1)
    audio, g0 = open_grid(path, channel=0)
    with audio:
        silent = compute_tile(audio, g0, g0.key(0, 0))
        assert silent.codes.max() == 0
        g1 = TileGrid(str(path), 48000, audio.info.frames, n_fft=1024, channel=1)
        loud = compute_tile(audio, g1, g1.key(0, 0))
        assert loud.codes[64, 10:-10].min() > 200
