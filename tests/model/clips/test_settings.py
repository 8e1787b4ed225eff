"""ClipSettings: frozen, complete, versioned, and fingerprinted so a model gets its own images."""

from __future__ import annotations

import dataclasses
import json

import pytest

from model.clips import CLIP_SETTINGS_VERSION, ClipSettings

# Changing a default silently changes every image a saved model will be shown. If you change one
# on purpose, bump CLIP_SETTINGS_VERSION and update this pin.
DEFAULT_FINGERPRINT = "c650699136811cc4c78e5acc02a5feccba6d0e34f91092b49a54fd4ac3ebbb0f"


def test_defaults_describe_the_paper_input() -> None:
    s = ClipSettings()
    assert s.version == CLIP_SETTINGS_VERSION == 1
    assert s.clip_seconds == 2.0
    assert s.image_shape == (224, 224, 3)
    assert s.clip_samples == 44100
    # center=True STFT frames = 1 + samples // hop: the default hop gives one frame per column.
    assert 1 + s.clip_samples // s.hop_length == s.image_size
    assert s.fmax <= s.sample_rate / 2
    assert s.fmax >= 11000  # covers bird song up to ~11 kHz


def test_default_fingerprint_is_pinned() -> None:
    assert ClipSettings().fingerprint() == DEFAULT_FINGERPRINT


def test_is_frozen() -> None:
    s = ClipSettings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.n_mels = 64  # type: ignore[misc]


def test_dict_round_trip_through_json() -> None:
    s = ClipSettings(db_floor=-90, n_mels=96, colormap="magma")
    back = ClipSettings.from_dict(json.loads(json.dumps(s.to_dict())))
    assert back == s
    assert back.fingerprint() == s.fingerprint()
    assert set(s.to_dict()) == {f.name for f in dataclasses.fields(ClipSettings)}


def test_equal_settings_equal_fingerprint_even_int_vs_float() -> None:
    a = ClipSettings(clip_seconds=2, fmin=150, db_floor=-80)
    b = ClipSettings(clip_seconds=2.0, fmin=150.0, db_floor=-80.0)
    assert a == b
    assert a.fingerprint() == b.fingerprint()
    assert isinstance(a.clip_seconds, float)
    assert len(a.fingerprint()) == 64
    int(a.fingerprint(), 16)  # hex


@pytest.mark.parametrize(
    "change",
    [
        {"clip_seconds": 3.0},
        {"sample_rate": 32000},
        {"n_fft": 2048},
        {"hop_length": 256},
        {"n_mels": 64},
        {"fmin": 0.0},
        {"fmax": 8000.0},
        {"db_floor": -90.0},
        {"db_ceiling": -10.0},
        {"colormap": "magma"},
        {"image_size": 128},
    ],
)
def test_every_field_changes_the_fingerprint(change: dict) -> None:
    assert ClipSettings(**change).fingerprint() != ClipSettings().fingerprint()


def test_from_dict_refuses_unknown_key_and_names_it() -> None:
    d = ClipSettings().to_dict() | {"gamma": 2.2}
    with pytest.raises(ValueError, match="gamma"):
        ClipSettings.from_dict(d)


def test_from_dict_refuses_missing_key_and_names_it() -> None:
    d = ClipSettings().to_dict()
    del d["db_floor"]
    with pytest.raises(ValueError, match="db_floor"):
        ClipSettings.from_dict(d)


@pytest.mark.parametrize("version", [0, 2, "1", None])
def test_from_dict_refuses_other_versions(version: object) -> None:
    d = ClipSettings().to_dict() | {"version": version}
    with pytest.raises(ValueError, match="version"):
        ClipSettings.from_dict(d)


def test_from_dict_refuses_non_mapping() -> None:
    with pytest.raises(ValueError):
        ClipSettings.from_dict([("version", 1)])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"version": 2}, "version"),
        ({"sample_rate": 22050.0}, "sample_rate"),
        ({"n_mels": True}, "n_mels"),
        ({"hop_length": 0}, "hop_length"),
        ({"clip_seconds": -1.0}, "clip_seconds"),
        ({"clip_seconds": float("nan")}, "clip_seconds"),
        ({"fmax": 20000.0}, "fmax"),
        ({"fmin": 5000.0, "fmax": 4000.0}, "fmax"),
        ({"fmin": -1.0}, "fmin"),
        ({"db_floor": -20.0, "db_ceiling": -20.0}, "db_floor"),
        ({"colormap": ""}, "colormap"),
        ({"clip_seconds": 0.01}, "clip_seconds"),
    ],
)
def test_invalid_settings_are_refused_naming_the_field(kwargs: dict, key: str) -> None:
    with pytest.raises(ValueError, match=key):
        ClipSettings(**kwargs)


def test_usable_as_cache_key() -> None:
    assert len({ClipSettings(), ClipSettings(), ClipSettings(n_mels=64)}) == 2
