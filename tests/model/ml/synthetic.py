"""Generated recordings of three clearly different calls in noise, and a project labelled on them.

Tone: a steady whistle; sweep: a rising chirp; trill: fast repeated pulses. Frequencies and
levels vary a little per call so the classifier cannot memorise one picture. Each recording
is tiled into 3-s slots holding one call, two calls, or only noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 22050
SLOT_S = 3.0
CALL_S = 0.6
CLASSES = ("tone", "sweep", "trill")
# Slot contents per recording (shuffled per recording): single calls, a mixed slot, noise.
SLOTS = ("tone", "sweep", "trill", "", "tone", "sweep", "trill", "tone+trill")


@dataclass(frozen=True)
class Call:
    recording: int
    start: float
    end: float
    kinds: tuple[str, ...]  # empty: noise only


def _call(kind: str, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(CALL_S * RATE)) / RATE
    if kind == "tone":
        wave = np.sin(2 * np.pi * rng.uniform(2500, 3500) * t)
    elif kind == "sweep":
        f0, f1 = rng.uniform(1200, 1800), rng.uniform(6000, 7500)
        wave = np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * CALL_S)))
    else:  # trill: 25-ms pulses every 60 ms around 5 kHz
        wave = np.sin(2 * np.pi * rng.uniform(4500, 5500) * t)
        wave *= (np.mod(t, 0.06) < 0.025).astype(float)
    envelope = np.minimum(1.0, np.minimum(t, CALL_S - t) / 0.02)
    return wave * envelope * 10 ** (rng.uniform(-26, -14) / 20)


def make_recording(path: Path, index: int, seed: int = 0) -> list[Call]:
    """Writes one WAV (16-bit, 22.05 kHz) and returns where its calls are."""
    import soundfile as sf

    rng = np.random.default_rng(seed * 1000 + index)
    slots = list(rng.permutation(SLOTS))
    audio = rng.normal(0, 10 ** (-55 / 20), int(len(slots) * SLOT_S * RATE))
    calls = []
    for slot, content in enumerate(slots):
        kinds = tuple(k for k in str(content).split("+") if k)
        start = slot * SLOT_S + rng.uniform(0.7, 1.5)
        first = int(start * RATE)
        for kind in kinds:
            piece = _call(kind, rng)
            audio[first : first + len(piece)] += piece
        calls.append(Call(index, round(start, 3), round(start + CALL_S, 3), kinds))
    sf.write(path, np.clip(audio, -1, 1).astype(np.float32), RATE, subtype="PCM_16")
    return calls


def make_project(folder: Path, recordings: int = 6, seed: int = 0) -> Path:
    """A project with labelled calls: PRESENT for each call's classes, and noise-only slots
    labelled ABSENT for every class."""
    from model.project import LabelState, Project

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "synthetic.sonotag"
    project = Project.create(path)
    try:
        ids = {name: project.add_class(name).id for name in CLASSES}
        for index in range(recordings):
            wav = folder / f"rec{index:02d}.wav"
            calls = make_recording(wav, index, seed)
            rec = project.add_recording(wav)
            for call in calls:
                if call.kinds:
                    for kind in call.kinds:
                        project.put_label(
                            rec.id, call.start, call.end, ids[kind], LabelState.PRESENT
                        )
                else:
                    for name in CLASSES:
                        project.put_label(
                            rec.id, call.start, call.end, ids[name], LabelState.ABSENT
                        )
    finally:
        project.close()
    return path
