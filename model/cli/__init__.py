"""The ``sonotag`` command line: argument parsing and the non-GUI commands.

``app.entry`` owns the console script and passes a GUI launcher in, so this package stays
Qt-free and ``sonotag info`` works on a server with no display. Exit codes: 0 success, 2 usage
error (argparse), 1 any other error, reported as one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from model import __version__
from model.errors import SonotagError
from model.pathtext import make_stream_safe

GuiLauncher = Callable[[Path | None, list[Path]], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
    except ImportError:  # the ML commands are optional only while they are being built
        ml_commands = None
    if ml_commands is not None:
        ml_commands.register(commands)
        from model.cli import backbone_commands

        backbone_commands.register(commands)
    return parser


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
                parser.print_usage(sys.stderr)
                print(f"sonotag: error: {exc}", file=sys.stderr)
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
    except SonotagError as exc:
        print(f"sonotag: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sonotag: interrupted", file=sys.stderr)
        return 130
