"""``sonotag predict --cluster`` on a real local Ray cluster: the same tables, errors.csv and
resume log as a local run, byte for byte; a worker killed mid-run loses no finished file and
scores none twice; a file that fails on a worker is listed, not retried.

The model is an untrained head on the untrained ResNet50 (what it learnt does not matter
here) and the recordings are a few seconds long, so the module stays well under a minute and
a half on a busy two-core machine.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import signal
from collections import Counter
from pathlib import Path

import pytest

import model.cluster.work as work
from model.batch import ERRORS_FILE, STATE_FILE, batch_predict_job
from model.jobs import Progress, run_inline
from tests.model.test_batch import make_head_bundle, write_wav

FILES = 12


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_head_bundle(tmp_path_factory.mktemp("cluster-model") / "head.sonotag-model")


@pytest.fixture(scope="module")
def card(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two sites with files of the same names, lengths 3-8 s, and one file that is not audio."""
    root = tmp_path_factory.mktemp("cluster-card")
    for i in range(FILES):
        write_wav(root / f"site_{'ab'[i % 2]}" / f"2023040{i // 2}_0500.WAV", 3.0 + i % 6, i)
    (root / "site_a" / "broken.wav").write_bytes(b"RIFF, but nothing else")
    return root


@pytest.fixture(scope="module")
def local_run(bundle: Path, card: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local") / "out"
    run_inline(batch_predict_job, str(bundle), [str(card)], str(out), threshold=0.0)
    return out


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of a few files, so two workers share a dozen short ones (as they share
    thousands of long ones with the real minimum)."""
    monkeypatch.setattr(work, "MIN_CHUNK_WINDOWS", 12)


def tables(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != STATE_FILE
    }


def done_lines(out: Path) -> Counter[str]:
    """How often each file was logged as done (the log is append-only between starts)."""
    counts: Counter[str] = Counter()
    for line in (out / STATE_FILE).read_text().splitlines():
        entry = json.loads(line)
        if entry.get("status") == "done":
            counts[entry["path"]] += 1
    return counts


def test_cluster_tables_are_the_local_tables_byte_for_byte(
    ray_cluster, bundle, card, local_run, tmp_path, capsys
):
    from model.cli import main

    out = tmp_path / "out"
    code = main(
        [
            "predict",
            str(bundle),
            str(card),
            "--out",
            str(out),
            "--threshold",
            "0",
            "--cluster",
            "auto",
            "--workers",
            "2",
        ]
    )
    captured = capsys.readouterr()
    assert code == 1  # the broken file
    assert "2 worker(s)" in captured.out and "broken.wav" in captured.err
    expected = tables(local_run)
    assert sorted(tables(out)) == sorted(expected) and len(expected) == FILES + 1
    assert tables(out) == expected  # errors.csv included
    assert done_lines(out) == done_lines(local_run)
    assert all(filecmp.cmp(out / n, local_run / n, shallow=False) for n in expected)

    again = run_inline(  # resumes: nothing left to score, no worker started
        batch_predict_job, str(bundle), [str(card)], str(out), threshold=0.0, cluster="auto"
    )
    assert len(again["skipped"]) == FILES and not again["done"]


def test_killed_worker_loses_no_finished_file_and_scores_none_twice(
    ray_cluster, bundle, card, local_run, tmp_path
):
    out = tmp_path / "out"
    seen: dict[str, int] = {}
    killed: list[int] = []

    def kill_one_worker(progress: Progress) -> None:
        workers = progress.data.get("workers") or []
        busy = [w for w in workers if w.get("stage") == "scoring" and w.get("pid")]
        if killed or progress.done < 3 or not busy:
            return
        for path in done_lines(out):  # finished before the kill: must stay as they are
            table = out / json.loads(_entry(out, path))["output"]
            seen[path] = table.stat().st_mtime_ns
        killed.append(busy[0]["pid"])
        os.kill(busy[0]["pid"], signal.SIGKILL)

    result = run_inline(
        batch_predict_job,
        str(bundle),
        [str(card)],
        str(out),
        threshold=0.0,
        cluster="auto",
        workers=2,
        on_progress=kill_one_worker,
    )
    assert killed, "the run ended before a worker could be killed"
    assert len(result["done"]) == FILES and len(result["failed"]) == 1
    counts = done_lines(out)
    assert len(counts) == FILES and set(counts.values()) == {1}  # none scored twice
    for path, mtime in seen.items():  # no finished file lost or written again
        table = out / json.loads(_entry(out, path))["output"]
        assert table.stat().st_mtime_ns == mtime
    assert tables(out) == tables(local_run)

    again = run_inline(
        batch_predict_job, str(bundle), [str(card)], str(out), threshold=0.0, cluster="auto"
    )
    assert len(again["skipped"]) == FILES and not again["done"]


def _entry(out: Path, path: str) -> str:
    return next(
        line
        for line in (out / STATE_FILE).read_text().splitlines()
        if f'"path": {json.dumps(path)}' in line and '"done"' in line
    )


def test_file_failing_on_a_worker_is_listed_once_and_the_run_goes_on(ray_cluster, bundle, tmp_path):
    """A file that vanishes between the driver's check and its worker's read: the worker's
    error comes back with its cause, lands in errors.csv, and is not sent again."""
    root = tmp_path / "card"
    paths = [write_wav(root / f"f{i}.wav", 3.0, i) for i in range(3)]
    out = tmp_path / "out"

    def remove_while_loading(progress: Progress) -> None:
        if progress.data.get("stage") == "loading" and paths[1].exists():
            paths[1].unlink()

    result = run_inline(
        batch_predict_job,
        str(bundle),
        [str(root)],
        str(out),
        threshold=0.0,
        cluster="auto",
        workers=1,
        on_progress=remove_while_loading,
    )
    assert len(result["done"]) == 2
    assert [Path(p).name for p, _ in result["failed"]] == ["f1.wav"]
    rows = (out / ERRORS_FILE).read_text().splitlines()
    assert len(rows) == 2 and rows[1].startswith(str(paths[1]))
    failed = [json.loads(x) for x in (out / STATE_FILE).read_text().splitlines()[1:]]
    assert [e["status"] for e in failed if e["path"] == str(paths[1])] == ["failed"]
    shutil.rmtree(out)
