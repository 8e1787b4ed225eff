"""The project database: one ``*.sonotag`` SQLite file per project, with undoable edits."""

from __future__ import annotations

from model.project.box_commands import AddBox, DeleteBox, EditBox, band_text, describe_box
from model.project.commands import (
    AddClass,
    Command,
    CommandGroup,
    DeleteClass,
    DeleteLabel,
    RenameClass,
    SetClassColour,
    SetClassShortcut,
    SetLabel,
    UndoStack,
)
from model.project.records import Box, Label, LabelClass, LabelState, ModelRecord, Recording
from model.project.schema import SCHEMA_VERSION
from model.project.site_commands import SetSite
from model.project.store import Project

__all__ = [
    "SCHEMA_VERSION",
    "AddBox",
    "AddClass",
    "Box",
    "Command",
    "CommandGroup",
    "DeleteBox",
    "DeleteClass",
    "DeleteLabel",
    "EditBox",
    "Label",
    "LabelClass",
    "LabelState",
    "ModelRecord",
    "Project",
    "Recording",
    "RenameClass",
    "SetClassColour",
    "SetClassShortcut",
    "SetLabel",
    "SetSite",
    "UndoStack",
    "band_text",
    "describe_box",
]
