"""Finding recordings among dropped files and folders."""

from __future__ import annotations

from pathlib import Path

from model.audio import AUDIO_EXTENSIONS, find_audio_files


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_walks_folders_by_extension_any_case(tmp_path) -> None:
    a = touch(tmp_path / "card" / "20210502_040000.WAV")
    b = touch(tmp_path / "card" / "sub" / "b.flac")
    c = touch(tmp_path / "card" / "sub" / "deeper" / "c.Mp3")
    d = touch(tmp_path / "card" / "d.ogg")
    touch(tmp_path / "card" / "CONFIG.TXT")
    touch(tmp_path / "card" / "notes.json")
    touch(tmp_path / "card" / "._20210502_040000.WAV")  # macOS resource fork
    touch(tmp_path / "card" / ".Trash" / "old.wav")
    loose = touch(tmp_path / "elsewhere" / "chosen.aiff")  # named explicitly: kept
    got = find_audio_files([tmp_path / "card", str(loose), tmp_path / "card" / "d.ogg"])
    assert got == sorted([a, b, c, d, loose], key=lambda p: (str(p).lower(), str(p)))
    assert find_audio_files([]) == []


def test_extensions() -> None:
    assert AUDIO_EXTENSIONS == frozenset({".wav", ".flac", ".ogg", ".mp3"})
