"""``sonotag project zone``: the zone of file names, shown, set, refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import soundfile as sf

from model.cli import main
from model.project import Project


def test_project_zone_shows_sets_and_refuses(tmp_path: Path, capsys) -> None:
    wav = tmp_path / "20210701_060000.wav"
    sf.write(wav, np.zeros(8000, np.float32), 8000)
    project = tmp_path / "p.sonotag"
    assert main(["project", "new", str(project), str(wav)]) == 0
    capsys.readouterr()
    assert main(["project", "zone", str(project)]) == 0
    assert "file names are in UTC (1 recording(s) dated from their file name)" in (
        capsys.readouterr().out
    )
    assert main(["project", "zone", str(project), "europe/london"]) == 0
    assert "file names are in Europe/London; 1 recording(s) dated again" in capsys.readouterr().out
    with Project.open(project, read_only=True) as opened:
        (rec,) = opened.recordings()
        assert rec.start_time == datetime(2021, 7, 1, 5, tzinfo=UTC)  # 06:00 BST
    assert main(["project", "zone", str(project), "Mars/Olympus"]) == 1
    err = capsys.readouterr().err
    assert "'Mars/Olympus' is not a time zone" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert main(["project", "zone", str(tmp_path / "none.sonotag"), "UTC"]) == 1
    assert "no such project" in capsys.readouterr().err
