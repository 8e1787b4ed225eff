"""Span reading: positions, padding, channels, resampling, across formats and sample rates."""

from __future__ import annotations

import numpy as np
import pytest

from model.audio import AudioFile, probe, read_span, reader
from tests.model.audio.conftest import DURATION, TONES, Made, decoded, signal, write


def peak_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spectrum)])


def test_info_fields(made: Made) -> None:
    info = probe(made.path)
    assert info.path == made.path
    assert info.format == made.format
    assert info.sample_rate == made.rate
    assert info.channels == made.channels
    assert info.frames == len(made.data)
    assert info.duration == pytest.approx(DURATION, abs=1e-9)
    assert info.subtype == made.subtype
    assert info.start_time is None and info.start_time_source is None
    assert info.warning == ""


def test_spans_at_start_middle_end_match_a_full_decode(made: Made) -> None:
    ref = decoded(made.path).mean(axis=1)
    rate = made.rate
    with AudioFile(made.path) as f:
        # deliberately out of order: compressed formats must rewind correctly
        for start in (0.7, 0.0, 1.3, 0.25, 1.0):
            got = f.read(start, 0.2)
            a = round(start * rate)
            want = ref[a : a + round(0.2 * rate)]
            assert got.dtype == np.float32 and got.ndim == 1 and got.flags.c_contiguous
            assert len(got) == len(want)
            np.testing.assert_allclose(got, want, atol=1e-6)


def test_pcm_content_is_what_was_written(made: Made) -> None:
    if made.lossy:
        pytest.skip("lossy codecs do not return what was written")
    tol = 1e-6 if made.subtype == "FLOAT" else 2e-4
    with AudioFile(made.path) as f:
        got = f.read(0.5, 0.5, channel=0)
    a = round(0.5 * made.rate)
    np.testing.assert_allclose(got, made.data[a : a + len(got), 0], atol=tol)


def test_samples_are_libsndfiles_floats_exactly(made: Made) -> None:
    """16-bit PCM is read as stored and scaled here (faster): the floats must be the very
    ones libsndfile's own conversion gives, for every container."""
    if made.lossy:
        pytest.skip("lossy codecs: covered by the full-decode comparison")
    import soundfile as sf

    whole = sf.read(str(made.path), dtype="float32", always_2d=True)[0]
    with AudioFile(made.path) as f:
        for channel in range(made.channels):
            got = f.read_frames(3, len(whole) - 6, channel=channel)
            assert got.dtype == np.float32
            assert np.array_equal(got, whole[3:-3, channel])


def test_channel_select_and_mixdown(made: Made) -> None:
    ref = decoded(made.path)
    with AudioFile(made.path) as f:
        for ch in range(made.channels):
            np.testing.assert_allclose(
                f.read(0.1, 1.0, channel=ch),
                ref[round(0.1 * made.rate) :][: made.rate, ch],
                atol=1e-6,
            )
        mixed = f.read(0.1, 1.0)
        np.testing.assert_allclose(
            mixed, ref[round(0.1 * made.rate) :][: made.rate].mean(axis=1), atol=1e-6
        )
        with pytest.raises(ValueError, match="channel"):
            f.read(0, 0.1, channel=made.channels)
        with pytest.raises(ValueError, match="channel"):
            f.read(0, 0.1, channel=-1)
    if made.channels == 2 and made.rate >= 8000:
        assert peak_hz(f_read(made, 0), made.rate) == pytest.approx(TONES[0], abs=3)
        assert peak_hz(f_read(made, 1), made.rate) == pytest.approx(TONES[1], abs=3)


def f_read(made: Made, channel: int) -> np.ndarray:
    return read_span(made.path, 0, DURATION, channel=channel)


@pytest.mark.parametrize("out_rate", [16000, 22050, 48000])
def test_resampling_keeps_length_and_tone(made_files: dict, out_rate: int) -> None:
    for rate in (8000, 44100, 384000):
        path = made_files[("wav16", rate, 1)].path
        got = read_span(path, 0.0, 1.0, sample_rate=out_rate)
        assert got.dtype == np.float32 and got.flags.c_contiguous
        assert len(got) == out_rate
        assert peak_hz(got, out_rate) == pytest.approx(TONES[0], abs=2)
        # a window must equal the same stretch of a longer read (no edge artefacts)
        with AudioFile(path) as f:
            whole = f.read(0.0, DURATION, sample_rate=out_rate)
            part = f.read(0.5, 0.5, sample_rate=out_rate)
        a = round(0.5 * out_rate)
        np.testing.assert_allclose(part, whole[a : a + len(part)], atol=2e-3)


