"""Every bad input raises AudioError naming the file and the cause; nothing crashes or hangs."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from model.audio import AudioFile, probe, read_span
from model.errors import AudioError, SonotagError
from tests.model.audio.conftest import signal, write

REPO = Path(__file__).resolve().parents[3]


def good(tmp_path: Path, fmt: str = "WAV", rate: int = 48000, seconds: float = 1.0) -> Path:
    ext = {"WAV": ".wav", "FLAC": ".flac", "OGG": ".ogg", "MP3": ".mp3"}[fmt]
    sub = {"WAV": "PCM_16", "FLAC": "PCM_16", "OGG": "VORBIS", "MP3": "MPEG_LAYER_III"}[fmt]
    return write(tmp_path / f"good{ext}", signal(rate, 1, seconds), rate, fmt, sub)


def cut(src: Path, dst: Path, fraction: float = 0.5) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


def expect_error(path: Path, *words: str, **kw) -> AudioError:
    with pytest.raises(AudioError) as info:
        probe(path, **kw)
    err = info.value
    assert isinstance(err, SonotagError)
    assert path.name in str(err), str(err)
    assert err.path == path
    for word in words:
        assert word in err.cause, err.cause
    return err


def test_missing_file(tmp_path) -> None:
    expect_error(tmp_path / "nothing_here.wav", "file not found")
    with pytest.raises(AudioError, match="file not found"):
        read_span(tmp_path / "nothing_here.wav", 0, 1)


def test_empty_file(tmp_path) -> None:
    path = tmp_path / "empty.wav"
    path.touch()
    expect_error(path, "empty", "0 bytes")


def test_directory(tmp_path) -> None:
    folder = tmp_path / "looks_like.wav"
    folder.mkdir()
    expect_error(folder, "directory")


def test_text_file_renamed_wav(tmp_path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("species,start,end\ngreat tit,0.5,1.2\n" * 50)
    expect_error(path, "not an audio file")


@pytest.mark.parametrize("fmt", ["WAV", "FLAC", "OGG"])
def test_corrupt_header(tmp_path, fmt) -> None:
    path = good(tmp_path, fmt)
    data = bytearray(path.read_bytes())
    data[:64] = b"\x00" * 64
    bad = tmp_path / f"corrupt{path.suffix}"
    bad.write_bytes(bytes(data))
    err = expect_error(bad)
    assert "not an audio file" in err.cause or "damaged" in err.cause


def test_header_only_wav(tmp_path) -> None:
    expect_error(cut(good(tmp_path), tmp_path / "stub.wav", 0.0003), "damaged")  # 30 bytes


def test_truncated_wav_opens_the_readable_part_with_a_warning(tmp_path) -> None:
    path = cut(good(tmp_path, seconds=1.0), tmp_path / "battery_died.wav")
    left = (path.stat().st_size - 44) // 2  # 44-byte header, 2 bytes a frame
    info = probe(path)  # opened, not refused: a recorder whose battery died keeps the rest
    assert info.frames == left
    for words in ("truncated", "header promises 48000 frames", f"only {left} could be read"):
        assert words in info.warning
    err = expect_error(path, "truncated", "header promises 48000 frames", allow_truncated=False)
    assert "could be read" in err.cause

    with AudioFile(path) as f:
        assert f.info.frames == left
        assert "truncated" in f.info.warning
        end = f.read(f.info.duration - 0.1, 1.0)  # reading past the real end: short, no hang
        assert len(end) == 4800
        assert len(f.read(f.info.duration - 0.1, 1.0, pad=True)) == 48000


def test_wav_claiming_a_huge_data_chunk(tmp_path) -> None:
    data = bytearray(good(tmp_path).read_bytes())
    at = data.find(b"data")
    data[at + 4 : at + 8] = struct.pack("<I", 0xFFFFFFF0)
    data[4:8] = struct.pack("<I", 0xFFFFFFF8)
    path = tmp_path / "huge.wav"
    path.write_bytes(bytes(data))
    expect_error(path, "truncated", "header promises 2147483640 frames", allow_truncated=False)
    assert "header promises 2147483640 frames" in probe(path).warning
    assert len(read_span(path, 0.5, 1.0)) == 24000


def test_streamed_wav_with_unknown_size_is_fine(tmp_path) -> None:
    """Recorders that stream write 0xFFFFFFFF as the data size: not damage, just unknown."""
    data = bytearray(good(tmp_path).read_bytes())
    at = data.find(b"data")
    data[at + 4 : at + 8] = struct.pack("<I", 0xFFFFFFFF)
    path = tmp_path / "streamed.wav"
    path.write_bytes(bytes(data))
    info = probe(path)
    assert info.frames == 48000 and info.warning == ""


@pytest.mark.parametrize("fmt", ["FLAC", "MP3"])
def test_truncated_compressed_files(tmp_path, fmt) -> None:
    path = cut(good(tmp_path, fmt, seconds=1.5), tmp_path / f"half.{fmt.lower()}")
    expect_error(path, "truncated", "header promises 72000 frames", allow_truncated=False)
    assert "header promises 72000 frames" in probe(path).warning
    with AudioFile(path) as f:
        assert 0 < f.info.frames < 72000
        assert len(f.read(0, 10.0)) == f.info.frames


@pytest.mark.parametrize("seconds", [1.0, 1.5])
def test_truncated_ogg(tmp_path, seconds) -> None:
    """Ogg has no length in its header (libsndfile takes the last page's position), so a cut
    file either reads as a shorter recording or, when the cut leaves no usable page, is damaged.
    """
    path = cut(good(tmp_path, "OGG", seconds=seconds), tmp_path / "half.ogg")
    try:
        f = AudioFile(path)
    except AudioError as err:
        assert path.name in str(err)
        assert "damaged" in err.cause or "no audio samples" in err.cause
        return
    with f:
        assert 0 < f.info.frames < seconds * 48000
        assert len(f.read(0, 10.0)) == f.info.frames


def test_zero_channels(tmp_path) -> None:
    data = bytearray(good(tmp_path).read_bytes())
    data[22:24] = struct.pack("<H", 0)
    path = tmp_path / "nochannels.wav"
    path.write_bytes(bytes(data))
    expect_error(path, "no channels")


def test_zero_sample_rate(tmp_path) -> None:
    data = bytearray(good(tmp_path).read_bytes())
    data[24:28] = struct.pack("<I", 0)
    path = tmp_path / "norate.wav"
    path.write_bytes(bytes(data))
    expect_error(path, "damaged")


def test_no_samples(tmp_path) -> None:
    path = write(tmp_path / "silent.wav", np.zeros((0, 1), np.float32), 48000)
    expect_error(path, "contains no audio samples")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read anything")
def test_permission_denied(tmp_path) -> None:
    path = good(tmp_path)
    path.chmod(0)
    try:
        expect_error(path, "permission denied")
    finally:
        path.chmod(0o644)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_does_not_block(tmp_path) -> None:
    path = tmp_path / "pipe.wav"
    os.mkfifo(path)
    expect_error(path, "not a regular file")


def test_bad_inputs_never_crash_the_process(tmp_path) -> None:
    """libsndfile bugs end in a segfault, which no except clause catches: run every bad file in
    a child process and require a clean exit with one AudioError per file, in bounded time."""
    src = good(tmp_path, "WAV")
    files = [cut(src, tmp_path / f"cut{i}.wav", f) for i, f in enumerate((0.01, 0.3, 0.9))]
    for fmt in ("FLAC", "OGG", "MP3"):
        g = good(tmp_path, fmt)
        files.append(cut(g, tmp_path / f"cut_{fmt}{g.suffix}", 0.4))
        blob = bytearray(g.read_bytes())
        blob[len(blob) // 3 : len(blob) // 3 + 400] = os.urandom(400)  # noise mid-stream
        (tmp_path / f"noisy_{fmt}{g.suffix}").write_bytes(bytes(blob))
        files.append(tmp_path / f"noisy_{fmt}{g.suffix}")
    (tmp_path / "random.mp3").write_bytes(os.urandom(5000))
    files.append(tmp_path / "random.mp3")
    script = (
        "import sys\n"
        "from model.audio import AudioFile\n"
        "from model.errors import AudioError\n"
        "for p in sys.argv[1:]:\n"
        "    try:\n"
        "        with AudioFile(p, allow_truncated=True) as f:\n"
        "            f.read(0, 1e6); f.read(f.info.duration - 0.5, 2.0, pad=True)\n"
        "        print('OK', p)\n"
        "    except AudioError as e:\n"
        "        print('ERR', e)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *map(str, files)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith(("OK", "ERR"))]
    assert len(lines) == len(files), done.stdout
