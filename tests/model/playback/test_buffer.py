"""Buffer preparation: time expansion, band-pass, gain, layout, and the read-and-prepare job."""

from __future__ import annotations

import numpy as np
import pytest

from model.jobs import run_inline
from model.playback.buffer import load_clip, prepare_buffer
from tests.model.playback.helpers import dominant_hz, hundred_second_ramp, rms_db, tone


@pytest.mark.parametrize(("speed", "factor"), [(1.0, 1.0), (0.5, 2.0), (0.25, 4.0), (2.0, 0.5)])
def test_speed_changes_the_sample_count_but_not_the_recording_time(speed, factor) -> None:
    clip = tone(1000, 22_050, 2.0)
    buffer = prepare_buffer(clip, 22_050, speed=speed, output_rate=48_000)
    assert buffer.frames == round(2.0 * 48_000 * factor)
    assert buffer.playing_duration == pytest.approx(2.0 * factor)
    assert buffer.recording_duration == pytest.approx(2.0)


def test_time_expansion_lowers_the_pitch_by_the_speed() -> None:
    call = tone(40_000, 384_000, 0.5)  # a bat call, inaudible as recorded
    buffer = prepare_buffer(call, 384_000, speed=0.25, output_rate=48_000)
    assert dominant_hz(buffer.data, 48_000) == pytest.approx(10_000, abs=5)
    fast = prepare_buffer(tone(3_000, 48_000, 1.0), 48_000, speed=2.0, output_rate=48_000)
    assert dominant_hz(fast.data, 48_000) == pytest.approx(6_000, abs=5)


def test_frames_map_back_to_recording_time() -> None:
    buffer = prepare_buffer(tone(500, 16_000, 2.0), 16_000, speed=0.5, start_time=10.0)
    assert buffer.output_rate == 48_000
    assert buffer.time_at(0) == 10.0
    assert buffer.time_at(buffer.frames) == pytest.approx(12.0)
    assert buffer.time_at(48_000) == pytest.approx(10.5)  # 1 s of listening = 0.5 s recorded
    assert buffer.frame_at(11.0) == 96_000
    assert buffer.frame_at(99.0) == buffer.frames and buffer.frame_at(0.0) == 0


def test_layout_is_what_the_sound_card_expects() -> None:
    buffer = prepare_buffer(tone(500, 44_100, 0.3).astype(np.float64), 44_100)
    assert buffer.data.dtype == np.float32
    assert buffer.data.ndim == 2 and buffer.data.shape[1] == 1
    assert buffer.data.flags["C_CONTIGUOUS"]
    assert buffer.output_rate == 44_100  # already a standard rate: played as is


def test_band_pass_cuts_out_of_band_and_keeps_in_band() -> None:
    rate, band = 22_050, (2_000.0, 5_000.0)
    inside = prepare_buffer(tone(3_000, rate, 1.0), rate, band=band, output_rate=48_000)
    below = prepare_buffer(tone(500, rate, 1.0), rate, band=band, output_rate=48_000)
    above = prepare_buffer(tone(9_000, rate, 1.0), rate, band=band, output_rate=48_000)
    reference = rms_db(tone(3_000, rate, 1.0))
    middle = slice(4_800, -4_800)  # away from the edges
    assert rms_db(inside.data[middle]) == pytest.approx(reference, abs=1.0)
    assert rms_db(below.data[middle]) < reference - 20
    assert rms_db(above.data[middle]) < reference - 20
    assert inside.band == pytest.approx(band)


def test_band_is_in_recording_hz_when_time_expanded() -> None:
    rate, band = 96_000, (20_000.0, 40_000.0)
    kept = prepare_buffer(tone(30_000, rate, 0.5), rate, speed=0.5, band=band, output_rate=48_000)
    cut = prepare_buffer(tone(5_000, rate, 0.5), rate, speed=0.5, band=band, output_rate=48_000)
    assert dominant_hz(kept.data, 48_000) == pytest.approx(15_000, abs=5)
    middle = slice(4_800, -4_800)
    assert rms_db(kept.data[middle]) == pytest.approx(rms_db(tone(30_000, rate, 1.0)), abs=1.0)
    assert rms_db(cut.data[middle]) < rms_db(kept.data[middle]) - 20


