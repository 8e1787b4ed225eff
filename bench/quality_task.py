"""The 3-species task of issue 11, built from the repository's real recordings plus negatives.

Two halves that share no recording and no individual, so a model trained on one and scored on
the other is tested the way a field biologist uses it (new birds, new nights):

- ``train``: great tit B32 (10 song files), storm-petrel XC46092, Bengalese finch 348, and
  negative recordings made from seed A;
- ``held-out``: great tit SW83 (another male), storm-petrel XC663885, Bengalese finch 363, and
  negatives from seed B.

Positives come from the Sonic Visualiser boxes shipped with the petrel and finch recordings
(read with Sonotag's own importer) and from the great tit files themselves (each is one
segmented song). Negatives are 20-s recordings of animal and non-animal sounds made here:
wind, rain, traffic hum, an insect chorus, frog croaks, other birds' whistles and trills
in the great tit's band, babble of formant vowels, and quiet background. Half of them are
written at 22,050 Hz like the great tit files, so "no energy above 11 kHz" cannot stand in
for "great tit".

Each half is a Sonotag project labelled on the 2-s / 1-s grid the app uses: present in the
boxes, absent for every class on the negative recordings and on petrel/finch windows that no
box touches. ``truth`` gives every scored window's 1/0/unknown for the held-out check.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CLASSES = ("great tit", "storm-petrel", "Bengalese finch")
NEGATIVE_KINDS = (
    "wind",
    "rain",
    "traffic",
    "insects",
    "frogs",
    "other birds",
    "babble",
    "background",
)
NEG_SECONDS = 20.0
CLIP, GRID = 2.0, 1.0


@dataclass
class Half:
    name: str
    folder: Path
    project: Path
    recordings: list[Path] = field(default_factory=list)
    boxes: dict[Path, list[tuple[float, float, str]]] = field(default_factory=dict)


def _real(root: Path) -> dict[str, dict[str, list[Path]]]:
    great_tit = sorted((root / "great_tit").glob("*.wav"))
    raw = root / "pykanto-raw"
    return {
        "train": {
            "great tit": [p for p in great_tit if "-B32-" in p.name],
            "storm-petrel": [raw / "STORM-PETREL" / "XC46092.wav"],
            "Bengalese finch": [raw / "BENGALESE_FINCH" / "bird_3" / "348.wav"],
        },
        "held-out": {
            "great tit": [p for p in great_tit if "-SW83-" in p.name],
            "storm-petrel": [raw / "STORM-PETREL" / "XC663885.wav"],
            "Bengalese finch": [raw / "BENGALESE_FINCH" / "bird_3" / "363.wav"],
        },
    }


def _boxes(audio: Path, species: str) -> list[tuple[float, float, str]]:
    """(start, end, class) of each call: the SV boxes, or the whole file for great tits."""
    import soundfile as sf

    from model.annotations.sonic_visualiser import read_sonic_visualiser

    rate = sf.info(str(audio)).samplerate
    xml = audio.with_suffix(".xml")
    if not xml.is_file():
        return [(0.0, sf.info(str(audio)).duration, species)]
    # The pykanto files count frames at the recording's own rate (see the SV reader's note).
    return [(a.start, a.end, species) for a in read_sonic_visualiser(xml, sample_rate=rate)]


# -- negatives -------------------------------------------------------------------------------


def _tone(t: np.ndarray, f0: float, f1: float) -> np.ndarray:
    duration = max(t[-1], 1e-3)
    return np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * duration)))


def _events(rate: int, rng: np.random.Generator, make: object, per_s: float) -> np.ndarray:
    out = np.zeros(int(NEG_SECONDS * rate))
    for _ in range(rng.poisson(per_s * NEG_SECONDS)):
        piece = make(rng)  # type: ignore[operator]
        at = rng.integers(0, max(1, len(out) - len(piece)))
        out[at : at + len(piece)] += piece[: len(out) - at]
    return out


def _envelope(n: int, rate: int, ramp: float = 0.01) -> np.ndarray:
    t = np.arange(n) / rate
    return np.minimum(1.0, np.minimum(t, t[-1] - t) / ramp)


def negative_audio(kind: str, rate: int, rng: np.random.Generator) -> np.ndarray:
    """20 s of one kind of non-target sound at ``rate``, peak around -12 dBFS at most."""
    from scipy import signal

    n = int(NEG_SECONDS * rate)
    t = np.arange(n) / rate
    noise = rng.normal(0, 1, n)
    nyq = rate / 2
    if kind == "wind":
        b, a = signal.butter(2, min(400, nyq * 0.9) / nyq)
        gust = 0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.05, 0.3) * t + rng.uniform(0, 6))
        audio = signal.lfilter(b, a, noise) * gust * 3
    elif kind == "rain":
        drops = (rng.random(n) < 200 / rate) * rng.normal(0, 1, n)
        b, a = signal.butter(2, [1000 / nyq, min(8000, nyq * 0.9) / nyq], "band")
        audio = signal.lfilter(b, a, drops * 8 + noise * 0.3)
    elif kind == "traffic":
        f0 = rng.uniform(40, 90)
        audio = sum(np.sin(2 * np.pi * f0 * h * t) / h for h in range(1, 8))
        b, a = signal.butter(2, min(1500, nyq * 0.9) / nyq)
        audio = (audio + signal.lfilter(b, a, noise) * 2) * (0.6 + 0.4 * np.sin(0.3 * t))
    elif kind == "insects":
        carrier = np.sin(2 * np.pi * rng.uniform(5000, min(9000, nyq * 0.8)) * t)
        audio = carrier * (np.mod(t * rng.uniform(20, 60), 1) < 0.4)
    elif kind == "frogs":

        def croak(r: np.random.Generator) -> np.ndarray:
            tt = np.arange(int(r.uniform(0.15, 0.4) * rate)) / rate
            f0 = r.uniform(180, 500)
            wave = sum(np.sin(2 * np.pi * f0 * h * tt) / h for h in range(1, 6))
            return wave * (np.mod(tt * r.uniform(30, 80), 1) < 0.5) * _envelope(len(tt), rate)

        audio = _events(rate, rng, croak, 1.5)
    elif kind == "other birds":

        def note(r: np.random.Generator) -> np.ndarray:
            tt = np.arange(int(r.uniform(0.08, 0.5) * rate)) / rate
            f0, f1 = r.uniform(1500, min(8000, nyq * 0.8), 2)
            wave = _tone(tt, f0, f1)
            if r.random() < 0.4:  # a trill
                wave *= np.mod(tt * r.uniform(15, 40), 1) < 0.5
            return wave * _envelope(len(tt), rate)

        audio = _events(rate, rng, note, 2.5)
    elif kind == "babble":

        def vowel(r: np.random.Generator) -> np.ndarray:
            tt = np.arange(int(r.uniform(0.1, 0.3) * rate)) / rate
            f0 = r.uniform(100, 230)
            formants = r.uniform([300, 900, 2200], [800, 2000, 3000])
            wave = sum(
                np.sin(2 * np.pi * f0 * h * tt)
                * sum(np.exp(-(((f0 * h - f) / 120) ** 2)) for f in formants)
                for h in range(1, int(3500 / f0))
            )
            return wave * _envelope(len(tt), rate, 0.02)

        audio = _events(rate, rng, vowel, 3.0)
    else:  # background: quiet pink-ish noise
        b, a = signal.butter(1, min(2000, nyq * 0.9) / nyq)
        audio = signal.lfilter(b, a, noise)
    audio = np.asarray(audio, np.float64)
    audio = audio / (np.abs(audio).max() + 1e-9) * 10 ** (rng.uniform(-30, -12) / 20)
    return audio + rng.normal(0, 10 ** (-60 / 20), n)


def write_negatives(folder: Path, seed: int) -> list[Path]:
    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    rng = np.random.default_rng(seed)
    for number, kind in enumerate(NEGATIVE_KINDS):
        for copy, rate in enumerate((22050, int(rng.choice([32000, 44100, 48000])))):
            path = folder / f"{kind.replace(' ', '_')}-{copy + 1}.wav"
            rng_kind = np.random.default_rng(seed * 100 + number * 10 + copy)
            audio = negative_audio(kind, rate, rng_kind)
            sf.write(str(path), audio.astype(np.float32), rate, subtype="PCM_16")
            paths.append(path)
    return paths


# -- projects --------------------------------------------------------------------------------


def _label(project: object, half: Half) -> None:
    """Present on the clips each call labels (the importer's rule), absent everywhere else."""
    from model.annotations.clips import clip_starts, clips_for_span

    proj = project  # a model.project.Project
    ids = {c.name: c.id for c in proj.classes()}  # type: ignore[attr-defined]
    for recording in proj.recordings():  # type: ignore[attr-defined]
        boxes = half.boxes.get(recording.path, [])
        present: set[tuple[float, str]] = set()
        for start, end, name in boxes:
            for c0, _ in clips_for_span(start, end, recording.duration, clip_seconds=CLIP):
                present.add((c0, name))
        species = {name for _, _, name in boxes}
        for c0 in clip_starts(recording.duration, CLIP, GRID):
            marked = {name for s, name in present if s == c0}
            for name in marked:
                proj.put_label(recording.id, c0, c0 + CLIP, ids[name], "present")  # type: ignore[attr-defined]
            if marked:
                continue
            # Untouched windows: absent for the recording's own species, or for every class on
            # a negative recording (the other classes are absent there too).
            for name in species or CLASSES:
                touched = any(s < c0 + CLIP and e > c0 for s, e, _ in boxes)
                if not touched:
                    proj.put_label(recording.id, c0, c0 + CLIP, ids[name], "absent")  # type: ignore[attr-defined]


def build(
    real_root: Path, folder: Path, *, fresh: bool = False, negatives_seed: int = 0
) -> dict[str, Half]:
    """Both halves as labelled projects under ``folder`` (kept between runs unless ``fresh``).
    ``negatives_seed``: another draw of both halves' negative recordings (0: the usual one)."""
    from model.project import Project

    if fresh and folder.exists():
        shutil.rmtree(folder)
    halves: dict[str, Half] = {}
    for number, (name, species) in enumerate(_real(real_root).items()):
        sub = folder / name
        half = Half(name, sub, sub / f"{name}.sonotag")
        audio = sub / "audio"
        for cls, paths in species.items():
            for path in paths:
                target = audio / cls.replace(" ", "_") / path.name
                if not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, target)
                half.recordings.append(target)
                half.boxes[target.resolve()] = _boxes(path, cls)
        negatives = audio / "negatives"
        made = sorted(negatives.glob("*.wav"))
        seed = 1 + number + 2 * negatives_seed  # the two halves never share a draw
        half.recordings += made if made else write_negatives(negatives, seed=seed)
        if not half.project.exists():
            with Project.create(half.project) as project:
                for cls in CLASSES:
                    project.add_class(cls)
                for path in half.recordings:
                    project.add_recording(path)
                _label(project, half)
        halves[name] = half
    return halves


def truth(half: Half, path: Path, starts: np.ndarray) -> np.ndarray:
    """(windows, classes) 1/0/-1 for scored windows: positive when a call fills at least half
    of the window or half of the call, negative when no call touches it, else unknown."""
    out = np.zeros((len(starts), len(CLASSES)), np.int8)
    for start, end, name in half.boxes.get(path.resolve(), []):
        column = CLASSES.index(name)
        for i, w in enumerate(starts):
            overlap = min(end, w + CLIP) - max(start, w)
            if overlap <= 0:
                continue
            strong = overlap >= 0.5 * min(end - start, CLIP)
            if strong:
                out[i, column] = 1
            elif out[i, column] == 0:
                out[i, column] = -1
    return out
