"""A separate process that reads a project file from scratch on request, as any other program
would (its own SQLite connection, read-only, opened and closed for every read).

The soak test compares its answer with the oracle after every step: what is in the file, not
what the window's connection believes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, sqlite3, sys
from pathlib import PurePosixPath, PureWindowsPath
for line in sys.stdin:
    path = line.rstrip("\n")
    try:
        conn = sqlite3.connect("file:" + path + "?mode=ro", uri=True, timeout=30)
        try:
            conn.execute("BEGIN")
            recordings = {}
            for rid, stored in conn.execute("SELECT id, path FROM recordings"):
                text = stored.decode("utf-8", "replace") if isinstance(stored, bytes) else stored
                pure = PureWindowsPath if "\\" in text else PurePosixPath
                recordings[rid] = pure(text).name
            classes = conn.execute(
                "SELECT id, name, shortcut FROM classes ORDER BY position, id"
            ).fetchall()
            names = {cid: name for cid, name, _ in classes}
            labels = [
                [recordings[r], s, e, names[c], st]
                for r, s, e, c, st in conn.execute(
                    "SELECT recording_id, start_ms, end_ms, class_id, state FROM labels"
                )
            ]
            out = {"labels": sorted(labels), "classes": [[n, k] for _, n, k in classes],
                   "recordings": sorted(recordings.values())}
            if "--check" in sys.argv:
                out["check"] = conn.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            conn.close()
    except Exception as exc:
        out = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(out), flush=True)
"""


class Reader:
    """A long-lived child process; each ``read`` opens the file afresh in that process."""

    def __init__(self, repo: Path, check: bool = False) -> None:
        args = [sys.executable, "-c", CHILD] + (["--check"] if check else [])
        self.process = subprocess.Popen(
            args, cwd=repo, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def read(self, path: Path) -> dict:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{path}\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)
