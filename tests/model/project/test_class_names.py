"""A class name that would split a table row is refused where it is typed, not changed on export."""

from __future__ import annotations

import re

import pytest

from model.errors import ProjectError
from model.project import AddClass, Project, RenameClass, UndoStack

BAD_NAMES = [
    ("great\ttit", "a tab"),
    ("great\ntit", "a line break"),
    ("great\rtit", "a carriage return"),
    ("great\x00tit", "U+0000"),
    ("great\x1btit", "U+001B"),
    ("x" * 201, "at most 200"),
    ("   ", "needs a name"),
]


@pytest.mark.parametrize(("name", "words"), BAD_NAMES)
def test_bad_class_names_are_refused_when_added(project: Project, name: str, words: str) -> None:
    with pytest.raises(ProjectError, match=re.escape(words)):
        project.add_class(name)
    assert project.classes() == []


@pytest.mark.parametrize(("name", "words"), BAD_NAMES)
def test_bad_class_names_are_refused_when_renaming(project: Project, name: str, words: str) -> None:
    owl = project.add_class("owl")
    with pytest.raises(ProjectError, match=re.escape(words)):
        project.update_class(owl.id, name=name)
    assert project.label_class(owl.id).name == "owl"


def test_commands_refuse_them_and_leave_nothing_to_undo(project: Project) -> None:
    undo = UndoStack(project)
    with pytest.raises(ProjectError, match="a tab"):
        undo.push(AddClass("a\tb"))
    owl = project.add_class("owl")
    with pytest.raises(ProjectError, match="a line break"):
        undo.push(RenameClass(owl.id, "o\nwl"))
    assert undo.undo() is None
    assert [c.name for c in project.classes()] == ["owl"]


def test_ordinary_names_pass(project: Project) -> None:
    for name in ("Great tit", "Parus major (song)", "Mésange charbonnière", "鳥", "a/b; c,d"):
        assert project.add_class(name).name == name
