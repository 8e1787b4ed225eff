"""Batch scoring of folders (``model.batch``): resume after an interruption, bad files listed
and never fatal, tables mirroring the folder tree, progress with clips/s and an audio-based ETA.

The model is a freshly built (untrained) head on the untrained backbone: batch behaviour does
not depend on what the model learnt, and building one takes a second instead of a training run.
Recordings are tiny generated WAVs plus a few real great-tit clips.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from model.batch import (
    ERRORS_FILE,
    STATE_FILE,
    BatchState,
    Throughput,
    assign_outputs,
    batch_predict_job,
    expand_batch_inputs,
)
from model.errors import ModelBundleError
from model.jobs import Cancelled, Progress, run_inline

RATE = 22050
CLASSES = ("tone", "sweep")


def make_head_bundle(path: Path, class_names: tuple[str, ...] = CLASSES) -> Path:
    """A valid model file: an untrained two-layer head for the untrained ResNet50."""
    from model.clips import ClipSettings
    from model.ml.backbones import create as create_backbone
    from model.ml.bundle import KIND_HEAD, make_manifest, save_bundle
    from model.ml.head import build_head

    head = build_head(len(class_names), np.zeros(2048, np.float32), np.ones(2048, np.float32))
    manifest = make_manifest(
        kind=KIND_HEAD,
        class_names=class_names,
        clip_settings=ClipSettings(),
        backbone=create_backbone("resnet50-untrained", precision="float32").describe(),
        label_counts={},
        metrics={},
        training={},
    )
    return save_bundle(path, head, manifest)


def write_wav(path: Path, seconds: float, seed: int) -> Path:
    import soundfile as sf

    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    sf.write(path, rng.normal(0, 0.05, int(seconds * RATE)).astype(np.float32), RATE)
    return path


@pytest.fixture(scope="session")
def bundle_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_head_bundle(tmp_path_factory.mktemp("batch-model") / "head.sonotag-model")


@pytest.fixture
def recordings(tmp_path: Path, real_data: Path) -> Path:
    """Two sites with an AudioMoth-style file of the same name each, and two real clips."""
    root = tmp_path / "card"
    write_wav(root / "site_a" / "20230401_050000.WAV", 3.0, 1)
    write_wav(root / "site_b" / "20230401_050000.WAV", 3.0, 2)
    (root / "great_tit").mkdir()
    for name in ("2021-B32-0415_05-11.wav", "2021-B32-0415_05-15.wav"):
        shutil.copyfile(real_data / "great_tit" / name, root / "great_tit" / name)
    return root


@pytest.fixture
def scored_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every file the scoring engine scored, in order (the real scoring runs). The pipeline
    reads the next files ahead, so a file counts once its scores come out."""
    from model.ml.scoring import ScoringEngine

    calls: list[str] = []
    original = ScoringEngine.score

    def counting(self: ScoringEngine, *args: object, **kwargs: object) -> object:
        for result in original(self, *args, **kwargs):
            calls.append(str(Path(result.job.path)))
            yield result

    monkeypatch.setattr(ScoringEngine, "score", counting)
    return calls


def run(bundle: Path, inputs: list[Path], out: Path, **kwargs: object) -> dict:
    return run_inline(batch_predict_job, str(bundle), [str(p) for p in inputs], str(out), **kwargs)


def tables(out: Path) -> list[str]:
    return sorted(
        p.relative_to(out).as_posix() for p in out.rglob("*.csv") if p.name != ERRORS_FILE
    )


EXPECTED = [
    "great_tit/2021-B32-0415_05-11.csv",
    "great_tit/2021-B32-0415_05-15.csv",
    "site_a/20230401_050000.csv",
    "site_b/20230401_050000.csv",
]


def test_interrupted_batch_resumes_without_redoing_finished_files(
    bundle_path: Path, recordings: Path, tmp_path: Path, scored_files: list[str]
) -> None:
    out = tmp_path / "out"

    def stop_after_two(progress: Progress) -> None:
        if progress.data.get("stage") == "scoring" and progress.done >= 2:
            raise Cancelled()

    with pytest.raises(Cancelled):
        run_inline(
            batch_predict_job,
            str(bundle_path),
            [str(recordings)],
            str(out),
            threshold=0.0,
            on_progress=stop_after_two,
        )
    first = list(scored_files)
    assert len(first) == 2
    finished = {p: p.stat().st_mtime_ns for p in out.rglob("*.csv") if p.name != ERRORS_FILE}
    assert len(finished) == 2
    # A kill in the middle of appending to the log leaves a torn last line.
    with (out / STATE_FILE).open("a", encoding="utf-8") as fh:
        fh.write('{"path": "/torn", "si')

    scored_files.clear()
    result = run(bundle_path, [recordings], out, threshold=0.0)

    assert sorted(result["skipped"]) == sorted(first)
    assert not set(scored_files) & set(first)
    assert len(scored_files) == 2 and sorted(result["done"]) == sorted(scored_files)
    assert result["failed"] == []
    assert tables(out) == EXPECTED
    assert {p: p.stat().st_mtime_ns for p in finished} == finished  # not rewritten
    assert not list(out.rglob("*.part"))
    for table in EXPECTED:  # threshold 0: one row per window and class, 2 windows per 3 s
        rows = (out / table).read_text().splitlines()[1:]
        assert len(rows) >= 2 * len(CLASSES)
    log = [json.loads(line) for line in (out / STATE_FILE).read_text().splitlines()]
    assert sum(entry.get("status") == "done" for entry in log) == 4  # compacted, torn line gone

    scored_files.clear()
    again = run(bundle_path, [recordings], out, threshold=0.0)
    assert scored_files == [] and len(again["skipped"]) == 4


