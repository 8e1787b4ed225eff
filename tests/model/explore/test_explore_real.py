"""The map of real clips: same species together, saved, reused, extended by transform."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from model.explore.job import explore_job, saved_map
from model.explore.similar import similar
from model.jobs import run_inline
from model.project import Project
from tests.model.explore.conftest import BACKBONE, Mapped, species_of


def test_every_clip_is_mapped_once(mapped: Mapped) -> None:
    from model.explore.grid import project_grid

    clip_map = mapped.result["map"]
    with Project.open(mapped.project, read_only=True) as project:
        grid = project_grid(project)
    assert len(clip_map) == len(grid) > 40
    assert np.array_equal(np.sort(clip_map.keys()), np.sort(grid.keys()))
    assert np.isfinite(clip_map.coords).all()
    assert mapped.result["summary"]["mode"] == "fitted"


def test_same_species_land_closer_together(mapped: Mapped) -> None:
    clip_map = mapped.result["map"]
    names = species_of(mapped, clip_map.recording_ids)
    distance = np.linalg.norm(clip_map.coords[:, None] - clip_map.coords[None], axis=2)
    same = names[:, None] == names[None]
    np.fill_diagonal(same, False)
    other = names[:, None] != names[None]
    for name in np.unique(names):
        rows = names == name
        within = distance[rows][:, rows][same[rows][:, rows]].mean()
        between = distance[rows][other[rows]].mean()
        assert within < 0.5 * between, (name, within, between)


def test_find_similar_returns_the_same_species(mapped: Mapped) -> None:
    clip_map = mapped.result["map"]
    names = species_of(mapped, clip_map.recording_ids)
    for name in np.unique(names):
        first = int(np.flatnonzero(names == name)[0])
        k = min(5, int((names == name).sum()) - 1)
        rows, scores = similar(clip_map.vectors, [first], k)
        assert len(rows) == k and first not in rows
        assert (names[rows] == name).all(), (name, names[rows])
        assert np.all(np.diff(scores) <= 0)


def test_clusters_follow_species(mapped: Mapped) -> None:
    clip_map = mapped.result["map"]
    names = species_of(mapped, clip_map.recording_ids)
    for number in np.unique(clip_map.clusters[clip_map.clusters >= 0]):
        members = names[clip_map.clusters == number]
        _, counts = np.unique(members, return_counts=True)
        assert counts.max() >= 0.9 * len(members), members  # a stray quiet clip at most


def test_reopening_reads_the_saved_map_without_the_backbone(
    mapped_copy: Path, mapped: Mapped, no_backbone: None
) -> None:
    with Project.open(mapped_copy, read_only=True) as project:
        clip_map, lacking = saved_map(project, BACKBONE)
    assert lacking == 0 and clip_map is not None
    assert np.array_equal(clip_map.coords, mapped.result["map"].coords)
    again = run_inline(explore_job, str(mapped_copy), backbone=BACKBONE)
    assert again["summary"]["mode"] == "unchanged"
    assert np.array_equal(again["map"].coords, mapped.result["map"].coords)


def test_a_new_recording_is_placed_without_moving_the_map(
    mapped_copy: Path, mapped: Mapped, real_data: Path
) -> None:
    wav = mapped_copy.parent / "XC663885.wav"
    shutil.copyfile(real_data / "pykanto-raw/STORM-PETREL/XC663885.wav", wav)
    with Project.open(mapped_copy) as project:
        new_id = project.add_recording(wav).id
        _, lacking = saved_map(project, BACKBONE)
    assert lacking > 0
    result = run_inline(explore_job, str(mapped_copy), backbone=BACKBONE)
    clip_map = result["map"]
    assert result["summary"]["mode"] == "extended"
    assert result["summary"]["placed"] == lacking
    old = mapped.result["map"]
    kept = np.isin(clip_map.keys(), old.keys())
    assert np.array_equal(clip_map.coords[kept], old.coords)  # the map people know stays put
    # The second storm-petrel recording lands nearer the first than the other species do.
    new = clip_map.recording_ids == new_id
    names = {**mapped.species, new_id: "storm-petrel"}
    labels = np.array([names[int(r)] for r in clip_map.recording_ids])
    centre = clip_map.coords[new].mean(axis=0)
    by_species = {
        name: np.linalg.norm(clip_map.coords[(labels == name) & ~new].mean(axis=0) - centre)
        for name in set(mapped.species.values())
    }
    assert min(by_species, key=by_species.get) == "storm-petrel", by_species


def test_removed_recording_leaves_the_map(mapped_copy: Path, mapped: Mapped) -> None:
    gone = max(mapped.species)
    with Project.open(mapped_copy) as project:
        project.remove_recording(gone)
        clip_map, lacking = saved_map(project, BACKBONE)
    assert lacking == 0 and clip_map is not None
    assert gone not in set(clip_map.recording_ids.tolist())
    assert len(clip_map) == int((mapped.result["map"].recording_ids != gone).sum())


def test_cli_writes_table_and_picture(mapped_copy: Path, tmp_path: Path, no_backbone: None) -> None:
    import csv

    from model.cli import main

    out = tmp_path / "out"
    assert main(["explore", str(mapped_copy), "--out", str(out), "--backbone", BACKBONE]) == 0
    rows = list(csv.DictReader((out / "clips.csv").open(encoding="utf-8")))
    assert list(rows[0]) == [
        "recording", "start_s", "end_s", "x", "y", "cluster", "top_score", "great tit",
    ]  # fmt: skip
    assert len(rows) == len(saved_map_of(mapped_copy))
    present = [r for r in rows if r["great tit"] == "present"]
    assert [(r["start_s"], r["end_s"]) for r in present] == [("0.000", "2.000"), ("1.000", "3.000")]
    assert (out / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def saved_map_of(project_path: Path) -> object:
    with Project.open(project_path, read_only=True) as project:
        clip_map, _ = saved_map(project, BACKBONE)
    return clip_map


def test_cli_refuses_bad_arguments_before_any_work(
    mapped_copy: Path, tmp_path: Path, capsys
) -> None:
    from model.cli import main

    assert main(["explore", str(tmp_path / "none.sonotag"), "--out", str(tmp_path)]) == 1
    assert "no such project" in capsys.readouterr().err
    assert main(["explore", str(mapped_copy), "--out", str(tmp_path), "--backbone", "x"]) == 1
    assert "unknown backbone" in capsys.readouterr().err
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    assert main(["explore", str(mapped_copy), "--out", str(afile)]) == 1
    assert "is a file, not a folder" in capsys.readouterr().err
