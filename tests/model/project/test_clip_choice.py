"""A project's clip settings: chosen while nothing depends on them, frozen after."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.clips import ClipSettings
from model.clips.presets import PRESETS
from model.errors import ProjectError
from model.ml.features import clip_settings_of
from model.project import Project
from model.project.clip_choice import (
    choose_clip_settings,
    frozen_because,
    rate_warning,
    stored_clip_settings,
)
from model.project.feature_cache import cache_folder

BATS = PRESETS["bats"].settings


def test_a_new_project_hears_songbirds_until_told_otherwise(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.sonotag") as project:
        assert stored_clip_settings(project) == ClipSettings()
        choose_clip_settings(project, BATS)
    with Project.open(tmp_path / "p.sonotag") as project:
        assert stored_clip_settings(project) == BATS
        assert clip_settings_of(project) == BATS  # what training and scoring read


def test_a_trained_model_freezes_the_settings(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.sonotag") as project:
        project.add_model("m", tmp_path / "m", {"clip_settings": BATS.to_dict()}, {})
        assert "1 trained model" in (frozen_because(project) or "")
        with pytest.raises(ProjectError, match="cannot change any more"):
            choose_clip_settings(project, BATS)
        assert stored_clip_settings(project) == ClipSettings()
        choose_clip_settings(project, ClipSettings())  # the same settings: nothing to refuse


def test_cached_features_freeze_the_settings(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.sonotag") as project:
        choose_clip_settings(project, BATS)
        features = cache_folder(project.path) / "features"
        features.mkdir(parents=True)
        assert frozen_because(project) is None  # an empty folder holds nothing
        (features / "resnet50-abc").mkdir()
        with pytest.raises(ProjectError, match="clip features are cached"):
            choose_clip_settings(project, PRESETS["low"].settings)
        assert stored_clip_settings(project) == BATS


def test_recordings_too_slow_for_the_band_are_named() -> None:
    assert rate_warning(BATS, 384_000) is None
    assert rate_warning(BATS, 192_000) is None  # up to 96 of 120 kHz: most calls are there
    assert "only up to 24 kHz" in (rate_warning(BATS, 48_000) or "")
    assert "none of it" in (rate_warning(BATS, 22_050) or "")
    assert rate_warning(ClipSettings(), 16_000) is None  # 8 of 11 kHz: usual for songbirds
    assert rate_warning(ClipSettings(), 8_000) is not None
