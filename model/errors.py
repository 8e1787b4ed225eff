"""One family of exceptions for everything a user can get wrong.

The GUI shows a ``SonotagError`` in a dialog and the CLI prints it as one line, so each carries
the file it is about and a cause written for a field biologist, not a traceback.
"""

from __future__ import annotations

from pathlib import Path

from model.pathtext import clean_text, display


class SonotagError(Exception):
    """A failure the user can act on: names the file (when there is one) and the cause."""

    def __init__(self, path: str | Path | None, cause: str) -> None:
        self.path = Path(path) if path is not None else None
        self.cause = cause
        # Shown in dialogs, printed, written to errors.csv: a file name that is not valid
        # UTF-8 appears with replacement characters instead of breaking each of those.
        text = f"{display(self.path)}: {cause}" if self.path is not None else cause
        super().__init__(clean_text(text))


class AudioError(SonotagError):
    """A recording cannot be opened or read (missing, empty, truncated, corrupt, not audio)."""


class ProjectError(SonotagError):
    """A project file cannot be opened or changed (corrupt, newer version, read-only)."""


class ModelBundleError(SonotagError):
    """A trained-model bundle is unreadable or does not fit the project."""


class AnnotationFormatError(SonotagError):
    """An annotation file (Raven, Audacity, Sonic Visualiser, CSV) cannot be read."""
