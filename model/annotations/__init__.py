"""Annotation formats of the field (Raven, Audacity, Sonic Visualiser, BirdNET, CSV), and the
import into / export from a project.

Readers and writers work on the neutral ``Annotation`` record and know nothing of projects;
``importer`` and ``exporter`` connect them to a ``Project``. Nothing here imports Qt.
"""

from __future__ import annotations

from model.annotations.audacity import read_audacity, write_audacity
from model.annotations.birdnet import read_birdnet
from model.annotations.csv_table import read_csv_table, write_csv_table
from model.annotations.formats import detect_format, read_annotations
from model.annotations.raven import read_raven, write_raven
from model.annotations.records import Annotation
from model.annotations.sonic_visualiser import read_sonic_visualiser, write_sonic_visualiser

__all__ = [
    "Annotation",
    "detect_format",
    "read_annotations",
    "read_audacity",
    "read_birdnet",
    "read_csv_table",
    "read_raven",
    "read_sonic_visualiser",
    "write_audacity",
    "write_csv_table",
    "write_raven",
    "write_sonic_visualiser",
]
