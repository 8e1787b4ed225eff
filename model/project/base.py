"""What the storage mixins need from ``Project``: one declaration of the plumbing they share."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any


class StoreBase:
    """Declares the connection helpers ``Project`` implements, so each mixin type-checks alone."""

    path: Path

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        raise NotImplementedError

    def _stored(self, path: str | Path) -> str | bytes:
        raise NotImplementedError

    def _absolute(self, stored: str | bytes) -> Path:
        raise NotImplementedError


def recording_class_filter(recording_id: int | None, class_id: int | None) -> tuple[str, list[Any]]:
    """The WHERE clause that labels and boxes are listed by (either filter may be left out)."""
    terms, params = [], []
    for column, value in (("recording_id", recording_id), ("class_id", class_id)):
        if value is not None:
            terms.append(f"{column} = ?")
            params.append(value)
    return ("WHERE " + " AND ".join(terms)) if terms else "", params
