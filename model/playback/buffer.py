"""Turns recording samples into a buffer the audio callback can copy from without thinking.

Everything slow (band-pass, time expansion, resampling, gain) happens here, on the caller's
thread, so that the real-time callback in ``engine`` only slices a preallocated array.

Time expansion is the bat-detector kind: at speed ``s`` the samples are played at
``rate * s``, so a call lasts ``1/s`` times longer and every frequency is multiplied by ``s``
(0.25x brings a 40 kHz bat call down to an audible 10 kHz). Sound cards only run at a few
standard rates, so the samples are then resampled (soxr) to the output rate; the mapping from
output frame to recording time stays linear: ``t = start_time + frame * speed / output_rate``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MIN_SPEED = 0.25
MAX_SPEED = 2.0
LOWEST_BAND_HZ = 20.0
BAND_EDGE_FRACTION = 0.45  # of the sample rate: keeps the filter's upper edge below Nyquist
FILTER_ORDER = 4  # per edge; sosfiltfilt runs it twice, so the skirts fall at ~48 dB/octave
HEADROOM = 10 ** (-1 / 20)  # -1 dBFS
DEFAULT_OUTPUT_RATE = 48_000
STANDARD_RATES = (44_100, 48_000)
FROM_CURSOR_MAX_SECONDS = 60.0  # one "play from cursor" buffer; longer plays are re-requested


@dataclass(frozen=True)
class PreparedBuffer:
    """Samples ready for the sound card plus what is needed to map frames back to the recording.

    ``data`` is float32, shape (n, 1), C-contiguous: exactly what ``outdata`` expects.
    """

    data: np.ndarray
    output_rate: int
    source_rate: int
    speed: float
    start_time: float = 0.0  # seconds in the recording of frame 0
    band: tuple[float, float] | None = None  # the filter actually applied (recording Hz)
    gain: float = 1.0  # the factor applied after filtering (1.0 unless it would have clipped)

    @property
    def frames(self) -> int:
        return int(self.data.shape[0])

    @property
    def recording_duration(self) -> float:
        """Seconds of the recording this buffer covers (not how long it takes to play)."""
        return self.frames * self.speed / self.output_rate

    @property
    def playing_duration(self) -> float:
        return self.frames / self.output_rate

    @property
    def end_time(self) -> float:
        return self.start_time + self.recording_duration

    def time_at(self, frame: int) -> float:
        """Seconds in the recording heard at output ``frame`` (clamped to the buffer)."""
        frame = min(max(int(frame), 0), self.frames)
        return self.start_time + frame * self.speed / self.output_rate

    def frame_at(self, time_in_recording: float) -> int:
        """The output frame that plays ``time_in_recording`` (clamped to the buffer)."""
        frame = round((time_in_recording - self.start_time) * self.output_rate / self.speed)
        return min(max(frame, 0), self.frames)


def check_speed(speed: float) -> float:
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ValueError(f"playback speed must be between {MIN_SPEED} and {MAX_SPEED}, got {speed}")
    return float(speed)


def choose_output_rate(sample_rate: int, speed: float) -> int:
    """A standard rate; the effective rate itself when it already is one (then no resampling)."""
    effective = sample_rate * speed
    for rate in STANDARD_RATES:
        if abs(effective - rate) < 1e-6:
            return rate
    return DEFAULT_OUTPUT_RATE


def output_band(
    band: tuple[float, float] | None, speed: float, output_rate: int
) -> tuple[float, float] | None:
    """The band in output Hz (recording Hz times speed), clamped; None when nothing to cut.

    Filtering after resampling is equivalent to filtering the recording (a tone at f Hz plays at
    f*speed Hz) and runs on the output rate, usually far below a bat recorder's 384 kHz.
    """
    if band is None:
        return None
    low, high = (float(band[0]), float(band[1]))
    if not high > low:
        raise ValueError(f"band-pass needs low < high, got {band}")
    top = BAND_EDGE_FRACTION * output_rate
    low_out = max(low * speed, LOWEST_BAND_HZ)
    high_out = min(high * speed, top)
    if low_out <= LOWEST_BAND_HZ and high_out >= top:
        return None
    # A band entirely above what the output can carry degenerates to the topmost sliver.
    low_out = min(low_out, top * 0.9)
    return (low_out, max(high_out, low_out * 1.05))


def band_pass(samples: np.ndarray, rate: int, band_out: tuple[float, float]) -> np.ndarray:
    """Zero-phase Butterworth, so clicks and call onsets stay where the spectrogram shows them."""
    from scipy.signal import butter, sosfiltfilt

    low, high = band_out
    top = BAND_EDGE_FRACTION * rate
    if low <= LOWEST_BAND_HZ:
        sos = butter(FILTER_ORDER, high, btype="lowpass", fs=rate, output="sos")
    elif high >= top:
        sos = butter(FILTER_ORDER, low, btype="highpass", fs=rate, output="sos")
    else:
        sos = butter(FILTER_ORDER, (low, high), btype="bandpass", fs=rate, output="sos")
    if samples.shape[0] <= 3 * (2 * sos.shape[0] + 1):
        return samples  # too short for filtfilt's edge padding; a few samples need no filter
    return sosfiltfilt(sos, samples).astype(np.float32)


def prepare_buffer(
    samples: np.ndarray,
    sample_rate: int,
    *,
    speed: float = 1.0,
    band: tuple[float, float] | None = None,
    output_rate: int | None = None,
    start_time: float = 0.0,
    normalize: bool = False,
) -> PreparedBuffer:
    """Band-pass (recording Hz), time-expand by ``speed`` and resample to ``output_rate``.

    Gain: by default the level is left as recorded, so a distant call still sounds quieter than
    a near one (that difference is information). Only if filtering or resampling ringing pushed
    the peak past full scale is the buffer scaled down to -1 dBFS. ``normalize=True`` brings the
    peak to -1 dBFS either way, for very quiet recorders.
    """
    speed = check_speed(speed)
    if sample_rate <= 0:
        raise ValueError(f"sample rate must be positive, got {sample_rate}")
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1:
        raise ValueError(f"playback takes mono samples (1-D), got shape {x.shape}")
    x = np.nan_to_num(x, copy=False, nan=0.0, posinf=1.0, neginf=-1.0)
    out_rate = int(output_rate) if output_rate else choose_output_rate(sample_rate, speed)
    effective = sample_rate * speed
    target = round(x.shape[0] * out_rate / effective)
    if x.shape[0] and abs(effective - out_rate) > 1e-6:
        import soxr

        x = soxr.resample(np.ascontiguousarray(x), effective, out_rate)
    # soxr's length can differ by a sample from the exact ratio; the frame<->time mapping needs
    # the exact count.
    if x.shape[0] > target:
        x = x[:target]
    elif x.shape[0] < target:
        x = np.concatenate([x, np.zeros(target - x.shape[0], dtype=np.float32)])
    applied = output_band(band, speed, out_rate)
    if applied is not None and x.shape[0]:
        x = band_pass(x, out_rate, applied)
    peak = float(np.max(np.abs(x))) if x.shape[0] else 0.0
    gain = 1.0
    if peak > 0 and (normalize or peak > 1.0):
        gain = HEADROOM / peak
        x = x * np.float32(gain)
    data = np.ascontiguousarray(x, dtype=np.float32).reshape(-1, 1)
    recording_band = None if applied is None else (applied[0] / speed, applied[1] / speed)
    return PreparedBuffer(
        data=data,
        output_rate=out_rate,
        source_rate=int(sample_rate),
        speed=speed,
        start_time=float(start_time),
        band=recording_band,
        gain=gain,
    )


def _open_audio_file(path: Path) -> Any:
    from model.audio import AudioFile

    return AudioFile(path)


def load_clip(
    reporter: Any,
    path: str | Path,
    start: float,
    end: float | None,
    *,
    speed: float = 1.0,
    band: tuple[float, float] | None = None,
    output_rate: int | None = None,
    normalize: bool = False,
    max_seconds: float = FROM_CURSOR_MAX_SECONDS,
    open_audio: Callable[[Path], Any] | None = None,
) -> PreparedBuffer:
    """Job: read ``start``..``end`` (None = to the end, capped at ``max_seconds``) mixed to mono
    and prepare it. Runs in a worker thread for "play from cursor" on long files."""
    path = Path(path)
    audio = (open_audio or _open_audio_file)(path)
    try:
        duration = float(audio.info.duration)
        start = min(max(float(start), 0.0), duration)
        stop = duration if end is None else min(float(end), duration)
        stop = min(stop, start + max_seconds)
        reporter.update(0, 2, f"reading {path.name}")
        samples = audio.read(start, max(stop - start, 0.0))
        rate = int(audio.info.sample_rate)
    finally:
        close = getattr(audio, "close", None)
        if close is not None:
            close()  # AudioFile holds a libsndfile handle and belongs to this thread only
    reporter.update(1, 2, "preparing playback")
    buffer = prepare_buffer(
        samples,
        rate,
        speed=speed,
        band=band,
        output_rate=output_rate,
        start_time=start,
        normalize=normalize,
    )
    reporter.update(2, 2, "ready")
    return buffer
