"""The playback controller and playhead, with the fake sound card standing in for PortAudio."""

from __future__ import annotations

import builtins
import sys

import numpy as np
import pyqtgraph as pg
import pytest

from app.jobs import JobRunner
from app.playback import PlaybackController, Playhead
from model.errors import AudioError
from model.playback.engine import Player
from model.playback.fake import FakeOutput
from tests.model.playback.helpers import ArrayAudio, hundred_second_ramp, tone


@pytest.fixture()
def fake_output() -> FakeOutput:
    return FakeOutput(samplerate=48_000)


@pytest.fixture()
def audio() -> ArrayAudio:
    return ArrayAudio(tone(2_000, 48_000, 20.0), 48_000)


@pytest.fixture()
def controller(qtbot, fake_output, audio):
    player = Player(stream_factory=fake_output, blocksize=4_800)
    controller = PlaybackController(JobRunner(), player=player, open_audio=lambda path: audio)
    yield controller
    controller.close()
    assert controller.jobs.wait_all()


def near(expected: float):
    return lambda seconds: abs(seconds - expected) < 1e-6


def test_position_changed_follows_the_stream(qtbot, controller, fake_output) -> None:
    states = []
    controller.state_changed.connect(states.append)
    assert controller.play_span("rec.wav", 10.0, 12.0)
    assert controller.state == "playing" and states == ["playing"]
    with qtbot.waitSignal(controller.position_changed, check_params_cb=near(10.5), timeout=2000):
        fake_output.advance(24_000)
    with qtbot.waitSignal(controller.position_changed, check_params_cb=near(11.0), timeout=2000):
        fake_output.advance(24_000)
    with qtbot.waitSignal(controller.state_changed, check_params_cb=lambda s: s == "stopped"):
        fake_output.advance(96_000)
    assert fake_output.stream.frames_written == 96_000


def test_speed_stretches_the_clip_and_applies_while_playing(qtbot, controller, fake_output):
    controller.speed = 0.5
    controller.play_span("rec.wav", 10.0, 12.0)
    assert fake_output.stream.samplerate == 48_000
    with qtbot.waitSignal(controller.position_changed, check_params_cb=near(10.5), timeout=2000):
        fake_output.advance(48_000)  # one second of listening is half a second recorded
    controller.speed = 2.0  # prepared again, and it goes on from the same spot
    assert len(fake_output.streams) == 2 and fake_output.streams[0].closed
    fast = controller.player.buffer
    assert fast.frames == 48_000  # 2 s of recording at double speed
    assert controller.position == pytest.approx(10.5)
    with qtbot.waitSignal(controller.state_changed, check_params_cb=lambda s: s == "stopped"):
        fake_output.advance(48_000)
    written = fake_output.stream.written
    # The remaining 1.5 s at 2x (36,000 frames), then silence to the end of the last block.
    np.testing.assert_array_equal(written[:36_000], fast.data[12_000:])
    assert written.shape[0] == 38_400 and not written[36_000:].any()


def test_loop_wraps_back_to_the_start_of_the_clip(qtbot, controller, fake_output) -> None:
    controller.loop = True
    controller.play_span("rec.wav", 4.0, 5.0)
    with qtbot.waitSignal(controller.position_changed, check_params_cb=near(4.25), timeout=2000):
        fake_output.advance(48_000 + 12_000)
    assert controller.state == "playing"
    written = fake_output.stream.written[:, 0]
    np.testing.assert_array_equal(written[48_000:60_000], written[:12_000])
    controller.loop = False
    with qtbot.waitSignal(controller.state_changed, check_params_cb=lambda s: s == "stopped"):
        fake_output.advance(48_000)


def test_space_pauses_and_resumes(qtbot, controller, fake_output) -> None:
    assert controller.toggle() is False  # nothing loaded: the window decides what to play
    controller.play_span("rec.wav", 0.0, 2.0)
    fake_output.advance(9_600)
    assert controller.toggle() and controller.state == "paused"
    held = controller.position
    fake_output.advance(9_600)
    assert controller.position == held == pytest.approx(0.2)
    assert controller.toggle() and controller.state == "playing"
    assert controller.toggle() and controller.state == "paused"
    controller.speed = 0.5  # prepared again at the new speed, still paused at the same spot
    assert controller.state == "paused" and controller.position == pytest.approx(0.2)
    assert controller.toggle() and controller.state == "playing"
    controller.stop()
    assert controller.state == "stopped" and controller.current_span is None


