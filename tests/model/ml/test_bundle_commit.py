"""A model's bundle and its row are one step: a kill anywhere leaves both or neither."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from model.ml import bundle_commit
from model.ml.bundle_commit import PENDING, STAGING, commit_model, models_dir, sweep
from model.project import Project

REPO = Path(__file__).resolve().parents[3]


class FakeModel:
    """Stands in for a Keras model: ``save`` writes bytes (slowly when asked)."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds

    def save(self, path: Path) -> None:
        import time

        with open(path, "wb") as out:
            for _ in range(10):
                out.write(b"w" * 100_000)
                out.flush()
                time.sleep(self.seconds / 10)


MANIFEST = {"kind": "head", "classes": []}

CHILD = """
import os, sys, time
from pathlib import Path
from model.ml import bundle_commit
from model.ml.bundle_commit import commit_model
from model.project import Project
from tests.model.ml.test_bundle_commit import FakeModel, MANIFEST

path, stop = sys.argv[1], sys.argv[2]

def pause(where):
    print(where, flush=True)
    time.sleep(600)

class Model(FakeModel):
    def save(self, out):
        if stop == "saving":  # the first bytes of the Keras file are on disk
            with open(out, "wb") as half:
                half.write(b"w" * 100_000)
            pause("saving")
        super().save(out)
        if stop == "saved":
            pause("saved")

real_replace, real_set_meta = os.replace, Project.set_meta

def replace(src, dst):
    real_replace(src, dst)
    if stop == "renamed":
        pause("renamed")

def set_meta(self, key, value):
    real_set_meta(self, key, value)
    if stop == "intent":
        pause("intent")

bundle_commit.os.replace = replace
Project.set_meta = set_meta
with Project.open(path) as project:
    commit_model(project, "m", Model(), MANIFEST, {})
print("committed", flush=True)
"""


@pytest.fixture
def project_path(tmp_path: Path) -> Path:
    path = tmp_path / "p.sonotag"
    with Project.create(path) as project:
        commit_model(project, "first", FakeModel(), MANIFEST, {})
    return path


def leftovers(path: Path) -> tuple[list[str], list[str], list[str]]:
    """(files in the models folder, files the project lists, pending intents)."""
    with Project.open(path) as project:
        listed = sorted(m.file.name for m in project.models())
        pending = [k for k, _ in project.meta_items(PENDING)]
    files = sorted(p.name for p in models_dir(path).iterdir())
    return files, listed, pending


def test_commit_writes_file_and_row_and_nothing_else(project_path: Path) -> None:
    with Project.open(project_path) as project:
        record = commit_model(project, "second", FakeModel(), MANIFEST, {"map": 0.5})
        assert record.file == models_dir(project_path) / "second.sonotag-model"
        assert record.active and record.metrics == {"map": 0.5}
    files, listed, pending = leftovers(project_path)
    assert files == listed == ["first.sonotag-model", "second.sonotag-model"]
    assert pending == []


@pytest.mark.parametrize("stop", ["saving", "saved", "intent", "renamed"])
def test_a_kill_anywhere_leaves_both_or_neither(project_path: Path, stop: str) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(project_path), stop],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == stop  # the child waits there to be killed
    child.kill()
    child.wait()
    files, _, _ = leftovers(project_path)
    assert any(name.startswith(STAGING) for name in files) or stop == "renamed"
    with Project.open(project_path) as project:
        removed = sweep(project)
        assert removed
        assert project.integrity_check() == "ok"
    files, listed, pending = leftovers(project_path)
    assert files == listed == ["first.sonotag-model"]  # the killed save left nothing
    assert pending == []


def test_the_next_commit_sweeps_first(project_path: Path, monkeypatch) -> None:
    folder = models_dir(project_path)
    dead = folder / f"{STAGING}999999999"
    dead.mkdir()
    (dead / "half.sonotag-model.part").write_bytes(b"x")
    with Project.open(project_path) as project:
        commit_model(project, "next", FakeModel(), MANIFEST, {})
    assert not dead.exists()


def test_a_failed_rename_rolls_the_row_back(project_path: Path, monkeypatch) -> None:
    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(bundle_commit.os, "replace", refuse)
    from model.errors import ModelBundleError

    with Project.open(project_path) as project:
        with pytest.raises(ModelBundleError, match="cannot write the model file"):
            commit_model(project, "bad", FakeModel(), MANIFEST, {})
    monkeypatch.undo()
    files, listed, pending = leftovers(project_path)
    assert files == listed == ["first.sonotag-model"] and pending == []
