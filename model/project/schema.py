"""The project file's tables, its version number and the forward migrations between versions.

A new project is built by running version 1's DDL and then every migration, the same path an old
file takes when it is upgraded, so a fresh file and an upgraded one cannot drift apart.
``PRAGMA user_version`` holds the version; ``PRAGMA application_id`` marks the file as ours so a
random SQLite database is refused instead of being "upgraded".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

APPLICATION_ID = 0x534F4E4F  # "SONO"
SCHEMA_VERSION = 6

# Version 1: recordings, classes and labels only (kept verbatim: old files look like this).
V1_DDL = """
CREATE TABLE recordings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL UNIQUE,
    fingerprint TEXT NOT NULL,
    sample_rate INTEGER NOT NULL,
    channels INTEGER NOT NULL,
    frames INTEGER NOT NULL,
    duration REAL NOT NULL,
    start_time TEXT,
    added TEXT NOT NULL
);
CREATE INDEX recordings_fingerprint ON recordings(fingerprint);
CREATE TABLE classes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    colour TEXT NOT NULL,
    shortcut TEXT UNIQUE,
    position INTEGER NOT NULL
);
CREATE TABLE labels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recording_id INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    start_ms INTEGER NOT NULL,
    end_ms INTEGER NOT NULL,
    class_id INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('present', 'absent', 'uncertain')),
    created TEXT NOT NULL,
    CHECK (start_ms >= 0 AND end_ms > start_ms),
    UNIQUE (recording_id, start_ms, end_ms, class_id)
);
CREATE INDEX labels_class ON labels(class_id);
"""


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """Adds who/why to labels, and everything the classifier needs: models, scores, features."""
    for statement in (
        "ALTER TABLE labels ADD COLUMN author TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE labels ADD COLUMN note TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE recordings ADD COLUMN start_time_source TEXT",
        "ALTER TABLE recordings ADD COLUMN format TEXT NOT NULL DEFAULT ''",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE models (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            file TEXT NOT NULL,
            manifest TEXT NOT NULL,
            metrics TEXT NOT NULL,
            created TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 0
        )""",
        # One row per (model, recording): the windows x classes score matrix as a float32 BLOB.
        # A row per score would be ~40,000 rows per recorded hour; a matrix loads in one read.
        """CREATE TABLE predictions (
            model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
            recording_id INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
            n_windows INTEGER NOT NULL,
            class_ids TEXT NOT NULL,
            starts BLOB NOT NULL,
            scores BLOB NOT NULL,
            PRIMARY KEY (model_id, recording_id)
        )""",
        "CREATE INDEX predictions_recording ON predictions(recording_id)",
        """CREATE TABLE features (
            id INTEGER PRIMARY KEY,
            backbone TEXT NOT NULL,
            settings_fp TEXT NOT NULL,
            recording_id INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
            start_ms INTEGER NOT NULL,
            dim INTEGER NOT NULL,
            vector BLOB NOT NULL,
            UNIQUE (backbone, settings_fp, recording_id, start_ms)
        )""",
        "CREATE INDEX features_recording ON features(recording_id)",
    ):
        conn.execute(statement)


def _v2_to_v3(conn: sqlite3.Connection) -> None:
    """Moves the feature cache out of the file into ``<name>-cache/`` beside it, then drops it:
    4.7 KB per clip made a season's project hundreds of GB (see ``feature_cache``)."""
    from model.project.feature_cache import move_out_of_database

    rows = conn.execute("PRAGMA database_list").fetchall()
    file = next((row[2] for row in rows if row[1] == "main"), "")
    if file:  # an in-memory copy (old project on read-only media) has nowhere to move them
        move_out_of_database(conn, file)
    conn.execute("DROP TABLE features")


def _v3_to_v4(conn: sqlite3.Connection) -> None:
    """Adds time-frequency boxes: a span of time and a band of frequencies with one class's
    state, as drawn on the spectrogram or imported from Raven, Audacity or Sonic Visualiser.
    A table of their own rather than frequency columns on ``labels``: a clip label is keyed by
    its clip (one state per class per clip), while boxes of one class may overlap freely.
    Times are REAL seconds (not milliseconds) so an imported selection is exported unchanged."""
    for statement in (
        """CREATE TABLE boxes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            recording_id INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
            start_s REAL NOT NULL,
            end_s REAL NOT NULL,
            low_hz REAL NOT NULL,
            high_hz REAL NOT NULL,
            class_id INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
            state TEXT NOT NULL CHECK (state IN ('present', 'absent', 'uncertain')),
            author TEXT NOT NULL DEFAULT '',
            created TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            CHECK (start_s >= 0 AND end_s > start_s AND low_hz >= 0 AND high_hz > low_hz)
        )""",
        "CREATE INDEX boxes_recording ON boxes(recording_id, start_s)",
        "CREATE INDEX boxes_class ON boxes(class_id)",
    ):
        conn.execute(statement)


