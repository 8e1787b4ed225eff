"""Signal helpers and a stand-in recording shared by the playback tests (model and GUI)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def tone(freq: float, rate: int, seconds: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def rms_db(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64).ravel()
    return float(20 * np.log10(np.sqrt(np.mean(x**2)) + 1e-20))


def dominant_hz(x: np.ndarray, rate: int) -> float:
    x = np.asarray(x, dtype=np.float64).ravel()
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.shape[0])))
    return float(np.fft.rfftfreq(x.shape[0], 1 / rate)[int(np.argmax(spectrum))])


@dataclass
class _Info:
    sample_rate: int
    channels: int
    duration: float


class ArrayAudio:
    """Stands in for ``model.audio.AudioFile``: same ``info``/``read`` shape, backed by an array."""

    def __init__(self, samples: np.ndarray, sample_rate: int) -> None:
        self.samples = samples
        self.info = _Info(sample_rate, 1, samples.shape[0] / sample_rate)
        self.reads: list[tuple[float, float]] = []

    def read(self, start: float, duration: float, **_: object) -> np.ndarray:
        self.reads.append((start, duration))
        rate = self.info.sample_rate
        first = round(start * rate)
        return self.samples[first : first + round(duration * rate)].copy()


def hundred_second_ramp(rate: int = 8_000) -> ArrayAudio:
    """100 s of a 1-Hz sawtooth: every sample says where in the second it came from."""
    ramp = (np.arange(rate * 100) % rate / rate).astype(np.float32) * 0.5
    return ArrayAudio(ramp, rate)
