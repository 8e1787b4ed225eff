"""File names as the OS gives them, and as people, C libraries and text files take them.

On Linux a file name is bytes: a card formatted on an old camera, or copied from a Latin-1
machine, can hold names like ``caf\\xe9.wav`` that are not valid UTF-8. Python keeps such a name
exactly (PEP 383: each bad byte becomes a lone surrogate ``\\udce9``), so ``Path`` objects reach
the file again. Everything that turns a name into text must choose deliberately what to do with
those surrogates, because UTF-8 encoders (sqlite3, ``csv`` on a UTF-8 file, libsndfile's
binding, Qt) refuse them, drop them or crash:

* ``display``: for people and text tables. Bad bytes become U+FFFD (the replacement character).
* ``os_arg``: for C libraries that open files themselves: the exact bytes on POSIX.
* ``to_db`` / ``from_db``: a lossless value for SQLite: text when the name is valid, else the
  raw bytes as a BLOB (valid names are stored exactly as before, so no migration is needed).
* ``recover``: a path that went through Qt (which decodes names lossily, with U+FFFD) back to
  the file it names.
"""

from __future__ import annotations

import codecs
import os
import re
import sys
from pathlib import Path

REPLACEMENT = "\ufffd"
#: ``errors=`` for text files people and other programs read (tables, errors.csv): file-name
#: bytes that are not UTF-8 are written as U+FFFD, like ``display``, instead of failing.
TABLE_ERRORS = "sonotag-display"


def is_clean(text: str) -> bool:
    """True when ``text`` encodes to UTF-8 as it is (no bytes kept as surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def display(path: str | bytes | os.PathLike[str] | None) -> str:
    """The name as a person should read it: invalid bytes shown as U+FFFD, never dropped."""
    if path is None:
        return ""
    raw = os.fspath(path)
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "replace")
    if raw.isascii() or is_clean(raw):  # isascii: no encoding for most names (100,000s listed)
        return raw
    try:
        return raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # an unpaired UTF-16 surrogate from a Windows name
        return raw.encode("utf-8", "replace").decode("utf-8").replace("?", REPLACEMENT)


def clean_text(text: str) -> str:
    """Any text that may carry file-name bytes (an error message, a table cell) made safe to
    write as UTF-8: the same replacement as ``display``."""
    return text if is_clean(text) else display(text)


def _replace_name_bytes(exc: UnicodeError) -> tuple[bytes, int]:
    # Bytes, not str: CPython's UTF-8 encoder only takes ASCII text back from a handler.
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    shown = display(exc.object[exc.start : exc.end])
    return shown.encode(exc.encoding, "replace"), exc.end


def make_stream_safe(stream: object) -> None:
    """A text stream (the terminal) that prints any file name instead of raising: Python's
    stdout is strict under a UTF-8 locale, so one odd name would end a command mid-way."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(errors=TABLE_ERRORS)
        except (ValueError, OSError):  # detached or closed: nothing to protect
            pass


codecs.register_error(TABLE_ERRORS, _replace_name_bytes)


def os_arg(path: str | os.PathLike[str]) -> str | bytes:
    """The argument to give a C library that opens the file: the OS's own bytes on POSIX (a
    ``str`` would be encoded strictly as UTF-8 and fail), the name itself on Windows."""
    raw = os.fspath(path)
    if sys.platform == "win32" or isinstance(raw, bytes):
        return raw
    return os.fsencode(raw)


def to_db(text: str) -> str | bytes:
    """Value to store for a path in SQLite: text when valid UTF-8, else its bytes (a BLOB)."""
    return text if is_clean(text) else os.fsencode(text)


def from_db(value: str | bytes) -> str:
    """Inverse of ``to_db``."""
    return os.fsdecode(value) if isinstance(value, bytes) else value


def resolved(path: str | os.PathLike[str]) -> Path:
    """``Path.resolve()`` that survives a symbolic link loop (which it raises on: RuntimeError
    before Python 3.13, OSError after): the loop is kept as an absolute path, so opening it
    later names the loop instead of ending the whole run."""
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError):
        return Path(os.path.abspath(path))


def _squashed(text: str) -> str:
    """Runs of U+FFFD as one: decoders differ in how many they make of one broken sequence."""
    return re.sub(f"{REPLACEMENT}+", REPLACEMENT, text)


_SETTING_BYTES = "sonotag-fs-bytes:"


def to_setting(path: str | os.PathLike[str]) -> str:
    """Text for a settings file (Qt's QSettings drops lone surrogates): the name itself when
    valid, else its bytes in hex behind a marker no real path starts with."""
    text = os.fspath(path)
    return text if is_clean(text) else _SETTING_BYTES + os.fsencode(text).hex()


def from_setting(text: str) -> str:
    """Inverse of ``to_setting``."""
    if text.startswith(_SETTING_BYTES):
        try:
            return os.fsdecode(bytes.fromhex(text[len(_SETTING_BYTES) :]))
        except ValueError:
            return text
    return text


def recover(path: Path) -> Path:
    """The existing file a lossily decoded name (U+FFFD in it, as Qt gives it) stands for.

    Each missing part of the path is looked up among its folder's entries by its displayed
    name; an ambiguous or missing match returns ``path`` unchanged, so opening it then names
    the problem the usual way.
    """
    if REPLACEMENT not in str(path) or path.exists():
        return path
    current = Path(path.anchor) if path.is_absolute() else Path()
    for part in path.relative_to(path.anchor).parts if path.is_absolute() else path.parts:
        candidate = current / part
        if not candidate.exists() and REPLACEMENT in part:
            try:
                wanted = _squashed(part)
                matches = [n for n in os.listdir(current) if _squashed(display(n)) == wanted]
            except OSError:
                return path
            if len(matches) != 1:
                return path
            candidate = current / matches[0]
        current = candidate
    return current if current.exists() else path
