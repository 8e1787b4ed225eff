"""``sonotag project new --preset``, ``project preset`` and ``project hears``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from matplotlib.image import imread

from model.cli import main
from model.clips import clip_images
from model.clips.demo_calls import _sweep
from model.clips.image import colour_lut
from model.clips.presets import PRESETS
from model.project import Project
from model.project.clip_choice import stored_clip_settings
from tests.model.clips.call_region import box_mask

RATE = 384_000


def bat_night(path: Path, seconds: float = 6.0) -> list[float]:
    """A 384 kHz recording (16-bit, as AudioMoth writes) with a bat pass from 0.5 s: FM calls
    80->30 kHz of 3-8 ms, ten a second, at -30 dB re full scale over -70 dB noise. Returns the
    call start times."""
    rng = np.random.default_rng(7)
    x = rng.normal(0, 10 ** (-70 / 20), round(seconds * RATE))
    starts = []
    t = 0.5
    while t < seconds - 0.5:
        call = _sweep(RATE, 80_000, 30_000, float(rng.uniform(0.003, 0.008))) * 10 ** (-30 / 20)
        i = round(t * RATE)
        x[i : i + call.shape[0]] += call
        starts.append(t)
        t += 0.1 + float(rng.uniform(-0.01, 0.01))
    sf.write(str(path), x.astype(np.float32), RATE, subtype="PCM_16")
    return starts


def _levels(image: np.ndarray) -> np.ndarray:
    lut = colour_lut("viridis").astype(np.int64)
    lookup = {int((r << 16) | (g << 8) | b): i for i, (r, g, b) in enumerate(lut)}
    img = image.astype(np.int64)
    keys = (img[..., 0] << 16) | (img[..., 1] << 8) | img[..., 2]
    return np.vectorize(lookup.__getitem__)(keys).astype(np.float64)


def test_bats_preset_on_a_384_khz_recording_shows_every_call(tmp_path: Path, capsys) -> None:
    wav = tmp_path / "20260601_213000.WAV"
    calls = bat_night(wav)
    project_path = tmp_path / "bats.sonotag"
    assert main(["project", "new", "--preset", "bats", str(project_path), str(wav)]) == 0
    assert "the bats preset (15–120 kHz" in capsys.readouterr().out
    with Project.open(project_path) as project:
        settings = stored_clip_settings(project)
        recording = project.recordings()[0]
    assert settings == PRESETS["bats"].settings
    starts = np.arange(0.0, 5.0, 1.0)
    images = clip_images(recording.path, starts, settings)
    for start, image in zip(starts, images, strict=True):
        level = _levels(image)
        inside = [c - start for c in calls if 0 <= c - start <= settings.clip_seconds - 0.01]
        gaps = box_mask([(0, 2, 32_000, 78_000)], settings) & ~box_mask(
            [(c - 0.01, c + 0.02, 0, 1e6) for c in inside], settings
        )
        background = np.median(level[gaps]) if gaps.any() else 0.0
        for c in inside:
            one = box_mask([(c, c + 0.008, 32_000, 78_000)], settings)
            assert level[one].max() - background > 100, (start, c)
    # The same file in a songbird project: the calls are simply not there.
    songbird = clip_images(recording.path, starts, PRESETS["songbirds"].settings)
    assert _levels(songbird[1]).max() < 10


def test_project_new_custom_and_bad_preset_arguments(tmp_path: Path, capsys) -> None:
    path = tmp_path / "p.sonotag"
    assert main(["project", "new", str(path), "--preset", "custom"]) == 2
    assert "needs --band" in capsys.readouterr().err
    assert main(["project", "new", str(path), "--band", "1", "2"]) == 2
    assert main(["project", "new", str(path), "--preset", "custom", "--band", "9", "3"]) == 2
    assert main(["project", "new", str(path), "--preset", "whales"]) == 2
    assert not path.exists()  # nothing half made
    assert main(["project", "new", str(path), "--preset", "custom", "--band", "2000", "60000"]) == 0
    with Project.open(path) as project:
        settings = stored_clip_settings(project)
    assert (settings.fmin, settings.fmax, settings.sample_rate) == (2000, 60000, 192_000)


def test_project_preset_shows_sets_and_refuses_once_frozen(tmp_path: Path, capsys) -> None:
    path = tmp_path / "p.sonotag"
    assert main(["project", "new", str(path)]) == 0
    assert main(["project", "preset", str(path)]) == 0
    assert "the songbirds preset (0.15–11.025 kHz" in capsys.readouterr().out
    assert main(["project", "preset", str(path), "low"]) == 0
    with Project.open(path) as project:
        assert stored_clip_settings(project) == PRESETS["low"].settings
        project.add_model("m", tmp_path / "m", {"clip_settings": {}}, {})
    capsys.readouterr()
    assert main(["project", "preset", str(path), "insects"]) == 1
    assert "cannot change any more" in capsys.readouterr().err


def test_project_hears_writes_the_clip_image(tmp_path: Path, capsys) -> None:
    wav = tmp_path / "night.wav"
    bat_night(wav, seconds=3.0)
    path = tmp_path / "p.sonotag"
    assert main(["project", "new", "--preset", "bats", str(path)]) == 0
    out = tmp_path / "clip.png"
    assert main(["project", "hears", str(path), str(wav), "--start", "0.5", "--out", str(out)]) == 0
    picture = imread(out)
    assert picture.shape[:2] == (448, 448)
    assert main(["project", "hears", str(path), str(wav), "--start", "9"]) == 2
    assert "past its end" in capsys.readouterr().err


@pytest.mark.parametrize("rate, warned", [(48_000, True), (384_000, False)])
def test_adding_a_recording_too_slow_for_the_preset_warns(
    tmp_path: Path, capsys, rate: int, warned: bool
) -> None:
    wav = tmp_path / "r.wav"
    sf.write(str(wav), np.zeros(rate, np.float32), rate)
    path = tmp_path / "p.sonotag"
    assert main(["project", "new", "--preset", "bats", str(path), str(wav)]) == 0
    assert ("only up to 24 kHz" in capsys.readouterr().err) is warned


def test_options_may_come_between_the_files_as_people_type_them(tmp_path: Path) -> None:
    """``sonotag project new P.sonotag --preset bats night1/`` used to stop with
    "unrecognized arguments: night1/" (argparse ended the file list at the project)."""
    folder = tmp_path / "night1"
    folder.mkdir()
    sf.write(str(folder / "a.wav"), np.zeros(RATE // 10, np.float32), RATE)
    project = tmp_path / "P.sonotag"
    assert main(["project", "new", str(project), "--preset", "bats", str(folder)]) == 0
    with Project.open(project) as opened:
        assert stored_clip_settings(opened) == PRESETS["bats"].settings
        assert len(opened.recordings()) == 1
    assert main(["project", "add", str(project), str(folder), "--bogus"]) == 2  # still refused
