"""Checking up front that a file or folder can be written, with the cause in words.

Work that ends by writing (a training run that copies its model, a batch run that writes
tables, a new project) must find out before it starts that the place is unusable: /proc, a
read-only card, a folder given where a file is meant. SQLite and most libraries only say
"unable to open", so the check makes the OS say why, by creating a small file there.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from model.errors import SonotagError

_CAUSES = {
    errno.EACCES: "permission denied: this folder does not let you create files",
    errno.EPERM: "permission denied: this folder does not let you create files",
    errno.EROFS: "the disk is read-only",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.ENAMETOOLONG: "the name is too long",
    errno.ELOOP: "a symbolic link in the path points back to itself (a link loop)",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "a folder of that name is already there",
    errno.EEXIST: "already exists",
}


def os_cause(exc: OSError) -> str:
    """An OSError's cause for a person; the errno's own words when not one of the usual."""
    known = _CAUSES.get(exc.errno or 0)
    return known or (exc.strerror or str(exc)).rstrip(".").lower()


def check_can_create_in(folder: Path, what: str = "files") -> None:
    """Raises SonotagError naming ``folder`` unless a new file can be created in it."""
    if not folder.exists():
        raise SonotagError(folder, f"folder does not exist (needed for the {what})")
    if not folder.is_dir():
        raise SonotagError(folder, f"is a file, not a folder (needed for the {what})")
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".sonotag-write-check-"):
            pass
    except OSError as exc:
        cause = os_cause(exc)
        if exc.errno == errno.ENOENT:  # e.g. /proc: the folder exists but takes no new files
            cause = "this folder does not accept new files"
        raise SonotagError(folder, f"cannot write the {what} here ({cause})") from None


def check_output_file(path: Path, what: str = "file") -> None:
    """A file that will be written (replacing any older one): its folder must take new files
    and the name must not be a folder."""
    if path.is_dir():
        raise SonotagError(path, f"is a folder: give a file name for the {what}")
    check_can_create_in(path.parent if str(path.parent) else Path("."), what)


def check_output_folder(folder: Path, what: str = "output") -> None:
    """A folder that will be created if missing and written into."""
    if folder.exists() and not folder.is_dir():
        raise SonotagError(folder, f"is a file, not a folder (needed for the {what})")
    parent = folder
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise SonotagError(parent, f"is a file, not a folder (needed for the {what})")
    if not folder.exists():
        check_can_create_in(parent, what)  # the folders are made when the work starts
        return
    check_can_create_in(folder, what)


def create_new_file(path: Path, what: str = "file") -> None:
    """Creates ``path`` empty (failing if it exists), so the OS names any reason it cannot."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        cause = os_cause(exc)
        if exc.errno == errno.ENOENT and path.parent.is_dir():
            cause = "this folder does not accept new files"
        raise SonotagError(path, f"cannot create the {what} ({cause})") from None
    os.close(fd)
