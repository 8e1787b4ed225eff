"""Taxon presets: the clip settings a new project starts with, chosen by what is recorded.

The study's settings (22,050 Hz, 150 Hz-11 kHz) suit songbirds and throw away everything a bat
says. A preset names a band and a sample rate; the rest of the image follows from them by one
rule (``derive_settings``), the same one that gives back the study's settings for its band:

- The clip stays 2 s and 224 STFT frames (the method's image), so a frame is ~9 ms whatever the
  rate: ``hop_length = clip_samples // 223``.
- The FFT window is at least 1.5 hops long, so no instant falls between two windows' tails. A
  3-ms bat call half-way between two frame centres still reaches its neighbours at ~-8 dB
  instead of vanishing (a 2,048-point window at 250 kHz lost some calls by 15 dB).
- The FFT is long enough that its bins are no wider than the narrowest mel band (at ``fmin``):
  otherwise low mel bands catch no bin, or the same one, and the image gets empty or repeated
  rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from model.clips.filters import hz_to_mel, mel_to_hz
from model.clips.settings import ClipSettings

#: Frames of the clip image's STFT: ``1 + clip_samples // hop`` = 224 with hop = samples // 223.
_FRAME_STEPS = 223
#: Recorder sample rates a custom band is matched to (the lowest that holds the band).
STANDARD_RATES = (
    8_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000, 96_000, 192_000, 250_000, 384_000,
)  # fmt: skip
MAX_N_FFT = 1 << 16


@dataclass(frozen=True)
class Preset:
    """One choice in File ▸ New project and ``sonotag project new --preset``."""

    name: str  # the command line's word
    title: str  # what the dialog lists
    examples: str  # who calls in this band
    advice: str  # what to record at
    settings: ClipSettings


def derive_settings(
    sample_rate: int,
    fmin: float,
    fmax: float,
    *,
    db_floor: float = ClipSettings.db_floor,
    db_ceiling: float = ClipSettings.db_ceiling,
) -> ClipSettings:
    """The clip settings for a band at a rate, by the rule in the module docstring."""
    base = ClipSettings()
    samples = round(base.clip_seconds * sample_rate)
    hop = max(1, samples // _FRAME_STEPS)
    n_mels = base.n_mels
    if not 0 <= fmin < fmax <= sample_rate / 2:
        raise ValueError(
            f"the band {fmin:g}-{fmax:g} Hz does not fit a sample rate of {sample_rate} Hz "
            f"(it must lie between 0 Hz and half the rate, {sample_rate / 2:g} Hz)"
        )
    mels = np.linspace(hz_to_mel(np.array([fmin]))[0], hz_to_mel(np.array([fmax]))[0], n_mels + 2)
    edges = mel_to_hz(mels[:2])
    narrowest = float(edges[1] - edges[0])
    n_fft = 1 << max(0, math.ceil(math.log2(1.5 * hop)))
    while sample_rate / n_fft > narrowest and n_fft < min(MAX_N_FFT, samples):
        n_fft *= 2
    return ClipSettings(
        sample_rate=sample_rate,
        n_fft=min(n_fft, samples),
        hop_length=hop,
        n_mels=n_mels,
        fmin=fmin,
        fmax=fmax,
        db_floor=db_floor,
        db_ceiling=db_ceiling,
    )


def rate_for_band(fmax: float) -> int:
    """The lowest standard recorder rate that holds ``fmax`` (its half-rate reaches it)."""
    for rate in STANDARD_RATES:
        if rate / 2 >= fmax:
            return rate
    raise ValueError(
        f"no sample rate up to {STANDARD_RATES[-1]} Hz holds {fmax:g} Hz; choose a lower top"
    )


def custom_settings(fmin: float, fmax: float, sample_rate: int | None = None) -> ClipSettings:
    """Settings for a band of the user's own (the custom preset)."""
    for name, value in (("lowest frequency", fmin), ("highest frequency", fmax)):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"the {name} must be a number of Hz >= 0, got {value!r}")
    if fmin >= fmax:
        raise ValueError(f"the lowest frequency ({fmin:g} Hz) must be below the highest ({fmax:g})")
    return derive_settings(sample_rate or rate_for_band(fmax), float(fmin), float(fmax))


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "songbirds",
            "Songbirds",
            "passerines and most daytime birds (the study's settings)",
            "any recorder at 22.05 kHz or more",
            ClipSettings(),
        ),
        Preset(
            "bats",
            "Bats / ultrasonic",
            "echolocating bats, ultrasonic rodents and bush-crickets",
            "recordings at 250-384 kHz (at 192 kHz only up to 96 kHz is heard)",
            derive_settings(250_000, 15_000.0, 120_000.0, db_floor=-90.0, db_ceiling=-30.0),
        ),
        Preset(
            "low",
            "Low-frequency callers",
            "owls, frogs and toads, deer and other mammals",
            "any recorder at 8 kHz or more",
            derive_settings(8_000, 50.0, 4_000.0),
        ),
        Preset(
            "insects",
            "Insects",
            "crickets, grasshoppers, cicadas and katydids",
            "recordings at 48 kHz or more",
            derive_settings(48_000, 1_000.0, 24_000.0),
        ),
    )
}
DEFAULT_PRESET = "songbirds"
CUSTOM = "custom"
#: Every name ``--preset`` takes, custom last.
PRESET_NAMES = (*PRESETS, CUSTOM)


def preset_named(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"no preset {name!r}; choose one of {', '.join(PRESET_NAMES)}") from None


def preset_of(settings: ClipSettings) -> str:
    """The preset these settings are (by fingerprint), else ``custom``."""
    for preset in PRESETS.values():
        if preset.settings == settings:
            return preset.name
    return CUSTOM


def describe(settings: ClipSettings) -> str:
    """What the model hears, in a biologist's words: band, rate and the clip."""
    return (
        f"{khz(settings.fmin)}–{khz(settings.fmax)} kHz, from audio resampled to "
        f"{khz(settings.sample_rate)} kHz; {settings.clip_seconds:g}-s clips, "
        f"{1000 * settings.hop_length / settings.sample_rate:.0f} ms a column, "
        f"{1000 * settings.n_fft / settings.sample_rate:.0f}-ms FFT window"
    )


def khz(hz: float) -> str:
    """Hz as kHz with the decimals that matter: 150 -> 0.15, 11025 -> 11.025, 120000 -> 120."""
    return f"{hz / 1000:.3f}".rstrip("0").rstrip(".")
