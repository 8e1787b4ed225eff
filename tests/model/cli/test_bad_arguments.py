"""Every subcommand with a table of bad arguments: each is refused before any work starts, with
exit status 2 for a value that cannot be right and 1 for a file that cannot be used, one line on
stderr, and never a traceback. Training runs that used to fail on ``--out`` only after training
(leaving one more model in the project each time) now leave the project as it was."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from model.cli import main
from model.project import LabelState, Project

linux = sys.platform == "linux"


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A labelled project (not enough to train: every refusal must come before training), a
    model file, a recording, a plain file and a folder."""
    from tests.model.test_batch import make_head_bundle

    root = tmp_path_factory.mktemp("bad-args")
    wav = root / "rec.wav"
    shutil.copyfile(
        Path(__file__).resolve().parents[2] / "data/great_tit/2021-B32-0415_05-3.wav", wav
    )
    with Project.create(root / "p.sonotag") as project:
        rec = project.add_recording(wav)
        tit = project.add_class("great tit")
        project.put_label(rec.id, 0.0, 2.0, tit.id, LabelState.PRESENT)
    make_head_bundle(root / "m.sonotag-model")
    (root / "notes.txt").write_text("not a model, not audio")
    (root / "folder").mkdir()
    return root


# (arguments with {root} for the scratch folder, exit status, words the one line must hold)
CASES: list[tuple[str, int, str]] = [
    ("frobnicate", 2, "invalid choice"),
    ("--hop 1", 2, "invalid choice"),
    ("info", 2, "required"),
    ("info {root}/absent.wav", 1, "file not found"),
    ("info {root}/folder", 1, "directory"),
    ("info {root}/notes.txt", 1, "not an audio file"),
    ("open {root}/p.sonotag {root}/rec.wav", 2, "not both"),
    ("open {root}/absent.sonotag", 1, "no such file"),
    ("project", 2, "required"),
    ("project new", 2, "required"),
    ("project new {root}/p.txt", 2, "must end in .sonotag"),
    ("project new {root}/p.sonotag", 1, "already exists"),
    ("project new {root}/absent/q.sonotag", 1, "folder does not exist"),
    ("project new {root}/notes.txt/q.sonotag", 1, "folder does not exist"),
    ("project add {root}/p.sonotag", 2, "required"),
    ("project add {root}/absent.sonotag {root}/rec.wav", 1, "no such project"),
    ("project add {root}/notes.txt {root}/rec.wav", 2, "must end in .sonotag"),
    ("project add {root}/p.sonotag {root}/absent.wav", 1, "no readable recordings"),
    ("train", 2, "required"),
    ("train {root}/absent.sonotag", 1, "no such project"),
    ("train {root}/p.sonotag --hop 0", 2, "too small"),
    ("train {root}/p.sonotag --hop nan", 2, "not a finite number"),
    ("train {root}/p.sonotag --hop inf", 2, "not a finite number"),
    ("train {root}/p.sonotag --hop -1", 2, "too small"),
    ("train {root}/p.sonotag --hop abc", 2, "not a number"),
    ("train {root}/p.sonotag --hop 5", 2, "longer than the clips"),
    ("train {root}/p.sonotag --epochs 0", 2, "not at least 1"),
    ("train {root}/p.sonotag --epochs 1.5", 2, "not a whole number"),
    ("train {root}/p.sonotag --fine-tune-epochs -3", 2, "not at least 1"),
    ("train {root}/p.sonotag --name ''", 2, "cannot be empty"),
    ("train {root}/p.sonotag --name 'a\tb'", 2, "control character"),
    ("train {root}/p.sonotag --out {root}/folder", 1, "is a folder"),
    ("train {root}/p.sonotag --out {root}/absent/m.sonotag-model", 1, "does not exist"),
    ("train {root}/p.sonotag --out {root}/notes.txt/m.sonotag-model", 1, "not a folder"),
    ("predict", 2, "required"),
    ("predict {root}/m.sonotag-model {root}/rec.wav", 2, "--out"),
    ("predict {root}/absent.sonotag-model {root}/rec.wav --out {root}/o", 1, "no such model"),
    ("predict {root}/notes.txt {root}/rec.wav --out {root}/o", 1, "not a Sonotag model"),
    ("predict {root}/m.sonotag-model {root}/rec.wav --out {root}/o --hop inf", 2, "finite"),
    ("predict {root}/m.sonotag-model {root}/rec.wav --out {root}/o --hop 0.0001", 2, "small"),
    ("predict {root}/m.sonotag-model {root}/rec.wav --out {root}/o --hop 0", 2, "too small"),
    ("predict {root}/m.sonotag-model {root}/rec.wav --out {root}/o --hop 3", 2, "longer"),
    ("predict {root}/m.sonotag-model {root}/rec.wav --out {root}/o --threshold 2", 2, "0 and 1"),
    ("predict {root}/m.sonotag-model {root}/rec.wav --out {root}/o --threshold -1", 2, "0 and"),
    ("predict {root}/m.sonotag-model {root}/rec.wav --out {root}/o --threshold nan", 2, "fini"),
    ("predict {root}/m.sonotag-model {root}/rec.wav --out {root}/o --format xls", 2, "choice"),
    ("predict {root}/m.sonotag-model {root}/rec.wav --out {root}/notes.txt", 1, "not a folder"),
    ("predict {root}/m.sonotag-model {root}/rec.wav --out {root}/notes.txt/o", 1, "not a fold"),
    ("weights", 2, "required"),
    ("weights import {root}/absent.h5", 1, "absent.h5"),
    ("weights import {root}/notes.txt", 1, "notes.txt"),
]
if linux:
    CASES += [
        ("project new /proc/q.sonotag", 1, "does not accept new files"),
        ("train {root}/p.sonotag --out /proc/m.sonotag-model", 1, "does not accept new files"),
        ("predict {root}/m.sonotag-model {root}/rec.wav --out /proc/o", 1, "does not accept"),
    ]