def test_bad_files_are_listed_with_their_cause_and_the_rest_complete(
    bundle_path: Path, recordings: Path, tmp_path: Path, scored_files: list[str]
) -> None:
    bad = recordings / "site_a"
    (bad / "empty.wav").write_bytes(b"")
    (bad / "notes.wav").write_text("battery low, recorder restarted at 05:10\n")
    cut = write_wav(bad / "cut.wav", 3.0, 3)
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])  # card pulled mid-write
    out = tmp_path / "out"
    events: list[Progress] = []

    result = run_inline(
        batch_predict_job,
        str(bundle_path),
        [str(recordings), str(tmp_path / "no-such-folder")],
        str(out),
        on_progress=events.append,
    )

    causes = dict(result["failed"])
    assert set(causes) == {
        str(tmp_path / "no-such-folder"),
        str(bad / "empty.wav"),
        str(bad / "notes.wav"),
    }
    assert "empty" in causes[str(bad / "empty.wav")]
    assert "not an audio file" in causes[str(bad / "notes.wav")]
    assert "no such file" in causes[str(tmp_path / "no-such-folder")]
    # The card pulled mid-write: its readable half is scored, and the run says it is cut short.
    assert dict(result["warnings"]).keys() == {str(bad / "cut.wav")}
    assert "truncated" in dict(result["warnings"])[str(bad / "cut.wav")]
    assert len(result["done"]) == 5 and tables(out) == sorted([*EXPECTED, "site_a/cut.csv"])
    with (out / ERRORS_FILE).open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["file", "cause"] and {tuple(r) for r in rows[1:]} == set(causes.items())
    assert str(bad / "empty.wav") not in scored_files  # failed on its header, before scoring
    assert events[-1].done == events[-1].total == 7
    assert events[-1].data["failed"] == 3

    scored_files.clear()
    again = run(bundle_path, [recordings], out)  # bad files are tried again, good ones skipped
    assert len(again["skipped"]) == 5 and len(again["failed"]) == 2 and scored_files == []


def test_changed_files_and_settings_are_scored_again(
    bundle_path: Path, recordings: Path, tmp_path: Path, scored_files: list[str]
) -> None:
    out = tmp_path / "out"
    run(bundle_path, [recordings], out)
    changed = recordings / "site_b" / "20230401_050000.WAV"
    os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns + 10**9))
    scored_files.clear()
    assert run(bundle_path, [recordings], out)["done"] == [str(changed)]
    assert scored_files == [str(changed)]
    (out / "site_a" / "20230401_050000.csv").unlink()  # a table deleted by hand
    assert run(bundle_path, [recordings], out)["done"] == [
        str(recordings / "site_a" / "20230401_050000.WAV")
    ]
    scored_files.clear()
    result = run(bundle_path, [recordings], out, threshold=0.9)  # other settings: all again
    assert len(result["done"]) == 4 and len(scored_files) == 4 and result["skipped"] == []


def test_progress_shows_files_done_clips_per_second_and_eta(
    bundle_path: Path, recordings: Path, tmp_path: Path
) -> None:
    events: list[Progress] = []
    run_inline(
        batch_predict_job,
        str(bundle_path),
        [str(recordings)],
        str(tmp_path / "out"),
        fmt="raven",
        on_progress=events.append,
    )
    scoring = [e for e in events if e.data.get("stage") == "scoring"]
    assert [e.done for e in scoring] == sorted(e.done for e in scoring)
    assert {e.total for e in scoring} == {4}
    assert {e.done for e in scoring} == {0, 1, 2, 3}
    later = [e for e in scoring if e.done >= 1]
    assert all(e.data["clips_per_s"] > 0 and e.data["eta_s"] is not None for e in later)
    assert all(Path(e.data["file"]).name in e.message for e in scoring)
    total_audio = scoring[0].data["audio_total_s"]
    assert total_audio == pytest.approx(3.0 + 3.0 + 2.48 + 2.6, abs=0.01)
    assert events[-1].data["stage"] == "done" and events[-1].data["eta_s"] == 0.0
    assert sorted(p.name for p in (tmp_path / "out").rglob("*.selections.txt"))[0].startswith(
        "2021-B32"
    )


