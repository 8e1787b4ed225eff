"""Rebuilds the demo project from the real recordings in tests/data (pykanto, MIT).

Run from the repository root: ``.venv/bin/python resources/demo/build_demo.py``. The output
(``demo.sonotag`` and ``audio/``) is committed; this script documents how it was made.

- ``audio/B32_20210415_050630.flac``: great tit B32's songs of 15 April 2021 (pykanto's
  segmented clips) in the first minute from 05:06:30 UTC, at their true recording times; the
  gaps between songs are low-level synthetic noise (the between-song audio is not in pykanto).
- ``audio/bengalese_finch_348.flac`` and ``_363.flac``: pykanto's Bengalese finch songs,
  samples unchanged (WAV → FLAC).
- ``audio/20210502_040000.WAV``: pykanto's one-second AudioMoth file, unchanged.
Labels: great tit present on the clips holding each song (from the clip times), Bengalese
finch present from the Sonic Visualiser boxes, a few absent labels on song-free clips.
"""

from __future__ import annotations

import json
import shutil
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from model.project import LabelState, Project  # noqa: E402

REAL = REPO / "tests" / "data"
OUT = REPO / "resources" / "demo"
START = datetime(2021, 4, 15, 5, 6, 30, tzinfo=UTC)
RATE = 22050
SOUNDSCAPE_SECONDS = 60.0


def great_tit_soundscape(audio_dir: Path) -> tuple[Path, list[tuple[float, float]]]:
    songs = []
    for meta_path in sorted((REAL / "great_tit").glob("2021-B32-0415_05-*.JSON")):
        meta = json.loads(meta_path.read_text())
        when = datetime.fromisoformat(meta["datetime"]).replace(tzinfo=UTC)
        samples, rate = sf.read(meta_path.with_suffix(".wav"), dtype="float32")
        assert rate == RATE, meta_path
        songs.append(((when - START).total_seconds(), samples))
    songs = [(t, s) for t, s in songs if t < SOUNDSCAPE_SECONDS - 4.0]  # keeps the demo small
    length = int(SOUNDSCAPE_SECONDS * RATE)
    rng = np.random.default_rng(20210415)
    quiet = float(np.median([np.std(s[: RATE // 20]) for _, s in songs]))
    mix = rng.normal(0.0, quiet * 0.5, length).astype(np.float32)
    spans = []
    for offset, samples in songs:
        start = int(round(offset * RATE))
        ramp = np.minimum(
            1.0, np.minimum(np.arange(len(samples)), np.arange(len(samples))[::-1]) / (0.05 * RATE)
        ).astype(np.float32)
        mix[start : start + len(samples)] *= 1.0 - ramp
        mix[start : start + len(samples)] += samples * ramp
        spans.append((offset, offset + len(samples) / RATE))
    path = audio_dir / "B32_20210415_050630.flac"
    sf.write(path, mix, RATE, subtype="PCM_16")
    return path, spans


def sonic_visualiser_boxes(xml_path: Path) -> list[tuple[float, float]]:
    root = ET.parse(xml_path).getroot()
    rate = float(root.find("data/model").get("sampleRate"))
    return [
        (int(p.get("frame")) / rate, (int(p.get("frame")) + int(p.get("duration"))) / rate)
        for p in root.iter("point")
    ]


def centred_clip(span: tuple[float, float], duration: float) -> float:
    """The 2-s clip centred on a short call (what a click on the call selects)."""
    centre = (span[0] + span[1]) / 2
    return float(min(max(0.0, round(centre - 1.0, 1)), duration - 2.0))


def clips_for(span: tuple[float, float], duration: float) -> list[float]:
    """Clips on a 2-s grid (no overlaps, so the demo stays readable) holding at least half of
    the call, or half of the clip for long calls."""
    begin, end = span
    need = 0.5 * min(end - begin, 2.0)
    starts = []
    for start in np.arange(max(0.0, 2 * np.floor(begin / 2) - 2.0), min(end, duration - 1.0), 2.0):
        overlap = min(end, start + 2.0) - max(begin, start)
        if overlap >= need:
            starts.append(float(start))
    return starts


def main() -> None:
    if OUT.joinpath("demo.sonotag").exists():
        OUT.joinpath("demo.sonotag").unlink()
    shutil.rmtree(OUT / "audio", ignore_errors=True)
    audio_dir = OUT / "audio"
    audio_dir.mkdir(parents=True)
    tit_path, tit_spans = great_tit_soundscape(audio_dir)
    finches = []
    for name in ("348", "363"):
        src = REAL / "pykanto-raw/BENGALESE_FINCH/bird_3" / f"{name}.wav"
        samples, rate = sf.read(src, dtype="int16")
        dst = audio_dir / f"bengalese_finch_{name}.flac"
        sf.write(dst, samples, rate, subtype="PCM_16")
        finches.append((dst, sonic_visualiser_boxes(src.with_suffix(".xml"))))
    shutil.copyfile(REAL / "pykanto-raw/AM/20210502_040000.WAV", audio_dir / "20210502_040000.WAV")

    with Project.create(OUT / "demo.sonotag") as project:
        tit = project.add_class("Great tit", shortcut="1")
        finch = project.add_class("Bengalese finch", shortcut="2")
        project.add_class("Noise", shortcut="3")
        rec = project.add_recording(tit_path)
        labelled = set()
        for span in tit_spans:
            for start in [centred_clip(span, rec.duration)]:
                project.put_label(
                    rec.id, start, start + 2.0, tit.id, LabelState.PRESENT, author="demo"
                )
                labelled.add(start)
        for start in (1.0, 15.0, 30.0, 45.0, 57.0):
            if not any(abs(start - s) < 2.0 for s in labelled):
                project.put_label(
                    rec.id, start, start + 2.0, tit.id, LabelState.ABSENT, author="demo"
                )
        for path, boxes in finches:
            finch_rec = project.add_recording(path)
            for span in boxes:
                for start in clips_for(span, finch_rec.duration):
                    project.put_label(
                        finch_rec.id,
                        start,
                        start + 2.0,
                        finch.id,
                        LabelState.PRESENT,
                        author="demo",
                    )
        project.add_recording(audio_dir / "20210502_040000.WAV")
        project.set_meta("demo", "built by resources/demo/build_demo.py from pykanto 0.1.8 data")
        n_labels = len(project.labels())
    # Fold the WAL into the file so the committed project is one self-contained file.
    import sqlite3

    conn = sqlite3.connect(OUT / "demo.sonotag")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    print(
        f"demo project: {n_labels} labels; audio:",
        ", ".join(f"{p.name} {p.stat().st_size // 1024} KiB" for p in sorted(audio_dir.iterdir())),
    )


if __name__ == "__main__":
    main()
