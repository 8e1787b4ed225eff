"""The player driven through the fake sound card: copying, position, loop, end, availability."""

from __future__ import annotations

import builtins
import sys
import tracemalloc
from types import SimpleNamespace

import numpy as np
import pytest

from model.playback import engine
from model.playback.buffer import prepare_buffer
from model.playback.engine import PlaybackError, Player, check_output_available
from model.playback.fake import FakeOutput
from tests.model.playback.helpers import tone


def ramp_buffer(frames: int = 1_000, rate: int = 48_000, start_time: float = 0.0):
    """Every frame holds its own index (scaled), so any copy can be checked exactly."""
    ramp = (np.arange(frames, dtype=np.float32) / frames) * 0.5
    return prepare_buffer(ramp, rate, output_rate=rate, start_time=start_time)


def test_callback_copies_the_prepared_buffer(player, fake_output) -> None:
    buffer = ramp_buffer(1_000)
    player.play(buffer)
    fake_output.advance(600)
    written = fake_output.stream.written
    assert not np.isnan(written).any()  # every frame of every dirty block was written
    np.testing.assert_array_equal(written, buffer.data[:600])
    assert fake_output.stream.calls == 3  # blocks of 256, 256, 88


def test_position_advances_with_the_frames_played(fake_output) -> None:
    player = Player(stream_factory=fake_output, blocksize=480)
    buffer = prepare_buffer(tone(1_000, 48_000, 2.0), 48_000, start_time=12.0)
    player.play(buffer)
    assert player.state == "playing" and player.position == 12.0
    fake_output.advance(24_000)
    assert player.position == pytest.approx(12.5)
    fake_output.advance(12_000)
    assert player.position == pytest.approx(12.75)


def test_position_runs_slower_when_time_expanded(player, fake_output) -> None:
    buffer = prepare_buffer(tone(1_000, 48_000, 2.0), 48_000, speed=0.5, start_time=3.0)
    assert buffer.frames == 192_000
    player.play(buffer)
    fake_output.advance(48_000)  # one second of listening
    assert player.position == pytest.approx(3.5)  # half a second of recording
    assert fake_output.stream.samplerate == 48_000


def test_loop_wraps_to_the_start(player, fake_output) -> None:
    buffer = ramp_buffer(1_000, start_time=5.0)
    player.play(buffer, loop=True)
    fake_output.advance(2_500)
    written = fake_output.stream.written[:, 0]
    np.testing.assert_array_equal(written, np.tile(buffer.data[:, 0], 3)[:2_500])
    assert player.state == "playing"
    assert player.position == pytest.approx(5.0 + 500 / 48_000)


def test_without_loop_the_end_stops_and_pads_with_silence(player, fake_output) -> None:
    buffer = ramp_buffer(1_000, start_time=7.0)
    player.play(buffer)
    delivered = fake_output.advance(5_000)
    stream = fake_output.stream
    assert stream.finished and delivered == 1_024  # four blocks, then the stream stopped
    np.testing.assert_array_equal(stream.written[:1_000], buffer.data)
    assert not stream.written[1_000:].any()
    assert player.state == "stopped"
    assert stream.closed
    assert player.position == 7.0  # back to where playing began


def test_turning_loop_off_finishes_the_current_pass(player, fake_output) -> None:
    player.play(ramp_buffer(1_000), loop=True)
    fake_output.advance(1_200)
    player.set_loop(False)
    assert not player.loop
    fake_output.advance(2_000)
    assert fake_output.stream.finished
    assert fake_output.stream.frames_written < 2_300
    assert player.state == "stopped"


def test_pause_holds_the_position_and_writes_silence(player, fake_output) -> None:
    buffer = ramp_buffer(4_000)
    player.play(buffer)
    fake_output.advance(1_000)
    assert player.toggle() and player.state == "paused"
    held = player.position
    fake_output.advance(512)
    assert player.position == held
    assert not fake_output.stream.written[1_000:].any()
    player.toggle()
    assert player.state == "playing"
    fake_output.advance(256)
    np.testing.assert_array_equal(fake_output.stream.written[-256:], buffer.data[1_000:1_256])


def test_toggle_with_nothing_loaded_reports_false(player) -> None:
    assert player.toggle() is False
    assert player.state == "stopped"