def test_band_covering_everything_is_skipped() -> None:
    clip = tone(3_000, 48_000, 0.5)
    plain = prepare_buffer(clip, 48_000)
    wide = prepare_buffer(clip, 48_000, band=(0.0, 24_000.0))
    assert wide.band is None
    np.testing.assert_array_equal(wide.data, plain.data)


def test_band_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="low < high"):
        prepare_buffer(tone(3_000, 48_000, 0.1), 48_000, band=(5_000.0, 2_000.0))


def test_level_is_kept_unless_it_would_clip() -> None:
    quiet = tone(1_000, 48_000, 0.5, amplitude=0.05)
    kept = prepare_buffer(quiet, 48_000)
    assert kept.gain == 1.0
    np.testing.assert_array_equal(kept.data[:, 0], quiet)
    loud = prepare_buffer(tone(1_000, 48_000, 0.5, amplitude=1.6), 48_000)
    assert np.max(np.abs(loud.data)) == pytest.approx(10 ** (-1 / 20), rel=1e-5)
    lifted = prepare_buffer(quiet, 48_000, normalize=True)
    assert np.max(np.abs(lifted.data)) == pytest.approx(10 ** (-1 / 20), rel=1e-5)


def test_bad_input_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="between 0.25 and 2.0"):
        prepare_buffer(tone(1_000, 48_000, 0.1), 48_000, speed=4.0)
    with pytest.raises(ValueError, match="mono"):
        prepare_buffer(np.zeros((100, 2), np.float32), 48_000)


def test_empty_clip_gives_an_empty_buffer() -> None:
    buffer = prepare_buffer(np.zeros(0, np.float32), 48_000, band=(1_000.0, 2_000.0))
    assert buffer.frames == 0 and buffer.data.shape == (0, 1)


def test_load_clip_reads_the_span_and_caps_play_from_cursor() -> None:
    audio = hundred_second_ramp(8_000)
    steps = []
    span = run_inline(
        load_clip,
        "rec.wav",
        3.0,
        5.0,
        output_rate=48_000,
        open_audio=lambda p: audio,
        on_progress=steps.append,
    )
    assert audio.reads == [(3.0, 2.0)]
    assert span.start_time == 3.0 and span.recording_duration == pytest.approx(2.0)
    assert [s.done for s in steps] == [0, 1, 2]
    cursor = run_inline(
        load_clip, "rec.wav", 70.0, None, max_seconds=60.0, open_audio=lambda p: audio
    )
    assert audio.reads[-1] == (70.0, pytest.approx(30.0))  # to the end of the file
    capped = run_inline(
        load_clip, "rec.wav", 10.0, None, max_seconds=60.0, open_audio=lambda p: audio
    )
    assert audio.reads[-1] == (10.0, 60.0)
    assert capped.end_time == pytest.approx(70.0)
    assert cursor.end_time == pytest.approx(100.0)


def test_load_clip_on_a_real_stereo_recording(real_data) -> None:
    """Storm-petrel song, 44.1 kHz stereo: mixed to mono, slowed to half speed, at 48 kHz."""
    import soundfile as sf

    path = real_data / "pykanto-raw" / "STORM-PETREL" / "XC663885.wav"
    buffer = run_inline(load_clip, path, 4.0, 6.0, speed=0.5, output_rate=48_000)
    assert buffer.source_rate == 44_100 and buffer.start_time == 4.0
    assert buffer.frames == 4 * 48_000 and buffer.recording_duration == pytest.approx(2.0)
    stereo, rate = sf.read(path, start=4 * 44_100, stop=6 * 44_100, dtype="float32")
    mono = stereo.mean(axis=1)
    # Same sound: its level survives the mix-down and the time expansion.
    assert rms_db(buffer.data) == pytest.approx(rms_db(mono), abs=0.5)
    cursor = run_inline(load_clip, path, 10.0, None, output_rate=48_000)
    assert cursor.end_time == pytest.approx(15.381, abs=1e-3)  # to the end of the file
