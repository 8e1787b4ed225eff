"""The one frozen object that decides what a clip image looks like.

A trained model only makes sense on images made exactly like the ones it was trained on, so every
knob of the image pipeline lives here, is saved with each model (``to_dict``) and is compared by
``fingerprint``. ``version`` names the image *algorithm*: when the code in ``image.py`` changes
what it draws, the version is bumped and old settings are refused rather than silently producing
different pictures.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, fields
from typing import Any

#: The image algorithm this code implements; settings of any other version are refused.
CLIP_SETTINGS_VERSION = 1

_INT_FIELDS = ("version", "sample_rate", "n_fft", "hop_length", "n_mels", "image_size")
_FLOAT_FIELDS = ("clip_seconds", "fmin", "fmax", "db_floor", "db_ceiling")
_STR_FIELDS = ("colormap",)


@dataclass(frozen=True)
class ClipSettings:
    """Parameters of the clip image (Morales et al. 2022: 2-s colour STFT-Mel, 224x224x3).

    Defaults chosen on the real recordings in ``tests/data``:

    - 22,050 Hz keeps everything up to 11 kHz (songbirds) while a 2-s clip stays 44,100 samples;
      ultrasonic (bat) recordings are low-passed by this, which a later version may revisit.
    - ``hop_length`` 197 gives exactly 1 + 44100 // 197 = 224 STFT frames per clip, so the time
      axis needs no resampling at the default size.
    - ``fmin`` 150 Hz hides wind and handling rumble that would otherwise fill the bottom rows.
    - dB are absolute: 0 dB is a full-scale sine, so a quiet clip looks quiet. -80..-20 dB was
      picked by eye on great tit, storm-petrel and Bengalese finch clips: field background (about
      -85..-65 dB per band) stays dark blue, calls are green to yellow, loud ones barely saturate.
    """

    version: int = CLIP_SETTINGS_VERSION
    clip_seconds: float = 2.0
    sample_rate: int = 22050
    n_fft: int = 1024
    hop_length: int = 197
    n_mels: int = 128
    fmin: float = 150.0
    fmax: float = 11025.0
    db_floor: float = -80.0
    db_ceiling: float = -20.0
    colormap: str = "viridis"
    image_size: int = 224

    def __post_init__(self) -> None:
        for name in _INT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"clip setting {name!r} must be an integer, got {value!r}")
        for name in _FLOAT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"clip setting {name!r} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"clip setting {name!r} must be finite, got {value!r}")
            # 2 and 2.0 are equal settings, so they must serialise (and fingerprint) alike.
            object.__setattr__(self, name, float(value))
        if not isinstance(self.colormap, str) or not self.colormap:
            raise ValueError(
                f"clip setting 'colormap' must be a colour map name, got {self.colormap!r}"
            )
        if self.version != CLIP_SETTINGS_VERSION:
            raise ValueError(
                f"clip setting 'version' is {self.version}, but this Sonotag draws clip images "
                f"of version {CLIP_SETTINGS_VERSION}; images would not match the model"
            )
        for name in ("clip_seconds", "sample_rate", "n_fft", "hop_length", "n_mels", "image_size"):
            value = getattr(self, name)
            if value <= 0:
                raise ValueError(f"clip setting {name!r} must be positive, got {value}")
        if self.fmin < 0:
            raise ValueError(f"clip setting 'fmin' must not be negative, got {self.fmin}")
        if not self.fmin < self.fmax <= self.sample_rate / 2:
            raise ValueError(
                f"clip setting 'fmax' ({self.fmax} Hz) must lie above 'fmin' ({self.fmin} Hz) and "
                f"at most at half the sample rate ({self.sample_rate / 2} Hz)"
            )
        if not self.db_floor < self.db_ceiling:
            raise ValueError(
                f"clip setting 'db_floor' ({self.db_floor}) must be below 'db_ceiling' "
                f"({self.db_ceiling})"
            )
        if self.clip_samples < self.n_fft // 2 + 1:
            raise ValueError(
                f"clip setting 'clip_seconds' ({self.clip_seconds} s) is too short for "
                f"'n_fft' {self.n_fft}"
            )

    @property
    def clip_samples(self) -> int:
        """Samples in one clip at ``sample_rate``: what ``clip_image`` expects."""
        return round(self.clip_seconds * self.sample_rate)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.image_size, self.image_size, 3)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict with every field, to be stored next to a model."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ClipSettings:
        """Rebuild saved settings; anything unknown, missing or of another version is refused.

        Missing keys are not filled with today's defaults: defaults may change, and a model must
        get back exactly the images it was trained on.
        """
        if not isinstance(d, dict):
            raise ValueError(f"clip settings must be a mapping, got {type(d).__name__}")
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(d) - set(names), key=str)
        if unknown:
            raise ValueError(f"unknown clip setting {unknown[0]!r}")
        missing = [n for n in names if n not in d]
        if missing:
            raise ValueError(f"clip setting {missing[0]!r} is missing")
        if d["version"] != CLIP_SETTINGS_VERSION:
            raise ValueError(
                f"clip setting 'version' is {d['version']!r}, but this Sonotag draws clip images "
                f"of version {CLIP_SETTINGS_VERSION}"
            )
        return cls(**d)

    def fingerprint(self) -> str:
        """SHA-256 (hex) of the canonical JSON: equal settings give equal fingerprints."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
