"""Crafted bad inputs through the real command line, one process each, and what came of them.

Builds a scratch folder of damaged recordings, odd file names, bad projects and model files, and
runs ``sonotag`` (``python -m app.entry``) on each with a table of bad arguments; prints one row
per case: the exit status and the first line the user saw. A case passes when the program
either refuses it with one clear line (exit 1 or 2, the file or the argument named) or handles
it (exit 0, with a warning where the input is damaged); it fails on a traceback, a crash (a
signal), a hang (timeout), an unexpected exit status, or mpg123's notes on the terminal.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bad_inputs.py [--only WORD]
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO / "tests" / "data"
RATE = 22050
BAD_NAME = os.fsdecode(b"caf\xe9_\xff.wav")


@dataclass
class Case:
    what: str
    args: str  # shell words; {d} is the scratch folder
    expect: str  # "error" (exit 1/2), "usage" (2), "ok" (0), "warn" (0 + warning), "either"
    env: dict[str, str] | None = None


def _wav(path: Path, seconds: float = 3.0, rate: int = RATE, subtype: str = "PCM_16") -> Path:
    x = np.random.default_rng(len(path.name)).normal(0, 0.1, int(seconds * rate))
    sf.write(path, x.astype(np.float32), rate, subtype=subtype)
    return path


def _patch(src: Path, dst: Path, at: int, data: bytes) -> Path:
    blob = bytearray(src.read_bytes())
    blob[at : at + len(data)] = data
    dst.write_bytes(bytes(blob))
    return dst


def build(d: Path) -> None:  # noqa: PLR0915 - one line per crafted file reads best here
    a = d / "audio"
    a.mkdir()
    good = _wav(a / "good.wav")
    raw = good.read_bytes()
    (a / "empty.wav").write_bytes(b"")
    (a / "notes.wav").write_text("species,start,end\ngreat tit,0.5,1.2\n" * 40)
    (a / "folder.wav").mkdir()
    (a / "header_only.wav").write_bytes(raw[:30])
    (a / "truncated.wav").write_bytes(raw[: len(raw) // 2])
    at = raw.find(b"data")
    _patch(good, a / "huge_claim.wav", at + 4, struct.pack("<I", 0xFFFFFFF0))
    _patch(good, a / "no_channels.wav", 22, struct.pack("<H", 0))
    _patch(good, a / "rate_0.wav", 24, struct.pack("<I", 0))
    for rate in (1, 500, 999, 800_000, 2_000_000):
        sf.write(a / f"rate_{rate}.wav", np.zeros(200, np.float32), rate)
    _wav(a / "rate_1000.wav", 1.0, 1000)
    _wav(a / "rate_768000.wav", 0.2, 768_000)
    sf.write(a / "no_samples.wav", np.zeros((0, 1), np.float32), RATE)
    x = np.random.default_rng(1).normal(0, 0.1, 6 * RATE).astype(np.float32)
    y = x.copy()
    y[2 * RATE : 3 * RATE] = np.nan
    y[4 * RATE : 4 * RATE + 100] = np.inf
    sf.write(a / "nan_inf.wav", y, RATE, subtype="FLOAT")
    sf.write(a / "all_nan.wav", np.full(RATE * 3, np.nan, np.float32), RATE, subtype="FLOAT")
    sf.write(a / "all_inf.wav", np.full(RATE * 3, -np.inf, np.float64), RATE, subtype="DOUBLE")
    sf.write(a / "good.mp3", x, RATE, format="MP3")
    mp3 = (a / "good.mp3").read_bytes()
    (a / "truncated.mp3").write_bytes(mp3[: len(mp3) // 3])
    (a / "bad_id3.mp3").write_bytes(b"ID3" + bytes(range(256)) * 12)
    (a / "thirty_bytes.mp3").write_bytes(mp3[:30])
    (a / "noise.mp3").write_bytes(np.random.default_rng(3).bytes(5000))
    noise = np.random.default_rng(6).bytes(2000)
    _patch(a / "good.mp3", a / "corrupt_middle.mp3", len(mp3) // 2, noise)
    sf.write(a / "good.ogg", x, RATE, format="OGG")
    ogg = (a / "good.ogg").read_bytes()
    (a / "truncated.ogg").write_bytes(ogg[: len(ogg) // 3])
    (a / "garbage.ogg").write_bytes(b"OggS" + np.random.default_rng(4).bytes(3000))
    sf.write(a / "good.flac", x, RATE, format="FLAC")
    flac = (a / "good.flac").read_bytes()
    (a / "truncated.flac").write_bytes(flac[: len(flac) // 2])
    _patch(a / "good.flac", a / "bad_header.flac", 0, b"\x00" * 64)
    shutil.make_archive(str(d / "zipped"), "zip", a, "good.wav")
    shutil.copyfile(d / "zipped.zip", a / "zip_renamed.wav")
    if hasattr(os, "mkfifo"):
        os.mkfifo(a / "fifo.wav")
    os.symlink(a / "loop_b.wav", a / "loop_a.wav")
    os.symlink(a / "loop_a.wav", a / "loop_b.wav")
    os.symlink(a / "gone.wav", a / "dangling.wav")
    u = d / "names"
    u.mkdir()
    shutil.copyfile(DATA / "great_tit/2021-B32-0415_05-3.wav", u / BAD_NAME)
    (u / os.fsdecode(b"cass\xe9.wav")).write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk")
    shutil.copyfile(DATA / "great_tit/2021-B32-0415_05-3.wav", d / "rec.wav")
    (d / "notes.txt").write_text("not a model, not audio")
    (d / "fake.sonotag").write_text("not a database " * 300)
    (d / "out_file").write_text("x")
    from model.project import LabelState, Project
    from tests.model.test_batch import make_head_bundle

    with Project.create(d / "p.sonotag") as project:
        rec = project.add_recording(d / "rec.wav")
        tit = project.add_class("great tit")
        project.put_label(rec.id, 0.0, 2.0, tit.id, LabelState.PRESENT)
    Project.create(d / "empty.sonotag").close()
    make_head_bundle(d / "m.sonotag-model")
    model = (d / "m.sonotag-model").read_bytes()
    (d / "cut.sonotag-model").write_bytes(model[: len(model) // 2])


def cases() -> list[Case]:
    audio = [
        ("empty.wav", "error"), ("notes.wav", "error"), ("folder.wav", "error"),
        ("header_only.wav", "error"), ("truncated.wav", "warn"), ("huge_claim.wav", "warn"),
        ("no_channels.wav", "error"), ("rate_0.wav", "error"), ("rate_1.wav", "error"),
        ("rate_500.wav", "error"), ("rate_999.wav", "error"), ("rate_800000.wav", "error"),
        ("rate_2000000.wav", "error"), ("rate_1000.wav", "ok"), ("rate_768000.wav", "ok"),
        ("no_samples.wav", "error"), ("nan_inf.wav", "warn"), ("all_nan.wav", "error"),
        ("all_inf.wav", "error"), ("truncated.mp3", "warn"), ("bad_id3.mp3", "error"),
        ("thirty_bytes.mp3", "error"), ("noise.mp3", "error"), ("corrupt_middle.mp3", "either"),
        ("truncated.ogg", "ok"), ("garbage.ogg", "error"), ("truncated.flac", "warn"),
        ("bad_header.flac", "error"), ("zip_renamed.wav", "error"), ("fifo.wav", "error"),
        ("loop_a.wav", "error"), ("dangling.wav", "error"), ("absent.wav", "error"),
    ]  # fmt: skip
    out = [Case(f"audio: {name}", f"info {{d}}/audio/{name}", kind) for name, kind in audio]
    model = "{d}/m.sonotag-model {d}/rec.wav --out {d}/o"
    out += [
        Case("name not UTF-8: info", f"info {{d}}/names/{BAD_NAME}", "ok"),
        Case("name not UTF-8: project new + add", "project new {d}/n.sonotag {d}/names", "error"),
        Case("name not UTF-8: predict folder", "predict {d}/m.sonotag-model {d}/names "
             "--out {d}/names_out", "error"),
        Case("name not UTF-8: GUI open", f"open {{d}}/names/{BAD_NAME}", "ok",
             {"SONOTAG_SMOKE_QUIT_AFTER_MS": "300", "QT_QPA_PLATFORM": "offscreen"}),
        Case("damaged folder: predict", "predict {d}/m.sonotag-model {d}/audio --out {d}/dmg",
             "error"),
        Case("damaged folder: project add", "project new {d}/dmg.sonotag {d}/audio", "error"),
        Case("project new in /proc", "project new /proc/x.sonotag", "error"),
        Case("project new in /sys", "project new /sys/x.sonotag", "error"),
        Case("project new, folder missing", "project new {d}/absent/x.sonotag", "error"),
        Case("project new, file as folder", "project new {d}/notes.txt/x.sonotag", "error"),
        Case("project new, exists", "project new {d}/p.sonotag", "error"),
        Case("project new, wrong suffix", "project new {d}/p.txt", "usage"),
        Case("project add to a non-project", "project add {d}/fake.sonotag {d}/rec.wav", "error"),
        Case("project add, missing project", "project add {d}/no.sonotag {d}/rec.wav", "error"),
        Case("open a non-project", "open {d}/fake.sonotag", "ok",
             {"SONOTAG_SMOKE_QUIT_AFTER_MS": "300", "QT_QPA_PLATFORM": "offscreen"}),
        Case("open project and audio", "open {d}/p.sonotag {d}/rec.wav", "usage"),
        Case("unknown command", "frobnicate", "usage"),
        Case("train, no project", "train {d}/absent.sonotag", "error"),
        Case("train, empty project", "train {d}/empty.sonotag", "error"),
        Case("train, not a project", "train {d}/fake.sonotag", "error"),
        Case("train --hop 0", "train {d}/p.sonotag --hop 0", "usage"),
        Case("train --hop nan", "train {d}/p.sonotag --hop nan", "usage"),
        Case("train --hop 5 (> clip)", "train {d}/p.sonotag --hop 5", "usage"),
        Case("train --epochs 0", "train {d}/p.sonotag --epochs 0", "usage"),
        Case("train --epochs x", "train {d}/p.sonotag --epochs x", "usage"),
        Case("train --name ''", "train {d}/p.sonotag --name ''", "usage"),
        Case("train --out DIR", "train {d}/p.sonotag --out {d}", "error"),
        Case("train --out /proc/x", "train {d}/p.sonotag --out /proc/x.sonotag-model", "error"),
        Case("train --out missing folder", "train {d}/p.sonotag --out {d}/no/x", "error"),
        Case("predict --hop inf", f"predict {model} --hop inf", "usage"),
        Case("predict --hop 0.0001", f"predict {model} --hop 0.0001", "usage"),
        Case("predict --hop -1", f"predict {model} --hop -1", "usage"),
        Case("predict --hop 3 (> clip)", f"predict {model} --hop 3", "usage"),
        Case("predict --threshold 2", f"predict {model} --threshold 2", "usage"),
        Case("predict --threshold nan", f"predict {model} --threshold nan", "usage"),
        Case("predict --threshold -1", f"predict {model} --threshold -1", "usage"),
        Case("predict --format xls", f"predict {model} --format xls", "usage"),
        Case("predict, no --out", "predict {d}/m.sonotag-model {d}/rec.wav", "usage"),
        Case("predict --out a file", "predict {d}/m.sonotag-model {d}/rec.wav --out "
             "{d}/out_file", "error"),
        Case("predict --out /proc", "predict {d}/m.sonotag-model {d}/rec.wav --out /proc/o",
             "error"),
        Case("predict, model is text", "predict {d}/notes.txt {d}/rec.wav --out {d}/o", "error"),
        Case("predict, model cut short", "predict {d}/cut.sonotag-model {d}/rec.wav --out "
             "{d}/o", "error"),
        Case("predict, model missing", "predict {d}/no.sonotag-model {d}/rec.wav --out {d}/o",
             "error"),
        Case("predict, input missing", "predict {d}/m.sonotag-model {d}/absent.wav --out "
             "{d}/o2", "error"),
        Case("weights import, missing", "weights import {d}/absent.h5", "error"),
        Case("weights import, wrong file", "weights import {d}/notes.txt", "error"),
    ]  # fmt: skip
    return out


def run(case: Case, d: Path) -> tuple[int | str, str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), XDG_DATA_HOME=str(d / "xdg"),
               XDG_CONFIG_HOME=str(d / "xdg-config"), **(case.env or {}))  # fmt: skip
    words = [os.fsencode(w) for w in shlex.split(case.args.format(d=d))]
    try:
        done = subprocess.run([sys.executable, "-m", "app.entry", *words], cwd=REPO, env=env,
                              capture_output=True, timeout=300)  # fmt: skip
    except subprocess.TimeoutExpired:
        return "timeout", "", "FAIL (hang)"
    err = done.stderr.decode("utf-8", "replace")
    lines = [ln for ln in err.splitlines() if ln.startswith("sonotag")]
    last = lines[-1] if lines else ""
    shown = next((ln for ln in lines if "error" in ln or "warning" in ln), last)
    rc = done.returncode
    leaked = [ln for ln in err.splitlines() if ln.startswith(("Note:", "[src/libmpg123"))]
    if "unexpected" in err:  # the CLI's last resort for a bug: one line, but still a bug
        verdict = "FAIL (unexpected error)"
    elif leaked:  # the decoder's own chatter reached the terminal
        verdict = "FAIL (mpg123 notes leak)"
    elif "Traceback" in err or rc < 0 or rc not in (0, 1, 2):
        verdict = "FAIL (traceback)" if "Traceback" in err else f"FAIL (exit {rc})"
    elif case.expect == "usage":
        verdict = "clear error" if rc == 2 and shown else f"FAIL (exit {rc})"
    elif case.expect == "error":
        verdict = "clear error" if rc in (1, 2) and shown else f"FAIL (exit {rc})"
    elif case.expect == "warn":
        verdict = "handled (warning)" if rc == 0 and "warning" in shown else f"FAIL (exit {rc})"
    elif case.expect == "either":  # refused, or opened with a warning: both tell the user
        ok = (rc == 1 and "error" in shown) or (rc == 0 and "warning" in shown)
        verdict = ("clear error" if rc else "handled (warning)") if ok else f"FAIL (exit {rc})"
    else:
        verdict = "handled" if rc == 0 else f"FAIL (exit {rc})"
    if not shown and rc == 0:
        out = done.stdout.decode("utf-8", "replace").strip().splitlines()
        shown = out[0] if out else "(no output)"
    return rc, shown, verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="", help="run the cases whose name holds this")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        build(d)
        chosen = [c for c in cases() if args.only in c.what]
        print("| # | input | exit | result | what the user sees (first line) |")
        print("| --- | --- | --- | --- | --- |")
        failures = 0
        for number, case in enumerate(chosen, 1):
            rc, shown, verdict = run(case, d)
            failures += verdict.startswith("FAIL")
            shown = shown.replace(str(d), "…").replace("|", "/")
            shown = shown if len(shown) < 150 else shown[:147] + "..."
            print(f"| {number} | {case.what} | {rc} | {verdict} | {shown} |", flush=True)
        print(f"\n{len(chosen)} cases, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
