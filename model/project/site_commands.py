"""Site edits as command objects (``do``/``undo``), so Edit ▸ Undo takes back a typed site or a
site set for a whole filtered list the way it takes back a label.

A site is not a label: the command says which recordings' sites it changed
(``sites_touched``) and that no label changed, so the recordings list redraws those cells and
the activity recounts, while label views have nothing to do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from model.audio.site import clean_site

if TYPE_CHECKING:
    from model.project.commands import Tally, Touched
    from model.project.store import Project


class SetSite:
    """One site for some recordings; undo gives each its own site back and where it came from
    (folder, GUANO, AudioMoth id or an earlier edit)."""

    def __init__(self, recording_ids: Iterable[int], site: str) -> None:
        self.recording_ids = [int(i) for i in recording_ids]
        self.site = clean_site(site)
        self.previous: dict[int, tuple[str, str | None]] = {}
        self.changed = 0
        self.text = f'Set site "{self.site}"'

    def do(self, project: Project) -> None:
        with project.transaction():
            before = project.site_sources(self.recording_ids)
            self.changed = project.set_site(self.recording_ids, self.site)
        # Only the recordings that changed are put back: the others kept their source too.
        self.previous = {i: was for i, was in before.items() if was[0] != self.site}
        noun = "recording" if self.changed == 1 else "recordings"
        self.text = f'Set site "{self.site}" ({self.changed} {noun})'

    def undo(self, project: Project) -> None:
        project.restore_sites(self.previous)

    def recordings_touched(self) -> Touched:
        return frozenset()  # no label changed

    def label_delta(self) -> Tally:
        return Counter()

    def sites_touched(self) -> frozenset[int]:
        return frozenset(self.recording_ids)