def _argv(template: str, root: Path) -> list[str]:
    import shlex

    return shlex.split(template.format(root=root))


@pytest.mark.parametrize(("template", "status", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_arguments_are_refused_in_one_line(
    place: Path, template: str, status: int, words: str, capfd
) -> None:
    with Project.open(place / "p.sonotag", read_only=True) as project:
        models_before = len(project.models())
    code = main(_argv(template, place))
    out, err = capfd.readouterr()
    assert "Traceback" not in err + out
    assert code == status, err
    # One error line (a run over inputs may list each skipped input above it, as it goes).
    lines = [line for line in err.splitlines() if "error" in line]
    assert len(lines) == 1 and lines[0].startswith("sonotag"), err
    assert words in lines[0], lines[0]
    assert not (place / "o").exists()  # nothing was written where work would have gone
    with Project.open(place / "p.sonotag", read_only=True) as project:
        assert len(project.models()) == models_before  # no model made by a refused run


def test_an_unexpected_error_is_one_line_not_a_traceback(place: Path, capfd, monkeypatch) -> None:
    def broken(args: object) -> int:
        raise KeyError("bug")

    monkeypatch.setattr("model.cli.info_command.run", broken)
    assert main(["info", str(place / "rec.wav")]) == 1
    err = capfd.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1
    assert "unexpected KeyError" in err and "please report" in err
    monkeypatch.setenv("SONOTAG_DEBUG", "1")
    assert main(["info", str(place / "rec.wav")]) == 1
    assert "Traceback" in capfd.readouterr().err  # on request, for a bug report


def test_ml_commands_that_fail_to_load_say_why(monkeypatch, capfd) -> None:
    import model.cli

    monkeypatch.delattr(model.cli, "ml_commands", raising=False)
    monkeypatch.setitem(sys.modules, "model.cli.ml_commands", None)  # import now fails
    assert main(["train", "p.sonotag", "--epochs", "3"]) == 1
    err = capfd.readouterr().err
    assert "cannot run" in err and "failed to load" in err and "ModuleNotFoundError" in err
    assert "invalid choice" not in err


@pytest.mark.parametrize(
    ("hop", "threshold"), [(0.0001, 0.5), (float("inf"), 0.5), (float("nan"), 0.5), (1.0, 2.0)]
)
def test_the_batch_job_itself_refuses_what_the_cli_refuses(
    place: Path, hop: float, threshold: float
) -> None:
    """The GUI's batch dialog calls the job directly: it must not run for ever either."""
    from model.batch import batch_predict_job
    from model.errors import SonotagError
    from model.jobs import run_inline

    with pytest.raises(SonotagError, match="hop|threshold"):
        run_inline(
            batch_predict_job, str(place / "m.sonotag-model"), [str(place / "rec.wav")],
            str(place / "o"), hop=hop, threshold=threshold,
        )  # fmt: skip
    assert not (place / "o").exists()
