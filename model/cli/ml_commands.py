"""``sonotag train``, ``sonotag predict`` and ``sonotag weights``: the ML workflow from a shell.

For a field station's server or a cron job: train on a project's labels, score a folder of new
recordings into tables Raven, Audacity or a spreadsheet open, and install the ImageNet weights
from a file where there is no internet. Same job functions as the GUI, with a text progress bar.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from model.cli.progress import ProgressBar
from model.errors import SonotagError
from model.jobs import Reporter, run_inline

FORMATS = {"csv": ".csv", "raven": ".selections.txt", "audacity": ".labels.txt"}


def register(commands: Any) -> None:
    train = commands.add_parser("train", help="train a classifier on a project's labels")
    train.add_argument("project", type=Path, metavar="P.sonotag")
    train.add_argument("--epochs", type=int, default=60, help="most epochs for the head (60)")
    train.add_argument(
        "--fine-tune",
        action="store_true",
        help="then fine-tune the last ResNet stage on clip images (GPU advised)",
    )
    train.add_argument("--fine-tune-epochs", type=int, default=5, metavar="N")
    train.add_argument("--out", type=Path, metavar="FILE", help="also copy the model here")
    train.add_argument("--name", help="model name (default: model-<date>-<time>)")
    train.add_argument(
        "--untrained-backbone",
        action="store_true",
        help="random backbone weights: for tests, no ImageNet weights needed",
    )
    train.add_argument(
        "--hop",
        type=float,
        default=1.0,
        metavar="S",
        help="window hop for re-scoring the project's recordings (1.0 s)",
    )
    train.add_argument("--no-score", action="store_true", help="do not re-score recordings")
    train.add_argument("--offline", action="store_true", help="never download weights")
    train.set_defaults(func=run_train)

    predict = commands.add_parser("predict", help="score audio files with a trained model")
    predict.add_argument("model", type=Path, metavar="MODEL")
    predict.add_argument("inputs", nargs="+", type=Path, metavar="AUDIO_OR_DIR")
    predict.add_argument("--out", type=Path, required=True, metavar="DIR")
    predict.add_argument("--format", choices=sorted(FORMATS), default="csv")
    predict.add_argument(
        "--hop",
        type=float,
        default=1.0,
        metavar="S",
        help="seconds between window starts (1.0; windows are 2 s)",
    )
    predict.add_argument(
        "--threshold", type=float, default=0.5, help="write windows scoring at least this (0.5)"
    )
    predict.add_argument("--offline", action="store_true", help="never download weights")
    predict.set_defaults(func=run_predict)

    weights = commands.add_parser("weights", help="ImageNet weights: status, or import a file")
    actions = weights.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("status", help="say whether the weights are installed").set_defaults(
        func=run_weights_status
    )
    imp = actions.add_parser("import", help="check a downloaded weights file and install it")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.set_defaults(func=run_weights_import)


def _run_with_bar(title: str, job: Any, *args: Any, **kwargs: Any) -> Any:
    bar = ProgressBar(title)
    try:
        return run_inline(job, *args, on_progress=bar, **kwargs)
    finally:
        bar.close()


def run_train(args: argparse.Namespace) -> int:
    from model.ml.train import train_job

    if args.epochs < 1:
        raise SonotagError(None, "--epochs must be at least 1")
    result = _run_with_bar(
        "training",
        train_job,
        str(args.project),
        epochs=args.epochs,
        fine_tune=args.fine_tune,
        fine_tune_epochs=args.fine_tune_epochs,
        untrained_backbone=args.untrained_backbone,
        name=args.name,
        out=str(args.out) if args.out else None,
        hop=args.hop,
        score=not args.no_score,
        allow_download=not args.offline,
    )
    print(format_report(result))
    return 0


def format_report(result: dict[str, Any]) -> str:
    metrics = result["metrics"]
    lines = [f"model {result['name']} (id {result['model_id']}): {result['bundle']}"]
    if result["untrained_backbone"]:
        lines.append("WARNING: trained on the UNTRAINED backbone (random weights): test use only")
    split = metrics.get("split", {})
    lines.append(
        f"held out: {split.get('held_out_clips', 0)} clips ({split.get('method')}), "
        f"trained on {split.get('train_clips', 0)}; device: {result['device']}"
    )
    for name, figures in metrics.get("per_class", {}).items():
        ap = "n/a" if figures["ap"] is None else f"{figures['ap']:.3f}"
        lines.append(f"  AP {ap}  {name} ({figures['positives']} present held out)")
    if metrics.get("map") is not None:
        lines.append(f"mAP {metrics['map']:.3f}")
    elif metrics.get("note"):
        lines.append(metrics["note"])
    scoring = result.get("scoring")
    if scoring:
        lines.append(
            f"scored {scoring['recordings_scored']} recording(s), {scoring['windows']} windows"
        )
        lines += [f"skipped {text}" for text in scoring["skipped"]]
    return "\n".join(lines)


def predict_files_job(
    reporter: Reporter,
    model_path: str,
    inputs: list[str],
    out_dir: str,
    fmt: str = "csv",
    hop: float = 1.0,
    threshold: float = 0.5,
    allow_download: bool = True,
) -> dict[str, Any]:
    """Scores each audio file and writes one table per file; unreadable files are listed."""
    from model.errors import AudioError
    from model.ingest import expand_inputs
    from model.ml.bundle import load_bundle
    from model.ml.predict import Scorer

    files, missing = expand_inputs(inputs)
    skipped = [(str(path), cause) for path, cause in missing]
    bundle = load_bundle(model_path)
    scorer = Scorer(bundle, allow_download=allow_download)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    detections = 0
    for index, path in enumerate(files):
        reporter.update(index, len(files), f"scoring {path.name}")
        try:
            starts, scores = scorer.score_file(path, hop, reporter)
        except AudioError as exc:
            skipped.append((str(path), exc.cause))
            continue
        target = out / (path.stem + FORMATS[fmt])
        detections += write_detections(target, fmt, path, starts, scores, bundle, threshold)
        written.append(str(target))
    reporter.update(len(files), len(files), "done")
    return {"written": written, "skipped": skipped, "detections": detections}


def write_detections(
    target: Path,
    fmt: str,
    audio: Path,
    starts: Any,
    scores: Any,
    bundle: Any,
    threshold: float,
) -> int:
    """One row per (window, class) scoring at least ``threshold``; returns the row count."""
    from model.annotations.audacity import write_audacity
    from model.annotations.csv_table import write_csv_table
    from model.annotations.raven import write_raven
    from model.annotations.records import Annotation

    settings = bundle.clip_settings
    names = bundle.class_names
    rows = []
    for i, start in enumerate(starts):
        for k, name in enumerate(names):
            score = float(scores[i, k])
            if score >= threshold:
                rows.append(
                    Annotation(
                        file=audio.resolve() if fmt == "csv" else None,
                        start=float(start),
                        end=float(start) + settings.clip_seconds,
                        low_hz=settings.fmin,
                        high_hz=settings.fmax,
                        label=name,
                        score=round(score, 4),
                    )
                )
    if fmt == "raven":
        write_raven(target, rows, label_column="Species")
    elif fmt == "audacity":
        write_audacity(target, rows, frequencies=False)
    else:
        write_csv_table(target, rows)
    return len(rows)


def run_predict(args: argparse.Namespace) -> int:
    if args.hop <= 0:
        raise SonotagError(None, "--hop must be a positive number of seconds")
    result = _run_with_bar(
        "scoring",
        predict_files_job,
        str(args.model),
        [str(p) for p in args.inputs],
        str(args.out),
        fmt=args.format,
        hop=args.hop,
        threshold=args.threshold,
        allow_download=not args.offline,
    )
    for path, cause in result["skipped"]:
        print(f"sonotag: skipped {path}: {cause}", file=sys.stderr)
    print(
        f"wrote {len(result['written'])} table(s), {result['detections']} detection(s) "
        f"at threshold {args.threshold} to {args.out}"
    )
    if not result["written"]:
        print("sonotag: error: no readable recordings among the inputs", file=sys.stderr)
        return 1
    return 0


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