def test_eta_follows_audio_seconds_not_file_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr("model.batch.time.monotonic", lambda: clock[0])
    meter = Throughput(audio_total_s=3600.0 + 4 * 60.0)  # one 1-hour file, four 1-minute ones
    meter.start()
    clock[0] += 30.0
    meter.audio_done_s, meter.clips = 240.0, 240  # the four short files: 4 of 5 files done
    figures = meter.figures()
    assert figures["clips_per_s"] == pytest.approx(8.0)
    assert figures["eta_s"] == pytest.approx(3600.0 / 8.0)  # not a fifth of the elapsed time
    assert meter.figures(extra_audio_s=1800.0)["eta_s"] == pytest.approx(1800 / (2040 / 30))


def test_outputs_mirror_folders_and_never_clash(tmp_path: Path) -> None:
    one, two = tmp_path / "card1", tmp_path / "card2"
    for folder in (one, two):
        write_wav(folder / "20230401_050000.WAV", 0.1, 0)
    write_wav(one / "deep" / "night" / "Errors.wav", 0.1, 0)
    write_wav(one / "errors.wav", 0.1, 0)
    write_wav(one / "A.wav", 0.1, 0)
    write_wav(one / "a.flac", 0.1, 0)
    files, missing = expand_batch_inputs([one, two, one / "A.wav"])
    assert missing == [] and len(files) == 6  # A.wav named twice counts once
    out = tmp_path / "out"
    out.mkdir()
    state = BatchState(out)
    try:
        assign_outputs(files, "csv", state, "key", out)
    finally:
        state.close()
    outputs = {f.path.relative_to(tmp_path).as_posix(): f.output for f in files}
    assert outputs["card1/20230401_050000.WAV"] == "20230401_050000.csv"
    assert outputs["card2/20230401_050000.WAV"] == "20230401_050000-2.csv"
    assert outputs["card1/deep/night/Errors.wav"] == "deep/night/Errors.csv"
    assert outputs["card1/errors.wav"] == "errors-2.csv"  # errors.csv is the batch's own
    pair = {outputs["card1/A.wav"].casefold(), outputs["card1/a.flac"].casefold()}
    assert pair == {"a.csv", "a-2.csv"}  # one folder on a case-insensitive disk
    assert len({o.casefold() for o in outputs.values()}) == 6

    # A file finished earlier keeps its table's name when a clashing file turns up later.
    (out / STATE_FILE).unlink()
    state = BatchState(out)
    try:
        done = next(f for f in files if f.root == two.resolve())
        done.output = "20230401_050000.csv"  # an earlier run over card2 alone
        state.record(done, "key", "done")
        fresh, _ = expand_batch_inputs([one, two])
        assign_outputs(fresh, "csv", state, "key", out)
    finally:
        state.close()
    names = {f.path.relative_to(tmp_path).as_posix(): f.output for f in fresh}
    assert names["card2/20230401_050000.WAV"] == "20230401_050000.csv"
    assert names["card1/20230401_050000.WAV"] == "20230401_050000-2.csv"


def test_a_wrong_model_file_fails_before_any_work(tmp_path: Path, recordings: Path) -> None:
    bad = tmp_path / "bad.sonotag-model"
    bad.write_text("nope")
    with pytest.raises(ModelBundleError, match="not a Sonotag model file"):
        run(bad, [recordings], tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_killed_worker_process_loses_no_finished_file(
    bundle_path: Path, recordings: Path, tmp_path: Path
) -> None:
    """The real failure mode: the process dies mid-run (power cut, OOM), no cancel step."""
    from model.jobs import ProcessJob

    for index in range(4):
        write_wav(recordings / "more" / f"r{index}.wav", 3.0, 10 + index)
    out = tmp_path / "out"
    job = ProcessJob(
        "model.batch:batch_predict_job",
        model_path=str(bundle_path),
        inputs=[str(recordings)],
        out_dir=str(out),
    ).start()
    killed_at = None
    try:
        while killed_at is None:
            events = job.poll(1.0)
            assert not job.finished, events
            for event in events:
                progress = event.progress
                if progress and progress.data.get("stage") == "scoring" and progress.done >= 2:
                    job.kill()
                    killed_at = progress.done
                    break
    finally:
        job.kill()
    job._process.join(10)
    before = tables(out)
    assert len(before) >= 2
    result = run(bundle_path, [recordings], out)
    assert len(result["skipped"]) >= len(before)
    assert len(result["skipped"]) + len(result["done"]) == 8 and result["failed"] == []
    assert len(tables(out)) == 8
