"""The user guide stays true: its links lead somewhere, the command-line options it names exist,
its pictures are the ones the screenshot script makes, and they stay small.

The guide is plain Markdown (``docs/``), so nothing builds it and nothing else would notice a
renamed page, a removed option or a screenshot that is no longer made.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
IMAGES = DOCS / "images"
PAGES = [REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted(DOCS.glob("*.md"))]
MAX_IMAGE_BYTES = 300_000
MAX_DOCS_BYTES = 5_000_000

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


def prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """Lines outside fenced code blocks, with their numbers (links in code are not links)."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            yield number, line


def slug(heading: str) -> str:
    """The anchor a code-hosting site gives a heading: lower case, punctuation dropped (hyphens
    and underscores kept), spaces to hyphens."""
    text = re.sub(r"`|\*|_(?=\w)|(?<=\w)_", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    for _, line in prose_lines(page.read_text(encoding="utf-8")):
        match = HEADING.match(line)
        if match:
            base = slug(match.group(1))
            name, n = base, 1
            while name in found:  # repeated headings get -1, -2...
                name, n = f"{base}-{n}", n + 1
            found.add(name)
    return found


def test_slugs_follow_the_hosting_sites_rule() -> None:
    assert slug("The precision–recall curve") == "the-precisionrecall-curve"
    assert slug("The `-wal` file") == "the--wal-file"
    assert slug("What a label says about the *other* classes") == (
        "what-a-label-says-about-the-other-classes"
    )
    assert slug("1. Start Sonotag") == "1-start-sonotag"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_relative_link_resolves(page: Path) -> None:
    if not page.exists():
        pytest.skip(f"{page.name} not written yet")
    broken = []
    for number, line in prose_lines(page.read_text(encoding="utf-8")):
        for target in LINK.findall(line):
            if re.match(r"[a-z]+:", target):  # https:, mailto:
                continue
            path_part, _, anchor = target.partition("#")
            resolved = (page.parent / path_part).resolve() if path_part else page
            if not resolved.exists():
                broken.append(f"{number}: {target} (no such file)")
            elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
                broken.append(f"{number}: {target} (no heading '#{anchor}')")
    assert not broken, f"{page.relative_to(REPO)}:\n" + "\n".join(broken)


def cli_options() -> dict[str, set[str]]:
    """Every long option of every ``sonotag`` command, by command path ('train',
    'project new', '' for the top level)."""
    import argparse

    from model.cli import build_parser

    found: dict[str, set[str]] = {}

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        found[path] = {o for a in parser._actions for o in a.option_strings if o.startswith("--")}
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}".strip())

    walk(build_parser(), "")
    return found


SUBCOMMAND = r"(?: (?:new|add|zone|preset|hears|status|import))?"
COMMAND_LINE = re.compile(rf"\bsonotag ((?:[a-z]+){SUBCOMMAND})\b(.*)")
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")


def test_every_option_the_guide_gives_a_sonotag_command_exists() -> None:
    """``sonotag train ... --folds K`` in the guide: ``--folds`` must be an option of train."""
    options = cli_options()
    wrong = []
    for page in [p for p in PAGES if p.exists()]:
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            for match in COMMAND_LINE.finditer(line):
                command = match.group(1)
                if command not in options:
                    command = command.split()[0]
                if command not in options:
                    continue  # prose: "sonotag is a desktop app"
                rest = re.split(r"#|`(?=\s|$)|\|", match.group(2))[0]  # up to a comment/cell end
                for option in OPTION.findall(rest):
                    if option not in options[command] | {"--help"}:
                        wrong.append(f"{page.name}:{number}: sonotag {command} {option}")
    assert not wrong, "options the CLI does not have:\n" + "\n".join(wrong)


def test_every_option_named_in_the_guide_is_a_sonotag_option() -> None:
    """Options named on their own (a table row: `--threshold T`) exist in some command."""
    known = set().union(*cli_options().values()) | {"--help"}
    wrong = []
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), 1):
            if any(o in line for o in ("pip install", "make_screenshots", "bench/", "ray ")):
                continue  # another program's options
            for option in OPTION.findall(line):
                if option not in known:
                    wrong.append(f"{page.name}:{number}: {option}")
    assert not wrong, "options no sonotag command has:\n" + "\n".join(wrong)


def test_the_option_checks_catch_what_they_are_for() -> None:
    options = cli_options()
    assert "--folds" in options["train"] and "--preset-that-never-was" not in options["train"]
    assert "--threshold" in options["predict"]
    match = COMMAND_LINE.search("sonotag project zone P.sonotag UTC")
    assert match is not None and match.group(1) == "project zone"
    match = COMMAND_LINE.search("sonotag project preset P.sonotag custom --band 10 20")
    assert match is not None and match.group(1) == "project preset"
    assert "--band" in options["project preset"] and "--band" not in options["project zone"]


def load_script():
    """docs/ is no package: the script is loaded from its file (registered first, as an
    import would, so its dataclass can find its module)."""
    import sys

    name = "sonotag_docs_make_screenshots"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, DOCS / "make_screenshots.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_the_guides_pictures_are_the_ones_the_script_makes_and_stay_small() -> None:
    script = load_script()
    pictures = {p.stem for p in IMAGES.glob("*.png")}
    assert pictures == set(script.SCENES), "docs/images and make_screenshots.SCENES differ"
    used = "\n".join(p.read_text(encoding="utf-8") for p in PAGES if p.exists())
    unused = [name for name in pictures if f"images/{name}.png" not in used]
    assert not unused, f"pictures no page shows: {unused}"
    sizes = {p.name: p.stat().st_size for p in IMAGES.glob("*.png")}
    big = {name: size for name, size in sizes.items() if size > MAX_IMAGE_BYTES}
    assert not big, f"pictures over {MAX_IMAGE_BYTES // 1000} KB: {big}"
    total = sum(p.stat().st_size for p in DOCS.rglob("*") if p.is_file())
    assert total < MAX_DOCS_BYTES, f"docs/ holds {total / 1e6:.1f} MB"


def test_the_screenshot_script_renders_a_scene_on_the_demo(qapp, tmp_path: Path) -> None:
    """The window-independent scenes, without training: proves the script still drives the
    app (a renamed attribute fails here, not on the next documentation day)."""
    from PIL import Image

    script = load_script()
    written = script.run(["main-window", "clip-images"], tmp_path)
    assert [p.name for p in written] == ["main-window.png", "clip-images.png"]
    for path in written:
        with Image.open(path) as image:
            assert image.width >= 400 and image.height >= 400
        assert path.stat().st_size < MAX_IMAGE_BYTES


#: The README's set-up commands, verbatim: users copy them, and CI (.ci/run) runs the second.
SETUP_COMMANDS = (
    "bash packaging/install.sh && .venv/bin/sonotag",
    "bash packaging/install.sh && QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q",
)


def test_the_readme_opens_with_the_two_set_up_commands_ci_runs() -> None:
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    first_code = [line.split("#")[0].strip() for line in lines[:40] if line.startswith("bash ")]
    assert first_code[:2] == list(SETUP_COMMANDS), "the README's set-up commands changed or moved"
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    install, _, test = SETUP_COMMANDS[1].partition(" && ")
    assert f"{install} && without_shared env {test}" in ci, ".ci/run no longer runs the README's"
