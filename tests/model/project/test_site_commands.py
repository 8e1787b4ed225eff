"""A site edit is a command like a label edit: stored at once, undone with where it came from."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import soundfile as sf

from model.project import CommandGroup, Project, SetSite, UndoStack


def stored(path: Path) -> dict[int, tuple[str, str]]:
    """What another reader of the file sees: the edit is committed, not held in a transaction."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT id, site, site_source FROM recordings")
        return {i: (site, source) for i, site, source in rows}
    finally:
        conn.close()


def two_sites(tmp_path: Path) -> tuple[Path, list[int]]:
    path = tmp_path / "p.sonotag"
    ids = []
    with Project.create(path) as proj:
        for site in ("north", "south"):
            (tmp_path / site).mkdir()
            wav = tmp_path / site / "a.wav"
            sf.write(str(wav), np.zeros(800, np.float32), 8000)
            ids.append(proj.add_recording(wav).id)
    return path, ids


def test_a_site_edit_is_undone_and_redone_with_its_source(tmp_path: Path) -> None:
    path, (north, south) = two_sites(tmp_path)
    with Project.open(path) as proj:
        stack = UndoStack(proj)
        stack.push(SetSite([north, south], "  Pond\tedge "))
        edited = {north: ("Pond edge", "edited"), south: ("Pond edge", "edited")}
        assert stored(path) == edited
        assert stack.undo_text == 'Set site "Pond edge" (2 recordings)'
        assert stack.last_sites == {north, south}
        assert stack.last_touched == frozenset() and not stack.last_delta  # no label changed
        stack.undo()
        assert stored(path) == {north: ("north", "folder"), south: ("south", "folder")}
        assert stack.last_sites == {north, south}
        stack.redo()
        assert stored(path) == edited


def test_undo_gives_each_recording_its_own_site_back(tmp_path: Path) -> None:
    path, (north, south) = two_sites(tmp_path)
    with Project.open(path) as proj:
        stack = UndoStack(proj)
        stack.push(SetSite([north], "Hedge"))
        stack.push(SetSite([north, south], "south"))  # south is south already: north changes
        assert stack.undo_text == 'Set site "south" (1 recording)'
        stack.undo()
        assert stored(path) == {north: ("Hedge", "edited"), south: ("south", "folder")}
        stack.undo()
        assert stored(path) == {north: ("north", "folder"), south: ("south", "folder")}


def test_grouped_site_edits_say_which_recordings_they_changed(tmp_path: Path) -> None:
    path, (north, south) = two_sites(tmp_path)
    with Project.open(path) as proj:
        stack = UndoStack(proj)
        stack.push(CommandGroup("sites", [SetSite([north], "A"), SetSite([south], "B")]))
        assert stack.last_sites == {north, south}
        stack.undo()
        assert stored(path) == {north: ("north", "folder"), south: ("south", "folder")}
