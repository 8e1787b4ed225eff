"""Scoring leaves out windows over NaN/Inf samples and says so; it used to score them as silence
(detections at 0.995) and exit 0 without a word."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from model.batch import batch_predict_job
from model.cli import main
from model.jobs import run_inline
from model.ml.predict import _project_windows
from model.project import Project
from tests.model.audio.test_damage import nan_wav
from tests.model.test_batch import make_head_bundle


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_head_bundle(tmp_path_factory.mktemp("damage-model") / "head.sonotag-model")


def test_batch_scores_only_clean_windows_and_warns(bundle: Path, tmp_path: Path, capsys) -> None:
    folder = tmp_path / "card"
    folder.mkdir()
    nan_wav(folder / "export.wav")  # NaN 2-3 s, Inf at 4 s; 6 s long
    out = tmp_path / "out"
    result = run_inline(batch_predict_job, str(bundle), [str(folder)], str(out), threshold=0.0)
    (path, warning), = result["warnings"]  # fmt: skip
    assert path.endswith("export.wav") and "16.7 %" in warning
    with (out / "export.csv").open(encoding="utf-8") as fh:
        starts = sorted({float(row["start_s"]) for row in csv.DictReader(fh)})
    assert starts == [0.0]  # windows 1-3, 2-4, 3-5 and 4-6 each touch a bad span

    code = main(["predict", str(bundle), str(folder), "--out", str(tmp_path / "o2"), "--offline"])
    err = capsys.readouterr().err
    assert code == 0 and "warning" in err and "export.wav" in err and "NaN" in err


def test_project_scoring_windows_skip_bad_spans(tmp_path: Path) -> None:
    wav = nan_wav(tmp_path / "export.wav")
    with Project.create(tmp_path / "p.sonotag") as project:
        rec = project.add_recording(wav)
        starts = _project_windows(rec, 2.0, 0.5)
    # 9 windows at a 0.5-s hop; only 0-2 s touches no NaN (2-3 s) and no Inf (at 4 s)
    assert starts.tolist() == [0.0]