def _v4_to_v5(conn: sqlite3.Connection) -> None:
    """What season-wide views read instead of every score matrix (see ``score_index``): each
    recording's peak score per class, and covering indexes for the recordings list and the
    scored-window counts. Peaks of scores already stored are computed here, once."""
    import json

    import numpy as np

    from model.project.score_index import write_peaks

    for statement in (
        "CREATE INDEX recordings_listing ON recordings(id, duration)",
        "CREATE INDEX predictions_windows ON predictions(model_id, recording_id, n_windows)",
        """CREATE TABLE prediction_peaks (
            model_id INTEGER NOT NULL,
            recording_id INTEGER NOT NULL,
            class_id INTEGER NOT NULL,
            peak REAL NOT NULL,
            PRIMARY KEY (model_id, recording_id, class_id),
            FOREIGN KEY (model_id, recording_id)
                REFERENCES predictions(model_id, recording_id) ON DELETE CASCADE
        ) WITHOUT ROWID""",
        "CREATE INDEX prediction_peaks_class ON prediction_peaks(model_id, class_id, peak)",
    ):
        conn.execute(statement)
    rows = conn.execute(
        "SELECT model_id, recording_id, n_windows, class_ids, scores FROM predictions"
    )
    for model_id, recording_id, n, ids_text, blob in rows:
        ids = [int(c) for c in json.loads(ids_text)]
        scores = np.frombuffer(blob, np.float32).reshape(n, len(ids))
        write_peaks(conn, model_id, recording_id, ids, scores)


def _v5_to_v6(conn: sqlite3.Connection) -> None:
    """Gives every recording a site, so results can be split by site. New recordings take the
    recorder's own words (GUANO, AudioMoth id: ``model.audio.site``); recordings already in the
    file take the name of their folder, which needs no access to the audio (a season's files
    may be on a disk that is not plugged in). ``site_source`` says which, ``edited`` once a
    person changed it."""
    from pathlib import PurePosixPath, PureWindowsPath

    from model.audio.site import SITE_FOLDER, clean_site
    from model.pathtext import from_db

    for statement in (
        "ALTER TABLE recordings ADD COLUMN site TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE recordings ADD COLUMN site_source TEXT",
        "CREATE INDEX recordings_site ON recordings(site, id)",
    ):
        conn.execute(statement)
    updates = []
    for rec_id, stored in conn.execute("SELECT id, path FROM recordings").fetchall():
        text = from_db(stored)
        # Stored paths are posix when relative; absolute ones may be Windows paths.
        pure = PureWindowsPath(text) if "\\" in text else PurePosixPath(text)
        updates.append((clean_site(pure.parent.name), SITE_FOLDER, rec_id))
    conn.executemany("UPDATE recordings SET site = ?, site_source = ? WHERE id = ?", updates)


# MIGRATIONS[i] turns version i + 1 into version i + 2.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _v1_to_v2,
    _v2_to_v3,
    _v3_to_v4,
    _v4_to_v5,
    _v5_to_v6,
]
assert len(MIGRATIONS) == SCHEMA_VERSION - 1

# Tables a file of each version must have; checked before trusting a file.
TABLES: dict[int, set[str]] = {
    1: {"recordings", "classes", "labels"},
    2: {"recordings", "classes", "labels", "meta", "models", "predictions", "features"},
    3: {"recordings", "classes", "labels", "meta", "models", "predictions"},
    4: {"recordings", "classes", "labels", "meta", "models", "predictions", "boxes"},
    5: {
        "recordings",
        "classes",
        "labels",
        "meta",
        "models",
        "predictions",
        "boxes",
        "prediction_peaks",
    },
}
TABLES[6] = TABLES[5]  # version 6 adds columns (the recording's site), no table


def create_schema(conn: sqlite3.Connection) -> None:
    """Builds the newest schema in an empty database; the caller holds the transaction."""
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    for statement in V1_DDL.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    migrate(conn, 1)


def migrate(conn: sqlite3.Connection, from_version: int) -> None:
    """Applies the migrations after ``from_version``; the caller holds the transaction."""
    for version in range(from_version, SCHEMA_VERSION):
        MIGRATIONS[version - 1](conn)
        conn.execute(f"PRAGMA user_version = {version + 1}")
