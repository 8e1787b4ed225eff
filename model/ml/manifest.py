"""The schema of a model bundle's ``manifest.json``, checked before anything in a bundle is used.

A bundle comes from a colleague, a USB stick or an older Sonotag, and its manifest decides which
images are drawn (clip settings), which backbone runs and which score belongs to which class. A
manifest with ``sample_rate: 0`` or a class list one short of the model's outputs would fail
deep inside scoring, or worse give scores to the wrong classes, so the whole manifest is
validated up front and the first problem is reported with the field it is in.

The schema is a pydantic model so that new fields (backbone name, version, licence, feature
statistics...) are one typed line each: add them to ``ManifestBackbone`` or ``Manifest`` with a
default so older bundles stay readable, and bump ``FORMAT_VERSION`` only for changes older
Sonotag versions must refuse. Fields this version does not know are kept, not refused.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from model.class_names import class_name_problem
from model.clips import ClipSettings
from model.errors import ModelBundleError
from model.ml.backbone import IMAGENET, UNTRAINED, BackboneSpec

FORMAT = "sonotag-model"
FORMAT_VERSION = 1
KIND_HEAD = "head"  # head on cached backbone features
KIND_FINE_TUNED = "fine-tuned"  # backbone + head on clip images
KINDS = (KIND_HEAD, KIND_FINE_TUNED)
_HEX = "0123456789abcdef"
Count = Annotated[StrictInt, Field(ge=0)]


class _Part(BaseModel):
    """Manifest sections: typed, and tolerant of fields a later Sonotag adds."""

    model_config = ConfigDict(extra="allow", frozen=True)


class ManifestClass(_Part):
    name: StrictStr
    index: StrictInt = Field(ge=0)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        problem = class_name_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class ManifestBackbone(_Part):
    """Which feature extractor the model's head was trained on; ``key`` names its features."""

    name: StrictStr | None = None  # registry name; bundles from before the registry lack it
    weights: Literal["imagenet", "untrained"] | None = None  # ResNet50 only
    architecture: Literal["resnet50", "birdnet"] = "resnet50"
    dim: StrictInt | None = Field(default=None, ge=1)
    seed: StrictInt = Field(default=0, ge=0)
    weights_hash: StrictStr = ""
    precision: Literal["float32", "mixed_bfloat16"] = "float32"
    #: What computed the training features ("keras" for bundles from before engines).
    engine: Literal["keras", "openvino", "litert"] | None = None
    key: StrictStr | None = None

    @field_validator("weights_hash")
    @classmethod
    def _hash(cls, value: str) -> str:
        if value and (len(value) != 32 or any(c not in _HEX for c in value.lower())):
            raise ValueError(f"must be the 32-digit MD5 of the weights file, got {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ManifestBackbone:
        from model.ml.backbones import NAMES

        if self.name is not None and self.name not in NAMES:
            raise ValueError(f"unknown backbone {self.name!r}; this Sonotag knows {NAMES}")
        if self.architecture == "resnet50" and self.weights is None:
            raise ValueError("a ResNet50 backbone needs its 'weights' (imagenet or untrained)")
        if self.weights is None:
            return self
        if self.weights == IMAGENET and not self.weights_hash:
            raise ValueError("ImageNet weights need their 'weights_hash'")
        if self.key is not None and self.key != self.spec.key:
            raise ValueError(
                f"'key' is {self.key!r} but the backbone described is {self.spec.key!r}"
            )
        return self

    @property
    def spec(self) -> BackboneSpec:
        assert self.weights is not None, "only ResNet50 backbones have a BackboneSpec"
        return BackboneSpec(self.weights, self.seed, self.weights_hash, self.architecture)


class Manifest(_Part):
    format: Literal["sonotag-model"]
    format_version: StrictInt = Field(ge=1, le=FORMAT_VERSION)
    kind: Literal["head", "fine-tuned"]
    classes: list[ManifestClass] = Field(min_length=1)
    clip_settings: dict[str, Any]
    clip_settings_fingerprint: StrictStr | None = None
    backbone: ManifestBackbone
    untrained_backbone: StrictBool | None = None
    label_counts: dict[str, dict[str, Count]] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)
    training: dict[str, Any] = Field(default_factory=dict)
    versions: dict[str, StrictStr] = Field(default_factory=dict)
    created: StrictStr | None = None
    #: The band (Hz) a model's detections lie in, if it declares one; tables then give rows
    #: this band instead of 0 to Nyquist (``model.annotations.dialect``).
    detection_band_hz: tuple[float, float] | None = None

    @field_validator("detection_band_hz")
    @classmethod
    def _band(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not (0 <= value[0] < value[1] < float("inf")):
            raise ValueError(f"must be [low, high] with 0 <= low < high, got {list(value)}")
        return value

    @field_validator("classes")
    @classmethod
    def _classes(cls, value: list[ManifestClass]) -> list[ManifestClass]:
        for position, entry in enumerate(value):
            if entry.index != position:
                raise ValueError(
                    f"class {entry.name!r} has index {entry.index}, expected {position} "
                    "(indices must run 0, 1, 2... in order: they are the model's outputs)"
                )
        names = [c.name for c in value]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"class {twice[0]!r} is listed twice")
        return value

    @field_validator("clip_settings")
    @classmethod
    def _clip_settings(cls, value: dict[str, Any]) -> dict[str, Any]:
        settings = ClipSettings.from_dict(value)  # ValueError names the setting
        from model.clips.image import colour_lut

        colour_lut(settings.colormap)  # unknown colour maps raise ValueError naming it
        return value

    @field_validator("created")
    @classmethod
    def _created(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                datetime.fromisoformat(value)
            except ValueError:
                raise ValueError(f"is not a date and time: {value!r}") from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Manifest:
        fingerprint = self.settings.fingerprint()
        if self.clip_settings_fingerprint not in (None, fingerprint):
            raise ValueError(
                "'clip_settings_fingerprint' does not match 'clip_settings' (edited by hand?)"
            )
        if self.untrained_backbone is not None and self.untrained_backbone != (
            self.backbone.weights == UNTRAINED
        ):
            raise ValueError("'untrained_backbone' contradicts 'backbone.weights'")
        return self

    # ------------------------------------------------------------------ typed views
    @property
    def settings(self) -> ClipSettings:
        return ClipSettings.from_dict(self.clip_settings)

    @property
    def class_names(self) -> list[str]:
        return [c.name for c in self.classes]


def validate_manifest(data: Any, path: str | Path | None = None) -> Manifest:
    """The typed manifest, or ModelBundleError naming the first field that is wrong."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelBundleError(path, "not a Sonotag model file (no Sonotag manifest inside)")
    version = data.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise ModelBundleError(
            path, "this model was saved by a newer Sonotag; update Sonotag to use it"
        )
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        cause = f"the model file's manifest is invalid: {_first(exc)}"
        raise ModelBundleError(path, cause) from None


def _first(exc: ValidationError) -> str:
    """One line for the first error: the field's dotted path, then the cause."""
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"])
    # Whole-manifest checks have no location; their message already names the fields.
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "missing":
        return f"field {where!r} is missing"
    if error["type"] == "literal_error":
        got = error.get("input")
        return f"field {where!r} is {got!r}; {message[0].lower()}{message[1:]}"
    if not where:
        return message
    message = message[0].lower() + message[1:]
    got = error.get("input")
    if isinstance(got, dict | list) or repr(got) in message:
        return f"field {where!r}: {message}"
    text = repr(got)
    return f"field {where!r}: {message} (got {text if len(text) <= 60 else text[:57] + '...'})"
