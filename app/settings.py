"""Typed preferences over ``QSettings``, so no widget reads a raw settings key.

QSettings hands back strings on some platforms ("true", "0.5") and lists as a bare string when
there is one element; every conversion lives here once. A schema version lets a later release
migrate or drop stale keys instead of misreading them.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from model.pathtext import from_setting, resolved, to_setting
from model.spectrogram import COLORMAPS, DB_MAX, DB_MIN, FFT_SIZES, SpectrogramSettings

SCHEMA_VERSION = 1
MAX_RECENT = 10
MAX_REMEMBERED_PROJECTS = 50
SPEEDS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
LANE_MODES = ("auto", "always", "never")
DEVICE_MODES = ("auto", "cpu", "gpu")  # model.ml.device.DEVICE_CHOICES
BACKEND_MODES = ("auto", "tensorflow", "torch", "jax")  # model.ml.backends


def _to_bool(value: object, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _to_float(value: object, default: float) -> float:
    try:
        return float(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def _to_list(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]  # type: ignore[union-attr]


class Preferences:
    """The app's preferences. ``settings`` defaults to ``QSettings("Sonotag", "Sonotag")``;
    tests pass an INI-file ``QSettings`` in a temporary folder so they never touch the user's."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self.qsettings = settings if settings is not None else QSettings("Sonotag", "Sonotag")
        stored = int(_to_float(self.qsettings.value("schema_version"), 0))
        if stored < SCHEMA_VERSION:
            # Version 1 is the first schema; later versions migrate older keys here.
            self.qsettings.setValue("schema_version", SCHEMA_VERSION)

    @classmethod
    def at(cls, ini_path: Path) -> Preferences:
        return cls(QSettings(str(ini_path), QSettings.Format.IniFormat))

    # -- projects --------------------------------------------------------------------------
    @property
    def last_project(self) -> Path | None:
        value = self.qsettings.value("projects/last")
        return Path(from_setting(str(value))) if value else None

    @last_project.setter
    def last_project(self, path: Path | None) -> None:
        self.qsettings.setValue("projects/last", to_setting(path) if path else "")

    def recent_projects(self) -> list[Path]:
        return [Path(from_setting(p)) for p in _to_list(self.qsettings.value("projects/recent"))]

    def add_recent_project(self, path: Path) -> None:
        """Most recent first, no duplicates, at most ``MAX_RECENT``; also the last project."""
        path = resolved(path)
        recent = [p for p in self.recent_projects() if p != path]
        recent.insert(0, path)
        self.qsettings.setValue("projects/recent", [to_setting(p) for p in recent[:MAX_RECENT]])
        self.last_project = path

    def clear_recent_projects(self) -> None:
        self.qsettings.setValue("projects/recent", [])

    # -- labelling -------------------------------------------------------------------------
    @property
    def snap_to_grid(self) -> bool:
        return _to_bool(self.qsettings.value("labelling/snap_to_grid"), False)

    @snap_to_grid.setter
    def snap_to_grid(self, value: bool) -> None:
        self.qsettings.setValue("labelling/snap_to_grid", bool(value))

    @property
    def label_lanes(self) -> str:
        """When the label lanes show under the spectrogram: auto, always or never."""
        value = str(self.qsettings.value("labelling/label_lanes", "auto"))
        return value if value in LANE_MODES else "auto"

    @label_lanes.setter
    def label_lanes(self, value: str) -> None:
        self.qsettings.setValue("labelling/label_lanes", value if value in LANE_MODES else "auto")

    # -- playback --------------------------------------------------------------------------
    @property
    def playback_speed(self) -> float:
        speed = _to_float(self.qsettings.value("playback/speed"), 1.0)
        return min(SPEEDS, key=lambda s: abs(s - speed))

    @playback_speed.setter
    def playback_speed(self, value: float) -> None:
        self.qsettings.setValue("playback/speed", float(value))

    @property
    def playback_loop(self) -> bool:
        return _to_bool(self.qsettings.value("playback/loop"), False)

    @playback_loop.setter
    def playback_loop(self, value: bool) -> None:
        self.qsettings.setValue("playback/loop", bool(value))

    @property
    def playback_band_pass(self) -> bool:
        return _to_bool(self.qsettings.value("playback/band_pass"), False)

    @playback_band_pass.setter
    def playback_band_pass(self, value: bool) -> None:
        self.qsettings.setValue("playback/band_pass", bool(value))

    # -- spectrogram display ---------------------------------------------------------------
    def spectrogram_settings(self) -> SpectrogramSettings:
        """The display the user left: colour map, dB floor/ceiling, FFT size, frequency band.

        Each value that is missing or no longer offered (a colour map dropped in a later
        release, a hand-edited file) falls back to its default alone, so one bad key never
        throws away the others.
        """
        default = SpectrogramSettings()
        value = self.qsettings.value
        colormap = str(value("spectrogram/colormap") or default.colormap)
        n_fft = int(_to_float(value("spectrogram/n_fft"), default.n_fft))
        floor = _to_float(value("spectrogram/db_floor"), default.db_floor)
        ceiling = _to_float(value("spectrogram/db_ceiling"), default.db_ceiling)
        if not (math.isfinite(floor) and math.isfinite(ceiling)):
            floor, ceiling = default.db_floor, default.db_ceiling
        if not DB_MIN <= floor < ceiling <= DB_MAX:
            floor, ceiling = default.db_floor, default.db_ceiling
        f0 = _to_float(value("spectrogram/freq_min"), 0.0)
        f1_raw = value("spectrogram/freq_max")
        f1 = _to_float(f1_raw, math.nan) if f1_raw not in (None, "") else None
        if not (math.isfinite(f0) and f0 >= 0):
            f0 = 0.0
        if f1 is not None and not (math.isfinite(f1) and f1 > f0):
            f0, f1 = 0.0, None
        return SpectrogramSettings(
            n_fft=n_fft if n_fft in FFT_SIZES else default.n_fft,
            db_floor=floor,
            db_ceiling=ceiling,
            colormap=colormap if colormap in COLORMAPS else default.colormap,
            freq_min=f0,
            freq_max=f1,
        )

    def save_spectrogram_settings(
        self, settings: SpectrogramSettings, *, frequencies: bool = True
    ) -> None:
        """``frequencies=False`` keeps the stored band (nothing shown: no band to keep)."""
        self.qsettings.setValue("spectrogram/colormap", settings.colormap)
        self.qsettings.setValue("spectrogram/n_fft", int(settings.n_fft))
        self.qsettings.setValue("spectrogram/db_floor", float(settings.db_floor))
        self.qsettings.setValue("spectrogram/db_ceiling", float(settings.db_ceiling))
        if frequencies:
            self.qsettings.setValue("spectrogram/freq_min", float(settings.freq_min))
            top = settings.freq_max
            self.qsettings.setValue("spectrogram/freq_max", "" if top is None else float(top))

    @property
    def clock_time(self) -> bool:
        """The user's choice; it applies whenever a recording's start time is known."""
        return _to_bool(self.qsettings.value("spectrogram/clock_time"), False)

    @clock_time.setter
    def clock_time(self, value: bool) -> None:
        self.qsettings.setValue("spectrogram/clock_time", bool(value))

    # -- window ----------------------------------------------------------------------------
    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        geometry = self.qsettings.value("window/geometry")
        state = self.qsettings.value("window/state")
        return (
            geometry if isinstance(geometry, QByteArray) else None,
            state if isinstance(state, QByteArray) else None,
        )

    def save_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        self.qsettings.setValue("window/geometry", geometry)
        self.qsettings.setValue("window/state", state)

    def last_recording(self, project: Path) -> int | None:
        """The recording last shown in ``project`` (to show it again when it is reopened)."""
        shown = self.qsettings.value("projects/last_recording")
        if not isinstance(shown, dict):
            return None
        value = shown.get(str(project))
        return int(value) if value is not None and str(value).isdigit() else None

    def set_last_recording(self, project: Path, recording_id: int) -> None:
        shown = self.qsettings.value("projects/last_recording")
        shown = dict(shown) if isinstance(shown, dict) else {}
        if shown.get(str(project)) == recording_id:
            return
        shown.pop(str(project), None)
        shown[str(project)] = int(recording_id)
        while len(shown) > MAX_REMEMBERED_PROJECTS:  # the oldest entries go first
            shown.pop(next(iter(shown)))
        self.qsettings.setValue("projects/last_recording", shown)

    def dock_size(self, name: str) -> int | None:
        """The size (pixels across the window's docking edge) a dock was last given."""
        value = int(_to_float(self.qsettings.value(f"docks/{name}"), 0.0))
        return value if value > 0 else None

    def set_dock_size(self, name: str, pixels: int) -> None:
        self.qsettings.setValue(f"docks/{name}", int(pixels))

    def header_state(self, name: str) -> QByteArray | None:
        """A list's column layout (widths, hidden columns, sort) as its header saved it."""
        state = self.qsettings.value(f"headers/{name}")
        return state if isinstance(state, QByteArray) else None

    def set_header_state(self, name: str, state: QByteArray) -> None:
        self.qsettings.setValue(f"headers/{name}", state)

    @property
    def last_audio_dir(self) -> Path | None:
        value = self.qsettings.value("paths/last_audio_dir")
        return Path(from_setting(str(value))) if value else None

    @last_audio_dir.setter
    def last_audio_dir(self, path: Path) -> None:
        self.qsettings.setValue("paths/last_audio_dir", to_setting(path))

    # -- compute (model.ml.device, model.ml.backends) -----------------------------------------
    @property
    def compute_device(self) -> str:
        """Where training and scoring run: auto (the best there is), cpu or gpu."""
        value = str(self.qsettings.value("compute/device", "auto"))
        return value if value in DEVICE_MODES else "auto"

    @compute_device.setter
    def compute_device(self, value: str) -> None:
        self.qsettings.setValue("compute/device", value if value in DEVICE_MODES else "auto")

    @property
    def compute_backend(self) -> str:
        """The Keras backend: auto, tensorflow, torch or jax."""
        value = str(self.qsettings.value("compute/backend", "auto"))
        return value if value in BACKEND_MODES else "auto"

    @compute_backend.setter
    def compute_backend(self, value: str) -> None:
        self.qsettings.setValue("compute/backend", value if value in BACKEND_MODES else "auto")

    def sync(self) -> None:
        self.qsettings.sync()
