"""The ``sonotag`` command line: argument parsing and the non-GUI commands.

``app.entry`` owns the console script and passes a GUI launcher in, so this package stays
Qt-free and ``sonotag info`` works on a server with no display. Exit codes: 0 success, 2 usage
error (a bad value on the command line), 1 any other error; either is one line on stderr, never
a traceback (``SONOTAG_DEBUG=1`` shows it for an unexpected error, to report a bug).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from model import __version__
from model.cli.checks import Parser, UsageError, print_error
from model.errors import SonotagError
from model.pathtext import display, make_stream_safe

GuiLauncher = Callable[[Path | None, list[Path]], int]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="sonotag",
        description="Label wildlife recordings, train a classifier, review its detections.",
    )
    parser.add_argument("--version", action="version", version=f"sonotag {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    open_cmd = commands.add_parser("open", help="open the GUI on a project or audio files")
    open_cmd.add_argument("paths", nargs="*", type=Path, metavar="PROJECT | AUDIO")
    open_cmd.set_defaults(func=None)

    from model.cli import info_command, project_commands

    project_commands.register(commands)
    info_command.register(commands)
    try:
        from model.cli import ml_commands
    except ImportError as exc:  # a broken install: say so where the commands would be
        _register_unavailable(commands, ("train", "predict", "weights"), exc)
    else:
        ml_commands.register(commands)
        from model.cli import backbone_commands

        backbone_commands.register(commands)
        from model.cli import explore_command

        explore_command.register(commands)
    return parser


def _register_unavailable(commands: Any, names: Sequence[str], exc: ImportError) -> None:
    """Commands that could not load still exist, and running one says why instead of
    argparse's "invalid choice", which would send the user looking for a typo."""
    cause = (
        f"'sonotag {{name}}' cannot run: the machine-learning part of Sonotag failed to load "
        f"({type(exc).__name__}: {exc}); reinstall Sonotag (bash packaging/install.sh)"
    )

    def fail(args: argparse.Namespace) -> int:
        raise SonotagError(None, cause.format(name=args.command))

    for name in names:
        cmd = commands.add_parser(name, help="(unavailable: failed to load)")
        cmd.add_argument("rest", nargs=argparse.REMAINDER)
        cmd.set_defaults(func=fail)


def split_open_paths(paths: Sequence[Path]) -> tuple[Path | None, list[Path]]:
    """``sonotag open`` takes one project or audio files; mixing them is a usage error."""
    projects = [p for p in paths if p.suffix.lower() == ".sonotag"]
    audio = [p for p in paths if p.suffix.lower() != ".sonotag"]
    if len(projects) > 1 or (projects and audio):
        raise ValueError("give either one project (.sonotag) or audio files, not both")
    return (projects[0] if projects else None), audio


def main(argv: Sequence[str] | None = None, launch_gui: GuiLauncher | None = None) -> int:
    make_stream_safe(sys.stdout)
    make_stream_safe(sys.stderr)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 for --help/--version
        return int(exc.code or 0)
    try:
        if args.command in (None, "open"):
            try:
                project, audio = split_open_paths(getattr(args, "paths", []))
            except ValueError as exc:
                print_error(f"{exc} (see 'sonotag open --help')")
                return 2
            for path in ([project] if project else []) + audio:
                if not path.exists():
                    from model.audio.opening import missing_cause

                    raise SonotagError(path, missing_cause(path))
            if launch_gui is None:
                print("sonotag: error: the GUI is not available here", file=sys.stderr)
                return 1
            return launch_gui(project, audio)
        return int(args.func(args))
    except UsageError as exc:
        print_error(f"{exc} (see 'sonotag {args.command} --help')")
        return 2
    except SonotagError as exc:
        print_error(str(exc))
        return 1
    except KeyboardInterrupt:
        print("sonotag: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a file the checks could not foresee (disk full mid-write...)
        where = f"{display(exc.filename)}: " if exc.filename else ""
        print_error(f"{where}{exc.strerror or exc}")
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug: one line, the traceback only on request
        if os.environ.get("SONOTAG_DEBUG"):
            traceback.print_exc()
        print_error(
            f"unexpected {type(exc).__name__}: {exc} (a bug in Sonotag: please report it; "
            "SONOTAG_DEBUG=1 shows where it happened)"
        )
        return 1
