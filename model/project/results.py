"""Trained models and their scores per recording.

Kept apart from labels because it is derived data: it can be recomputed, so it is stored in
compact BLOBs (a float32 score matrix per model and recording) rather than a row per number.
Backbone features are not in the file at all but in the cache folder beside it
(``feature_cache``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from model.errors import ProjectError
from model.project.base import StoreBase
from model.project.records import ModelRecord, dt_from_text, dt_to_text, now_utc
from model.project.score_index import write_peaks

_MODEL_COLUMNS = "id, name, file, manifest, metrics, created, active"


class ResultsMixin(StoreBase):
    """Model and prediction storage for ``Project`` (which provides the plumbing)."""

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

    def set_model_metrics(self, id: int, metrics: dict[str, Any]) -> None:  # noqa: A002
        """Stores a model's held-out figures (measured after the model was registered)."""
        self.model(id)
        with self.transaction() as conn:
            conn.execute("UPDATE models SET metrics = ? WHERE id = ?", (json.dumps(metrics), id))

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
            write_peaks(conn, model_id, recording_id, ids, scores)

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
