"""Checking command-line arguments before any work starts.

A training run that fails on its ``--out`` after ten minutes, leaving a model in the project
each time, or a ``--hop 0.0001`` that turns a night of audio into a week of scoring, are the
price of checking late. So values are checked where argparse reads them (``argparse`` types:
a bad value is a usage error, exit status 2, one line), and what depends on the file system or
on the model (writable outputs, the hop against the model's clip length) is checked by
``require_*`` before the first expensive step (exit status 1, one line naming the file).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from model.batch import MIN_HOP as MIN_HOP  # the job refuses the same hops for every caller
from model.errors import SonotagError


class UsageError(SonotagError):
    """A value on the command line that cannot be right, whatever the files: exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``sonotag: error: ...``), the form every other failure
    takes too, so scripts and people read one kind of message."""

    def error(self, message: str) -> NoReturn:
        hint = f" (see '{self.prog} --help')"
        self.exit(2, f"{self.prog}: error: {message}{hint}\n")

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """Options may come between a command's positional arguments, as people type them:
        ``sonotag project new P.sonotag --preset bats night1/`` (plain argparse takes
        ``night1/`` for an unknown extra, because ``P.sonotag`` already ended the list of
        files). A command with subcommands is parsed as usual; its subcommand's parser is
        asked for its own arguments and mixes them."""
        intermixable = self._subparsers is None and not any(
            action.nargs in (argparse.PARSER, argparse.REMAINDER) for action in self._actions
        )
        if not intermixable or self._mixing:
            return super().parse_known_args(args, namespace)
        self._mixing = True
        try:
            return super().parse_known_intermixed_args(args, namespace)
        finally:
            self._mixing = False

    _mixing = False


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def hop_seconds(text: str) -> float:
    """``--hop``: seconds between window starts, at least ``MIN_HOP``."""
    value = _number(text)
    if value < MIN_HOP:
        raise argparse.ArgumentTypeError(
            f"{text} s is too small: windows start at least {MIN_HOP:g} s apart"
        )
    return value


def fraction(text: str) -> float:
    """``--threshold``: a score between 0 and 1."""
    value = _number(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1 (scores are)")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not at least 1")
    return value


def model_name(text: str) -> str:
    """``--name``: shown in the model list and used for the file name."""
    name = text.strip()
    if not name:
        raise argparse.ArgumentTypeError("a model name cannot be empty")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise argparse.ArgumentTypeError(f"{text!r} holds a tab, line break or control character")
    if len(name) > 120:
        raise argparse.ArgumentTypeError("a model name is at most 120 characters")
    return name


def require_hop_fits(hop: float, clip_seconds: float, where: Path) -> None:
    """The hop must not leave gaps between windows: at most one clip length."""
    if hop > clip_seconds:
        raise UsageError(
            None,
            f"--hop {hop:g} s is longer than the clips of {where.name} ({clip_seconds:g} s): "
            "the audio between windows would never be scored",
        )


def print_error(message: str) -> None:
    print(f"sonotag: error: {message}", file=sys.stderr)
