"""``sonotag info AUDIO ...``: what a recorder wrote, before anyone opens a project."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from model.errors import AudioError
from model.pathtext import display


def register(commands: Any) -> None:
    cmd = commands.add_parser("info", help="print sample rate, channels, duration, start time")
    cmd.add_argument("audio", nargs="+", type=Path, metavar="AUDIO")
    cmd.add_argument("--json", action="store_true", help="one JSON object per line")
    cmd.set_defaults(func=run)


def describe(info: Any) -> dict[str, Any]:
    return {
        "path": str(info.path),
        "format": info.format,
        "subtype": info.subtype,
        "sample_rate": info.sample_rate,
        "channels": info.channels,
        "frames": info.frames,
        "duration_s": round(info.duration, 6),
        "start_time": info.start_time.isoformat() if info.start_time else None,
        "start_time_source": info.start_time_source,
        "site": info.site,
        "site_source": info.site_source,
        "warning": info.warning or None,
    }


def run(args: argparse.Namespace) -> int:
    from model.audio import probe

    failures = 0
    for path in args.audio:
        try:
            info = probe(path)
        except AudioError as exc:
            print(f"sonotag: error: {exc}", file=sys.stderr)
            failures += 1
            continue
        facts = describe(info)
        if info.warning:  # the file opens, but the user must know what is wrong with it
            print(f"sonotag: warning: {display(path)}: {info.warning}", file=sys.stderr)
        if args.json:
            print(json.dumps(facts))
            continue
        start = facts["start_time"] or "unknown"
        if info.start_time_source:
            start += f" (from {info.start_time_source})"
        print(display(path))
        print(f"  format       {info.format} {info.subtype}".rstrip())
        print(f"  sample rate  {info.sample_rate} Hz")
        print(f"  channels     {info.channels}")
        print(f"  duration     {info.duration:.3f} s ({info.frames} frames)")
        print(f"  start time   {start}")
        print(f"  site         {info.site or '(none)'} (from {info.site_source})")
        if info.warning:
            print(f"  warning      {info.warning}")
    return 1 if failures else 0
