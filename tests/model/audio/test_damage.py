"""Damaged audio is flagged, never read as silence without a word: NaN/Inf samples, sample
rates no recorder uses, MP3/Ogg decode failures with their real cause (and no mpg123 notes on
the terminal), symbolic link loops."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from model.audio import AudioFile, probe, read_span
from model.audio.damage import SampleDamage
from model.errors import AudioError
from tests.model.audio.conftest import signal, write

REPO = Path(__file__).resolve().parents[3]
RATE = 22050


def nan_wav(path: Path, seconds: float = 6.0) -> Path:
    """Float WAV with NaN over 2-3 s and +Inf over 100 samples at 4 s."""
    x = np.random.default_rng(1).normal(0, 0.1, int(seconds * RATE)).astype(np.float32)
    x[2 * RATE : 3 * RATE] = np.nan
    x[4 * RATE : 4 * RATE + 100] = np.inf
    sf.write(path, x, RATE, subtype="FLOAT")
    return path


def test_nan_and_inf_samples_are_reported_with_their_share(tmp_path: Path) -> None:
    info = probe(nan_wav(tmp_path / "export.wav"))
    bad = RATE + 100
    assert f"({bad} of {6 * RATE})" in info.warning and "16.7 %" in info.warning
    assert "NaN" in info.warning and "not scored" in info.warning
    with AudioFile(tmp_path / "export.wav") as f:
        damage = f.damage()
        assert damage.bad == bad and len(damage.spans) == 2
        assert damage.spans[0] == pytest.approx((2.0, 3.0))
        assert damage.spans[1] == pytest.approx((4.0, 4.0 + 100 / RATE))
        samples = f.read(1.5, 2.0)  # over the NaN span: zeros, so nothing downstream breaks
        assert np.isfinite(samples).all() and not samples[RATE // 2 : 3 * RATE // 2].any()
        assert samples[: RATE // 2].any() and samples[3 * RATE // 2 :].any()
        assert np.isfinite(f.read(0.0, 6.0, sample_rate=16000)).all()


def test_windows_touching_bad_samples_are_left_out() -> None:
    damage = SampleDamage(bad=10, total=100, spans=((2.0, 3.0), (4.0, 4.01)))
    starts = np.arange(0.0, 5.0, 0.5)
    kept = starts[damage.usable(starts, 2.0)]
    assert kept.tolist() == [0.0, 4.5]  # 0-2 ends where NaN starts; 3-5 touches 4.0-4.01


def test_integer_files_are_not_scanned(tmp_path: Path) -> None:
    path = write(tmp_path / "pcm.wav", signal(RATE, 1, 1.0), RATE, "WAV", "PCM_16")
    with AudioFile(path) as f:
        assert not f.damage() and probe(path).warning == ""


def test_a_file_of_nothing_but_nan_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "all_nan.wav"
    sf.write(path, np.full(RATE, np.nan, np.float32), RATE, subtype="FLOAT")
    with pytest.raises(AudioError, match="every sample is NaN or infinite") as caught:
        probe(path)
    assert caught.value.path == path


@pytest.mark.parametrize("rate", [1, 8, 500, 999, 800_000, 2_000_000])
def test_sample_rates_no_recorder_uses_are_refused(tmp_path: Path, rate: int) -> None:
    path = tmp_path / f"rate{rate}.wav"
    sf.write(path, np.zeros(max(rate // 10, 100), np.float32), rate)
    with pytest.raises(AudioError, match=f"sample rate of {rate} Hz is outside") as caught:
        probe(path)
    assert "1 kHz to 768 kHz" in caught.value.cause


@pytest.mark.parametrize("rate", [1_000, 8_000, 384_000, 768_000])
def test_sample_rates_recorders_use_open(tmp_path: Path, rate: int) -> None:
    path = tmp_path / f"rate{rate}.wav"
    sf.write(path, np.zeros(rate // 10, np.float32), rate)
    assert probe(path).sample_rate == rate


def _mp3(tmp_path: Path) -> bytes:
    path = write(tmp_path / "good.mp3", signal(RATE, 1, 3.0), RATE, "MP3", "MPEG_LAYER_III")
    return path.read_bytes()


def test_mp3_decode_errors_name_the_real_cause(tmp_path: Path) -> None:
    data = _mp3(tmp_path)
    cases = {
        "bad_tag.mp3": b"ID3" + bytes(range(256)) * 12,
        "thirty_bytes.mp3": data[:30],
        "noise.mp3": np.random.default_rng(3).bytes(5000),
    }
    for name, blob in cases.items():
        (tmp_path / name).write_bytes(blob)
        with pytest.raises(AudioError) as caught:
            probe(tmp_path / name)
        cause = caught.value.cause
        assert "pipe" not in cause and "regular file" not in cause, cause
        assert "MP3" in cause or "not an audio file" in cause, cause


def test_ogg_without_a_decodable_stream_says_so(tmp_path: Path) -> None:
    (tmp_path / "bad.ogg").write_bytes(b"OggS" + np.random.default_rng(4).bytes(3000))
    with pytest.raises(AudioError, match="no audio stream in this Ogg file") as caught:
        probe(tmp_path / "bad.ogg")
    assert "unimplemented" not in caught.value.cause


def test_mpg123_notes_do_not_reach_the_terminal(tmp_path: Path) -> None:
    data = _mp3(tmp_path)
    noisy = bytearray(data)
    noisy[len(data) // 2 : len(data) // 2 + 1500] = np.random.default_rng(5).bytes(1500)
    (tmp_path / "noisy.mp3").write_bytes(bytes(noisy))
    (tmp_path / "bad_tag.mp3").write_bytes(b"ID3" + bytes(range(256)) * 12)
    (tmp_path / "cut.mp3").write_bytes(data[: len(data) // 3])
    script = (
        "import sys\nfrom model.audio import AudioFile, probe\n"
        "from model.errors import AudioError\n"
        "for p in sys.argv[1:]:\n"
        "    try:\n"
        "        print(p, probe(p).warning)\n"
        "        with AudioFile(p) as f: f.read(0, 1e6)\n"
        "    except AudioError as e:\n"
        "        print('ERR', e)\n"
        "print('something else on stderr', file=sys.stderr)\n"
    )
    files = [str(tmp_path / n) for n in ("noisy.mp3", "bad_tag.mp3", "cut.mp3")]
    done = subprocess.run(
        [sys.executable, "-c", script, *files], cwd=REPO, capture_output=True, text=True,
        timeout=120, env=dict(os.environ, PYTHONPATH=str(REPO)),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for word in ("Note:", "libmpg123", "Illegal Audio-MPEG-Header", "resync"):
        assert word not in done.stderr, done.stderr
    assert "something else on stderr" in done.stderr  # only the decoder's lines are held back
    assert "decoder says" in done.stdout  # the notes went into the cause/warning instead


def test_truncated_mp3_opens_with_a_warning(tmp_path: Path) -> None:
    data = _mp3(tmp_path)
    (tmp_path / "cut.mp3").write_bytes(data[: len(data) // 2])
    info = probe(tmp_path / "cut.mp3")
    assert "truncated or damaged" in info.warning and "readable part is used" in info.warning
    assert len(read_span(tmp_path / "cut.mp3", 0, 10.0)) == info.frames


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name != "posix", reason="needs symlinks")
def test_symbolic_link_loops_and_broken_links_are_named(tmp_path: Path) -> None:
    os.symlink(tmp_path / "b.wav", tmp_path / "a.wav")
    os.symlink(tmp_path / "a.wav", tmp_path / "b.wav")
    os.symlink(tmp_path / "gone.wav", tmp_path / "dangling.wav")
    with pytest.raises(AudioError, match="symbolic link loop"):
        probe(tmp_path / "a.wav")
    with pytest.raises(AudioError, match="broken symbolic link: it points to .*gone.wav"):
        probe(tmp_path / "dangling.wav")
    from model.ingest import walk_inputs

    _found, missing = walk_inputs([tmp_path / "a.wav"])
    assert "symbolic link loop" in missing[0][1]


@pytest.mark.skipif(os.name != "posix", reason="needs symlinks")
def test_a_link_loop_in_a_folder_is_skipped_with_its_cause(tmp_path: Path, capsys) -> None:
    """Path.resolve() raises on a loop; it once ended a whole folder run as an internal error."""
    from model.cli import main

    card = tmp_path / "card"
    card.mkdir()
    write(card / "good.wav", signal(RATE, 1, 3.0), RATE, "WAV", "PCM_16")
    os.symlink(card / "b.wav", card / "a.wav")
    os.symlink(card / "a.wav", card / "b.wav")
    assert main(["project", "new", str(tmp_path / "p.sonotag"), str(card)]) == 1
    err = capsys.readouterr().err
    assert "unexpected" not in err and "symbolic link loop" in err
    with pytest.raises(AudioError, match="symbolic link loop"):
        probe(card / "a.wav")
    from model.batch import expand_batch_inputs

    files, _missing = expand_batch_inputs([card])
    assert {f.path.name for f in files} == {"good.wav", "a.wav", "b.wav"}