def test_play_from_an_offset_and_replacing_the_buffer(player, fake_output) -> None:
    first = ramp_buffer(48_000, start_time=20.0)
    player.play(first, offset=0.5)
    fake_output.advance(10)
    np.testing.assert_array_equal(fake_output.stream.written, first.data[24_000:24_010])
    assert player.position == pytest.approx(20.5 + 10 / 48_000)
    second = ramp_buffer(500, start_time=40.0)
    player.play(second, start_time_in_recording=41.0)
    assert fake_output.streams[0].closed
    assert player.position == 41.0 and player.buffer is not None


def test_position_is_corrected_for_output_latency() -> None:
    output = FakeOutput(latency=0.1)
    player = Player(stream_factory=output, blocksize=480)
    player.play(prepare_buffer(tone(1_000, 48_000, 2.0), 48_000))
    output.advance(9_600)  # 0.2 s handed to the card, 0.1 s of it still in its buffer
    assert player.position == pytest.approx(0.1)
    output.advance(86_400)  # all frames handed over; the card still holds the last 0.1 s
    assert player.state == "playing"
    assert player.position == pytest.approx(2.0 - 0.1)
    output.advance(4_800)
    assert player.state == "stopped" and output.stream.closed


def test_stop_closes_the_stream(player, fake_output) -> None:
    player.play(ramp_buffer())
    player.stop()
    assert fake_output.stream.closed and player.state == "stopped"
    assert fake_output.advance(100) == 0


def test_callback_allocates_nothing_big(player, fake_output) -> None:
    buffer = prepare_buffer(tone(1_000, 48_000, 10.0), 48_000)  # 1.9 MB
    player.play(buffer, loop=True)
    callback = fake_output.stream.callback
    outdata = np.empty((256, 1), np.float32)
    tracemalloc.start()
    try:
        for _ in range(2_000):  # ten wraps
            callback(outdata, 256, None, None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4_096, f"callback allocated {peak} bytes"
    assert outdata[-1, 0] == buffer.data[(2_000 * 256 - 1) % buffer.frames, 0]


def test_unavailable_output_refuses_to_play() -> None:
    player = Player(stream_factory=FakeOutput(available=False, reason="Playback off: test"))
    assert not player.available and player.unavailable_reason == "Playback off: test"
    with pytest.raises(PlaybackError, match="Playback off: test"):
        player.play(ramp_buffer())


def test_a_refusing_sound_card_is_reported() -> None:
    player = Player(stream_factory=FakeOutput(fail_open=RuntimeError("device busy")))
    with pytest.raises(PlaybackError, match="device busy"):
        player.play(ramp_buffer())
    assert player.state == "stopped"


def test_missing_portaudio_turns_playback_off(monkeypatch) -> None:
    real_import = builtins.__import__

    def no_portaudio(name, *args, **kwargs):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_portaudio)
    assert check_output_available() == (False, engine.NO_PORTAUDIO)
    player = Player()
    assert not player.available
    assert "PortAudio library not found" in player.unavailable_reason
    with pytest.raises(PlaybackError, match="PortAudio"):
        player.play(ramp_buffer())


class _PortAudioError(Exception):
    pass


def fake_sounddevice(query_devices):
    """A stand-in for the sounddevice module, so these tests run where PortAudio is absent."""
    return SimpleNamespace(
        query_devices=query_devices,
        PortAudioError=_PortAudioError,
        CallbackStop=type("CallbackStop", (Exception,), {}),
        OutputStream=None,
    )


def test_no_output_device_turns_playback_off(monkeypatch) -> None:
    def no_device(*args, **kwargs):
        raise _PortAudioError("Error querying device -1")

    monkeypatch.setattr(engine, "_import_sounddevice", lambda: fake_sounddevice(no_device))
    player = Player()
    assert (player.available, player.unavailable_reason) == (False, engine.NO_DEVICE)


def test_a_default_output_device_turns_playback_on(monkeypatch) -> None:
    device = {"name": "Speakers", "max_output_channels": 2, "default_samplerate": 44_100.0}
    sd = fake_sounddevice(lambda *a, **k: device)
    monkeypatch.setattr(engine, "_import_sounddevice", lambda: sd)
    player = Player()
    assert player.available and player.unavailable_reason == ""
    assert player.output_rate == 44_100  # buffers are prepared at the device's own rate


def test_real_probe_gives_an_answer_either_way() -> None:
    """On this machine (any machine): a yes, or a no with one of the known reasons."""
    available, reason = check_output_available()
    assert (available and reason == "") or reason in (
        engine.NO_PORTAUDIO,
        engine.NO_SOUNDDEVICE,
        engine.NO_DEVICE,
    )
