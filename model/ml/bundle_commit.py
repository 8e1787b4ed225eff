"""A trained model enters the project in one step: its bundle file and its row, or neither.

Writing a bundle takes a moment (a fine-tuned ResNet50 is ~100 MB) and a worker can be killed
at any time (Cancel after its grace period, out of memory, power cut). So:

1. the bundle is written into ``<P>.models/.staging-<pid>/`` (its Keras temp file too: no
   temp folder anywhere else);
2. an intent is committed: ``meta['pending-bundle:<name>']`` = this process's session key;
3. one transaction inserts the model row, deletes the intent and, last, renames the staged file
   to its final name; a failed rename rolls the row back.

Whatever was left by a process that died midway (a staging folder, an intent, a renamed bundle
whose row was rolled back) belongs to a dead process and is removed by ``sweep``, which the next
training runs first and the window runs after ending a worker: no orphan bundle, ``.part`` file
or temp folder survives a kill.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from model.errors import ModelBundleError
from model.project import sessions

SUFFIX = ".sonotag-model"
STAGING = ".staging-"
PENDING = "pending-bundle:"


def models_dir(project_path: str | Path) -> Path:
    """``<project stem>.models/`` next to the project file: bundles travel with the project."""
    path = Path(project_path)
    return path.with_name(path.stem + ".models")


def staging_dir(folder: Path) -> Path:
    return folder / f"{STAGING}{os.getpid()}"


def bundle_path(folder: Path, name: str | None) -> Path:
    """A new file in ``folder``: never overwrites the bundle of an earlier model."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    stem = (re.sub(r"[^\w.-]+", "_", name).strip("._") if name else "") or f"model-{stamp}"
    path, number = folder / f"{stem}{SUFFIX}", 1
    while path.exists():
        number += 1
        path = folder / f"{stem}-{number}{SUFFIX}"
    return path


def _pid_alive(pid_text: str) -> bool:
    import psutil

    try:
        return psutil.pid_exists(int(pid_text))
    except ValueError:
        return False


def sweep(project: Any) -> list[Path]:
    """Removes what dead processes left half-saved in the project's models folder; returns the
    paths removed. Safe while other processes save: only dead owners' leftovers are touched."""
    folder = models_dir(project.path)
    removed: list[Path] = []
    if project.read_only:
        return removed
    referenced = {m.file.resolve() for m in project.models()}
    mine = sessions.own_key()
    for key, owner in project.meta_items(PENDING):
        # Our own intents are stale too: saves in one process run one after another.
        if owner != mine and sessions.alive(owner):
            continue
        leftover = (folder / key.removeprefix(PENDING)).resolve()
        inside = leftover.parent == folder.resolve()
        if inside and leftover.is_file() and leftover not in referenced:
            leftover.unlink()
            removed.append(leftover)
        project.delete_meta(key)
    if folder.is_dir():
        for entry in folder.iterdir():
            if entry.name.startswith(STAGING) and not _pid_alive(entry.name[len(STAGING) :]):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
    return removed


def commit_model(
    project: Any,
    name: str | None,
    model: Any,
    manifest: dict[str, Any],
    metrics: dict[str, Any],
    activate: bool = True,
) -> Any:
    """Saves ``model`` as a bundle in the project's models folder and registers it, as one
    step (see the module docstring); returns the ``ModelRecord``."""
    from model.ml.bundle import save_bundle

    folder = models_dir(project.path)
    folder.mkdir(parents=True, exist_ok=True)
    sweep(project)
    final = bundle_path(folder, name)
    staging = staging_dir(folder)
    staged = staging / final.name
    key = PENDING + final.name
    try:
        save_bundle(staged, model, manifest, scratch=staging)
        project.set_meta(key, sessions.own_key())
        try:
            with project.transaction():
                record = project.add_model(
                    final.name.removesuffix(SUFFIX), final, manifest, metrics, activate=activate
                )
                project.delete_meta(key)
                os.replace(staged, final)  # last: if it fails, the row is rolled back
        except OSError as exc:
            project.delete_meta(key)
            raise ModelBundleError(final, f"cannot write the model file: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return record
