"""Scoring a season of recordings on a Ray cluster (the optional ``sonotag[cluster]`` extra).

``sonotag predict MODEL FOLDERS --out DIR --cluster auto|ADDRESS`` runs the same batch job as a
local run (``model.batch``): the driver, where the command runs, finds the files, keeps the
resume log and writes every table and ``errors.csv`` through the same writer; only the
scoring moves to Ray actors (``model.cluster.worker``), each holding the backbone loaded and
batching the windows of the files it is given across files. So a cluster run's tables are the
local run's, byte for byte, and an interrupted run of either kind resumes the other.

Ray is imported only here and only when a cluster run starts: the window and ``sonotag predict``
without ``--cluster`` never pay for it.
"""

from __future__ import annotations

import importlib.util

AUTO = "auto"
EXTRA_HINT = 'install the cluster extra: pip install "sonotag[cluster]"'


def available() -> bool:
    """Ray is installed (checked without importing it: the GUI asks while building a dialog)."""
    return importlib.util.find_spec("ray") is not None


def require() -> None:
    """Refuses a cluster run, with what to install, when Ray is missing."""
    from model.errors import SonotagError

    if not available():
        raise SonotagError(None, f"running on a Ray cluster needs Ray: {EXTRA_HINT}")
