"""The rows of a project as frozen dataclasses, so callers never see SQLite rows or raw millis.

Frozen because they are snapshots: the GUI and the undo commands keep them around, and a
snapshot that changed under them would make undo restore the wrong state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any


class LabelState(StrEnum):
    """What the annotator said about a class in a clip; ABSENT is a real negative for training."""

    PRESENT = "present"
    ABSENT = "absent"
    UNCERTAIN = "uncertain"


@dataclass(frozen=True)
class Recording:
    id: int
    path: Path  # absolute, resolved against the project directory
    stored_path: str  # as written in the file: posix relative to the project dir, or absolute
    fingerprint: str
    sample_rate: int
    channels: int
    frames: int
    duration: float
    start_time: datetime | None
    added: datetime
    start_time_source: str | None = None
    format: str = ""
    site: str = ""  # where it was recorded (``model.project.sites``)
    site_source: str | None = None  # "guano" | "audiomoth-id" | "folder" | "edited"

    @property
    def exists(self) -> bool:
        return self.path.is_file()


@dataclass(frozen=True)
class LabelClass:
    id: int
    name: str
    colour: str  # "#rrggbb"
    shortcut: str | None  # a single key such as "1"
    position: int


@dataclass(frozen=True)
class Label:
    id: int
    recording_id: int
    start: float  # seconds, rounded to the millisecond
    end: float
    class_id: int
    state: LabelState
    author: str
    created: datetime  # when this (clip, class) was last set
    note: str = ""

    @property
    def start_ms(self) -> int:
        return round(self.start * 1000)

    @property
    def end_ms(self) -> int:
        return round(self.end * 1000)


@dataclass(frozen=True)
class Box:
    """A time-frequency box: one class's state on a span of time and a band of frequencies.

    Times are seconds as drawn or imported (not rounded to the millisecond like clip labels,
    so a Raven selection comes back out exactly as it went in); frequencies are Hz.
    """

    id: int
    recording_id: int
    start: float
    end: float
    low_hz: float
    high_hz: float
    class_id: int
    state: LabelState
    author: str
    created: datetime  # when the box was last changed
    note: str = ""

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class ModelRecord:
    id: int
    name: str
    file: Path  # absolute, resolved against the project directory
    manifest: dict[str, Any] = field(hash=False)
    metrics: dict[str, Any] = field(hash=False)
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    active: bool = False

    @property
    def clip_seconds(self) -> float:
        """The window length the model scored with (its manifest's clip settings); the
        default clip length for a manifest that does not say, since every window drawn from
        its scores depends on it."""
        from model.clips.geometry import DEFAULT_CLIP_SECONDS

        settings = self.manifest.get("clip_settings") or {}
        try:
            value = float(settings.get("clip_seconds", DEFAULT_CLIP_SECONDS))
        except (TypeError, ValueError):
            return DEFAULT_CLIP_SECONDS
        return value if math.isfinite(value) and value > 0 else DEFAULT_CLIP_SECONDS


def now_utc() -> datetime:
    return datetime.now(UTC)


def to_ms(seconds: float) -> int:
    """Times are stored as integer milliseconds so equal clips compare equal after float maths."""
    return round(float(seconds) * 1000)


def dt_to_text(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def dt_from_text(text: str | None) -> datetime | None:
    return None if not text else datetime.fromisoformat(text)
