"""Scoring audio with a trained model: one long-lived engine, a pipeline with no idle stage.

``engine_for(bundle, hop=...)`` builds the ``ScoringEngine`` a model file needs (its backbone on
this computer's engine, its head in NumPy, or the fine-tuned Keras network); ``engine.score``
takes a stream of ``FileJob`` and yields a ``FileResult`` per file.
"""

from __future__ import annotations

from typing import Any

from model.ml.scoring.engine import FileJob, FileResult, ScoringEngine
from model.ml.scoring.prefetch import Prefetch

__all__ = ["FileJob", "FileResult", "Prefetch", "ScoringEngine", "engine_for"]


def engine_for(
    bundle: Any,
    *,
    hop: float,
    batch_size: int | None = None,
    allow_download: bool = True,
    engine: str | None = None,
    backbone: Any = None,
) -> ScoringEngine:
    """The engine for a loaded bundle (``model.ml.bundle.load_bundle``). Nothing is built
    yet: ``ScoringEngine.load`` (or the first batch) builds the backbone."""
    from model.ml.bundle import KIND_FINE_TUNED

    outputs = len(bundle.class_names)
    if bundle.kind == KIND_FINE_TUNED:
        from model.ml.scoring.fine_tuned import FineTunedNetwork

        network = FineTunedNetwork(bundle, batch_size=batch_size)
        return ScoringEngine(network, None, bundle.clip_settings, hop=hop, outputs=outputs)
    if backbone is None:
        from model.ml.backbones import from_manifest

        backbone = from_manifest(
            bundle.backbone, batch_size=batch_size, allow_download=allow_download, engine=engine
        )
    return ScoringEngine(backbone, bundle.head, bundle.clip_settings, hop=hop, outputs=outputs)
