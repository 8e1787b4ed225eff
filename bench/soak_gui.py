"""The GUI soak: thousands of seeded random user actions on the real window (issue 9).

Each action is a real click or key on the main window, or one of its menu actions (add
recordings, import a table, add/rename/delete a class, train on the untrained backbone and
cancel, score, review with A/Z/U/S, close and reopen, switch projects). After every action a
separate process reads the project file and compares it with a plain-Python model of what it
must hold (``tests/app/soak``); any difference stops the run with the seed and the step. At the
end the app quits and every project is checked on disk: the write-ahead log folded in, every
expected label there, ``quick_check`` ok.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/soak_gui.py [--steps 5000] [--seed 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        return next(
            line.split(":", 1)[1].strip() for line in out.splitlines() if "Model name" in line
        )
    except (OSError, subprocess.CalledProcessError, StopIteration):
        return platform.processor() or "unknown CPU"


def quit_quietly(soak) -> None:
    """After a divergence: the app still quits cleanly (jobs ended, workers gone)."""
    from tests.app.soak.driver import Divergence

    try:
        soak.close()
    except Divergence:
        pass  # already reported: the first divergence is the one that matters


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--wait", type=float, default=0.6, help="how often to wait for training")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from tests.app.soak.driver import Divergence, Soak

    app = QApplication.instance() or QApplication([])
    print(f"CPU: {cpu_model()}, {os.cpu_count()} CPUs; seed {args.seed}, {args.steps} actions")
    with tempfile.TemporaryDirectory(prefix="sonotag-soak-") as tmp:
        soak = Soak(Path(tmp), args.seed, wait_for_training=args.wait)
        try:
            stats = soak.run(args.steps, report_every=250)
            soak.close()
        except Divergence as exc:
            print(f"DIVERGENCE: {exc}")
            quit_quietly(soak)
            return 1
    per_action = ", ".join(f"{k} {v}" for k, v in stats.actions.most_common())
    print(f"actions: {per_action}")
    print(f"what ran: {dict(stats.outcomes)}")
    print(f"errors reported to the user (expected ones, e.g. duplicate names): {len(stats.errors)}")
    print(
        f"seed {args.seed}: {stats.steps} actions in {stats.seconds:.0f} s, compared with the "
        f"file after every one; labels expected at the end {stats.labels_expected}, "
        f"labels lost {stats.labels_lost}"
    )
    del app
    return 0 if stats.labels_lost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
