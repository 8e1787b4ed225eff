"""``sonotag train / predict / weights`` through ``model.cli.main``."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.cli import main
from tests.model.ml.conftest import Trained


def test_train_command_prints_ap_and_copies_the_bundle(
    project_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], no_backbone: None
) -> None:
    out = tmp_path / "exported.sonotag-model"
    code = main(
        [
            "train",
            str(project_copy),
            "--untrained-backbone",
            "--epochs",
            "8",
            "--out",
            str(out),
            "--name",
            "cli model",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert out.is_file()
    assert "UNTRAINED" in captured.out and "mAP" in captured.out
    for name in ("tone", "sweep", "trill"):
        assert f" {name} (" in captured.out
    assert "training" in captured.err  # the progress bar
    assert (project_copy.parent / "synthetic.models" / "cli_model.sonotag-model").is_file()
    # the copy is made after the folds were measured: it carries the figures
    from model.ml.bundle import read_manifest

    assert read_manifest(out)["metrics"]["map"] is not None
    # every recording of this project sits in one folder: said once, not per class
    assert "note: All labelled recordings are at one site" in captured.out


def test_train_command_on_an_unlabelled_project_fails_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from model.project import Project

    path = tmp_path / "empty.sonotag"
    Project.create(path).close()
    assert main(["train", str(path), "--untrained-backbone"]) == 1
    assert "has no classes yet" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("fmt", "suffix", "header"),
    [
        ("raven", ".Table.1.selections.txt", "Selection\tView\tChannel\tBegin Time (s)"),
        ("audacity", ".labels.txt", None),
        ("csv", ".csv", "file,start_s,end_s"),
    ],
)
def test_predict_command_writes_detections(
    trained: Trained,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
    suffix: str,
    header: str | None,
) -> None:
    wav = trained.folder / "rec00.wav"
    out = tmp_path / "out"
    code = main(
        [
            "predict",
            trained.result["bundle"],
            str(wav),
            str(tmp_path / "gone.wav"),
            "--out",
            str(out),
            "--format",
            fmt,
            "--hop",
            "1",
            "--threshold",
            "0.5",
        ]
    )
    captured = capsys.readouterr()
    assert code == 1, captured.err  # a named file is missing: reported, the rest is done
    assert "gone.wav: no such file" in captured.err
    assert "1 file(s) done" in captured.out and "1 file(s) failed" in captured.out
    assert trained.result["untrained_backbone"]  # offline: the fixture trains on it
    assert captured.err.count("trained on the UNTRAINED backbone") == 2
    lines = (out / f"rec00{suffix}").read_text().splitlines()
    if header:
        assert lines[0].startswith(header)
        lines = lines[1:]
    assert len(lines) >= 8  # 8 slots, 7 of them with calls, most calls in 2 windows
    labels = {
        line.split("\t" if fmt != "csv" else ",")[-2 if fmt == "raven" else -1] for line in lines
    }
    if fmt == "audacity":
        assert labels <= {"tone", "sweep", "trill"} and len(labels) == 3


def test_predict_command_lists_bad_files_exits_1_and_resumes(
    trained: Trained, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    folder = tmp_path / "card"
    folder.mkdir()
    for name in ("rec00.wav", "rec01.wav"):
        shutil.copyfile(trained.folder / name, folder / name)
    (folder / "empty.wav").write_bytes(b"")
    (folder / "readme.wav").write_text("not audio at all")
    out = tmp_path / "out"
    argv = ["predict", trained.result["bundle"], str(folder), "--out", str(out)]

    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "2 file(s) done" in captured.out and "2 file(s) failed" in captured.out
    assert "empty.wav: file is empty" in captured.err
    assert "readme.wav: not an audio file" in captured.err
    assert "files" in captured.err and "clips/s" in captured.err  # the progress bar
    assert (out / "rec00.csv").is_file() and (out / "rec01.csv").is_file()
    assert "readme.wav" in (out / "errors.csv").read_text()

    assert main(argv) == 1  # the bad files still fail; the good ones are not redone
    captured = capsys.readouterr()
    assert "0 file(s) done" in captured.out
    assert "2 file(s) skipped as already done" in captured.out

    (folder / "empty.wav").unlink()
    (folder / "readme.wav").unlink()
    assert main(argv) == 0
    assert "0 file(s) failed" in capsys.readouterr().out
    assert (out / "errors.csv").read_text().splitlines() == ["file,cause"]


def test_predict_help_states_resume_and_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "skips the files already done" in text
    assert "exit status: 0 when every file was scored" in text and "1 when any file failed" in text


def test_predict_command_with_a_damaged_model_fails_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.sonotag-model"
    bad.write_text("nope")
    assert main(["predict", str(bad), str(tmp_path), "--out", str(tmp_path / "o")]) == 1
    assert "not a Sonotag model file" in capsys.readouterr().err


def test_weights_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from keras.src.backend import config

    monkeypatch.setattr(config, "_KERAS_DIR", str(tmp_path))
    assert main(["weights", "status"]) == 1
    assert "not installed" in capsys.readouterr().out
    wrong = tmp_path / "w.h5"
    wrong.write_bytes(b"x" * 100)
    assert main(["weights", "import", str(wrong)]) == 1
    assert "MD5 checksum" in capsys.readouterr().err


def test_the_summary_points_below_only_when_something_is_listed_there() -> None:
    """'0 file(s) scored with warnings (damaged; see below)' pointed at nothing (outsider)."""
    from model.cli.ml_commands import format_batch_summary

    base = {"done": ["a"], "clips": 4, "detections": 1, "skipped": [], "failed": [],
            "out_dir": "out"}  # fmt: skip
    assert "see below" not in format_batch_summary({**base, "warnings": []}, 0.5)
    text = format_batch_summary({**base, "warnings": [("a.wav", "cut short")]}, 0.5)
    assert "1 file(s) scored with warnings (damaged; listed below)" in text
