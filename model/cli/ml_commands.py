"""``sonotag train``, ``sonotag predict`` and ``sonotag weights``: the ML workflow from a shell.

For a field station's server or a cron job: train on a project's labels, score a folder of new
recordings into tables Raven, Audacity or a spreadsheet open, and install the ImageNet weights
from a file where there is no internet. Same job functions as the GUI, with a text progress bar.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from model.batch import ERRORS_FILE, FORMATS, STATE_FILE
from model.cli.checks import (
    MIN_HOP,
    UsageError,
    fraction,
    hop_seconds,
    model_name,
    positive_int,
    require_hop_fits,
)
from model.cli.compute import add_compute_options, apply_compute_options
from model.cli.progress import ProgressBar
from model.errors import SonotagError
from model.jobs import Progress, run_inline
from model.pathtext import display
from model.timefmt import format_clock
from model.writable import check_output_file, check_output_folder


def register(commands: Any) -> None:
    train = commands.add_parser("train", help="train a classifier on a project's labels")
    train.add_argument("project", type=Path, metavar="P.sonotag")
    train.add_argument(
        "--epochs", type=positive_int, default=60, help="most epochs for the head (60)"
    )
    train.add_argument(
        "--fine-tune",
        action="store_true",
        help="then fine-tune the last ResNet stage on clip images (GPU advised)",
    )
    train.add_argument("--fine-tune-epochs", type=positive_int, default=5, metavar="N")
    train.add_argument("--out", type=Path, metavar="FILE", help="also copy the model here")
    train.add_argument("--name", type=model_name, help="model name (default: model-<date>-<time>)")
    train.add_argument(
        "--backbone",
        metavar="NAME",
        help="the backbone to train on (see 'sonotag backbones'; default resnet50-imagenet)",
    )
    train.add_argument(
        "--untrained-backbone",
        action="store_true",
        help="same as --backbone resnet50-untrained: random weights, for tests only",
    )
    from model.cli.backbone_commands import add_head_options

    add_head_options(train)
    train.add_argument(
        "--hop",
        type=hop_seconds,
        default=None,
        metavar="S",
        help=f"window hop for re-scoring the project's recordings ({MIN_HOP:g} s to the clip "
        "length; default: the project's hop)",
    )
    train.add_argument("--no-score", action="store_true", help="do not re-score recordings")
    train.add_argument("--offline", action="store_true", help="never download weights")
    add_compute_options(train)
    train.set_defaults(func=run_train)

    predict = commands.add_parser(
        "predict",
        help="score audio files or folders with a trained model (resumable)",
        description=(
            "Scores every audio file named, or found in the folders (with their subfolders), "
            "and writes one detection table per file into DIR, mirroring the folder tree. "
            f"Each finished file is recorded in DIR/{STATE_FILE}: running the same command "
            "again skips the files already done (a changed file, model, hop, format or "
            "threshold is scored again), so an interrupted run goes on where it stopped. "
            "A file that cannot be read does not stop the run: it is reported with its "
            f"cause and listed in DIR/{ERRORS_FILE}."
        ),
        epilog=(
            "exit status: 0 when every file was scored (or was already done), 1 when any "
            "file failed or no audio file was found, or on any other error"
        ),
    )
    predict.add_argument("model", type=Path, metavar="MODEL", help="a .sonotag-model file")
    predict.add_argument(
        "inputs", nargs="+", type=Path, metavar="AUDIO_OR_DIR", help="audio files or folders"
    )
    predict.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help=f"folder for the tables, {ERRORS_FILE} and the resume state",
    )
    predict.add_argument("--format", choices=sorted(FORMATS), default="csv")
    predict.add_argument(
        "--hop",
        type=hop_seconds,
        default=1.0,
        metavar="S",
        help=f"seconds between window starts ({MIN_HOP:g} to the model's clip length; 1.0)",
    )
    predict.add_argument(
        "--threshold",
        type=fraction,
        default=0.5,
        help="write windows scoring at least this (0 to 1; 0.5)",
    )
    predict.add_argument("--offline", action="store_true", help="never download weights")
    add_compute_options(predict)
    from model.cli.cluster_options import add_cluster_options

    add_cluster_options(predict)
    predict.set_defaults(func=run_predict)

    weights = commands.add_parser("weights", help="ImageNet weights: status, or import a file")
    actions = weights.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("status", help="say whether the weights are installed").set_defaults(
        func=run_weights_status
    )
    imp = actions.add_parser("import", help="check a downloaded weights file and install it")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.set_defaults(func=run_weights_import)


def run_with_bar(title: str, job: Any, *args: Any, **kwargs: Any) -> Any:
    bar = ProgressBar(title)
    try:
        return run_inline(job, *args, on_progress=bar, **kwargs)
    finally:
        bar.close()


def run_train(args: argparse.Namespace) -> int:
    from model.ml import backbones
    from model.ml.train import backbone_name, train_job

    if args.folds < 3:
        raise UsageError(None, "--folds must be at least 3 (train, validation and test parts)")
    apply_compute_options(args)
    # Everything that can refuse the run does so now, not after minutes of training.
    if args.out is not None:
        check_output_file(args.out, "model copy (--out)")
    name = backbone_name(args.backbone, args.untrained_backbone)
    info = backbones.info(name)  # an unknown name fails here, before TensorFlow starts
    if info.status.state == backbones.EXTRA_MISSING:
        raise SonotagError(None, f"the backbone {name} is {info.status.detail}")
    clip_seconds = check_trainable(args.project)  # before seconds of TensorFlow start-up
    if args.hop is not None:  # None: the project's own hop, which fits its clips
        require_hop_fits(args.hop, clip_seconds, args.project)
    if info.licence_notice:
        print(f"note: {name} is licensed {info.licence}; the model will carry this licence")
    result = run_with_bar(
        "training",
        train_job,
        str(args.project),
        epochs=args.epochs,
        fine_tune=args.fine_tune,
        fine_tune_epochs=args.fine_tune_epochs,
        backbone=name,
        head={"kind": args.head},
        folds=args.folds,
        name=args.name,
        out=str(args.out) if args.out else None,
        hop=args.hop,
        score=not args.no_score,
        allow_download=not args.offline,
    )
    print(format_report(result))
    return 0


def check_trainable(project_path: Path) -> float:
    """The cheap refusals first: no project, no classes, no labels. Returns the project's clip
    length (the longest hop that leaves no gap)."""
    from model.ml.features import clip_settings_of
    from model.project import Project

    if not Path(project_path).exists():
        raise SonotagError(project_path, "no such project")
    with Project.open(project_path, read_only=True) as project:
        if not project.classes():
            raise SonotagError(project_path, "has no classes yet: add classes and label clips")
        if not project.labels() and not project.boxes():
            raise SonotagError(project_path, "has no labelled clips or boxes yet: label some first")
        return clip_settings_of(project).clip_seconds


def format_report(result: dict[str, Any]) -> str:
    metrics = result["metrics"]
    lines = [f"model {result['name']} (id {result['model_id']}): {result['bundle']}"]
    lines.append(
        f"backbone {result.get('backbone', '?')}, head {result.get('head', '?')}; "
        f"device: {result['device']}"
    )
    if result["untrained_backbone"]:
        lines.append("WARNING: trained on the UNTRAINED backbone (random weights): test use only")
    if result.get("licence_notice"):
        lines.append(f"licence: {result['licence_notice']}")
    split = metrics.get("split", {})
    lines.append(
        f"AP measured on held-out parts: {split.get('folds', 0)} folds ({split.get('method')}), "
        "never on the part that stopped training early; ± is the spread across folds"
    )
    for name, figures in metrics.get("per_class", {}).items():
        from model.cli.backbone_commands import _ap

        lines.append(
            f"  AP {_ap(figures)}  {name} ({figures['positives']} present clips in "
            f"{figures.get('recordings', '?')} recording(s))"
        )
        if figures.get("warning"):
            lines.append(f"    warning: {figures['warning']}")
    if metrics.get("sources_note"):
        lines.append(f"note: {metrics['sources_note']}")
    if result.get("classes_left_out"):
        from model.ml.train import MIN_POSITIVES

        reasons = result.get("left_out_reasons") or {}
        default = f"needs at least {MIN_POSITIVES} clips labelled present"
        lines += [
            f"left out: {name} ({reasons.get(name, default)})"
            for name in result["classes_left_out"]
        ]
    if metrics.get("map") is not None:
        spread = metrics.get("map_spread") or {}
        extra = f" (folds {spread['min']:.3f}-{spread['max']:.3f})" if spread.get("folds") else ""
        lines.append(f"mAP {metrics['map']:.3f}{extra}")
    elif metrics.get("note"):
        lines.append(metrics["note"])
    for cause in (result.get("features") or {}).get("cache_errors") or []:
        lines.append(f"WARNING: features not cached ({cause}); the next training recomputes them")
    scoring = result.get("scoring")
    if scoring:
        lines.append(
            f"scored {scoring['recordings_scored']} recording(s), {scoring['windows']} windows"
        )
        lines += [f"skipped {text}" for text in scoring["skipped"]]
    return "\n".join(lines)


class BatchProgressBar(ProgressBar):
    """The batch job's figures: files done, clips/s and an ETA from audio seconds (the plain
    bar's ETA goes by files, which misleads when 1-minute and 12-hour files mix)."""

    def render(self, progress: Progress, now: float | None = None) -> str:
        data = progress.data
        if data.get("stage") not in ("scoring", "done"):
            return super().render(progress, now)
        from model.cluster.progress import cluster_parts, worker_lines

        now = time.monotonic() if now is None else now
        total = progress.total or 0
        audio_total = data.get("audio_total_s") or 0.0
        fraction = data.get("audio_done_s", 0.0) / audio_total if audio_total else progress.fraction
        filled = int(round(min(1.0, fraction or 0.0) * self.width))
        parts = [
            self.title,
            "[" + "#" * filled + "-" * (self.width - filled) + "]",
            f"{progress.done:g}/{total:g} files",
        ]
        if data.get("clips_per_s"):
            parts.append(f"{data['clips_per_s']:.1f} clips/s")
        parts += cluster_parts(data)
        if data.get("eta_s") is not None and data.get("stage") == "scoring":
            parts.append("ETA " + format_clock(data["eta_s"]))
        parts.append(format_clock(now - self.started))
        if progress.message:
            parts.append(progress.message)
        if not self._tty and data.get("workers"):  # a log: each worker on a line of its own
            return "\n  ".join([" ".join(parts), *worker_lines(data)])
        return " ".join(parts)


