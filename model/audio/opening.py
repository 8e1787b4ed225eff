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

from model.audio.decoder_notes import caught_decoder_notes, looks_like_mpeg, summary
from model.errors import AudioError
from model.pathtext import display, os_arg
from model.project.guard import is_guarded

NOT_AUDIO = "not an audio file or unsupported format"
DAMAGED_HEADER = "the audio header is damaged or incomplete"
NO_CHANNELS = "recording has no channels"


def check_readable(path: Path) -> int:
    """Size in bytes of a readable regular file; raises AudioError naming why not."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise AudioError(path, access_cause(path, exc)) from None
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


def access_cause(path: Path, exc: OSError) -> str:
    """Why ``path`` cannot be reached, from the error ``os.stat`` raised on it."""
    if exc.errno == errno.ELOOP:
        return "symbolic link loop: the link leads back to itself, so there is no file to read"
    if exc.errno == errno.ENOENT:
        try:
            target = os.readlink(path)
        except OSError:
            return "file not found"
        return f"broken symbolic link: it points to {display(target)}, which does not exist"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied: cannot read the file"
    return f"cannot access the file ({exc.strerror or exc})"


def missing_cause(path: Path) -> str:
    """Why an input that ``Path.exists()`` calls missing is not there (it hides link loops)."""
    try:
        os.stat(path)
    except OSError as exc:
        cause = access_cause(path, exc)
        return "no such file or folder" if cause == "file not found" else cause
    return "no such file or folder"


def _sniff(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(4)
    except OSError:
        return b""


def libsndfile_cause(message: str, path: Path | None = None, notes: list[str] | None = None) -> str:
    """A cause in plain words for a libsndfile error string (kept in brackets for support).

    libsndfile blames the file system ("not a regular file (possibly a pipe?)") for an MP3 it
    cannot decode, and "unimplemented format" for an Ogg without a stream it knows; by the time
    it is called the file is known to be a readable regular file, so the cause is the content.
    """
    text = message.lower()
    detail = message.split(":", 1)[-1].strip() if ":" in message else message.strip()
    said = summary(notes or [])
    if "channel count is zero" in text:
        return NO_CHANNELS
    unreadable = any(
        words in text
        for words in ("not recognised", "not recognized", "unimplemented", "not a regular file")
    )
    if unreadable and path is not None and looks_like_mpeg(path):
        cause = "no MPEG audio frame could be decoded: the file is damaged or is not an MP3"
        return cause + (f" (decoder says: {said})" if said else "")
    if unreadable and path is not None and _sniff(path) == b"OggS":
        return (
            "no audio stream in this Ogg file could be decoded: it is damaged, or holds a "
            "codec other than Vorbis, Opus or FLAC"
        )
    if "not a regular file" in text:  # the file system was checked first: it is one
        return NOT_AUDIO
    if unreadable or "unknown format" in text:
        return f"{NOT_AUDIO} (decoder says: {detail})"
    return f"{DAMAGED_HEADER} (decoder says: {detail})"


def open_soundfile(path: Path) -> sf.SoundFile:
    """Open for reading or raise AudioError; never lets a libsndfile/OS exception escape."""
    check_readable(path)
    with caught_decoder_notes(looks_like_mpeg(path)) as notes:
        try:
            return _open_soundfile(path)
        except sf.LibsndfileError as exc:
            failure = exc
    cause = libsndfile_cause(failure.error_string or str(failure), path, notes)
    raise AudioError(path, cause) from None


def _open_soundfile(path: Path) -> sf.SoundFile:
    try:
        return sf.SoundFile(os_arg(path))
    except sf.LibsndfileError:
        raise  # translated by the caller, with the decoder's notes
    except PermissionError:
        raise AudioError(path, "permission denied: cannot read the file") from None
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise AudioError(path, "file not found") from None
        raise AudioError(path, f"cannot read the file ({exc.strerror or exc})") from None
    except (RuntimeError, ValueError, TypeError) as exc:
        raise AudioError(path, f"{DAMAGED_HEADER} (decoder says: {exc})") from None
