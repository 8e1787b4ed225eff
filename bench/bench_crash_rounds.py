"""Time per kill round of the crash-safety scenario (tests/model/project/test_crash_safety.py).

The test kills a label-writing child process 20 times and checks no committed label is lost;
it used to fail when 20 rounds took more than 35 s on a loaded machine. The test now follows
the child's reports, not the clock; this prints how long the rounds take here, and how many
labels each round commits before its kill.

    .venv/bin/python bench/bench_crash_rounds.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_cancel import cpu_model  # noqa: E402
from model.project import Project  # noqa: E402
from tests.model.project.conftest import FakeInfo  # noqa: E402
from tests.model.project.test_crash_safety import CHILD  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    print(f"CPU: {cpu_model()}")
    rng = random.Random(20240501)
    times, labels = [], []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "crash.sonotag"
        with Project.create(path) as proj:
            rec = proj.add_recording(Path(tmp) / "long.wav", FakeInfo(), "fp").id
            cls = proj.add_class("Great tit").id
        for round_ in range(args.rounds):
            began = time.monotonic()
            child = subprocess.Popen(
                [sys.executable, "-c", CHILD, str(path), str(rec), str(cls), str(round_ * 100_000)],
                cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
            ids = [child.stdout.readline() for _ in range(rng.randint(1, 40))]
            child.kill()
            out, _ = child.communicate()
            times.append(time.monotonic() - began)
            labels.append(len(ids) + len(out.split()))
    print(
        f"{args.rounds} rounds: {sum(times):.1f} s in all; per round median "
        f"{statistics.median(times):.2f} s, max {max(times):.2f} s; labels committed per round "
        f"median {statistics.median(labels):.0f}"
    )


if __name__ == "__main__":
    main()
