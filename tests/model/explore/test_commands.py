"""Bulk labels from the map: one undo step; clips already in that state are left alone."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np

from model.explore.commands import label_clips
from model.project import LabelState, Project, UndoStack


def test_one_undo_step_and_earlier_labels_survive(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.sonotag") as project:
        info = SimpleNamespace(sample_rate=22050, channels=1, frames=22050 * 60, duration=60.0)
        rec = project.add_recording(tmp_path / "a.wav", info=info, fingerprint="a")
        wren = project.add_class("wren")
        stack = UndoStack(project)
        project.put_label(rec.id, 2.0, 4.0, wren.id, LabelState.PRESENT)  # set before
        project.put_label(rec.id, 4.0, 6.0, wren.id, LabelState.ABSENT)  # changed by the bulk
        starts = np.array([0.0, 2.0, 4.0, 6.0])
        command = label_clips(project, np.full(4, rec.id), starts, 2.0, wren.id, "present")
        assert command is not None and len(command.commands) == 3
        assert command.text == "Label 3 clips wren present"
        stack.push(command)
        states = {(la.start, la.end): la.state for la in project.labels()}
        assert states == {(s, s + 2.0): LabelState.PRESENT for s in starts}
        stack.undo()
        states = {(la.start, la.end): la.state for la in project.labels()}
        assert states == {(2.0, 4.0): LabelState.PRESENT, (4.0, 6.0): LabelState.ABSENT}
        assert label_clips(project, [rec.id], [2.0], 2.0, wren.id, "present") is None