def run_predict(args: argparse.Namespace) -> int:
    from model.batch import batch_predict_job
    from model.ml.bundle import read_manifest

    apply_compute_options(args)
    manifest = read_manifest(args.model)  # a wrong model file is named before any work
    clip_seconds = float(manifest["clip_settings"].get("clip_seconds", 2.0))
    require_hop_fits(args.hop, clip_seconds, args.model)
    from model.cli.cluster_options import check_cluster_options

    check_cluster_options(args)
    check_output_folder(args.out, "detection tables (--out)")
    untrained = _untrained_warning(manifest, args.model)
    if untrained:  # said before the work and again under the summary, where it is read
        print(untrained, file=sys.stderr)
    bar = BatchProgressBar("scoring")
    try:
        result = run_inline(
            batch_predict_job,
            str(args.model),
            [str(p) for p in args.inputs],
            str(args.out),
            on_progress=bar,
            fmt=args.format,
            hop=args.hop,
            threshold=args.threshold,
            allow_download=not args.offline,
            cluster=args.cluster,
            workers=args.workers,
        )
    except KeyboardInterrupt:
        bar.close()
        print(
            f"sonotag: finished files are kept in {args.out}; "
            "run the same command again to go on where it stopped",
            file=sys.stderr,
        )
        raise
    finally:
        bar.close()
    print(format_batch_summary(result, args.threshold))
    if untrained:
        print(untrained, file=sys.stderr)
    for path, warning in result.get("warnings", []):
        print(f"sonotag: warning: {display(path)}: {warning}", file=sys.stderr)
    if result["failed"]:
        print(f"sonotag: {len(result['failed'])} file(s) failed:", file=sys.stderr)
        for path, cause in result["failed"]:
            print(f"  {display(path)}: {cause}", file=sys.stderr)
        return 1
    if not result["files_total"]:
        print("sonotag: error: no audio files found among the inputs", file=sys.stderr)
        return 1
    return 0


