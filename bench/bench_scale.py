"""Costs from 10 to 100,000 recordings, before and after, in one run on one machine.

Builds projects through the public project API (hard links to one real recording of the
repository, synthetic scores: ``bench/scale/build.py``) and prints, for the code as it was
("before": unpacked from git at ``--before``) and as it is in this checkout ("after"):

- window (offscreen): start to first paint, one label key-press, Add Folder finding nothing new
  (whole job and the recordings table's update on the GUI thread), peak memory;
- opening: ``Project.open`` warm and cold;
- aggregates: ``Project.counts``, the activity summary and review queues, on many short and on
  few long recordings (1,000 one-hour files = 3.6 million windows x 20 classes);
- ml: feature cache size, head retrain on 1k-300k labelled cached clips, ``build_examples``
  with 10k-40k labels in one recording, ``sonotag train`` with re-scoring at 10.8k-302k windows
  (time and peak memory; ``bench/scale/ml.py``).

Every figure comes from a fresh process (``bench/scale/common.py``); a probe that runs past
``--timeout`` is stopped and printed as "> N s". Sections are modules of ``bench/scale/`` with
``TITLE`` and ``rows(codes, settings)``; add one by adding its name to ``SECTIONS``.

    .venv/bin/python bench/bench_scale.py --quick          # 10 and 1,000 recordings, < 2 min
    .venv/bin/python bench/bench_scale.py                  # 10 / 1k / 10k / 100k recordings
    .venv/bin/python bench/bench_scale.py --before none    # this checkout only
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale.common import (  # noqa: E402
    REPO,
    Code,
    Settings,
    cpu_model,
    load_average,
    print_rows,
    probe_main,
)

SECTIONS = ("window", "opening", "aggregates", "ml")
# The last commit before the scale work of issue 18 (the code the figures come from).
BEFORE = "f850954"


def unpack(rev: str, work: Path) -> Path:
    """The tree of ``rev`` as files (``git archive``), once per revision."""
    full = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", rev], capture_output=True, text=True, check=True
    ).stdout.strip()
    target = work / f"code-{full[:12]}"
    if not (target / "model").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", "--format=tar", full],
            capture_output=True, check=True,
        ).stdout  # fmt: skip
        with tempfile.TemporaryFile() as handle:
            handle.write(archive)
            handle.seek(0)
            with tarfile.open(fileobj=handle) as tar:
                tar.extractall(target, filter="data")
    return target


def describe_after() -> str:
    head = subprocess.run(
        ["git", "-C", str(REPO), "log", "-1", "--format=%h %s"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    return head + (" (+ uncommitted changes)" if dirty else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 and 1,000 recordings only")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=None)
    parser.add_argument("--sections", default=",".join(SECTIONS))
    numbers = lambda s: [int(x) for x in s.split(",")]  # noqa: E731
    parser.add_argument("--ml-clips", type=numbers, help="labelled clips to retrain on")
    parser.add_argument("--ml-recordings", type=numbers, help="one-hour recordings to re-score")
    parser.add_argument(
        "--ml-rows", default="cache,retrain,examples,rescore", help="rows of section ml"
    )
    parser.add_argument(
        "--before-max-clips", type=int, help='largest retrain given to "before" (~29 KB/clip)'
    )
    parser.add_argument("--before", default=BEFORE, help='git revision, or "none"')
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "sonotag-bench-scale"
    )
    parser.add_argument("--rebuild", action="store_true", help="build the projects again")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per probe")
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    parser.add_argument("--code", help=argparse.SUPPRESS)
    parser.add_argument("--kwargs", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        probe_main(args.probe, args.code, args.kwargs)
        return 0

    sizes = args.sizes or ([10, 1000] if args.quick else [10, 1000, 10_000, 100_000])
    timeout = args.timeout or (60.0 if args.quick else 600.0)
    settings = Settings(
        args.quick, args.work, args.rebuild, timeout, sizes,
        args.ml_clips, args.ml_recordings, args.before_max_clips,
        tuple(args.ml_rows.split(",")),
    )  # fmt: skip
    codes = [Code("after", REPO)]
    if args.before != "none":
        codes.insert(0, Code("before", unpack(args.before, args.work)))
    cores = os.cpu_count()
    print(f"bench_scale {datetime.now():%Y-%m-%d %H:%M} on {cpu_model()} ({cores} cores)")
    print(f"  load average at the start: {load_average()} (1 / 5 / 15 min)")
    for code in codes:
        what = describe_after() if code.label == "after" else f"{args.before} (git archive)"
        print(f"  {code.label}: {what}")
    print(f"  projects in {args.work}; a probe is stopped after {timeout:.0f} s\n", flush=True)
    began = time.perf_counter()
    for name in args.sections.split(","):
        section = importlib.import_module(f"scale.{name}")
        rows = section.rows(codes, settings)
        print(f"\n## {section.TITLE}")
        print_rows(rows, [c.label for c in codes])
    print(
        f"\n(total {time.perf_counter() - began:.0f} s; load average at the end: {load_average()})"
    )
    print("Times: wall clock, with the probe process's CPU time where measured (CPU ...).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
