"""Start-time clues: pure parsers on strings, then the order of sources on real files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import guano
import numpy as np
import soundfile as sf

from model.audio import probe
from model.audio.start_time import (
    parse_audiomoth_comment,
    parse_audiomoth_filename,
    parse_guano,
    parse_sidecar,
)
from tests.model.audio.conftest import signal, write

UTC1 = timezone(timedelta(hours=1))


def test_audiomoth_filenames() -> None:
    assert parse_audiomoth_filename("20210502_040000.WAV") == datetime(2021, 5, 2, 4, tzinfo=UTC)
    assert parse_audiomoth_filename("SITE3_20210415_053012.wav") == datetime(
        2021, 4, 15, 5, 30, 12, tzinfo=UTC
    )
    assert parse_audiomoth_filename("/cards/A/20200101_000000_T.flac") == datetime(
        2020, 1, 1, tzinfo=UTC
    )
    for name in ("2021-B32-0415_05-11.wav", "20211302_040000.wav", "20210502_046000.wav", "x.wav"):
        assert parse_audiomoth_filename(name) is None, name
    assert parse_audiomoth_filename("120210502_040000.wav") is None  # 9 digits: not a date


def test_audiomoth_comments_across_firmware() -> None:
    old = (
        "Recorded at 05:00:00 15/04/2021 (UTC) by AudioMoth 24F319055FDF2205 at gain setting 2"
        " while battery state was 4.0V."
    )
    assert parse_audiomoth_comment(old) == datetime(2021, 4, 15, 5, tzinfo=UTC)
    new = (
        "Recorded at 21:10:05 24/07/2022 (UTC+1) by AudioMoth 243B1F0560FBF2A6 at medium gain "
        "while battery was 4.3V and temperature was 18.4C."
    )
    got = parse_audiomoth_comment(new)
    assert got == datetime(2022, 7, 24, 21, 10, 5, tzinfo=UTC1)
    assert got.astimezone(UTC).hour == 20
    assert parse_audiomoth_comment(
        "Recorded at 10:00:00 01/02/2020 (UTC-5) by AudioMoth"
    ).utcoffset() == timedelta(hours=-5)
    assert parse_audiomoth_comment(
        "Recorded at 10:00:00 01/02/2020 (UTC+5:30)"
    ).utcoffset() == timedelta(hours=5, minutes=30)
    assert parse_audiomoth_comment("Lavf57.83.100") is None
    assert parse_audiomoth_comment("Recorded at 10:00:00 31/02/2020 (UTC)") is None
    assert parse_audiomoth_comment("") is None


def test_sidecar_fields() -> None:
    clip = {"datetime": "2021-04-15 05:07:22.866667", "timezone": "UTC"}
    assert parse_sidecar(clip) == datetime(2021, 4, 15, 5, 7, 22, 866667, tzinfo=UTC)
    london = parse_sidecar({"datetime": "2021-07-01 06:00:00", "timezone": "Europe/London"})
    assert london.utcoffset() == timedelta(hours=1)
    assert parse_sidecar(
        {"datetime": "2021-07-01 06:00:00", "timezone": "+02:00"}
    ).utcoffset() == timedelta(hours=2)
    assert parse_sidecar({"datetime": "2021-07-01T06:00:00+03:00"}).utcoffset() == timedelta(
        hours=3
    )
    assert parse_sidecar({"datetime": "2021-07-01 06:00:00"}) is None  # zone unknown: no guess
    assert parse_sidecar({"datetime": "2021-07-01 06:00:00", "timezone": "Mars/Olympus"}) is None
    assert parse_sidecar({"datetime": "yesterday", "timezone": "UTC"}) is None
    assert parse_sidecar(["not", "a", "dict"]) is None


def test_guano_text() -> None:
    text = "GUANO|Version: 1.0\nTimestamp: 2022-06-01T22:15:00-04:00\nMake: Wildlife Acoustics\n"
    got = parse_guano(text.encode())
    assert got == datetime(2022, 6, 2, 2, 15, tzinfo=UTC)
    assert parse_guano(b"GUANO|Version: 1.0\nTimestamp: 2022-06-01T22:15:00Z\n") == datetime(
        2022, 6, 1, 22, 15, tzinfo=UTC
    )
    assert parse_guano(b"GUANO|Version: 1.0\nTimestamp: 2022-06-01T22:15:00\n") is None
    assert parse_guano(b"\xff\xfe garbage") is None


def test_sources_in_order_on_files(tmp_path) -> None:
    data = signal(8000, 1, 0.5)
    # GUANO wins over an AudioMoth-style name
    named = write(tmp_path / "20210502_040000.wav", data, 8000)
    g = guano.GuanoFile(str(named))
    g["Timestamp"] = datetime(2022, 6, 1, 22, 15, tzinfo=UTC)
    g.write(make_backup=False)
    info = probe(named)
    assert (info.start_time, info.start_time_source) == (
        datetime(2022, 6, 1, 22, 15, tzinfo=UTC),
        "guano",
    )
    assert info.frames == 4000  # the guan chunk after the data is not audio

    plain = write(tmp_path / "20210502_040000_copy.wav", data, 8000)
    info = probe(plain)
    assert (info.start_time, info.start_time_source) == (
        datetime(2021, 5, 2, 4, tzinfo=UTC),
        "audiomoth-filename",
    )

    commented = tmp_path / "dawn chorus.wav"
    with sf.SoundFile(str(commented), "w", 8000, 1, "PCM_16") as f:
        f.comment = "Recorded at 05:00:00 15/04/2021 (UTC+1) by AudioMoth 24F3 at gain setting 2"
        f.write(data)
    info = probe(commented)
    assert info.start_time == datetime(2021, 4, 15, 4, tzinfo=UTC)
    assert info.start_time_source == "audiomoth-comment"

    side = write(tmp_path / "clip-7.flac", data, 8000, "FLAC")
    (tmp_path / "clip-7.JSON").write_text(
        json.dumps({"datetime": "2021-04-15 05:07:22", "timezone": "UTC"})
    )
    info = probe(side)
    assert (info.start_time, info.start_time_source) == (
        datetime(2021, 4, 15, 5, 7, 22, tzinfo=UTC),
        "json-sidecar",
    )

    (tmp_path / "clip-8.json").write_text("{ not json")
    assert probe(write(tmp_path / "clip-8.wav", data, 8000)).start_time is None


def test_float_wav_with_guano_chunk(tmp_path) -> None:
    """The guano package's own loader cannot read float WAVs; our chunk walk can."""
    path = write(tmp_path / "bat.wav", signal(384000, 1, 0.1), 384000, "WAV", "FLOAT")
    chunk = b"GUANO|Version: 1.0\nTimestamp: 2023-08-01T21:00:00+02:00\n"
    chunk += b"\x00" * (len(chunk) % 2)
    with open(path, "ab") as fh:
        fh.write(b"guan" + len(chunk).to_bytes(4, "little") + chunk)
    with open(path, "r+b") as fh:
        size = path.stat().st_size
        fh.seek(4)
        fh.write((size - 8).to_bytes(4, "little"))
    info = probe(path)
    assert info.start_time == datetime(2023, 8, 1, 19, tzinfo=UTC)
    assert info.start_time_source == "guano"
    assert info.frames == 38400
    assert np.isfinite(info.duration)
