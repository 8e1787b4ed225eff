"""``--device`` and ``--backend`` for the commands that run a network (train, predict).

They set ``SONOTAG_DEVICE`` and ``KERAS_BACKEND`` for this process, before Keras is imported,
so they mean the same as the variables and the GUI's Preferences (``model.ml.device``).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from model.cli.checks import UsageError


def add_compute_options(parser: Any) -> None:
    from model.ml import backends, device

    parser.add_argument(
        "--device",
        choices=device.DEVICE_CHOICES,
        default=None,
        help="where the network runs: auto (the backend's GPU if it sees one, else the CPU; "
        f"default, or ${device.DEVICE_ENV}), cpu, or gpu (an error if there is none)",
    )
    parser.add_argument(
        "--backend",
        choices=(backends.AUTO, *backends.BACKENDS),
        default=None,
        help="Keras backend: auto (TensorFlow on Linux, PyTorch on Windows and macOS when "
        f"installed; default, or ${backends.BACKEND_ENV}), tensorflow, torch or jax",
    )


def apply_compute_options(args: argparse.Namespace) -> None:
    """Refuses a backend that is not installed now, rather than at the first clip."""
    from model.ml import backends, device

    if getattr(args, "device", None):
        os.environ[device.DEVICE_ENV] = args.device
    choice = getattr(args, "backend", None)
    if not choice:
        return
    wanted = backends.auto_choice() if choice == backends.AUTO else choice
    if not backends.installed(wanted):
        raise UsageError(
            None,
            f"--backend {wanted}: {backends.label(wanted)} is not installed "
            f"(pip install 'sonotag[{wanted}]')",
        )
    backends.select(wanted, force=True)
