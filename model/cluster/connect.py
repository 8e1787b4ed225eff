"""Joining a Ray cluster, or starting a local one, for one batch run.

``auto`` follows Ray's own rule: the cluster named by ``RAY_ADDRESS`` (``ray job submit`` sets
it), else one started on this machine with ``ray start --head``; when there is none, a local
cluster is started in this process with every core and stopped again at the end of the run.
Any other value is an address (``HOST:6379``, or ``ray://HOST:10001`` for Ray Client).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from model.cluster import AUTO, require
from model.errors import SonotagError

#: Object store of a local cluster started for a run: workers send back score arrays (a few
#: MB per hour of audio), never audio, so Ray's default (30 % of memory) would be waste.
LOCAL_OBJECT_STORE = 256 * 2**20


@dataclass
class Session:
    """A connection to a cluster; ``close`` undoes exactly what ``connect`` did."""

    address: str
    started_local: bool = False  # a local cluster was started for this run
    owned: bool = False  # this run called ray.init (so it calls ray.shutdown)
    nodes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def where(self) -> str:
        count = len(self.nodes)
        kind = "local Ray cluster" if self.started_local else f"Ray cluster at {self.address}"
        return f"{kind}, {count} node{'s' if count != 1 else ''}"

    def close(self) -> None:
        if self.owned:
            import ray

            ray.shutdown()
            self.owned = False


def connect(address: str = AUTO, *, local_cpus: int | None = None) -> Session:
    """Connected to the cluster (see the module's rule); SonotagError naming the address when
    it cannot be reached."""
    require()
    import ray

    quiet: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.WARNING}
    if ray.is_initialized():  # a script (or a test) connected already: use that cluster
        return _with_nodes(Session(_current_address()))
    address = (address or AUTO).strip()
    if address == AUTO:
        if os.environ.get("RAY_ADDRESS"):
            return _join(os.environ["RAY_ADDRESS"], quiet)
        try:  # a head started on this machine with ``ray start --head``
            ray.init(address=AUTO, **quiet)
            return _with_nodes(Session(_current_address(), owned=True))
        except ConnectionError:
            pass  # none: start one for this run
        cpus = local_cpus or os.cpu_count() or 1
        try:
            with _quiet_ray():  # its notes on tokens and dashboards are not the user's concern
                ray.init(
                    num_cpus=cpus,
                    include_dashboard=False,
                    object_store_memory=LOCAL_OBJECT_STORE,
                    **quiet,
                )
        except (RuntimeError, ValueError, OSError) as exc:
            raise SonotagError(None, f"could not start a local Ray cluster ({exc})") from None
        return _with_nodes(Session("local", started_local=True, owned=True))
    return _join(address, quiet)


def _join(address: str, quiet: dict[str, Any]) -> Session:
    import ray

    try:
        ray.init(address=address, **quiet)
    except (ConnectionError, RuntimeError, ValueError, OSError) as exc:
        raise SonotagError(
            None, f"cannot reach the Ray cluster at {address} ({_first_line(exc)})"
        ) from None
    return _with_nodes(Session(_current_address(), owned=True))


@contextmanager
def _quiet_ray() -> Iterator[None]:
    """Ray's own log lines held back to errors while it starts a local cluster."""
    logger = logging.getLogger("ray")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _current_address() -> str:
    import ray

    try:
        return str(ray.get_runtime_context().gcs_address)
    except (AttributeError, RuntimeError):
        return "connected"


def _with_nodes(session: Session) -> Session:
    import ray

    session.nodes = [node for node in ray.nodes() if node.get("Alive")]
    return session


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
