"""Taxon presets on the command line: ``project new --preset``, ``project preset|hears``.

``--preset`` picks the clip settings a project is made with (what the model hears);
``project preset`` shows them or changes them while nothing depends on them yet;
``project hears`` writes the clip image the model would get from a stretch of a recording, so
a biologist can check that their calls show before labelling a season of them.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from model.cli.checks import UsageError, _number
from model.errors import SonotagError

_PRESET_HELP = (
    "what is recorded, which sets the band the model hears: songbirds (default, the study's "
    "0.15-11 kHz at 22.05 kHz), bats (15-120 kHz at 250 kHz), low (owls, frogs, mammals: "
    "0.05-4 kHz at 8 kHz), insects (1-24 kHz at 48 kHz) or custom (with --band)"
)


def add_preset_arguments(parser: argparse.ArgumentParser, *, positional: bool = False) -> None:
    """``--preset NAME`` (``project new``, songbirds by default) or an optional ``NAME``."""
    from model.clips.presets import DEFAULT_PRESET, PRESET_NAMES

    if positional:
        parser.add_argument(
            "preset", nargs="?", choices=PRESET_NAMES, metavar="NAME", help=_PRESET_HELP
        )
    else:
        parser.add_argument(
            "--preset",
            choices=PRESET_NAMES,
            default=DEFAULT_PRESET,
            metavar="NAME",
            help=_PRESET_HELP,
        )
    parser.add_argument(
        "--band",
        nargs=2,
        type=_number,
        metavar=("LOW_HZ", "HIGH_HZ"),
        help="the band of the custom preset, in Hz (e.g. --band 2000 60000)",
    )
    parser.add_argument(
        "--rate",
        type=int,
        metavar="HZ",
        help="the custom preset's sample rate (default: the lowest recorder rate that holds the "
        "band)",
    )


def settings_from(args: argparse.Namespace) -> Any:
    """The ClipSettings the arguments ask for; a usage error when they do not fit together."""
    from model.clips.presets import CUSTOM, custom_settings, preset_named

    if args.preset != CUSTOM:
        if args.band is not None or args.rate is not None:
            raise UsageError(None, "--band and --rate go with --preset custom")
        return preset_named(args.preset).settings
    if args.band is None:
        raise UsageError(None, "--preset custom needs --band LOW_HZ HIGH_HZ")
    try:
        return custom_settings(args.band[0], args.band[1], args.rate)
    except ValueError as exc:
        raise UsageError(None, str(exc)) from None


def register(actions: Any) -> None:
    preset = actions.add_parser(
        "preset",
        help="show or set what the model hears (the project's taxon preset)",
        description="Without NAME, shows the project's clip settings. With NAME, sets them; "
        "this is refused once a model was trained or clip features were cached with the old "
        "ones (start a new project instead).",
    )
    preset.add_argument("project", type=Path, metavar="P.sonotag")
    add_preset_arguments(preset, positional=True)
    preset.set_defaults(func=run_preset)

    hears = actions.add_parser(
        "hears",
        help="write the clip image the model gets from a recording (PNG)",
        description="Draws the clip starting at --start with the project's clip settings, "
        "exactly as training and scoring do, and writes it as a PNG.",
    )
    hears.add_argument("project", type=Path, metavar="P.sonotag")
    hears.add_argument("audio", type=Path, metavar="AUDIO")
    hears.add_argument("--start", type=_number, default=0.0, metavar="SECONDS")
    hears.add_argument("--out", type=Path, metavar="PNG", help="default: AUDIO-START.png here")
    hears.set_defaults(func=run_hears)


def _existing(path: Path) -> None:
    if not path.is_file():
        raise SonotagError(path, "no such project (create it with 'sonotag project new')")


def summary(settings: Any) -> str:
    from model.clips.presets import PRESETS, describe, preset_of

    name = preset_of(settings)
    what = f"the {name} preset" if name in PRESETS else "a custom band"
    return f"{what} ({describe(settings)})"


def run_preset(args: argparse.Namespace) -> int:
    from model.project import Project
    from model.project.clip_choice import choose_clip_settings, stored_clip_settings

    _existing(args.project)
    if args.preset is None:
        if args.band is not None or args.rate is not None:
            raise UsageError(None, "--band and --rate go with --preset custom")
        with Project.open(args.project, read_only=True) as project:
            print(f"{args.project}: {summary(stored_clip_settings(project))}")
        return 0
    settings = settings_from(args)
    with Project.open(args.project) as project:
        choose_clip_settings(project, settings)
    print(f"{args.project}: {summary(settings)}")
    return 0


def run_hears(args: argparse.Namespace) -> int:
    import numpy as np

    from model.audio import AudioFile
    from model.clips import clip_images
    from model.project import Project
    from model.project.clip_choice import stored_clip_settings

    _existing(args.project)
    if args.start < 0:
        raise UsageError(None, f"--start {args.start:g} is before the recording starts")
    with Project.open(args.project, read_only=True) as project:
        settings = stored_clip_settings(project)
    with AudioFile(args.audio) as audio:
        if args.start >= audio.info.duration:
            raise UsageError(
                args.audio, f"--start {args.start:g} s is past its end ({audio.info.duration:g} s)"
            )
        image = clip_images(audio, np.array([args.start]), settings)[0]
    out = args.out or Path(f"{args.audio.stem}-{args.start:g}s.png")
    write_png(out, image)
    print(f"{out}: clip {args.start:g}-{args.start + settings.clip_seconds:g} s of {args.audio}, "
          f"as the model hears it ({summary(settings)})")  # fmt: skip
    return 0


def write_png(path: Path, image: Any) -> None:
    """The clip image at twice its size (224 px is small on a screen), pixels kept sharp."""
    import numpy as np
    from matplotlib.image import imsave

    try:
        imsave(path, np.repeat(np.repeat(image, 2, axis=0), 2, axis=1), format="png")
    except OSError as exc:
        raise SonotagError(path, f"cannot be written ({exc.strerror or exc})") from None
