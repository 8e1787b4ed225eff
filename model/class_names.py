"""What a class name may be, checked where names enter: the project, a model bundle, an import.

Class names end up as cells of Raven tables (tab-separated, unquoted), Audacity label tracks
(one label per line) and CSV files. A tab or line break inside a name would split a row, and
quietly replacing it on export would make the exported name differ from the project's, so such
names are refused when they are typed or loaded instead.
"""

from __future__ import annotations

import unicodedata

MAX_LENGTH = 200


def class_name_problem(name: object) -> str | None:
    """Why ``name`` cannot be a class name, in words; None when it can."""
    if not isinstance(name, str):
        return f"a class name must be text, got {type(name).__name__}"
    if not name.strip():
        return "a class name cannot be empty"
    bad = sorted({c for c in name if unicodedata.category(c) == "Cc"})
    if bad:
        shown = ", ".join(_control_name(c) for c in bad)
        return f"class name {name!r} contains {shown}; class names must fit on one table cell"
    if name != name.strip():
        return f"class name {name!r} starts or ends with a space"
    if len(name) > MAX_LENGTH:
        return f"class name is {len(name)} characters long (at most {MAX_LENGTH})"
    return None


def _control_name(char: str) -> str:
    return {"\t": "a tab", "\n": "a line break", "\r": "a carriage return"}.get(
        char, f"the control character U+{ord(char):04X}"
    )
