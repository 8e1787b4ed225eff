"""Adding recordings to a project, shared by ``sonotag project add`` and the GUI's Add Folder.

Field folders hold thousands of files, some of them broken (a card pulled out mid-write, a
zero-byte file when the battery died). One unreadable file must never stop the rest, and every
skipped file is reported with its cause so nothing disappears silently.
"""

from __future__ import annotations

import os
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from model.errors import AudioError, SonotagError
from model.jobs import Reporter
from model.pathtext import resolved


@dataclass
class IngestResult:
    """What an add run did: recordings added, how many were there already, files skipped with
    why, files added with a warning (cut short, NaN samples) with what is wrong, and files
    whose sample rate cannot hold the project's band (whole, but the model will hear less)."""

    added: list[Path] = field(default_factory=list)
    already_present: int = 0
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    warned: list[tuple[Path, str]] = field(default_factory=list)
    band: list[tuple[Path, str]] = field(default_factory=list)

    def summary(self) -> str:
        text = f"added {len(self.added)} recording(s)"
        if self.already_present:
            text += f", {self.already_present} already in the project"
        if self.skipped:
            text += f", skipped {len(self.skipped)} unreadable file(s)"
        if self.warned:
            text += f", {len(self.warned)} with warnings"
        if self.band:
            text += f", {len(self.band)} below the band's sample rate"
        return text


def _walk(
    inputs: Iterable[str | Path], known: Container[str] = frozenset()
) -> tuple[list[tuple[str, Path | None]], list[tuple[Path, str]], int]:
    """``walk_inputs`` as path text: found files are under the folder's resolved path, so the
    text is already the resolved path unless the file is a link (resolved for comparing only).

    Files whose text is in ``known`` are only counted (the third value): adding a season's
    card again then sorts nothing, since only new files are put in order."""
    from model.audio.discovery import scan_audio_files, sort_paths
    from model.audio.opening import missing_cause

    seen: set[str] = set()
    files: list[tuple[str, Path | None]] = []
    missing: list[tuple[Path, str]] = []
    already = 0
    for item in inputs:
        given = Path(item)
        if not given.exists():
            missing.append((given, missing_cause(given)))
            continue
        if not given.is_dir():
            key = str(resolved(given))  # Path.resolve() raises on a link loop
            if key not in seen:
                seen.add(key)
                files.append((str(given), None))
            continue
        root = resolved(given)
        found = scan_audio_files(root, ordered=False)
        unknown = [entry for entry in found if entry[0] not in known]
        already += len(found) - len(unknown)
        sort_paths(unknown)
        for text, link in unknown:
            key = os.path.realpath(text) if link else text
            if key not in seen:
                seen.add(key)
                files.append((text, root))
    return files, missing, already


def walk_inputs(
    inputs: Iterable[str | Path],
) -> tuple[list[tuple[Path, Path | None]], list[tuple[Path, str]]]:
    """Audio files named or found (recursively) under the inputs, each once, with the folder it
    was found under (None when named: then it is tried whatever its extension); plus the inputs
    that do not exist. Shared by adding to a project and by batch runs."""
    files, missing, _ = _walk(inputs)
    return [(Path(text), root) for text, root in files], missing


def expand_inputs(inputs: Iterable[str | Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Audio files named or found (recursively) under the inputs, plus inputs that do not exist."""
    files, missing = walk_inputs(inputs)
    return [path for path, _root in files], missing


def add_audio_job(
    reporter: Reporter, project_path: str | Path, inputs: list[str | Path]
) -> IngestResult:
    """Probes each new file and adds it; runs in a worker (own SQLite connection) or inline.

    Adding a card again must be cheap at 100,000 recordings: files already in the project are
    recognised by their path text (no ``Path``, no ``resolve`` each) while the folders are
    read, and only new files are sorted and reported in progress.
    """
    from model.audio import probe
    from model.project import Project
    from model.project.clip_choice import rate_warning, stored_clip_settings

    result = IngestResult()
    with Project.open(project_path) as project:
        reporter.update(0, None, "reading the folders")
        settings = stored_clip_settings(project)
        known = project.recording_path_texts()
        files, missing, result.already_present = _walk(inputs, known)
        result.skipped = list(missing)
        for index, (text, _root) in enumerate(files):
            if text in known:
                result.already_present += 1
                if index % 1000 == 0:
                    reporter.update(index, len(files), os.path.basename(text))
                continue
            path = Path(text)
            real = str(resolved(path))
            if real in known:
                result.already_present += 1
                continue
            reporter.update(index, len(files), path.name)
            try:
                info = probe(path)
                project.add_recording(path, info=info)
                if info.warning:
                    result.warned.append((path, info.warning))
                if band := rate_warning(settings, info.sample_rate):
                    result.band.append((path, band))
            except AudioError as exc:
                result.skipped.append((path, exc.cause))
                continue
            except SonotagError as exc:
                result.skipped.append((path, str(exc)))
                continue
            known.add(real)
            result.added.append(path)
        reporter.update(len(files), len(files), result.summary())
    return result
