"""Synthesised calls, one 2-s clip per preset: what File ▸ New project shows the model hearing.

Each is built from published call structure, not drawn to look good, and each element's box
(time and band) is returned with it, so a test can measure that the preset's image shows it:

- songbirds: great tit "tea-cher" phrases, a 7.5->5 kHz down-slur then a ~3.7 kHz note,
  five phrases in 2 s (Gosler 1993; the tests also use real great tit song);
- bats: frequency-modulated echolocation calls, 80->30 kHz exponential sweeps of 3-8 ms, ten a
  second with the second harmonic 12 dB down, recorded at 384 kHz (Myotis/Pipistrellus-like
  search-phase calls);
- low: a tawny owl's hoot, a 0.35-s note at ~0.75 kHz with harmonics, a pause and the
  quavering hoot of short pulses; wind rumble below 50 Hz that the preset cuts off;
- insects: field cricket chirps, three to four 20-ms syllables on a 4.7 kHz carrier (harmonic at
  9.4 kHz), about three chirps a second, and a katydid's buzz at 12-20 kHz;
- custom: a log sweep across the chosen band, so any band shows what it spans.

Noise sits at a plausible field level (-70 dB re full scale, white); the generator is seeded, so
the picture is the same on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from model.clips.settings import ClipSettings

if TYPE_CHECKING:
    from model.jobs import Reporter


@dataclass(frozen=True)
class CallBox:
    """One call element: seconds from the clip's start and its band (Hz)."""

    start: float
    end: float
    low_hz: float
    high_hz: float


@dataclass(frozen=True)
class DemoCall:
    samples: np.ndarray  # float32 mono, ``seconds`` long at ``sample_rate``
    sample_rate: int
    boxes: tuple[CallBox, ...]
    caption: str


_SECONDS = 2.0
_NOISE_DB = -70.0


def _db(level: float) -> float:
    return float(10 ** (level / 20))


def _sweep(rate: int, f0: float, f1: float, seconds: float) -> np.ndarray:
    """Exponential frequency sweep f0 -> f1 with a smooth (sin^2) envelope, peak 1."""
    t = np.arange(max(1, round(seconds * rate))) / rate
    if f0 == f1:
        phase = 2 * np.pi * f0 * t
    else:
        k = np.log(f1 / f0) / seconds
        phase = 2 * np.pi * f0 * np.expm1(k * t) / k
    return np.sin(np.pi * t / seconds) ** 2 * np.sin(phase)


class _Clip:
    def __init__(self, rate: int, seed: int) -> None:
        self.rate = rate
        self.rng = np.random.default_rng(seed)
        n = round(_SECONDS * rate)
        self.x = self.rng.normal(0.0, _db(_NOISE_DB), n)
        self.boxes: list[CallBox] = []

    def add(self, start: float, piece: np.ndarray, level_db: float) -> None:
        i = round(start * self.rate)
        piece = piece[: max(0, self.x.shape[0] - i)]
        self.x[i : i + piece.shape[0]] += _db(level_db) * piece

    def element(
        self, start: float, f0: float, f1: float, seconds: float, level_db: float,
        harmonics: tuple[float, ...] = (),
    ) -> None:  # fmt: skip
        """One call element with harmonics given as dB below the fundamental."""
        self.add(start, _sweep(self.rate, f0, f1, seconds), level_db)
        for n, down in enumerate(harmonics, start=2):
            if n * max(f0, f1) < self.rate / 2:
                self.add(start, _sweep(self.rate, n * f0, n * f1, seconds), level_db - down)
        self.boxes.append(CallBox(start, start + seconds, min(f0, f1), max(f0, f1)))

    def done(self, caption: str) -> DemoCall:
        return DemoCall(self.x.astype(np.float32), self.rate, tuple(self.boxes), caption)


def songbird() -> DemoCall:
    clip = _Clip(44_100, seed=1)
    for k in range(5):
        t = 0.1 + 0.36 * k + float(clip.rng.uniform(0, 0.02))
        clip.element(t, 7_500, 5_000, 0.07, -24, harmonics=(25,))
        clip.element(t + 0.11, 3_800, 3_600, 0.1, -22, harmonics=(20,))
    return clip.done("great tit song (synthesised): 'tea-cher' phrases at 3.6–7.5 kHz")


