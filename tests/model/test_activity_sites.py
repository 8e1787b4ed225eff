"""Activity split by site: each site's own summary, the pooled one their sum, CSV with a site."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from model.activity import export_csv, summarise_activity
from model.activity_detections import export_detections_csv
from model.activity_sites import ALL_SITES, site_totals, summarise_by_site
from model.project import Project
from tests.model.test_activity import make_phenology_project, make_small_project


@pytest.fixture
def two_sites(tmp_path: Path) -> Project:
    """The small project with its recordings a and b at two sites, c (no start time) at b's."""
    with make_small_project(tmp_path) as project:
        ids = {r.path.stem: r.id for r in project.recordings()}
        project.set_site([ids["a"]], "North hedge")
        project.set_site([ids["b"], ids["c"]], "Pond")
        yield project


def test_each_site_counts_its_own_and_the_pool_is_their_sum(two_sites: Project) -> None:
    split = summarise_by_site(two_sites, 0.5)
    plain = summarise_activity(two_sites, 0.5)
    assert list(split.by_site) == ["North hedge", "Pond"] and split.site is None
    north, pond = split.by_site["North hedge"], split.by_site["Pond"]
    assert north.site == "North hedge" and north.recordings == 1 and pond.recordings == 2
    # The recording without a start time is the pond's: excluded there, counted in totals.
    assert [r.path.stem for r in pond.excluded] == ["c"] and not north.excluded
    for name in ("totals", "by_hour", "hour_effort", "by_date", "date_effort"):
        assert np.array_equal(getattr(split, name), getattr(plain, name)), name
        assert np.array_equal(
            getattr(north, name).sum(), getattr(plain, name).sum() - getattr(pond, name).sum()
        ), name
    assert split.dates == plain.dates and split.recordings == plain.recordings
    assert north.by_hour[0, 4] == 1 and pond.by_hour[0, 4] == 0  # wren at 04:30 is north's


def test_one_site_is_not_split(tmp_path: Path) -> None:
    with make_small_project(tmp_path) as project:
        activity = summarise_by_site(project, 0.5)
        assert activity.by_site == {} and activity.site == tmp_path.name


def test_csv_rows_per_site_and_pooled(two_sites: Project, tmp_path: Path) -> None:
    split = summarise_by_site(two_sites, 0.5)
    table = list(csv.DictReader(export_csv(split, tmp_path / "a.csv").open()))
    assert [k for k in table[0]][:2] == ["site", "grouping"]
    assert {r["site"] for r in table} == {ALL_SITES, "North hedge", "Pond"}
    hours = [r for r in table if r["grouping"] == "hour"]
    per = {
        site: sum(int(r["detections"]) for r in hours if r["site"] == site)
        for site in (ALL_SITES, "North hedge", "Pond")
    }
    assert per[ALL_SITES] == per["North hedge"] + per["Pond"] > 0
    wren = split.only(split.classes[0].id)  # a class chosen keeps the split
    assert list(wren.by_site) == ["North hedge", "Pond"]
    assert wren.by_site["Pond"].classes == (split.classes[0],)


def test_detections_of_one_site_and_their_site_column(two_sites: Project, tmp_path: Path) -> None:
    split = summarise_by_site(two_sites, 0.5)
    pond = split.by_site["Pond"]
    rows = list(csv.DictReader(export_detections_csv(pond, tmp_path / "p.csv", two_sites).open()))
    assert rows and {r["site"] for r in rows} == {"Pond"}
    assert {Path(r["file"]).stem for r in rows} == {"b", "c"}
    everything = export_detections_csv(split, tmp_path / "all.csv", two_sites)
    assert {r["site"] for r in csv.DictReader(everything.open())} == {"North hedge", "Pond"}


def test_site_totals_line_up_on_the_pooled_calendar(tmp_path: Path) -> None:
    with make_phenology_project(tmp_path, days=4) as project:
        ids = [r.id for r in project.recordings()]
        project.set_site(ids[::2], "A")
        project.set_site(ids[1::2], "B")
        split = summarise_by_site(project, 0.5)
    sites, by_hour, effort, by_date = site_totals(split)
    assert sites == ["A", "B"]
    assert np.allclose(by_hour.sum(axis=0), split.by_hour.sum(axis=0))
    assert np.allclose(effort.sum(axis=0), split.hour_effort)
    assert by_date.shape == (2, len(split.dates))
    assert np.nansum(by_date) == split.by_date.sum()
