"""What Sonotag knows about a recording once it is opened: the ``AudioInfo`` record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

# Lower-case; discovery compares ``suffix.lower()`` so ``.WAV`` from AudioMoth cards matches.
AUDIO_EXTENSIONS: frozenset[str] = frozenset({".wav", ".flac", ".ogg", ".mp3"})


@dataclass(frozen=True)
class AudioInfo:
    """Facts about one recording; ``frames`` is what can actually be read, not what was promised.

    ``warning`` is non-empty only for a truncated file opened with ``allow_truncated=True``.
    """

    path: Path
    format: str  # "WAV", "FLAC", "OGG", "MP3"
    sample_rate: int
    channels: int
    frames: int
    duration: float  # seconds
    start_time: datetime | None  # timezone-aware; None when no clue gives it
    start_time_source: str | None  # "guano" | "audiomoth-filename" | "audiomoth-comment" | ...
    subtype: str = ""  # e.g. "PCM_16"
    warning: str = ""
    site: str = ""  # GUANO site, AudioMoth id or folder name (``model.audio.site``)
    site_source: str | None = None  # "guano" | "audiomoth-id" | "folder"