def test_resampling_lossy_and_stereo(made_files: dict) -> None:
    for key in (("mp3", 44100, 2), ("ogg", 48000, 2), ("flac", 384000, 2)):
        got = read_span(made_files[key].path, 0.2, 1.0, sample_rate=22050, channel=1)
        assert len(got) == 22050
        assert peak_hz(got, 22050) == pytest.approx(TONES[1], abs=2)


def test_pad_before_start_and_after_end(made_files: dict) -> None:
    m = made_files[("wav16", 8000, 1)]
    ref = decoded(m.path)[:, 0]
    with AudioFile(m.path) as f:
        padded = f.read(-0.25, 0.5, pad=True)
        assert len(padded) == 4000
        assert not padded[:2000].any()
        np.testing.assert_allclose(padded[2000:], ref[:2000], atol=1e-6)
        cut = f.read(-0.25, 0.5)
        np.testing.assert_allclose(cut, ref[:2000], atol=1e-6)

        tail = f.read(DURATION - 0.2, 0.5)
        assert len(tail) == 1600
        np.testing.assert_allclose(tail, ref[-1600:], atol=1e-6)
        tail_padded = f.read(DURATION - 0.2, 0.5, pad=True)
        assert len(tail_padded) == 4000 and not tail_padded[1600:].any()

        assert len(f.read(DURATION + 1, 2.0)) == 0
        beyond = f.read(DURATION + 1, 2.0, pad=True)
        assert len(beyond) == 16000 and not beyond.any()
        assert len(f.read(-5, 1.0)) == 0
        assert len(f.read(0.3, 0.0)) == 0
        # padding with resampling keeps the requested length and the real part
        res = f.read(DURATION - 0.5, 1.0, sample_rate=16000, pad=True)
        assert len(res) == 16000 and not res[8200:].any() and res[:7800].any()
        res_cut = f.read(DURATION - 0.5, 1.0, sample_rate=16000)
        assert len(res_cut) == 8000
        with pytest.raises(ValueError):
            f.read(0, -1)
        with pytest.raises(ValueError):
            f.read(float("nan"), 1)


def test_read_frames(made_files: dict) -> None:
    m = made_files[("flac", 22050, 2)]
    ref = decoded(m.path)
    with AudioFile(m.path) as f:
        np.testing.assert_allclose(
            f.read_frames(1000, 500, channel=1), ref[1000:1500, 1], atol=1e-6
        )
        assert len(f.read_frames(len(ref) - 100, 500)) == 100
        assert len(f.read_frames(len(ref) + 10, 500)) == 0


def test_closed_file_refuses_reads(made_files: dict) -> None:
    f = AudioFile(made_files[("wav16", 8000, 1)].path)
    f.close()
    f.close()  # twice is harmless
    with pytest.raises(ValueError, match="closed"):
        f.read(0, 0.1)


def test_long_span_reads_only_what_is_needed(tmp_path) -> None:
    """A 2 s window at the end of a 60 s WAV; the result is right and the file stays unread."""
    rate = 48000
    data = signal(rate, 1, duration=60.0)
    path = write(tmp_path / "long.wav", data, rate)
    with AudioFile(path) as f:
        got = f.read(58.0, 2.0)
    np.testing.assert_allclose(got, data[58 * rate :, 0], atol=2e-4)


@pytest.mark.parametrize("fmt, cache", [("MP3", True), ("OGG", True), ("OGG", False)])
def test_compressed_seeks_are_sample_exact_on_hard_material(tmp_path, monkeypatch, fmt, cache):
    """A sweep encodes at a varying bit rate, where libsndfile's own MP3/Vorbis seeks and
    chunked MP3 reads go wrong; every span must equal one front-to-back decode. cache=False
    forces the forward-decoding path used for long Ogg files."""
    if not cache:
        monkeypatch.setattr(reader, "OGG_CACHE_BYTES", 0)
    rate, n = 44100, int(1.9 * 44100)
    sweep = 0.3 * np.sin(2 * np.pi * np.cumsum(np.linspace(200, rate / 6, n)) / rate)
    data = np.stack([sweep, sweep[::-1]], axis=1).astype(np.float32)
    subtype = "MPEG_LAYER_III" if fmt == "MP3" else "VORBIS"
    path = write(tmp_path / f"sweep.{fmt.lower()}", data, rate, fmt, subtype)
    ref = decoded(path)
    with AudioFile(path) as f:
        assert f._decode_whole is cache
        for start_frame in (60000, 5000, 30000, 80000, 0, 45000, 45500, 83000):
            got = f.read_frames(start_frame, 1500, channel=1)
            want = ref[start_frame : start_frame + 1500, 1]
            assert len(got) == len(want)
            np.testing.assert_allclose(got, want, atol=1e-6)
        mixed = f.read(0.3, 0.5, sample_rate=16000)
        assert len(mixed) == 8000
