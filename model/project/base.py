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
