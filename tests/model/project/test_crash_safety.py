"""A process killed mid-edit loses no committed label and leaves a sound file.

A child process adds labels as fast as it can, printing each id only after ``put_label``
returned; the parent kills it (SIGKILL on POSIX, TerminateProcess on Windows) after a random
number of labels, while it is writing the next ones, many times over, sometimes reopening in
between so recovery from a half-written WAL is exercised. The kills follow the child's own
reports rather than the clock, so a loaded machine makes the test slower, never wrong; how
long the rounds take is measured by bench/bench_crash_rounds.py.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

from model.project import Project
from tests.model.project.conftest import FakeInfo

REPO = Path(__file__).resolve().parents[3]

CHILD = """
import sys
from model.project import Project
proj = Project.open(sys.argv[1])
rec, cls, offset = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print("ready", flush=True)
i = 0
while True:
    start = (offset + i) * 2.0
    label = proj.put_label(rec, start, start + 2.0, cls, ("present", "absent")[i % 2], note="n")
    print(label.id, flush=True)
    i += 1
"""

KILLS = 20


def test_killed_writer_loses_no_committed_label(tmp_path: Path) -> None:
    path = tmp_path / "crash.sonotag"
    with Project.create(path) as proj:
        rec = proj.add_recording(tmp_path / "long.wav", FakeInfo(), "fp").id
        cls = proj.add_class("Great tit").id
    rng = random.Random(20240501)
    committed: set[int] = set()
    for round_ in range(KILLS):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), str(rec), str(cls), str(round_ * 100_000)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        first = child.stdout.readline().strip()
        assert first == "ready", child.stderr.read() if child.stderr else first
        ids = [int(child.stdout.readline()) for _ in range(rng.randint(1, 40))]
        child.kill()  # it is writing the next labels now: the kill lands mid-write
        out, _ = child.communicate()
        ids += [int(line) for line in out.split()]  # one write() per id line
        committed.update(ids)
        if round_ % 3 == 2:  # reopen now and then (recovers the WAL), otherwise let it pile up
            with Project.open(path) as check:
                present = {lb.id for lb in check.labels()}
            assert committed <= present
    assert len(committed) > KILLS  # the kills really happened while labels were being written
    with Project.open(path) as proj:
        present = {lb.id for lb in proj.labels()}
        assert proj.integrity_check() == "ok"
    missing = committed - present
    assert not missing, f"{len(missing)} committed labels lost, e.g. {sorted(missing)[:5]}"