def test_play_from_cursor_reads_minutes_in_a_worker(qtbot, fake_output) -> None:
    ramp = hundred_second_ramp(8_000)
    player = Player(stream_factory=fake_output, blocksize=48_000)
    controller = PlaybackController(JobRunner(), player=player, open_audio=lambda path: ramp)
    states = []
    controller.state_changed.connect(states.append)
    with qtbot.waitSignal(controller.state_changed, check_params_cb=lambda s: s == "playing"):
        assert controller.play_from("long.wav", 30.0)
    assert states == ["loading", "playing"]
    assert ramp.reads == [(30.0, 60.0)]  # one minute, not the whole file
    assert controller.player.buffer.start_time == 30.0
    # The minute runs out: the next one is read and playback goes on from 90 s.
    with qtbot.waitSignal(controller.state_changed, check_params_cb=lambda s: s == "loading"):
        fake_output.advance(60 * 48_000)
    qtbot.waitUntil(lambda: controller.state == "playing", timeout=5000)
    assert ramp.reads[-1] == (90.0, pytest.approx(10.0))
    assert controller.position == pytest.approx(90.0)
    with qtbot.waitSignal(controller.state_changed, check_params_cb=lambda s: s == "stopped"):
        fake_output.advance(10 * 48_000)
    controller.close()
    assert controller.jobs.wait_all()


def test_unreadable_file_is_reported(qtbot, fake_output) -> None:
    def broken(path):
        raise AudioError(path, "file is empty (0 bytes)")

    player = Player(stream_factory=fake_output)
    controller = PlaybackController(JobRunner(), player=player, open_audio=broken)
    with qtbot.waitSignal(controller.failed) as blocker:
        assert not controller.play_span("/data/rec.wav", 0.0, 2.0)
    assert blocker.args == ["/data/rec.wav: file is empty (0 bytes)"]
    assert controller.state == "stopped"


def test_missing_portaudio_is_announced(qtbot, monkeypatch) -> None:
    real_import = builtins.__import__

    def no_portaudio(name, *args, **kwargs):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_portaudio)
    controller = PlaybackController(JobRunner())
    with qtbot.waitSignal(controller.unavailable, timeout=2000) as blocker:
        pass
    assert "PortAudio library not found" in blocker.args[0]
    assert not controller.available
    with qtbot.waitSignal(controller.unavailable, timeout=2000):
        assert controller.play_span("rec.wav", 0.0, 2.0) is False
    assert controller.state == "stopped"


def test_playhead_follows_and_hides(qtbot, controller, fake_output) -> None:
    plot = pg.PlotItem()
    playhead = Playhead(plot).follow(controller)
    assert playhead.line in plot.items and not playhead.visible
    controller.play_span("rec.wav", 3.0, 5.0)
    with qtbot.waitSignal(controller.position_changed, check_params_cb=near(3.5), timeout=2000):
        fake_output.advance(24_000)
    assert playhead.visible and playhead.x == pytest.approx(3.5)
    controller.stop()
    assert not playhead.visible
    playhead.remove()
    assert playhead.line not in plot.items


def test_real_recording_through_the_controller(qtbot, real_data, fake_output) -> None:
    player = Player(stream_factory=fake_output, blocksize=4_800)
    controller = PlaybackController(JobRunner(), player=player)
    path = real_data / "great_tit" / "2021-B32-0415_05-3.wav"  # 22,050 Hz
    controller.band = (3_000.0, 8_000.0)
    assert controller.play_span(path, 0.5, 1.5, speed=0.25)
    assert controller.player.buffer.frames == 4 * 48_000
    assert controller.player.buffer.band == pytest.approx((3_000.0, 8_000.0))
    with qtbot.waitSignal(controller.state_changed, check_params_cb=lambda s: s == "stopped"):
        fake_output.advance(4 * 48_000)
    written = fake_output.stream.written
    assert np.isfinite(written).all() and np.abs(written).max() > 0.001
