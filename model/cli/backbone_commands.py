"""``sonotag backbones`` and ``sonotag evaluate``: which backbones can run here, and which one
suits a project's own labels.

``evaluate`` trains a head on each named backbone with the same folds and prints per-class AP
side by side (pooled over folds, with the spread across folds and the recordings behind each
class); ``--json`` keeps everything, PR curves included, for a plot or a report.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from model.errors import SonotagError


def register(commands: Any) -> None:
    listing = commands.add_parser(
        "backbones", help="list the backbones a model can be trained on, and their status"
    )
    listing.add_argument("--json", action="store_true", help="print the list as JSON")
    listing.set_defaults(func=run_backbones)

    evaluate = commands.add_parser(
        "evaluate",
        help="compare backbones on a project's labels (same folds, per-class AP side by side)",
        description=(
            "Trains a head on each backbone's features with the same folds by recording and "
            "prints per-class average precision side by side. Nothing is saved as a model; "
            "train the one you prefer with 'sonotag train P --backbone NAME'."
        ),
    )
    evaluate.add_argument("project", type=Path, metavar="P.sonotag")
    evaluate.add_argument(
        "--backbones",
        default="",
        metavar="A,B,...",
        help="backbones to compare (default: every one that can run here)",
    )
    add_head_options(evaluate)
    evaluate.add_argument("--json", type=Path, metavar="FILE", help="also write all figures here")
    evaluate.add_argument(
        "--download", action="store_true", help="download the ImageNet weights if missing"
    )
    evaluate.set_defaults(func=run_evaluate)


def add_head_options(parser: argparse.ArgumentParser) -> None:
    from model.ml.head import DEFAULT_HEAD, HEAD_TITLES, HEADS
    from model.ml.splitting import DEFAULT_FOLDS

    parser.add_argument(
        "--head",
        choices=HEADS,
        default=DEFAULT_HEAD,
        help="; ".join(f"{k}: {v}" for k, v in HEAD_TITLES.items()) + f" (default {DEFAULT_HEAD})",
    )
    parser.add_argument(
        "--folds",
        type=int,
        default=DEFAULT_FOLDS,
        metavar="K",
        help=f"folds by recording for the reported AP ({DEFAULT_FOLDS})",
    )


def run_backbones(args: argparse.Namespace) -> int:
    from model.ml import backbones

    infos = backbones.describe_all()
    if args.json:
        print(json.dumps([i.to_dict() for i in infos], indent=1))
        return 0
    width = max(len(i.name) for i in infos)
    for i in infos:
        print(f"{i.name:<{width}}  {i.status.state:<19}  {i.title}")
        print(f"{'':<{width}}  {'':<19}  input: {i.input_text}; {i.dim}-d features")
        print(f"{'':<{width}}  {'':<19}  licence: {i.licence}")
        print(f"{'':<{width}}  {'':<19}  {i.status.detail}")
    return 0


def _ap(figures: dict[str, Any] | None) -> str:
    if not figures or figures.get("ap") is None:
        return "n/a"
    spread = figures.get("ap_spread") or {}
    if spread.get("std") is not None and spread.get("folds", 0) > 1:
        return f"{figures['ap']:.3f} ±{spread['std']:.2f}"
    return f"{figures['ap']:.3f}"


def format_comparison(result: dict[str, Any]) -> str:
    entries = [e for e in result["backbones"] if e.get("metrics")]
    lines = []
    for entry in result["backbones"]:
        if entry.get("error"):
            lines.append(f"{entry['name']}: not compared ({entry['error']})")
    if not entries:
        return "\n".join(lines + ["no backbone could be compared"])
    split = result.get("split") or {}
    lines.append(
        f"head: {result['head']}; {split.get('folds', 0)} folds ({split.get('method', '?')}); "
        "AP pooled over folds ± its standard deviation across folds"
    )
    width = max([len(c) for c in result["classes"]] + [5])
    header = f"{'class':<{width}}  recs  " + "  ".join(f"{e['name']:>18}" for e in entries)
    lines += [header, "-" * len(header)]
    first = entries[0]["metrics"]["per_class"]
    for name in result["classes"]:
        recs = (first.get(name) or {}).get("recordings", "?")
        cells = "  ".join(f"{_ap(e['metrics']['per_class'].get(name)):>18}" for e in entries)
        lines.append(f"{name:<{width}}  {recs!s:>4}  {cells}")
    means = "  ".join(
        f"{_ap({'ap': e['metrics']['map'], 'ap_spread': e['metrics'].get('map_spread')}):>18}"
        for e in entries
    )
    lines.append(f"{'mAP':<{width}}  {'':>4}  {means}")
    warnings = {
        name: figures["warning"] for name, figures in first.items() if figures.get("warning")
    }
    lines += [f"warning: {name}: {text}" for name, text in warnings.items()]
    note = entries[0]["metrics"].get("sources_note")
    if note:
        lines.append(f"note: {note}")
    for entry in entries:
        if entry.get("licence_notice"):
            lines.append(f"note: {entry['name']} is licensed {entry['licence']}")
        if entry.get("flagged"):
            lines.append(f"note: {entry['name']} is for testing only")
    return "\n".join(lines)


def run_evaluate(args: argparse.Namespace) -> int:
    from model.cli.ml_commands import check_trainable, run_with_bar
    from model.ml import backbones
    from model.ml.compare import best_backbone, compare_job

    if args.folds < 3:
        raise SonotagError(None, "--folds must be at least 3 (train, validation and test parts)")
    names = [n.strip() for n in args.backbones.split(",") if n.strip()]
    if not names:
        names = [i.name for i in backbones.describe_all() if i.status.available]
    check_trainable(args.project)
    result = run_with_bar(
        "comparing",
        compare_job,
        str(args.project),
        names,
        head={"kind": args.head},
        folds=args.folds,
        allow_download=args.download,
    )
    print(format_comparison(result))
    best = best_backbone(result)
    if best:
        print(f"best here: {best}; train it with: sonotag train {args.project} --backbone {best}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
        print(f"all figures (PR curves included) in {args.json}")
    return 0 if best else 1
