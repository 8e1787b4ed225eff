"""The sonotag command line: each command, its output and its exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from model import __version__
from model.cli import main
from model.project import Project

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture()
def folder(tmp_path: Path, real_data: Path) -> Path:
    """A field folder: two real recordings in a sub-folder, one broken file, one text file."""
    root = tmp_path / "card"
    (root / "night1").mkdir(parents=True)
    shutil.copy(real_data / "pykanto-raw/AM/20210502_040000.WAV", root / "night1")
    shutil.copy(real_data / "great_tit/2021-B32-0415_05-3.wav", root / "night1")
    (root / "night1" / "20210503_000000.WAV").write_bytes(b"")  # battery died
    (root / "notes.txt").write_text("not audio")
    return root


def test_version(capsys) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"sonotag {__version__}"


def test_usage_error_exits_2(capsys) -> None:
    assert main(["frobnicate"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert main(["project", "add", "only-one-arg.sonotag"]) == 2


def test_info_prints_facts_and_start_time(real_data: Path, capsys) -> None:
    path = real_data / "pykanto-raw/AM/20210502_040000.WAV"
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "48000 Hz" in out and "2021-05-02T04:00:00+00:00" in out
    assert "site         247AA5075E06337D (from audiomoth-id)" in out


def test_info_json_and_bad_file(real_data: Path, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00garbage")
    good = real_data / "great_tit/2021-B32-0415_05-3.wav"
    assert main(["info", "--json", str(good), str(bad)]) == 1
    captured = capsys.readouterr()
    facts = json.loads(captured.out.strip().splitlines()[0])
    assert facts["sample_rate"] == 22050 and facts["channels"] == 1
    assert facts["duration_s"] == pytest.approx(sf.info(str(good)).duration)
    assert captured.err.count("\n") == 1 and "broken.wav" in captured.err


def test_project_new_adds_folder_recursively_and_reports_skips(folder: Path, capsys) -> None:
    project_path = folder.parent / "survey.sonotag"
    assert main(["project", "new", str(project_path), str(folder)]) == 1  # one file skipped
    captured = capsys.readouterr()
    assert "added 2 recording(s)" in captured.out
    assert "20210503_000000.WAV" in captured.err and "skipped" in captured.err
    with Project.open(project_path) as project:
        names = sorted(rec.path.name for rec in project.recordings())
    assert names == ["2021-B32-0415_05-3.wav", "20210502_040000.WAV"]


def test_project_add_twice_adds_nothing_new(folder: Path, capsys) -> None:
    project_path = folder.parent / "p.sonotag"
    assert main(["project", "new", str(project_path)]) == 0
    good = [str(folder / "night1" / n) for n in ("20210502_040000.WAV", "2021-B32-0415_05-3.wav")]
    assert main(["project", "add", str(project_path), *good]) == 0
    assert main(["project", "add", str(project_path), *good]) == 0
    assert "2 already in the project" in capsys.readouterr().out
    with Project.open(project_path) as project:
        assert len(project.recordings()) == 2


def test_project_errors_exit_1_with_one_line(tmp_path: Path, folder: Path, capsys) -> None:
    missing = tmp_path / "nope.sonotag"
    assert main(["project", "add", str(missing), str(folder)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sonotag: error: ") and "nope.sonotag" in err
    existing = tmp_path / "p.sonotag"
    assert main(["project", "new", str(existing)]) == 0
    assert main(["project", "new", str(existing)]) == 1  # never overwrite a project
    assert main(["project", "new", str(tmp_path / "p.txt")]) == 2  # a usage error: the name
    assert main(["project", "add", str(existing), str(tmp_path / "no-such-dir")]) == 1
    assert "no-such-dir" in capsys.readouterr().err


def test_open_passes_paths_to_gui(tmp_path: Path, folder: Path) -> None:
    calls: list[tuple] = []
    wav = folder / "night1" / "20210502_040000.WAV"
    assert main(["open", str(wav)], launch_gui=lambda p, a: calls.append((p, a)) or 0) == 0
    assert main([], launch_gui=lambda p, a: calls.append((p, a)) or 0) == 0
    assert calls == [(None, [wav]), (None, [])]
    assert main(["open", str(tmp_path / "x.sonotag"), str(wav)], launch_gui=None) == 2
    assert main(["open", str(tmp_path / "absent.sonotag")], launch_gui=None) == 1


def test_console_script_runs_without_a_display(real_data: Path, tmp_path: Path) -> None:
    """The installed entry point: non-GUI commands must not need Qt or a display."""
    script = Path(sys.executable).with_name("sonotag")
    wav = tmp_path / "tone.flac"
    sf.write(wav, np.zeros(8000, dtype=np.float32), 8000)
    env = {"PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "nonexistent-platform"}
    result = subprocess.run(
        [str(script), "info", str(wav)], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "8000 Hz" in result.stdout
    probe = "import sys, app.entry; sys.exit('PySide6' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], cwd=REPO).returncode == 0


def test_train_refuses_an_empty_project_before_loading_tensorflow(tmp_path: Path) -> None:
    project = tmp_path / "empty.sonotag"
    assert main(["project", "new", str(project)]) == 0
    code = (
        "import sys\nfrom model.cli import main\n"
        f"rc = main(['train', {str(project)!r}, '--untrained-backbone'])\n"
        "sys.exit(rc * 10 + ('tensorflow' in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 10, result.stderr  # exit 1, TensorFlow never imported
    assert "empty.sonotag: has no classes yet" in result.stderr


def test_train_report_names_classes_left_out() -> None:
    from model.cli.ml_commands import format_report

    report = format_report(
        {
            "name": "m", "model_id": 1, "bundle": "m.sonotag-model", "untrained_backbone": False,
            "device": "CPU", "metrics": {"per_class": {}, "map": 0.9, "split": {}},
            "classes_left_out": ["European storm petrel"],
        }
    )  # fmt: skip
    assert "left out: European storm petrel (needs at least 2 clips labelled present)" in report
