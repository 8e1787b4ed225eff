"""The benchmark's projects, built once per code tree and size and reused by later runs.

Each is built by the code tree it measures (a file of a newer schema cannot be opened by older
code), in a subprocess like every probe. ``built.json`` beside a project records what was built,
by which schema code and how long it took; a project built by other schema code is built again
(opening it would time an upgrade, not the window), and ``--rebuild`` removes them all.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from scale.common import Code, Settings, run_probe

FULL_LONG = (1000, 1.0, 20)  # recordings, hours each, classes: 3.6 M windows x 20 classes
QUICK_LONG = (20, 1.0, 20)
_REBUILT: set[Path] = set()  # folders --rebuild already rebuilt in this run


def _ensure(code: Code, settings: Settings, name: str, probe: str, **kwargs: Any) -> dict:
    folder = settings.work / code.label / name
    marker = folder / "built.json"
    audio = settings.work / "audio" / name.split("-")[0]
    if settings.rebuild and folder not in _REBUILT and folder.exists():
        shutil.rmtree(folder)
    _REBUILT.add(folder)
    schema = _schema_of(code)
    if marker.exists():
        built = json.loads(marker.read_text())
        if built.get("kwargs") == kwargs and built.get("schema") == schema:
            return built
    if folder.exists():  # an unfinished or outdated build
        shutil.rmtree(folder)
    print(f"  building {code.label}/{name} …", flush=True)
    result = run_probe(
        code, "build", probe, 24 * 3600, folder=str(folder), audio=str(audio), **kwargs
    )
    assert result is not None
    built = {**result, "audio": str(audio), "kwargs": kwargs, "schema": schema}
    marker.write_text(json.dumps(built))
    print(f"    {result['seconds']:.1f} s, {result['mb']:.0f} MB", flush=True)
    return built


def _schema_of(code: Code) -> str:
    """What decides the file a tree builds: its schema module (migrations and tables)."""
    text = (code.root / "model" / "project" / "schema.py").read_bytes()
    return hashlib.sha256(text).hexdigest()[:16]


def window_projects(codes: list[Code], settings: Settings) -> dict[str, dict[Any, dict]]:
    """One-minute recordings, ``settings.sizes`` of them."""
    return {
        code.label: {
            n: _ensure(code, settings, f"window{n}", "window_project", n=n) for n in settings.sizes
        }
        for code in codes
    }


def long_projects(codes: list[Code], settings: Settings) -> dict[str, dict[Any, dict]]:
    n, hours, classes = QUICK_LONG if settings.quick else FULL_LONG
    key = f"{n:,} x {hours:g} h x {classes} classes ({n * hours * 3600 / 1e6:.2g} M windows)"
    return {
        code.label: {
            key: _ensure(
                code,
                settings,
                f"long{n}-{hours:g}h-{classes}",
                "activity_project",
                n=n,
                hours=hours,
                classes=classes,
            )  # fmt: skip
        }
        for code in codes
    }


def all_projects(codes: list[Code], settings: Settings) -> dict[str, dict[Any, dict]]:
    short, long = window_projects(codes, settings), long_projects(codes, settings)
    return {label: {**short[label], **long[label]} for label in short}


def ordered(keys: Any) -> list[Any]:
    """Sizes as numbers first (small to large), then the named projects."""
    return sorted(keys, key=lambda k: (isinstance(k, str), k if isinstance(k, int) else 0, str(k)))
