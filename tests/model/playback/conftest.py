"""Fixtures for playback tests: a fake sound card and a player on it."""

from __future__ import annotations

import pytest

from model.playback.engine import Player
from model.playback.fake import FakeOutput


@pytest.fixture()
def fake_output() -> FakeOutput:
    return FakeOutput(samplerate=48_000)


@pytest.fixture()
def player(fake_output: FakeOutput) -> Player:
    return Player(stream_factory=fake_output, blocksize=256)
