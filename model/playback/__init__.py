"""Listening to recordings: buffer preparation (band-pass, time expansion) and the player.

Qt-free; ``app.playback`` wraps ``Player`` for the GUI and ``fake.FakeOutput`` stands in for the
sound card in tests.
"""

from __future__ import annotations

from model.playback.buffer import (
    FROM_CURSOR_MAX_SECONDS,
    MAX_SPEED,
    MIN_SPEED,
    PreparedBuffer,
    load_clip,
    prepare_buffer,
)
from model.playback.engine import (
    PAUSED,
    PLAYING,
    STOPPED,
    PlaybackError,
    Player,
    check_output_available,
)

__all__ = [
    "FROM_CURSOR_MAX_SECONDS",
    "MAX_SPEED",
    "MIN_SPEED",
    "PAUSED",
    "PLAYING",
    "STOPPED",
    "PlaybackError",
    "Player",
    "PreparedBuffer",
    "check_output_available",
    "load_clip",
    "prepare_buffer",
]
