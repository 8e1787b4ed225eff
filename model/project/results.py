"""Trained models, their scores per recording, and the cache of backbone features.

Kept apart from labels because it is all derived data: it can be recomputed, so it is stored in
compact BLOBs (a float32 score matrix per model and recording, a float16 vector per window)
rather than a row per number.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from model.errors import ProjectError
from model.project.base import StoreBase
from model.project.records import ModelRecord, dt_from_text, dt_to_text, now_utc, to_ms

_MODEL_COLUMNS = "id, name, file, manifest, metrics, created, active"


class ResultsMixin(StoreBase):
    """Model, prediction and feature storage for ``Project`` (which provides the plumbing)."""

    path: Path

    # ----------------------------------------------------------------- models
    def _model(self, row: tuple[Any, ...]) -> ModelRecord:
        return ModelRecord(
            id=row[0],
            name=row[1],
            file=self._absolute(row[2]),
            manifest=json.loads(row[3]),
            metrics=json.loads(row[4]),
            created=dt_from_text(row[5]) or now_utc(),
            active=bool(row[6]),
        )

    def add_model(
        self,
        name: str,
        file: str | Path,
        manifest: dict[str, Any],
        metrics: dict[str, Any],
        activate: bool = True,
    ) -> ModelRecord:
        """Records a trained model bundle (its file stays where it is; the path is stored)."""
        with self.transaction() as conn:
            if activate:
                conn.execute("UPDATE models SET active = 0 WHERE active = 1")
            cur = conn.execute(
                "INSERT INTO models(name, file, manifest, metrics, created, active) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    name,
                    self._stored(file),
                    json.dumps(manifest),
                    json.dumps(metrics),
                    dt_to_text(now_utc()),
                    int(activate),
                ),
            )
        return self.model(int(cur.lastrowid))

    def model(self, id: int) -> ModelRecord:  # noqa: A002
        row = self._one(f"SELECT {_MODEL_COLUMNS} FROM models WHERE id = ?", (id,))
        if row is None:
            raise ProjectError(self.path, f"has no model number {id}")
        return self._model(row)

    def models(self) -> list[ModelRecord]:
        return [
            self._model(r) for r in self._rows(f"SELECT {_MODEL_COLUMNS} FROM models ORDER BY id")
        ]

    def active_model(self) -> ModelRecord | None:
        row = self._one(f"SELECT {_MODEL_COLUMNS} FROM models WHERE active = 1 LIMIT 1")
        return None if row is None else self._model(row)

    def set_active_model(self, id: int | None) -> None:  # noqa: A002
        """Makes one model the active one (``None``: no active model)."""
        if id is not None:
            self.model(id)
        with self.transaction() as conn:
            conn.execute("UPDATE models SET active = (id IS ?)", (id,))

    def delete_model(self, id: int) -> None:  # noqa: A002
        """Forgets a model and its scores (the bundle file on disk is left alone)."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM models WHERE id = ?", (id,))

    # ----------------------------------------------------------------- predictions
    def put_predictions(
        self,
        model_id: int,
        recording_id: int,
        starts: np.ndarray,
        class_ids: Sequence[int],
        scores: np.ndarray,
    ) -> None:
        """Replaces one model's scores for one recording; ``scores`` is (windows, classes)."""
        starts = np.ascontiguousarray(starts, dtype=np.float64).reshape(-1)
        scores = np.ascontiguousarray(scores, dtype=np.float32)
        ids = [int(c) for c in class_ids]
        if scores.ndim != 2 or scores.shape != (len(starts), len(ids)):
            raise ValueError(
                f"scores shape {scores.shape} does not match {len(starts)} windows x "
                f"{len(ids)} classes"
            )
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO predictions(model_id, recording_id, n_windows, class_ids, "
                "starts, scores) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    model_id,
                    recording_id,
                    len(starts),
                    json.dumps(ids),
                    starts.tobytes(),
                    scores.tobytes(),
                ),
            )

    def predictions(
        self, model_id: int, recording_id: int
    ) -> tuple[np.ndarray, list[int], np.ndarray]:
        """(window starts in s, class ids, scores[windows, classes]); empty when not scored."""
        row = self._one(
            "SELECT n_windows, class_ids, starts, scores FROM predictions "
            "WHERE model_id = ? AND recording_id = ?",
            (model_id, recording_id),
        )
        if row is None:
            return np.zeros(0, np.float64), [], np.zeros((0, 0), np.float32)
        n, ids_text, starts, scores = row
        ids = [int(c) for c in json.loads(ids_text)]
        return (
            np.frombuffer(starts, dtype=np.float64).copy(),
            ids,
            np.frombuffer(scores, dtype=np.float32).reshape(n, len(ids)).copy(),
        )

    def scored_recordings(self, model_id: int) -> list[int]:
        rows = self._rows(
            "SELECT recording_id FROM predictions WHERE model_id = ? ORDER BY 1", (model_id,)
        )
        return [r[0] for r in rows]

    def delete_predictions(self, model_id: int, recording_id: int | None = None) -> None:
        with self.transaction() as conn:
            if recording_id is None:
                conn.execute("DELETE FROM predictions WHERE model_id = ?", (model_id,))
            else:
                conn.execute(
                    "DELETE FROM predictions WHERE model_id = ? AND recording_id = ?",
                    (model_id, recording_id),
                )

    # ----------------------------------------------------------------- feature cache
    def put_features(
        self,
        backbone: str,
        settings_fp: str,
        recording_id: int,
        starts: np.ndarray,
        vectors: np.ndarray,
    ) -> None:
        """Caches one backbone vector per window start (stored as float16: half the disk)."""
        starts_ms = [to_ms(s) for s in np.asarray(starts, dtype=np.float64).reshape(-1)]
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(starts_ms):
            raise ValueError(
                f"vectors shape {vectors.shape} does not match {len(starts_ms)} starts"
            )
        half = vectors.astype(np.float16)
        dim = int(vectors.shape[1])

        def rows() -> Iterator[tuple[Any, ...]]:
            for start_ms, vector in zip(starts_ms, half, strict=True):
                yield (backbone, settings_fp, recording_id, start_ms, dim, vector.tobytes())

        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO features(backbone, settings_fp, recording_id, start_ms, "
                "dim, vector) VALUES (?, ?, ?, ?, ?, ?)",
                rows(),
            )

    def get_features(
        self, backbone: str, settings_fp: str, recording_id: int, starts: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(found mask[n], float32 vectors[n, d] with zero rows where missing).

        When nothing at all is cached for this recording, ``d`` is 0.
        """
        starts_ms = [to_ms(s) for s in np.asarray(starts, dtype=np.float64).reshape(-1)]
        cached = {
            start_ms: (dim, blob)
            for start_ms, dim, blob in self._rows(
                "SELECT start_ms, dim, vector FROM features "
                "WHERE backbone = ? AND settings_fp = ? AND recording_id = ?",
                (backbone, settings_fp, recording_id),
            )
        }
        dim = next(iter(cached.values()))[0] if cached else 0
        mask = np.zeros(len(starts_ms), dtype=bool)
        out = np.zeros((len(starts_ms), dim), dtype=np.float32)
        for i, start_ms in enumerate(starts_ms):
            hit = cached.get(start_ms)
            if hit is not None and hit[0] == dim:
                out[i] = np.frombuffer(hit[1], dtype=np.float16)
                mask[i] = True
        return mask, out

    def clear_features(self, backbone: str | None = None) -> None:
        with self.transaction() as conn:
            if backbone is None:
                conn.execute("DELETE FROM features")
            else:
                conn.execute("DELETE FROM features WHERE backbone = ?", (backbone,))
