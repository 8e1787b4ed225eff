"""Turning every way a file can fail to open into one ``AudioError`` a biologist can read.

libsndfile reports problems in its own vocabulary ("System error", "Format not recognised") and
sometimes misleadingly (a 30-byte MP3 is "not a regular file"), so the file system is checked
first and libsndfile's text is only translated afterwards. Checking the file type first also
keeps a FIFO or device node from blocking the app forever inside libsndfile.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import soundfile as sf

from model.errors import AudioError
from model.pathtext import os_arg
from model.project.guard import is_guarded

NOT_AUDIO = "not an audio file or unsupported format"
DAMAGED_HEADER = "the audio header is damaged or incomplete"
NO_CHANNELS = "recording has no channels"


def check_readable(path: Path) -> int:
    """Size in bytes of a readable regular file; raises AudioError naming why not."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise AudioError(path, "file not found") from None
    except PermissionError:
        raise AudioError(path, "permission denied: cannot read the file") from None
    except OSError as exc:
        raise AudioError(path, f"cannot access the file ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise AudioError(path, "directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise AudioError(path, "not a regular file (a device, pipe or socket)")
    if st.st_size == 0:
        raise AudioError(path, "file is empty (0 bytes)")
    if is_guarded(path):  # libsndfile would open it behind SQLite's back
        raise AudioError(path, "is a Sonotag project open in this program, not a recording")
    if not os.access(path, os.R_OK):
        raise AudioError(path, "permission denied: cannot read the file")
    return st.st_size


def libsndfile_cause(message: str) -> str:
    """A cause in plain words for a libsndfile error string (kept in brackets for support)."""
    text = message.lower()
    detail = message.split(":", 1)[-1].strip() if ":" in message else message.strip()
    if "channel count is zero" in text:
        return NO_CHANNELS
    if (
        "not recognised" in text
        or "not recognized" in text
        or "unimplemented format" in text
        or "not a regular file" in text
        or "unknown format" in text
    ):
        return f"{NOT_AUDIO} (decoder says: {detail})"
    return f"{DAMAGED_HEADER} (decoder says: {detail})"


def open_soundfile(path: Path) -> sf.SoundFile:
    """Open for reading or raise AudioError; never lets a libsndfile/OS exception escape."""
    check_readable(path)
    try:
        return sf.SoundFile(os_arg(path))
    except sf.LibsndfileError as exc:
        raise AudioError(path, libsndfile_cause(exc.error_string or str(exc))) from None
    except PermissionError:
        raise AudioError(path, "permission denied: cannot read the file") from None
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise AudioError(path, "file not found") from None
        raise AudioError(path, f"cannot read the file ({exc.strerror or exc})") from None
    except (RuntimeError, ValueError, TypeError) as exc:
        raise AudioError(path, f"{DAMAGED_HEADER} (decoder says: {exc})") from None
