"""File names that are not valid UTF-8: shown with U+FFFD, stored losslessly, found again."""

from __future__ import annotations

import io
import os
import sqlite3
from pathlib import Path

import pytest

from model.errors import AudioError
from model.pathtext import (
    REPLACEMENT,
    TABLE_ERRORS,
    clean_text,
    display,
    from_db,
    make_stream_safe,
    recover,
    to_db,
)

BAD = os.fsdecode(b"caf\xe9_\xff.wav")  # what Python makes of those bytes on Linux


def test_display_replaces_bad_bytes_and_keeps_good_names() -> None:
    assert display(BAD) == f"caf{REPLACEMENT}_{REPLACEMENT}.wav"
    assert display("café.wav") == "café.wav"
    assert display(b"caf\xe9.wav") == f"caf{REPLACEMENT}.wav"
    assert display(Path(BAD)).encode("utf-8")  # encodes: no surrogate left
    assert display(None) == ""
    assert clean_text(f"cannot read {BAD}") == f"cannot read {display(BAD)}"


def test_errors_name_the_file_in_printable_text() -> None:
    message = str(AudioError(Path(BAD), "file not found"))
    message.encode("utf-8")
    assert message == f"{display(BAD)}: file not found"


def test_database_value_is_lossless_and_valid_names_are_unchanged() -> None:
    assert to_db("a/b.wav") == "a/b.wav"
    stored = to_db(BAD)
    assert isinstance(stored, bytes) and from_db(stored) == BAD
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (path TEXT UNIQUE)")
    conn.execute("INSERT INTO t VALUES (?)", (stored,))
    (back,) = conn.execute("SELECT path FROM t WHERE path = ?", (to_db(BAD),)).fetchone()
    assert from_db(back) == BAD


def test_tables_and_terminal_get_replacement_characters() -> None:
    assert BAD.encode("utf-8", TABLE_ERRORS).decode("utf-8") == display(BAD)
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8")
    make_stream_safe(stream)
    stream.write(BAD + "\n")
    stream.flush()
    assert raw.getvalue().decode("utf-8") == display(BAD) + "\n"
    latin = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    make_stream_safe(latin)
    latin.write(BAD)  # no UnicodeEncodeError on a Windows console either
    latin.flush()


@pytest.fixture
def bad_named(tmp_path: Path) -> Path:
    if os.name != "posix":
        pytest.skip("file names are bytes only on POSIX systems")
    folder = tmp_path / os.fsdecode(b"s\xe9rie")
    try:
        folder.mkdir()
        (folder / BAD).write_bytes(b"x")
    except OSError:  # macOS refuses names that are not UTF-8
        pytest.skip("this file system only takes UTF-8 names")
    return folder / BAD


def test_recover_finds_the_file_behind_a_lossy_name(bad_named: Path) -> None:
    lossy = Path(display(bad_named))  # what Qt's file dialog or a drop gives back
    assert not lossy.exists()
    assert recover(lossy) == bad_named
    doubled = Path(str(lossy).replace(REPLACEMENT, REPLACEMENT * 2))  # another decoder's count
    assert recover(doubled) == bad_named
    assert recover(bad_named) == bad_named
    missing = lossy.with_name(f"gone{REPLACEMENT}.wav")
    assert recover(missing) == missing
