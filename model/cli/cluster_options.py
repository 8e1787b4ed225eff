"""``sonotag predict --cluster auto|ADDRESS [--workers N]``: the options and their checks.

The options are always offered (``--help`` says what they need); asking for a cluster without
the extra installed is refused before any work with what to install.
"""

from __future__ import annotations

import argparse

from model.cli.checks import UsageError, positive_int


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cluster",
        metavar="auto|ADDRESS",
        default=None,
        help=(
            'score on a Ray cluster (needs the cluster extra: pip install "sonotag[cluster]"): '
            "auto joins the cluster of RAY_ADDRESS or one started here with 'ray start "
            "--head', else starts a local one with every core; or the head's HOST:PORT. "
            "Every worker must see the recordings at the same path (shared file system); "
            "tables, errors.csv and the resume log are written here, as in a local run"
        ),
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        metavar="N",
        help="cluster workers (default: one per node using its cores, plus one per GPU)",
    )


def check_cluster_options(args: argparse.Namespace) -> None:
    """Before any work: ``--workers`` needs ``--cluster``; a cluster needs the extra."""
    if args.workers is not None and args.cluster is None:
        raise UsageError(None, "--workers is for a cluster run: add --cluster auto or ADDRESS")
    if args.cluster is not None:
        from model.cluster import require

        require()
