"""clip_images and window_starts: many windows of one recording, the file read once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import model.clips.batch as batch
from model.audio import AudioFile
from model.clips import ClipSettings, clip_image, clip_images, window_starts
from model.clips.image import colour_lut
from model.errors import AudioError
from model.jobs import Cancelled, Reporter
from tests.model.clips.reference_v1 import clip_image_v1
from tests.model.clips.signals import noise, tone
from tests.model.clips.tolerance import assert_same_picture

# ---------------------------------------------------------------------------- window_starts


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        (10.0, [0, 1, 2, 3, 4, 5, 6, 7, 8]),  # last window ends exactly at the end
        (10.5, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),  # one padded window covers the last 0.5 s
        (2.0, [0]),
        (2.3, [0, 1]),
        (1.0, [0]),  # shorter than a clip
        (0.0, [0]),
    ],
)
def test_window_starts_cover_the_recording(duration: float, expected: list[float]) -> None:
    starts = window_starts(duration, 2.0, 1.0)
    assert starts.dtype == np.float64
    assert starts.tolist() == [float(s) for s in expected]
    assert starts[-1] + 2.0 >= duration  # the end is covered
    assert starts[-1] < max(duration, 1e-9)  # no window starts after the end


def test_window_starts_fractional_hop_has_no_float_creep() -> None:
    starts = window_starts(3.0, 2.0, 0.1)
    assert len(starts) == 11  # 0.0 .. 1.0
    assert starts[-1] == pytest.approx(1.0)
    assert starts[3] == 3 * 0.1  # multiplied, not accumulated


def test_window_starts_hop_longer_than_clip() -> None:
    assert window_starts(10.0, 2.0, 3.0).tolist() == [0.0, 3.0, 6.0, 9.0]


@pytest.mark.parametrize(
    "args", [(-1.0, 2.0, 1.0), (10.0, 2.0, 0.0), (10.0, 0.0, 1.0), (float("nan"), 2.0, 1.0)]
)
def test_window_starts_refuses_nonsense(args: tuple[float, float, float]) -> None:
    with pytest.raises(ValueError):
        window_starts(*args)


# ---------------------------------------------------------------------------- clip_images


@pytest.fixture
def song_48k(write_wav: Callable[..., Path]) -> Path:
    """12.3 s at 48 kHz: noise floor plus tones that change every second (windows differ)."""
    rate = 48000
    x = noise(12.3, rate, amplitude=0.003, seed=7)
    for k in range(12):
        seg = tone(1500 + 600 * k, 0.4, rate, 0.05)
        x[k * rate : k * rate + seg.size] += seg
    return write_wav(x, rate, "song48k.wav", subtype="PCM_16")


def _reference(
    path: Path,
    starts: list[float],
    s: ClipSettings,
    channel: int | None = None,
    draw: Callable[[np.ndarray, ClipSettings], np.ndarray] = clip_image_v1,
) -> np.ndarray:
    """Each clip read (and resampled) on its own, drawn as before the fast path."""
    with AudioFile(path) as af:
        return np.stack(
            [
                draw(
                    af.read(
                        t, s.clip_seconds, channel=channel, sample_rate=s.sample_rate, pad=True
                    ),
                    s,
                )
                for t in starts
            ]
        )


def test_matches_clip_image_of_audiofile_read(
    song_48k: Path, settings: ClipSettings, levels
) -> None:
    starts = [3.0, 0.0, 7.25, 0.0, 11.0, 10.9, 1.0 / 3.0]  # unsorted, duplicate, past the end
    images = clip_images(song_48k, starts, settings)
    assert images.shape == (len(starts), 224, 224, 3)
    assert images.dtype == np.uint8 and images.flags.c_contiguous
    # Whole seconds share one resampled span; 7.25, 10.9 and 1/3 s are off its grid and are
    # resampled on their own, exactly as AudioFile.read does.
    reference = _reference(song_48k, starts, settings)
    assert_same_picture(images, reference, levels)
    for off_grid in (2, 5, 6):
        assert np.array_equal(images[off_grid], reference[off_grid])
    assert np.array_equal(images[1], images[3])  # same window twice, same bytes


def test_span_is_resampled_once_for_windows_on_its_grid(
    song_48k: Path, settings: ClipSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import model.audio.reader as reader

    calls: list[int] = []
    original = reader.resample

    def counted(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
        calls.append(len(x))
        return original(x, rate_in, rate_out)

    monkeypatch.setattr(batch, "resample", counted)
    monkeypatch.setattr(reader, "resample", counted)
    clip_images(song_48k, window_starts(12.3, 2.0, 1.0), settings)
    assert len(calls) == 1  # 11 windows, one resampled span
    calls.clear()
    clip_images(song_48k, [0.0, 1.0 / 3.0, 5.0], settings)  # sparse and off the grid: each alone
    assert len(calls) == 3


def test_matches_at_the_native_rate(write_wav: Callable[..., Path], settings: ClipSettings) -> None:
    path = write_wav(noise(5.5, 22050, 0.01, seed=2) + tone(4000, 5.5, 22050, 0.02), 22050)
    starts = window_starts(5.5, 2.0, 0.5).tolist()
    images = clip_images(path, starts, settings)  # nothing to resample: the same samples
    assert np.array_equal(images, _reference(path, starts, settings, draw=clip_image))


def test_image_does_not_depend_on_the_batch(
    song_48k: Path, settings: ClipSettings, monkeypatch: pytest.MonkeyPatch, levels
) -> None:
    starts = window_starts(12.3, 2.0, 0.5)
    whole = clip_images(song_48k, starts, settings)
    assert np.array_equal(whole, clip_images(song_48k, starts, settings))  # it repeats
    monkeypatch.setattr(batch, "MAX_CHUNK_SECONDS", 3.0)  # many small spans
    chunked = clip_images(song_48k, starts[::-1], settings)[::-1]
    alone = clip_images(song_48k, starts[7:8], settings)
    assert_same_picture(whole, chunked, levels)
    assert_same_picture(whole[7], alone[0], levels)


def test_different_windows_give_different_images(song_48k: Path, settings: ClipSettings) -> None:
    images = clip_images(song_48k, window_starts(12.3, 2.0, 1.0), settings)
    assert len({img.tobytes() for img in images}) == len(images)


def test_window_past_the_end_is_padded(
    write_wav: Callable[..., Path], settings: ClipSettings
) -> None:
    x = tone(3000, 3.0, 22050, 0.05)
    path = write_wav(x, 22050)
    tail, beyond = clip_images(path, [2.0, 5.0], settings)
    padded = np.concatenate([x[2 * 22050 :], np.zeros(22050, np.float32)])
    assert np.array_equal(tail, clip_image(padded, settings))
    assert (beyond == colour_lut(settings.colormap)[0]).all()  # entirely after the end: silence
    assert (tail[:, 150:] == colour_lut(settings.colormap)[0]).all()  # padded half is dark


class _Counter:
    def __init__(self) -> None:
        self.read_frames: list[tuple[int, int]] = []
        self.read = 0


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> _Counter:
    """Counts every AudioFile.read_frames / AudioFile.read call (frames asked for)."""
    counter = _Counter()
    original_frames, original_read = AudioFile.read_frames, AudioFile.read

    def read_frames(self, start_frame, n_frames, **kw):
        counter.read_frames.append((int(start_frame), int(n_frames)))
        return original_frames(self, start_frame, n_frames, **kw)

    def read(self, *a, **kw):
        counter.read += 1
        return original_read(self, *a, **kw)

    monkeypatch.setattr(AudioFile, "read_frames", read_frames)
    monkeypatch.setattr(AudioFile, "read", read)
    return counter


def test_short_recording_is_read_in_one_call(
    song_48k: Path, settings: ClipSettings, counted: _Counter
) -> None:
    clip_images(song_48k, window_starts(12.3, 2.0, 0.5), settings)
    assert counted.read == 0
    assert len(counted.read_frames) == 1
    assert counted.read_frames[0] == (0, round(12.3 * 48000))  # whole file, once


def test_long_span_is_read_in_bounded_pieces_each_frame_once(
    song_48k: Path, settings: ClipSettings, counted: _Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "MAX_CHUNK_SECONDS", 3.0)
    clip_images(song_48k, window_starts(12.3, 2.0, 1.0), settings)
    spans = counted.read_frames
    assert len(spans) > 3
    # Consecutive pieces touch but never overlap: every frame is read exactly once.
    for (a, n), (b, _) in zip(spans, spans[1:], strict=False):
        assert b == a + n
    assert spans[0][0] == 0 and sum(n for _, n in spans) == round(12.3 * 48000)
    assert max(n for _, n in spans) <= 3.0 * 48000 + 2 * 48000  # bounded memory


def test_sparse_windows_skip_the_gap(
    song_48k: Path, settings: ClipSettings, counted: _Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "MAX_CHUNK_SECONDS", 3.0)
    clip_images(song_48k, [0.0, 9.0], settings)
    assert len(counted.read_frames) == 2
    assert sum(n for _, n in counted.read_frames) < 6 * 48000  # not the 9 s between


def test_channel_choice(write_wav: Callable[..., Path], settings: ClipSettings, levels) -> None:
    rate = 44100
    left = tone(1000, 4.0, rate, 0.05)
    right = tone(6000, 4.0, rate, 0.05)
    path = write_wav(np.stack([left, right], axis=1), rate, "stereo.wav")
    starts = [0.0, 1.5]
    ch0 = clip_images(path, starts, settings, channel=0)
    ch1 = clip_images(path, starts, settings, channel=1)
    mix = clip_images(path, starts, settings)
    assert_same_picture(ch0, _reference(path, starts, settings, channel=0), levels)
    assert_same_picture(ch1, _reference(path, starts, settings, channel=1), levels)
    assert_same_picture(mix, _reference(path, starts, settings, channel=None), levels)
    row0 = int(np.argmax(levels(ch0[0]).mean(axis=1)))
    row1 = int(np.argmax(levels(ch1[0]).mean(axis=1)))
    assert row1 < row0  # 6 kHz sits higher in the picture than 1 kHz
    rows_mix = levels(mix[0]).mean(axis=1)
    assert rows_mix[row0] > 150 and rows_mix[row1] > 150  # the mix-down holds both
    with pytest.raises(ValueError, match="channel"):
        clip_images(path, starts, settings, channel=2)


def test_open_audiofile_is_used_and_left_open(song_48k: Path, settings: ClipSettings) -> None:
    with AudioFile(song_48k) as af:
        a = clip_images(af, [1.0], settings)
        b = clip_images(af, [1.0], settings)  # still usable
        assert np.array_equal(a, b)
    assert np.array_equal(a, clip_images(str(song_48k), [1.0], settings))


def test_reporter_gets_progress_and_can_cancel(song_48k: Path, settings: ClipSettings) -> None:
    seen: list[tuple[float, float | None]] = []
    starts = window_starts(12.3, 2.0, 0.25)
    clip_images(
        song_48k, starts, settings, reporter=Reporter(lambda p: seen.append((p.done, p.total)))
    )
    assert seen[-1] == (len(starts), len(starts))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) >= 3

    reporter = Reporter(lambda p: reporter.cancel())
    with pytest.raises(Cancelled):
        clip_images(song_48k, starts, settings, reporter=reporter)


def test_batch_callback_streams_every_image_once(
    song_48k: Path, settings: ClipSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "MAX_CHUNK_SECONDS", 4.0)
    starts = window_starts(12.3, 2.0, 1.0)[::-1]
    got: dict[int, np.ndarray] = {}

    def on_batch(indices: np.ndarray, images: np.ndarray) -> None:
        assert len(indices) == len(images)
        for i, img in zip(indices, images, strict=True):
            assert int(i) not in got
            got[int(i)] = img.copy()

    result = clip_images(song_48k, starts, settings, batch_callback=on_batch)
    assert sorted(got) == list(range(len(starts)))
    assert all(np.array_equal(got[i], result[i]) for i in got)


def test_empty_and_bad_starts(song_48k: Path, settings: ClipSettings) -> None:
    assert clip_images(song_48k, [], settings).shape == (0, 224, 224, 3)
    with pytest.raises(ValueError, match="negative"):
        clip_images(song_48k, [-0.5], settings)
    with pytest.raises(ValueError):
        clip_images(song_48k, [[0.0, 1.0]], settings)


def test_missing_file_is_an_audio_error(tmp_path: Path, settings: ClipSettings) -> None:
    with pytest.raises(AudioError, match="not found"):
        clip_images(tmp_path / "nope.wav", [0.0], settings)
