"""The backbones Sonotag can train on, by name: one registry for the CLI, the GUI and bundles.

``resnet50-imagenet`` is the study's method and the default; ``resnet50-untrained`` needs no
weights and is flagged as for testing only; ``birdnet-v2.4`` is an optional extra with a
non-commercial licence. ``create`` builds one for a job, ``from_manifest`` rebuilds the one a
bundle was trained on (bundles from before this registry name no backbone and are ResNet50).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from model.errors import SonotagError
from model.ml.backbones.base import (
    AVAILABLE,
    EXTRA_MISSING,
    WEIGHTS_MISSING,
    Backbone,
    BackboneStatus,
    Runtime,
)
from model.ml.backbones.birdnet import BirdNetV24
from model.ml.backbones.resnet import ResNet50Backbone, ResNet50ImageNet, ResNet50Untrained

__all__ = [
    "AVAILABLE",
    "EXTRA_MISSING",
    "WEIGHTS_MISSING",
    "Backbone",
    "BackboneInfo",
    "BackboneStatus",
    "Runtime",
    "ResNet50Backbone",
    "ResNet50ImageNet",
    "IMAGENET",
    "UNTRAINED",
    "BIRDNET",
    "NAMES",
    "create",
    "describe_all",
    "from_manifest",
    "name_of_manifest",
]

IMAGENET = ResNet50ImageNet.name
UNTRAINED = ResNet50Untrained.name
BIRDNET = BirdNetV24.name
_CLASSES: dict[str, type[Backbone]] = {
    IMAGENET: ResNet50ImageNet,
    UNTRAINED: ResNet50Untrained,
    BIRDNET: BirdNetV24,
}
NAMES: tuple[str, ...] = tuple(_CLASSES)


@dataclass(frozen=True)
class BackboneInfo:
    """What a list of backbones shows, without building any of them."""

    name: str
    title: str
    dim: int
    licence: str
    licence_notice: str
    flagged: bool
    fine_tunable: bool
    input_text: str
    status: BackboneStatus

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "dim": self.dim,
            "licence": self.licence,
            "licence_notice": self.licence_notice,
            "flagged": self.flagged,
            "fine_tunable": self.fine_tunable,
            "input": self.input_text,
            "state": self.status.state,
            "detail": self.status.detail,
        }


def _class(name: str) -> type[Backbone]:
    try:
        return _CLASSES[name]
    except KeyError:
        raise SonotagError(
            None, f"unknown backbone {name!r}; choose one of: {', '.join(NAMES)}"
        ) from None


def _input_text(cls: type[Backbone]) -> str:
    rate = f"{cls.sample_rate / 1000:g} kHz" if cls.sample_rate else "the project's sample rate"
    return f"{rate}; {cls.window_placement}"


def info(name: str) -> BackboneInfo:
    cls = _class(name)
    return BackboneInfo(
        name=cls.name,
        title=cls.title,
        dim=cls.dim,
        licence=cls.licence,
        licence_notice=cls.licence_notice,
        flagged=cls.flagged,
        fine_tunable=cls.fine_tunable,
        input_text=_input_text(cls),
        status=cls.status(),
    )


def describe_all() -> list[BackboneInfo]:
    """Every backbone with its status, in the order they are offered."""
    return [info(name) for name in NAMES]


def create(
    name: str,
    *,
    precision: str | None = None,
    batch_size: int | None = None,
    allow_download: bool = True,
    seed: int = 0,
    engine: str | None = None,
) -> Backbone:
    """A backbone for one job. It is not loaded yet: cached features never need it.
    ``engine`` (ResNet50 only) overrides ``model.ml.engine.choose``: fine-tuning needs Keras."""
    cls = _class(name)
    extra: dict[str, Any] = {} if cls is BirdNetV24 else {"engine": engine}
    if cls is ResNet50Untrained:
        extra["seed"] = seed
    return cls(precision=precision, batch_size=batch_size, allow_download=allow_download, **extra)


def name_of_manifest(entry: dict[str, Any]) -> str:
    """The registry name of a bundle's backbone; older bundles only say which ResNet weights."""
    name = entry.get("name")
    if name:
        return str(name)
    return UNTRAINED if entry.get("weights") == "untrained" else IMAGENET


def from_manifest(
    entry: dict[str, Any],
    *,
    batch_size: int | None = None,
    allow_download: bool = True,
    engine: str | None = None,
) -> Backbone:
    """The backbone a bundle was trained on, refusing other weights when it is loaded. It
    runs on this computer's engine and precision, whichever the bundle's features came from:
    the engines' features agree closely enough for its head (a test holds them to it)."""
    name = name_of_manifest(entry)
    cls = _class(name)
    if cls is ResNet50Untrained:
        return ResNet50Untrained(
            batch_size=batch_size,
            allow_download=allow_download,
            seed=int(entry.get("seed", 0)),
            engine=engine,
        )
    if cls is BirdNetV24:
        return cls(
            batch_size=batch_size,
            allow_download=allow_download,
            weights_hash=str(entry.get("weights_hash") or "") or None,
        )
    return cls(
        batch_size=batch_size,
        allow_download=allow_download,
        weights_hash=str(entry.get("weights_hash") or "") or None,
        engine=engine,
    )