def _untrained_warning(manifest: dict[str, Any], model: Path) -> str:
    """The app flags such a model on every screen; the command line wrote its tables
    ("Great tit 0.9999" on storm-petrels) without a word."""
    if not manifest.get("untrained_backbone"):
        return ""
    return (
        f"sonotag: WARNING: {display(model)} was trained on the UNTRAINED backbone "
        "(random weights): its scores are for testing only"
    )


def format_batch_summary(result: dict[str, Any], threshold: float) -> str:
    lines = [
        f"{len(result['done'])} file(s) done: {result['clips']} windows, "
        f"{result['detections']} detection(s) at threshold {threshold:g}"
        + (f", {result['clips_per_s']:.1f} clips/s" if result.get("clips_per_s") else ""),
        f"{len(result['skipped'])} file(s) skipped as already done by an earlier run",
        f"{len(result['failed'])} file(s) failed"
        + (f" (listed in {result['errors_file']})" if result["failed"] else ""),
        f"{len(result.get('warnings', []))} file(s) scored with warnings"
        + (" (damaged; listed below)" if result.get("warnings") else ""),
        f"tables in {result['out_dir']}",
    ]
    if result.get("engine"):
        lines.insert(1, f"engine: {result['engine']}")
    return "\n".join(lines)


def run_weights_status(args: argparse.Namespace) -> int:
    from model.ml import weights

    found = weights.find_weights()
    if found is None:
        print(
            f"ImageNet weights not installed (expected at {weights.cached_weights_path()}); "
            f"download {weights.URL} and run 'sonotag weights import FILE'"
        )
        return 1
    print(f"ImageNet weights installed: {found}")
    return 0


def run_weights_import(args: argparse.Namespace) -> int:
    from model.ml import weights

    path = weights.import_weights(args.file)
    print(f"ImageNet weights checked and installed: {path}")
    return 0
