"""Regenerates the user guide's screenshots from the real app, offscreen, on the demo project.

The guide's pictures must show the window as it is, so they are never edited by hand: this
script copies the bundled demo project into a temporary folder, opens the main window with
Qt's ``offscreen`` platform and grabs each scene with ``QWidget.grab()``: first the scenes of
the quick start's first steps, on the demo as a user first sees it (no model yet), then, on a
fresh copy, the others after training a model (the ImageNet backbone when its weights are
installed, else the untrained one, which the pictures then show flagged).
Run it from the repository root after the window changes::

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_screenshots.py            # every scene
    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_screenshots.py main label # some

Training takes about half a minute on two cores; ``--backbone`` picks another backbone (see
``sonotag backbones``). Pictures are written as palette PNGs (Pillow's quantiser), so each
stays well under 300 KB. Nothing outside the repository is read; the user's settings and
recent-project list are untouched (preferences live in the temporary folder).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
IMAGES = REPO / "docs" / "images"
WIDTH, HEIGHT = 1200, 720
#: Palette size of the saved PNGs: 256 keeps spectrogram gradients smooth at a third the size.
COLOURS = 192

if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))


@dataclass
class Stage:
    """What every scene works on: the app, the window and the project copy."""

    app: Any
    window: Any
    project: Path
    workdir: Path


def wait(ms: int, until: Callable[[], bool] | None = None) -> bool:
    """Lets the event loop run (tiles render, jobs report) for ``ms`` or until ``until()``."""
    from PySide6.QtTest import QTest

    deadline = time.monotonic() + ms / 1000
    while time.monotonic() < deadline:
        if until is not None and until():
            return True
        QTest.qWait(50)
    return until is None or until()


def to_image(picture: Any) -> Any:
    """A PIL RGB image of a widget (grabbed as it is on screen) or of a PIL image."""
    import io

    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice

    if isinstance(picture, Image.Image):
        return picture.convert("RGB")
    wait(300)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    picture.grab().save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGB")


def save(picture: Any, name: str, out_dir: Path) -> Path:
    """Writes ``out_dir/name.png`` as a palette PNG (a third of a full-colour one's size)."""
    from PIL import Image

    image = to_image(picture)
    small = image.quantize(COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name}.png"
    small.save(target, optimize=True)
    print(f"{name}.png: {image.width}x{image.height}, {target.stat().st_size / 1024:.0f} KB")
    return target


# -- the stage -------------------------------------------------------------------------------
def train_demo(project: Path, backbone: str | None) -> str:
    """Trains a model on the demo's labels as ``sonotag train`` does; returns the backbone."""
    from model.cli import main as cli_main
    from model.ml import backbones

    if backbone is None:
        ready = backbones.info(backbones.IMAGENET).status.state == backbones.AVAILABLE
        backbone = backbones.IMAGENET if ready else backbones.UNTRAINED
    code = cli_main(["train", str(project), "--backbone", backbone, "--offline"])
    if code != 0:
        raise SystemExit(f"make_screenshots: training on the demo project failed ({code})")
    return backbone


def open_stage(workdir: Path, trained: bool, backbone: str | None) -> Stage:
    from PySide6.QtWidgets import QApplication

    from app.jobs import JobRunner
    from app.main_window import MainWindow
    from app.playback import PlaybackController
    from app.settings import Preferences
    from model.demo import ensure_demo_project
    from model.playback.engine import Player
    from model.playback.fake import FakeOutput

    app = QApplication.instance() or QApplication(["sonotag"])
    app.setApplicationName("Sonotag")
    project = ensure_demo_project(workdir / "data")
    if trained:
        train_demo(project, backbone)
    prefs = Preferences.at(workdir / "prefs.ini")
    jobs = JobRunner()
    # A stand-in sound card, so the status bar shows what a user with speakers sees.
    output = FakeOutput(samplerate=48_000)
    playback = PlaybackController(jobs, player=Player(stream_factory=output, blocksize=4800))
    window = MainWindow(prefs, jobs=jobs, playback=playback)
    window.resize(WIDTH, HEIGHT)
    window.show()
    window.open_project(project)
    window.panel.select_recording(window.project.first_recording_id())
    window.statusBar().clearMessage()  # "project upgraded; the old file is /tmp/..."
    wait(2500)
    return Stage(app, window, project, workdir)


def show_dock(stage: Stage, dock: Any) -> None:
    """Shows one panel in front; the panels an earlier scene opened are closed first."""
    panels = stage.window.panels
    for other in (panels.training_dock, panels.models_dock, panels.thresholds_dock,
                  panels.review, panels.activity, panels.closeup_dock):  # fmt: skip
        if other is not dock:
            other.hide()
    dock.show()
    dock.raise_()
    wait(800)


def select_clip(stage: Stage, start: float) -> None:
    window = stage.window
    window.spectrogram.center_on(start + 1.0)
    window.labelling.selection.select_span(start, start + 2.0)
    window.spectrogram.setFocus()
    wait(500)


def press(stage: Stage, key: Any, modifier: Any = None) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    QTest.keyClick(stage.window.spectrogram, key, modifier or Qt.KeyboardModifier.NoModifier)
    wait(400)


# -- scenes ----------------------------------------------------------------------------------
def scene_main(stage: Stage) -> Any:
    """The window as it opens on the demo: recordings, classes, key legend, spectrogram."""
    return stage.window


def scene_label(stage: Stage) -> Any:
    """A clip selected and labelled with the keyboard (1 present, Shift+3 absent)."""
    from PySide6.QtCore import Qt

    select_clip(stage, 5.0)
    press(stage, Qt.Key.Key_1)
    press(stage, Qt.Key.Key_3, Qt.KeyboardModifier.ShiftModifier)
    picture = to_image(stage.window)
    stage.window.undo_edit()
    stage.window.undo_edit()
    return picture


def scene_training(stage: Stage) -> Any:
    """Training panel after a training: the model, per-class AP and PR curves."""
    dock = stage.window.panels.training_dock
    show_dock(stage, dock)
    # Floated and tall, so the figures under the buttons (AP table, PR curves) are all in view.
    dock.setFloating(True)
    dock.resize(640, 1100)
    wait(3000)
    picture = to_image(dock)
    dock.setFloating(False)
    wait(300)
    return picture


def scene_models(stage: Stage) -> Any:
    """Models panel: the model list and the chosen model's details."""
    show_dock(stage, stage.window.panels.models_dock)
    return stage.window


def scene_thresholds(stage: Stage) -> Any:
    """Score tracks under the spectrogram and the Thresholds panel beside it."""
    show_dock(stage, stage.window.panels.thresholds_dock)
    wait(3000, lambda: stage.window.panels.ml.tracks.has_scores())
    return stage.window


def scene_review(stage: Stage) -> Any:
    """A review of the great tit's detections, highest score first."""
    review = stage.window.panels.review
    show_dock(stage, review)
    review.threshold.setValue(0.3)
    review.autoplay.setChecked(False)
    review.start()
    wait(8000, lambda: review.session is not None)
    wait(800)
    return stage.window


def scene_activity(stage: Stage) -> Any:
    """Activity plots: detections per class by hour of day and by date."""
    activity = stage.window.panels.activity
    show_dock(stage, activity)
    wait(8000, lambda: activity.shown() is not None)
    wait(800)
    return stage.window


def scene_closeup(stage: Stage) -> Any:
    """Clip close-up (F5): the selected clip at a finer time resolution with its scores."""
    select_clip(stage, 9.0)
    show_dock(stage, stage.window.panels.closeup_dock)
    wait(3000)
    return stage.window


def scene_batch(stage: Stage) -> Any:
    """File ▸ Run model on a folder…, filled in for a field folder."""
    from app.batch_dialog import BatchDialog

    dialog = BatchDialog(stage.window.context, stage.window.panels.ml.predictor, stage.window)
    dialog.refresh_models()
    dialog.set_folder(stage.project.parent / "audio")
    dialog.set_output(stage.workdir / "detections")
    dialog.show()
    wait(600)
    picture = to_image(dialog)
    dialog.close()
    return picture


def scene_shortcuts(stage: Stage) -> Any:
    """The F1 sheet of every keyboard shortcut."""
    sheet = stage.window.show_shortcuts()
    wait(600)
    picture = to_image(sheet)
    sheet.close()
    return picture


def scene_clip_images(stage: Stage) -> Any:
    """What the model is given: the clip images of a great tit song and a Bengalese finch song
    from the demo, drawn by the same code as training (``model.clips.batch.clip_images``)."""
    import numpy as np
    from PIL import Image

    from model.clips.batch import clip_images
    from model.ml.features import clip_settings_of
    from model.project import Project

    with Project.open(stage.project, read_only=True) as project:
        settings = clip_settings_of(project)
        paths = {rec.path.name: rec.path for rec in project.recordings()}
    clips = [("B32_20210415_050630.flac", 9.0), ("bengalese_finch_348.flac", 4.0)]
    images = [clip_images(paths[name], [start], settings)[0] for name, start in clips]
    gap = np.full((settings.image_size, 16, 3), 255, np.uint8)
    row = np.concatenate([images[0], gap, images[1]], axis=1)
    return Image.fromarray(row).resize((row.shape[1] * 2, row.shape[0] * 2), Image.NEAREST)


def scene_new_project(stage: Stage) -> Any:
    """File ▸ New project…: what is recorded, with the clip image of that group's demo call."""
    from app.new_project_dialog import NewProjectDialog

    dialog = NewProjectDialog(stage.window.jobs, stage.window)
    dialog.select("bats")
    dialog.show()
    wait(30_000, lambda: dialog.preview_ready)
    picture = to_image(dialog)
    dialog.close()
    return picture


def scene_preset_clip_images(stage: Stage) -> Any:
    """Each preset's synthesised demo call as its clip image (``model.clips.demo_calls``), by
    the code File ▸ New project draws them with; shown twice their size."""
    import numpy as np
    from PIL import Image

    from model.clips.demo_calls import demo_image
    from model.clips.presets import PRESETS

    images = [demo_image(name, preset.settings)[0] for name, preset in PRESETS.items()]
    gap = np.full((images[0].shape[0], 8, 3), 255, np.uint8)
    row = np.concatenate([part for image in images for part in (image, gap)][:-1], axis=1)
    return Image.fromarray(row).resize((row.shape[1] * 2, row.shape[0] * 2), Image.NEAREST)


#: Sites given to the demo's recordings for the per-site activity picture.
DEMO_SITES = {
    "20210502_040000.WAV": "Wytham AudioMoth",
    "B32_20210415_050630.flac": "Wytham nest box B32",
    "bengalese_finch_348.flac": "Aviary",
    "bengalese_finch_363.flac": "Aviary",
}


def scene_activity_sites(stage: Stage) -> Any:
    """Activity with each site side by side, after giving the demo's recordings sites (undone
    afterwards, as a user would with Ctrl+Z)."""
    from PySide6.QtCore import Qt

    from app.activity_sites_view import EACH

    window = stage.window
    width = window.dock.width()
    ids = {rec.path.name: rec.id for rec in window.project.recordings()}
    edits = 0
    for name, site in DEMO_SITES.items():
        edits += window.panel.set_site_of([ids[name]], site) > 0
    activity = window.panels.activity
    show_dock(stage, activity)
    window.dock.setMinimumWidth(640)  # wide enough for the Site column as well
    combo = activity.site_combo
    wait(15_000, lambda: activity.shown() is not None and combo.isVisible())
    combo.setCurrentIndex(combo.findData(EACH))
    wait(1500)
    picture = to_image(window)
    for _ in range(edits):
        window.undo_edit()
    window.dock.setMinimumWidth(0)
    window.resizeDocks([window.dock], [width], Qt.Orientation.Horizontal)
    return picture


#: Picture name (``docs/images/NAME.png``) -> (scene, needs a trained model). Order matters:
#: later scenes build on the panels earlier ones opened, as a user's session would.
SCENES: dict[str, tuple[Callable[[Stage], Any], bool]] = {
    "main-window": (scene_main, False),
    "labelling": (scene_label, False),
    "shortcuts": (scene_shortcuts, False),
    "clip-images": (scene_clip_images, False),
    "training-panel": (scene_training, True),
    "models-panel": (scene_models, True),
    "thresholds": (scene_thresholds, True),
    "closeup": (scene_closeup, True),
    "review": (scene_review, True),
    "activity": (scene_activity, True),
    "batch-dialog": (scene_batch, True),
    "activity-sites": (scene_activity_sites, True),
    "new-project": (scene_new_project, False),
    "preset-clip-images": (scene_preset_clip_images, False),
}


def run(names: list[str], out: Path, backbone: str | None = None) -> list[Path]:
    """Renders the named scenes (all when empty) into ``out``; returns the files written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    unknown = [n for n in names if n not in SCENES]
    if unknown:
        raise SystemExit(f"make_screenshots: unknown scene(s) {unknown}; known: {list(SCENES)}")
    chosen = [n for n in SCENES if not names or n in names]
    written = []
    # The scenes of the quick start's first steps show the demo as a user first sees it, with
    # no model yet; the others the demo trained as ``sonotag train`` does. One stage each.
    for trained in (False, True):
        group = [n for n in chosen if SCENES[n][1] == trained]
        if not group:
            continue
        with tempfile.TemporaryDirectory(prefix="sonotag-shots-") as tmp:
            stage = open_stage(Path(tmp), trained, backbone)
            try:
                for name in group:
                    written.append(save(SCENES[name][0](stage), name, out))
            finally:
                stage.window.close()
                stage.window.jobs.wait_all(30_000)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenes", nargs="*", help=f"scenes to render (default all: {list(SCENES)})")
    parser.add_argument("--out", type=Path, default=IMAGES, help="folder for the PNGs")
    parser.add_argument("--backbone", help="backbone to train the demo model on")
    args = parser.parse_args(argv)
    run(args.scenes, args.out, args.backbone)
    return 0


if __name__ == "__main__":
    sys.exit(main())
