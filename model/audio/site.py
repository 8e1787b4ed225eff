"""Which site a recording comes from: the recorder's own words first, the folder by default.

Field projects are organised by site (a recorder on a post, a transect point), and results are
compared between them. The clues, in the order they are trusted:

1. GUANO metadata (bat detectors; AudioMoth with GUANO firmware): a field naming the site or
   location (``Site``, ``Location``, ``Loc Name``, under any vendor namespace), else Wildlife
   Acoustics' file-name ``Prefix``, which Song Meter users set to the site; else the
   recorder's ``Serial``.
2. The AudioMoth device id (``AudioMoth 247AA5075E06337D`` in the WAV artist or comment): one
   recorder per site is the usual deployment.
3. The folder the file is in (``SITE-A/20210502_040000.WAV``), the default.

The site is only a default: the recordings table edits it, and an edited site is kept.
Parsers work on plain strings so they can be tested without audio files, and return None rather
than raise: a missing site never stops a recording from opening.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from model.pathtext import display

SITE_GUANO = "guano"
SITE_AUDIOMOTH = "audiomoth-id"
SITE_FOLDER = "folder"
SITE_USER = "edited"

_AUDIOMOTH_RE = re.compile(r"AudioMoth\s+([0-9A-F]{16})\b", re.IGNORECASE)
# GUANO keys (namespace removed, lower case) that name a site, most specific first.
_GUANO_SITE_KEYS = ("site", "site name", "site id", "location", "location name", "loc name")
_GUANO_PREFIX_KEYS = ("song meter|prefix", "prefix")
MAX_SITE_CHARS = 80


def clean_site(text: Any) -> str:
    """One line, trimmed, at most ``MAX_SITE_CHARS``: a site is a short name in a table cell
    and a CSV column, so tabs and line breaks become spaces."""
    if text is None:
        return ""
    # A folder name that is not valid UTF-8 carries surrogate escapes SQLite cannot store.
    flat = " ".join(display(str(text)).split())
    return flat[:MAX_SITE_CHARS]


def audiomoth_id(*texts: str | None) -> str | None:
    """The 16-hex-digit device id AudioMoth writes in its WAV artist and comment."""
    for text in texts:
        match = _AUDIOMOTH_RE.search(text or "")
        if match is not None:
            return match.group(1).upper()
    return None


def guano_site(metadata: bytes | str | None) -> str | None:
    """A site-like field of a GUANO block, else the Song Meter prefix, else the serial."""
    if not metadata:
        return None
    try:
        import guano

        text = metadata.decode("utf-8", "replace") if isinstance(metadata, bytes) else metadata
        fields = guano.GuanoFile.from_string(text.strip("\x00"), strict=False)
        items = [(str(k), v) for k, v in fields.items()]
    except Exception:  # noqa: BLE001 - a broken metadata block must not stop the file opening
        return None
    by_key: dict[str, str] = {}
    for key, value in items:
        name = key.split("|", 1)[1] if "|" in key and not key.startswith("GUANO|") else key
        site = clean_site(value)
        if site:
            by_key.setdefault(name.strip().lower(), site)
    for wanted in (*_GUANO_SITE_KEYS, *_GUANO_PREFIX_KEYS, "serial"):
        if wanted in by_key:
            return by_key[wanted]
    return None


def folder_site(path: str | PurePath) -> str:
    """The name of the folder a recording is in: the default site."""
    return clean_site(PurePath(path).parent.name)


def find_site(
    path: str | PurePath,
    *,
    guano_chunk: bytes | None = None,
    metadata: dict[str, str] | None = None,
) -> tuple[str, str]:
    """(site, where it came from) for a recording, by the order in the module docstring."""
    site = guano_site(guano_chunk)
    if site:
        return site, SITE_GUANO
    metadata = metadata or {}
    device = audiomoth_id(metadata.get("artist"), metadata.get("comment"))
    if device:
        return device, SITE_AUDIOMOTH
    return folder_site(path), SITE_FOLDER
