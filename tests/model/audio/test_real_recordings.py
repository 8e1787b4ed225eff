"""The real recordings in tests/data: every file opens, reads, and gets its clock time."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from model.audio import AudioFile, find_audio_files, probe


def test_every_real_recording_probes_and_reads(real_data) -> None:
    files = find_audio_files([real_data])
    assert len(files) == 25
    for path in files:
        info = probe(path)
        assert info.format == "WAV" and info.frames > 0 and info.sample_rate >= 8000
        with AudioFile(path) as f:
            end = f.read(info.duration - 0.5, 1.0, pad=True)
            assert len(end) == info.sample_rate and np.abs(end[: info.sample_rate // 2]).max() > 0
            assert not end[info.sample_rate // 2 + 1 :].any()


def test_audiomoth_recording_has_its_start_time(real_data) -> None:
    info = probe(real_data / "pykanto-raw" / "AM" / "20210502_040000.WAV")
    assert info.start_time == datetime(2021, 5, 2, 4, 0, 0, tzinfo=UTC)
    # Its comment says "(UTC)": a clue that states its zone comes before the file name's.
    assert info.start_time_source == "audiomoth-comment"
    assert (info.sample_rate, info.channels) == (48000, 1)


def test_great_tit_clips_take_time_from_json(real_data) -> None:
    folder = real_data / "great_tit"
    wavs = sorted(folder.glob("*.wav"))
    assert len(wavs) == 20
    for wav in wavs:
        info = probe(wav)
        assert info.start_time_source == "json-sidecar"
        assert (
            info.start_time.tzinfo is not None and info.start_time.utcoffset().total_seconds() == 0
        )
        assert info.start_time.year == 2021 and info.start_time.month == 4
    info = probe(folder / "2021-B32-0415_05-11.wav")
    assert info.start_time == datetime(2021, 4, 15, 5, 7, 22, 866667, tzinfo=UTC)


def test_stereo_storm_petrel_channels(real_data) -> None:
    path = real_data / "pykanto-raw" / "STORM-PETREL" / "XC663885.wav"
    with AudioFile(path) as f:
        assert f.info.channels == 2
        left, right = f.read(5, 2, channel=0), f.read(5, 2, channel=1)
        np.testing.assert_allclose(f.read(5, 2), (left + right) / 2, atol=1e-6)
        resampled = f.read(5, 2, sample_rate=22050)
        assert len(resampled) == 44100
