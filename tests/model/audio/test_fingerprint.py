"""Content fingerprints: stable across moves, different for different content, fast."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from model.audio import content_fingerprint
from model.errors import AudioError


def test_same_content_same_print_anywhere(tmp_path) -> None:
    blob = os.urandom(3 * 1024 * 1024 + 17)
    a = tmp_path / "a.wav"
    a.write_bytes(blob)
    moved = tmp_path / "moved" / "renamed.WAV"
    moved.parent.mkdir()
    shutil.copy(a, moved)
    assert content_fingerprint(a) == content_fingerprint(moved)
    assert len(content_fingerprint(a)) == 64


@pytest.mark.parametrize("where", [0, 1024 * 1024 + 512 * 1024, 3 * 1024 * 1024 + 10])
def test_a_change_at_start_middle_or_end_changes_it(tmp_path, where) -> None:
    blob = bytearray(os.urandom(3 * 1024 * 1024 + 17))
    a = tmp_path / "a.wav"
    a.write_bytes(bytes(blob))
    blob[where] ^= 0xFF
    b = tmp_path / "b.wav"
    b.write_bytes(bytes(blob))
    assert content_fingerprint(a) != content_fingerprint(b)


def test_small_files_and_size(tmp_path) -> None:
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    a.write_bytes(b"abc")
    b.write_bytes(b"abc\x00")
    assert content_fingerprint(a) != content_fingerprint(b)


def test_large_file_is_fast(tmp_path) -> None:
    big = tmp_path / "big.wav"
    with open(big, "wb") as fh:
        fh.truncate(2 * 1024**3)  # sparse 2 GiB
    t = time.perf_counter()
    content_fingerprint(big)
    assert time.perf_counter() - t < 1.0


def test_unreadable(tmp_path) -> None:
    for path, word in ((tmp_path / "gone.wav", "not found"), (tmp_path, "directory")):
        with pytest.raises(AudioError) as info:
            content_fingerprint(path)
        assert word in info.value.cause and path.name in str(info.value)
    empty = tmp_path / "empty.wav"
    empty.touch()
    with pytest.raises(AudioError, match="empty"):
        content_fingerprint(empty)
