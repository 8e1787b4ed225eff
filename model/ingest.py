"""Adding recordings to a project, shared by ``sonotag project add`` and the GUI's Add Folder.

Field folders hold thousands of files, some of them broken (a card pulled out mid-write, a
zero-byte file when the battery died). One unreadable file must never stop the rest, and every
skipped file is reported with its cause so nothing disappears silently.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from model.errors import AudioError, SonotagError
from model.jobs import Reporter


@dataclass
class IngestResult:
    """What an add run did: recordings added (or already there), files skipped with why, and
    files added with a warning (cut short, NaN samples) with what is wrong."""

    added: list[Path] = field(default_factory=list)
    already_present: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    warned: list[tuple[Path, str]] = field(default_factory=list)

    def summary(self) -> str:
        text = f"added {len(self.added)} recording(s)"
        if self.already_present:
            text += f", {len(self.already_present)} already in the project"
        if self.skipped:
            text += f", skipped {len(self.skipped)} unreadable file(s)"
        if self.warned:
            text += f", {len(self.warned)} with warnings"
        return text


def walk_inputs(
    inputs: Iterable[str | Path],
) -> tuple[list[tuple[Path, Path | None]], list[tuple[Path, str]]]:
    """Audio files named or found (recursively) under the inputs, each once, with the folder it
    was found under (None when named: then it is tried whatever its extension); plus the inputs
    that do not exist. Shared by adding to a project and by batch runs."""
    from model.audio import find_audio_files
    from model.audio.opening import missing_cause

    seen: set[Path] = set()
    files: list[tuple[Path, Path | None]] = []
    missing: list[tuple[Path, str]] = []
    for item in inputs:
        given = Path(item)
        if not given.exists():
            missing.append((given, missing_cause(given)))
            continue
        root = given.resolve() if given.is_dir() else None
        for path in find_audio_files([given]) if root is not None else [given]:
            if path.resolve() not in seen:
                seen.add(path.resolve())
                files.append((path, root))
    return files, missing


def expand_inputs(inputs: Iterable[str | Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Audio files named or found (recursively) under the inputs, plus inputs that do not exist."""
    files, missing = walk_inputs(inputs)
    return [path for path, _root in files], missing


def add_audio_job(
    reporter: Reporter, project_path: str | Path, inputs: list[str | Path]
) -> IngestResult:
    """Probes each file and adds it; runs in a worker (own SQLite connection) or inline."""
    from model.audio import probe
    from model.project import Project

    files, missing = expand_inputs(inputs)
    result = IngestResult(skipped=list(missing))
    with Project.open(project_path) as project:
        known = {rec.path.resolve() for rec in project.recordings()}
        for index, path in enumerate(files):
            reporter.update(index, len(files), path.name)
            if path.resolve() in known:
                result.already_present.append(path)
                continue
            try:
                info = probe(path)
                project.add_recording(path, info=info)
                if info.warning:
                    result.warned.append((path, info.warning))
            except AudioError as exc:
                result.skipped.append((path, exc.cause))
                continue
            except SonotagError as exc:
                result.skipped.append((path, str(exc)))
                continue
            known.add(path.resolve())
            result.added.append(path)
        reporter.update(len(files), len(files), result.summary())
    return result
