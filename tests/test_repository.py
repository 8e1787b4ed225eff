"""The repository stands on its own: its test data is complete and unaltered, and nothing in it
points at one machine's folders (``../shared``, a home or work directory), so a user's fresh
clone passes its own tests and the scripts run where the clone is."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"

# Built from pieces so this file does not match itself.
_NAME = "[A-Za-z0-9_.-]+"
_ROOTS = "|".join(["/" + "work/", "/" + "root/", "/" + f"home/{_NAME}", "/" + f"Users/{_NAME}"])
MACHINE_PATH = re.compile(rf"(?<![\w.~$}}])({_ROOTS})|[A-Za-z]:\\{{1,2}}Users\\")
_SHARED = "shared"
SHARED_FOLDER = re.compile(rf"\.\./{_SHARED}|\"{_SHARED}\"\s*/|{_SHARED}/data/real")
#: Files allowed to name ../shared: the CI script, whose job is to hide it, and this check.
MAY_NAME_SHARED = {".ci/run", "tests/test_repository.py"}
_SKIPPED_DIRS = {".git", ".venv", "__pycache__", "build", "dist", "output", ".ruff_cache"}
_TEXT_SUFFIXES = {
    ".py",
    ".sh",
    ".md",
    ".toml",
    ".txt",
    ".cfg",
    ".ini",
    ".spec",
    ".desktop",
    ".xml",
    ".json",
    ".yml",
    ".yaml",
    ".iss",
    ".plist",
    "",
}


def _repository_files() -> list[Path]:
    """Tracked files when this is a git checkout, else every file outside build output."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
        ).stdout.split(b"\0")
        files = [REPO / name.decode() for name in listed if name]
    except (OSError, subprocess.CalledProcessError):
        files = [
            p
            for p in REPO.rglob("*")
            if p.is_file() and not _SKIPPED_DIRS & set(p.relative_to(REPO).parts)
        ]
    return [p for p in files if p.is_file()]


def _own_text_files() -> list[Path]:
    """Text the project wrote: test data from others (tests/data) is kept byte-identical, so
    its own paths (pykanto's JSON names its author's folders) are not ours to change."""
    return [
        p
        for p in _repository_files()
        if DATA not in p.parents and p.suffix.lower() in _TEXT_SUFFIXES
    ]


def test_no_file_names_a_machine_specific_path() -> None:
    offenders = []
    for path in _own_text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        shared_ok = path.relative_to(REPO).as_posix() in MAY_NAME_SHARED
        for number, line in enumerate(text.splitlines(), 1):
            if MACHINE_PATH.search(line) or (SHARED_FOLDER.search(line) and not shared_ok):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()[:100]}")
    assert not offenders, "machine-specific paths:\n" + "\n".join(offenders)


def test_the_path_check_catches_what_it_is_for() -> None:
    bad = [
        "/" + "work/shared/data/real/x.wav",
        'REPO.parent / "' + "shared" + '" / "data"',
        "cd ../" + "shared",
        "/" + "home/alice/rec.wav",
        "C:" + "\\Users\\bob",
        "D:" + r"\Users\carol",
    ]
    good = ["~/.keras/models", "$HOME/.config", "tests/data/great_tit", "packaging/build/work"]
    assert all(MACHINE_PATH.search(s) or SHARED_FOLDER.search(s) for s in bad)
    assert not any(MACHINE_PATH.search(s) or SHARED_FOLDER.search(s) for s in good)


def test_test_data_is_complete_unaltered_and_credited() -> None:
    listed = {}
    for line in (DATA / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name] = digest
    on_disk = {p.relative_to(DATA).as_posix() for p in DATA.rglob("*") if p.is_file()}
    assert on_disk - {"SOURCES.md", "SHA256SUMS"} == set(listed)
    for name, digest in listed.items():
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == digest, name
    sources = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    missing = [name for name in listed if f"| `{name}` |" not in sources]
    assert not missing, f"not in tests/data/SOURCES.md: {missing}"
    size = sum((DATA / name).stat().st_size for name in listed)
    assert size < 12_000_000, f"tests/data holds {size / 1e6:.1f} MB: keep the clone small"


def test_citation_file_carries_the_package_version_and_the_method_doi() -> None:
    """CITATION.cff is what code-hosting sites and reference managers read; a release that
    bumps pyproject's version without it would be cited under the wrong version."""
    import tomllib

    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    citation = (REPO / "CITATION.cff").read_text(encoding="utf-8")
    assert re.search(rf"^version: {re.escape(version)}$", citation, re.MULTILINE)
    assert "doi: 10.1016/j.ecoinf.2022.101909" in citation  # Morales et al. 2022
