"""The bundled demo project, so a first start shows real birds instead of an empty window.

The bundled copy may sit on read-only media (an installed bundle), and a user's labels must not
change the shipped file, so the first run copies it into the user's data folder and opens that.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

DEMO_PROJECT_NAME = "demo.sonotag"


def bundled_demo_dir() -> Path:
    """``resources/demo`` in a source checkout, or inside a PyInstaller bundle."""
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[1]))
    return base / "resources" / "demo"


def user_data_dir() -> Path:
    from platformdirs import user_data_dir as platform_data_dir

    return Path(platform_data_dir("Sonotag", appauthor=False))


def ensure_demo_project(data_dir: str | Path | None = None) -> Path:
    """Path of the user's copy of the demo project, copying the bundled one on first use."""
    target_dir = (Path(data_dir) if data_dir is not None else user_data_dir()) / "demo"
    target = target_dir / DEMO_PROJECT_NAME
    if target.exists():
        return target
    source = bundled_demo_dir()
    if not (source / DEMO_PROJECT_NAME).exists():
        from model.errors import ProjectError

        raise ProjectError(source / DEMO_PROJECT_NAME, "the bundled demo project is missing")
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(
        source, target_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.py", "__pycache__")
    )
    _upgrade_fresh_copy(target)
    return target


def _upgrade_fresh_copy(path: Path) -> None:
    """The shipped file lags whenever the schema moves on. A copy the user has not touched is
    upgraded here, without the backup and the "Project upgraded" note an upgrade of their own
    work gets: the bundled original is the backup."""
    from model.project import Project

    with Project.open(path, deep_check=False) as project:
        backup = project.backup
    if backup is not None:
        backup.unlink(missing_ok=True)
