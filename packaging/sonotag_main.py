"""The frozen app's entry script: ``app.entry.main`` plus what a frozen process needs first.

Training and scoring run in *spawned* processes (``model.jobs.ProcessJob``). In a PyInstaller
bundle a spawned child is the bundle's own executable started with multiprocessing's arguments,
and ``freeze_support()`` is what turns it into the worker instead of a second GUI.

macOS Finder (through PyInstaller's argv emulation) and some file managers start an app with
just the double-clicked file as argument, while the CLI wants ``sonotag open FILE``.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Sequence


def cli_arguments(argv: Sequence[str]) -> list[str]:
    """``argv[1:]``, with ``open`` put in front when the first argument is a file to open.

    Only an existing file with a suffix counts: command names have no dot, so ``sonotag info``
    still means the command even next to a file called ``info``.
    """
    args = list(argv[1:])
    if args and not args[0].startswith("-") and "." in os.path.basename(args[0]):
        if os.path.isfile(args[0]):
            return ["open", *args]
    return args


if __name__ == "__main__":
    multiprocessing.freeze_support()
    from app.entry import main

    sys.exit(main(cli_arguments(sys.argv)))
