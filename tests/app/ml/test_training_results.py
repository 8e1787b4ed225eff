"""The held-out figures' explanation reads as one text: each note once, in words."""

from __future__ import annotations

from app.ml.training_results import ResultsView


def test_split_text_names_the_sources_note_once_and_never_as_a_python_list() -> None:
    note = "All labelled recordings are in one folder."
    metrics = {
        "split": {"folds": 5, "method": "recording"},
        "sources_note": note,
        "per_class": {"Great tit": {"warning": "all present clips come from one recording"}},
    }
    text = ResultsView._split_text(metrics)
    assert text.count(note) == 1
    assert "['" not in text and "']" not in text
    assert "⚠ Great tit: all present clips come from one recording." in text


def test_split_text_keeps_the_note_of_a_single_split() -> None:
    metrics = {"split": {"method": "recording", "held_out_recordings": [1]}, "note": "few clips"}
    text = ResultsView._split_text(metrics)
    assert text.startswith("Held out 1 whole recording(s)") and text.endswith("few clips")
