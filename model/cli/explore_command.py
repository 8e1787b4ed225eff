"""``sonotag explore P.sonotag --out DIR``: the clip map for scripts and reports.

Same job as the GUI's Explorer panel (``model.explore.job``): features from the project's
cache (computed where missing, with a progress bar), the saved map reused or extended, and
``DIR/clips.csv`` plus ``DIR/map.png`` written from it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from model.errors import SonotagError
from model.pathtext import display
from model.writable import check_output_folder


def register(commands: Any) -> None:
    explore = commands.add_parser(
        "explore",
        help="map every clip of a project (UMAP) and write clips.csv and map.png",
        description=(
            "Embeds every clip of the project with the backbone (features already cached are "
            "reused), projects them to 2-D with PCA and UMAP, finds clusters with HDBSCAN, and "
            "writes DIR/clips.csv (recording, start_s, end_s, x, y, cluster, top_score and "
            "each class's label state) and DIR/map.png. The map is kept beside the project, so "
            "running it again is quick and new recordings are placed on the same map."
        ),
    )
    explore.add_argument("project", type=Path, metavar="P.sonotag")
    explore.add_argument("--out", type=Path, required=True, metavar="DIR")
    explore.add_argument(
        "--backbone",
        metavar="NAME",
        help="the backbone whose features are mapped (see 'sonotag backbones'; "
        "default resnet50-imagenet)",
    )
    explore.add_argument(
        "--refit", action="store_true", help="fit the whole map again instead of extending it"
    )
    explore.add_argument("--seed", type=int, default=None, help="reproducible map (one thread)")
    explore.add_argument("--offline", action="store_true", help="never download weights")
    explore.set_defaults(func=run_explore)


def run_explore(args: argparse.Namespace) -> int:
    from model.cli.ml_commands import run_with_bar
    from model.explore.job import explore_job
    from model.explore.report import CSV_NAME, PNG_NAME, write_csv, write_png
    from model.ml import backbones
    from model.project import Project

    name = args.backbone or backbones.IMAGENET
    info = backbones.info(name)  # an unknown name fails here, before TensorFlow starts
    if info.status.state == backbones.EXTRA_MISSING:
        raise SonotagError(None, f"the backbone {name} is {info.status.detail}")
    if not args.project.exists():
        raise SonotagError(args.project, "no such project")
    check_output_folder(args.out, "map (--out)")
    result = run_with_bar(
        "mapping clips",
        explore_job,
        str(args.project),
        backbone=name,
        refit=args.refit,
        seed=args.seed,
        allow_download=not args.offline,
    )
    clip_map, summary = result["map"], result["summary"]
    args.out.mkdir(parents=True, exist_ok=True)
    with Project.open(args.project, read_only=True) as project:
        rows = write_csv(project, clip_map, args.out / CSV_NAME)
        write_png(
            project, clip_map, args.out / PNG_NAME,
            title=f"{display(args.project.name)}: {rows} clips, backbone {name}",
        )  # fmt: skip
    print(format_summary(summary, args.out))
    return 0


def format_summary(summary: dict[str, Any], out: Path) -> str:
    mode = {
        "fitted": "map fitted",
        "extended": f"{summary.get('placed', 0)} new clips placed on the saved map",
        "unchanged": "saved map reused",
    }.get(summary.get("mode", ""), "map made")
    lines = [
        f"{summary['clips']} clips, {summary['clusters']} clusters ({mode}; "
        f"{summary.get('computed', 0)} clips embedded now, {summary['seconds']:.1f} s)",
        f"wrote {display(out / 'clips.csv')} and {display(out / 'map.png')}",
    ]
    for text in summary.get("missing_recordings", []):
        lines.append(f"warning: left out (unreadable, nothing cached): {text}")
    for text in summary.get("cache_errors", []):
        lines.append(f"warning: {text}")
    return "\n".join(lines)
