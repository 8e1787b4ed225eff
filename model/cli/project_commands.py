"""``sonotag project new|add``: build a project from the shell, e.g. on a field laptop's cron."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from model.cli import preset_command
from model.cli.checks import UsageError
from model.cli.progress import ProgressBar
from model.errors import SonotagError
from model.jobs import run_inline
from model.pathtext import display


def register(commands: Any) -> None:
    project = commands.add_parser("project", help="create a project, add recordings, set its zone")
    actions = project.add_subparsers(dest="action", metavar="ACTION", required=True)

    new = actions.add_parser("new", help="create a project, optionally with recordings")
    new.add_argument("project", type=Path, metavar="P.sonotag")
    new.add_argument("inputs", nargs="*", type=Path, metavar="AUDIO_OR_DIR")
    preset_command.add_preset_arguments(new)
    new.set_defaults(func=run_new)

    add = actions.add_parser(
        "add",
        help="add recordings (folders are searched recursively)",
        description="Adds every readable recording; unreadable files are listed on stderr and "
        "make the exit status 1 (the readable ones are still added).",
    )
    add.add_argument("project", type=Path, metavar="P.sonotag")
    add.add_argument("inputs", nargs="+", type=Path, metavar="AUDIO_OR_DIR")
    add.set_defaults(func=run_add)

    from model.cli import clock_command

    clock_command.register(actions)
    preset_command.register(actions)


def _check_suffix(path: Path) -> None:
    if path.suffix.lower() != ".sonotag":
        raise UsageError(path, "a project file name must end in .sonotag")


def _add(project_path: Path, inputs: list[Path]) -> int:
    from model.ingest import add_audio_job

    bar = ProgressBar("adding recordings")
    try:
        result = run_inline(add_audio_job, project_path, inputs, on_progress=bar)
    finally:
        bar.close()
    for path, cause in result.skipped:
        print(f"sonotag: skipped {display(path)}: {cause}", file=sys.stderr)
    for path, warning in [*result.warned, *result.band]:
        print(f"sonotag: warning: {display(path)}: {warning}", file=sys.stderr)
    print(f"{project_path}: {result.summary()}")
    if inputs and not (result.added or result.already_present):
        print("sonotag: error: no readable recordings among the inputs", file=sys.stderr)
        return 1
    # Like ``sonotag predict``: the readable files are in, but a script must notice the rest.
    return 1 if result.skipped else 0


def run_new(args: argparse.Namespace) -> int:
    from model.project import Project
    from model.project.clip_choice import choose_clip_settings

    _check_suffix(args.project)
    settings = preset_command.settings_from(args)  # a bad --band fails before the file exists
    with Project.create(args.project) as project:
        choose_clip_settings(project, settings)
    print(f"{args.project}: created with {preset_command.summary(settings)}")
    if not args.inputs:
        return 0
    return _add(args.project, args.inputs)


def run_add(args: argparse.Namespace) -> int:
    _check_suffix(args.project)
    if not args.project.exists():
        raise SonotagError(args.project, "no such project (create it with 'sonotag project new')")
    return _add(args.project, args.inputs)
