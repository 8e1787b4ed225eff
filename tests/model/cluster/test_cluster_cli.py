"""``--cluster`` and ``--workers`` on the command line, without starting a cluster: refused
before any work when they cannot be right, and Ray never imported by a local run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import model.cluster
from model.cli import main
from model.cluster.progress import cluster_parts, worker_lines
from tests.model.test_batch import write_wav

REPO = Path(__file__).resolve().parents[3]


def test_workers_must_be_at_least_one(tmp_path, capsys):
    model_file = tmp_path / "m.sonotag-model"
    model_file.write_bytes(b"")
    code = main(
        ["predict", str(model_file), str(tmp_path), "--out", str(tmp_path / "o"), "--workers", "0"]
    )
    assert code == 2 and "--workers" in capsys.readouterr().err


def test_cluster_without_the_extra_names_what_to_install(tmp_path, capsys, monkeypatch):
    from tests.model.test_batch import make_head_bundle

    bundle = make_head_bundle(tmp_path / "m.sonotag-model")
    write_wav(tmp_path / "in" / "a.wav", 2.0, 0)
    monkeypatch.setattr(model.cluster, "available", lambda: False)
    out = tmp_path / "out"
    code = main(
        ["predict", str(bundle), str(tmp_path / "in"), "--out", str(out), "--cluster", "auto"]
    )
    err = capsys.readouterr().err
    assert code == 1 and 'pip install "sonotag[cluster]"' in err
    assert not out.exists()  # refused before any work
    code = main(["predict", str(bundle), str(tmp_path / "in"), "--out", str(out), "--workers", "2"])
    assert code == 2 and "--cluster" in capsys.readouterr().err


def test_a_local_run_never_imports_ray():
    probe = (
        "import sys\nfrom model.cli import main\n"
        "try:\n    main(['predict', '--help'])\nexcept SystemExit:\n    pass\n"
        "import model.batch, model.cluster\n"
        "sys.exit(10 + ('ray' in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 10, result.stderr
    assert "--cluster auto|ADDRESS" in result.stdout


def test_progress_words_for_a_cluster_run():
    data = {
        "audio_hours_per_min": 1.234,
        "workers": [
            {
                "name": "worker 1",
                "host": "lab-1",
                "stage": "scoring",
                "file": "a.wav",
                "fraction": 0.5,
                "files_done": 3,
                "device": "CPU (OpenVINO, float32, 8 cores)",
            },
            {"name": "worker 2", "host": "lab-2", "stage": "restarting", "files_done": 0},
        ],
    }
    assert cluster_parts(data) == ["1.23 h audio/min", "1/2 workers busy"]
    lines = worker_lines(data)
    assert lines[0] == (
        "worker 1 on lab-1: scoring a.wav (50%); 3 file(s) done; CPU (OpenVINO, float32, 8 cores)"
    )
    assert lines[1].startswith("worker 2 on lab-2: restarting; 0 file(s) done")
