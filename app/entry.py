"""The ``sonotag`` console script.

Imports no Qt at module level: ``sonotag info`` and ``sonotag project`` must work on a machine
with no display, and fast. Only the GUI commands pull in ``app.launch`` (and with it Qt).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path


def _launch_gui(project: Path | None, audio: list[Path]) -> int:
    from app.launch import launch_gui

    return launch_gui(project, audio)


def main(argv: Sequence[str] | None = None) -> int:
    from model.cli import main as cli_main

    return cli_main(sys.argv[1:] if argv is None else argv, launch_gui=_launch_gui)


if __name__ == "__main__":
    sys.exit(main())