def bats() -> DemoCall:
    clip = _Clip(384_000, seed=2)
    t = 0.03
    while t < _SECONDS - 0.01:
        length = float(clip.rng.uniform(0.003, 0.008))
        clip.element(t, 80_000, 30_000, length, -30, harmonics=(12,))
        t += 0.1 + float(clip.rng.uniform(-0.01, 0.01))
    return clip.done("bat echolocation (synthesised): 80→30 kHz sweeps of 3–8 ms, 10 a second")


def low() -> DemoCall:
    clip = _Clip(16_000, seed=3)
    rumble = clip.rng.normal(0, 1, clip.x.shape[0])
    spectrum = np.fft.rfft(rumble)
    spectrum[np.fft.rfftfreq(rumble.shape[0], 1 / clip.rate) > 40] = 0
    clip.add(0.0, np.fft.irfft(spectrum, rumble.shape[0]) / 0.1, -30)  # wind below 40 Hz
    clip.element(0.1, 760, 720, 0.35, -24, harmonics=(10, 20))
    clip.element(0.95, 700, 720, 0.12, -28, harmonics=(10, 20))
    for k in range(6):
        clip.element(1.2 + 0.085 * k, 740, 700, 0.06, -26, harmonics=(10, 20))
    return clip.done("tawny owl hoot (synthesised): 0.7 kHz with harmonics; wind below 40 Hz")


def insects() -> DemoCall:
    clip = _Clip(48_000, seed=4)
    t = 0.05
    while t < _SECONDS - 0.15:
        for s in range(int(clip.rng.integers(3, 5))):
            clip.element(t + 0.035 * s, 4_700, 4_650, 0.02, -24, harmonics=(15,))
        t += 0.33
    buzz = np.zeros(round(0.8 * clip.rate))
    for f in np.linspace(12_000, 20_000, 17):  # a broadband buzz: many close partials
        buzz += _sweep(clip.rate, f, f, 0.8) * clip.rng.uniform(0.5, 1)
    clip.add(1.0, buzz / 8, -26)
    clip.boxes.append(CallBox(1.0, 1.8, 12_000, 20_000))
    return clip.done("field cricket chirps at 4.7 kHz, a katydid buzz at 12–20 kHz (synthesised)")


def sweep(settings: ClipSettings) -> DemoCall:
    """A log sweep over the middle of the band (custom settings have no call of their own)."""
    clip = _Clip(settings.sample_rate, seed=5)
    low_hz = max(settings.fmin * 1.1, 20.0)
    high_hz = settings.fmax * 0.9
    clip.element(0.2, low_hz, high_hz, 1.6, -20)
    ratio = high_hz / low_hz  # the sweep in eight boxes, so each box hugs its piece of it
    edges = [low_hz * ratio ** (i / 8) for i in range(9)]
    clip.boxes[:] = [CallBox(0.2 + i / 5, 0.4 + i / 5, edges[i], edges[i + 1]) for i in range(8)]
    return clip.done(f"a test sweep across the band ({low_hz:.0f}–{high_hz:.0f} Hz)")


_BY_PRESET = {"songbirds": songbird, "bats": bats, "low": low, "insects": insects}


def demo_call(preset: str, settings: ClipSettings) -> DemoCall:
    """The demo clip for a preset name; custom (or unknown) settings get the band sweep."""
    make = _BY_PRESET.get(preset)
    return make() if make is not None else sweep(settings)


def demo_image(preset: str, settings: ClipSettings) -> tuple[np.ndarray, DemoCall]:
    """The clip image of the preset's demo call, resampled as a recording would be."""
    from model.audio.reader import resample_span, resampling_margin
    from model.clips.image import clip_image

    call = demo_call(preset, settings)
    samples = call.samples
    if call.sample_rate != settings.sample_rate:
        margin = resampling_margin(call.sample_rate, settings.sample_rate)
        samples = resample_span(
            np.pad(samples, margin), call.sample_rate, settings.sample_rate, margin,
            settings.clip_samples,
        )  # fmt: skip
    return clip_image(samples[: settings.clip_samples], settings), call


def demo_image_job(
    reporter: Reporter, preset: str, settings: dict[str, Any]
) -> tuple[np.ndarray, str]:
    """Job form of ``demo_image`` for the New project dialog (a clip costs up to a second on a
    busy laptop: not on the GUI thread). Returns the image and the call's caption."""
    reporter.check()
    image, call = demo_image(preset, ClipSettings.from_dict(settings))
    return image, call.caption
