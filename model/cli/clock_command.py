"""``sonotag project zone P.sonotag [ZONE]``: the time zone a project's file names are in."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from model.errors import SonotagError


def register(actions: Any) -> None:
    zone = actions.add_parser(
        "zone",
        help="show or set the time zone the recorders wrote file names in",
        description="AudioMoth and similar recorders put the start time in the file name "
        "(20210502_040000.WAV) without its zone; AudioMoth writes UTC unless configured "
        "otherwise. Setting the zone (an IANA name such as Europe/London, which follows "
        "daylight saving, or a fixed offset such as +02:00) dates every recording whose start "
        "time comes from its file name again. Without ZONE the current setting is shown.",
    )
    zone.add_argument("project", type=Path, metavar="P.sonotag")
    zone.add_argument("zone", nargs="?", metavar="ZONE")
    zone.set_defaults(func=run_zone)


def run_zone(args: argparse.Namespace) -> int:
    from model.project import Project
    from model.project.clock import filename_dated, filename_zone_name, set_filename_zone

    if not args.project.is_file():
        raise SonotagError(args.project, "no such project (create it with 'sonotag project new')")
    with Project.open(args.project, read_only=args.zone is None) as project:
        if args.zone is None:
            print(
                f"{args.project}: file names are in {filename_zone_name(project)} "
                f"({filename_dated(project)} recording(s) dated from their file name)"
            )
            return 0
        changed = set_filename_zone(project, args.zone)
        print(
            f"{args.project}: file names are in {filename_zone_name(project)}; "
            f"{changed} recording(s) dated again"
        )
    return 0
