"""One real local Ray cluster (a head and its worker processes on this machine) for the module.

Small on purpose: CI and the development machines have two cores shared by several people, so
it gets 2 CPUs, no dashboard and a 100 MB object store, and it is always shut down.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Any]:
    import ray

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=100 * 2**20,
        log_to_driver=False,
        logging_level=logging.WARNING,
    )
    try:
        yield ray
    finally:
        ray.shutdown()
