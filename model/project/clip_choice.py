"""The project's clip settings: chosen once (a preset or a band of the user's own), then frozen.

They live in the meta table as JSON (``clip_settings``); a project that never chose has today's
defaults, the songbird preset. A trained model and the feature cache are tied to the settings'
fingerprint, so once either exists a change would strand them: it is refused, naming what holds
the settings, and the user starts a new project for another taxon instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from model.clips.settings import ClipSettings
from model.errors import ProjectError
from model.project.feature_cache import cache_folder

CLIP_SETTINGS_META = "clip_settings"


def stored_clip_settings(project: Any) -> ClipSettings:
    """The settings in the project's meta table, else the defaults (the songbird preset)."""
    text = project.get_meta(CLIP_SETTINGS_META) if hasattr(project, "get_meta") else None
    return ClipSettings.from_dict(json.loads(text)) if text else ClipSettings()


def frozen_because(project: Any) -> str | None:
    """Why the settings can no longer change (models or cached features), or None."""
    models = project.models()
    if models:
        return f"{len(models)} trained model(s) were made with the current clip settings"
    features = cache_folder(project.path) / "features"
    if _has_entries(features):
        return f"clip features are cached with the current settings ({features})"
    return None


def _has_entries(folder: Path) -> bool:
    try:
        return any(folder.iterdir())
    except OSError:  # absent (the usual case) or unreadable: nothing holds the settings there
        return False


def choose_clip_settings(project: Any, settings: ClipSettings) -> None:
    """Stores ``settings`` as the project's, unless something already depends on the old ones."""
    if settings == stored_clip_settings(project):
        return
    why = frozen_because(project)
    if why is not None:
        raise ProjectError(
            project.path,
            f"its clip settings cannot change any more: {why}; start a new project for "
            "another preset",
        )
    project.set_meta(CLIP_SETTINGS_META, json.dumps(settings.to_dict(), sort_keys=True))


def rate_warning(settings: ClipSettings, sample_rate: int) -> str | None:
    """Why a recording at ``sample_rate`` cannot give this project's model what it listens for
    (a 48 kHz file in a bat project holds nothing above 24 kHz), or None when it can.

    A top a little short of the band is common and harmless (songbird settings reach 11 kHz, many
    recorders run at 16 kHz); losing more than 30 % of the top of the band is worth a word.
    """
    top = sample_rate / 2
    if top >= 0.7 * settings.fmax:
        return None
    from model.clips.presets import khz

    heard = "none of it" if top <= settings.fmin else f"only up to {khz(top)} kHz"
    return (
        f"recorded at {khz(sample_rate)} kHz: of the project's band "
        f"({khz(settings.fmin)}-{khz(settings.fmax)} kHz) it holds {heard}, so calls above "
        "that are not in it"
    )
