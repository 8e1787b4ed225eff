"""A text progress bar on stderr for CLI jobs: the terminal twin of the GUI's progress dialog.

On a terminal it redraws one line; in a log (CI, cron on a field station) it prints a line at
most every few seconds so logs stay readable.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from model.jobs import Progress
from model.timefmt import format_clock


class ProgressBar:
    """Callable as ``on_progress``; shows done/total, percentage, rate-based ETA and message."""

    def __init__(self, title: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.title = title
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.started = time.monotonic()
        self._last_print = 0.0
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._dirty = False

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        final = progress.total is not None and progress.done >= progress.total
        if not final and now - self._last_print < (0.1 if self._tty else 5.0):
            return
        self._last_print = now
        self.stream.write(("\r" if self._tty else "") + self.render(progress, now))
        if not self._tty:
            self.stream.write("\n")
        self._dirty = self._tty
        self.stream.flush()

    def render(self, progress: Progress, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        elapsed = now - self.started
        parts = [self.title]
        fraction = progress.fraction
        if fraction is not None:
            filled = int(round(fraction * self.width))
            parts.append("[" + "#" * filled + "-" * (self.width - filled) + "]")
            parts.append(f"{progress.done:g}/{progress.total:g} ({fraction:4.0%})")
            if 0 < fraction < 1:
                parts.append("ETA " + format_clock(elapsed * (1 - fraction) / fraction))
        else:
            parts.append(f"{progress.done:g}")
        parts.append(format_clock(elapsed))
        if progress.message:
            parts.append(progress.message)
        return " ".join(parts)

    def close(self) -> None:
        if self._dirty:
            self.stream.write("\n")
            self.stream.flush()
            self._dirty = False
