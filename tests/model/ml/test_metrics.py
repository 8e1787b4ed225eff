"""Average precision, mAP and PR curves, with unknown targets ignored."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.ml.metrics import average_precision, evaluate, mean_ap, pr_curve


def test_average_precision_by_hand() -> None:
    # Ranking: pos, neg, pos -> precision at the positives 1 and 2/3 -> AP 5/6.
    targets = np.array([[1], [0], [1]])
    scores = np.array([[0.9], [0.8], [0.7]])
    assert np.isclose(average_precision(targets, scores)[0], 5 / 6)


def test_unknown_targets_are_left_out() -> None:
    targets = np.array([[1], [-1], [0], [1]])
    scores = np.array([[0.9], [0.95], [0.1], [0.8]])
    assert average_precision(targets, scores) == [1.0]


def test_class_without_positives_or_negatives_has_no_ap() -> None:
    targets = np.array([[1, 0, -1], [1, 0, -1]])
    assert average_precision(targets, np.ones((2, 3))) == [None, None, None]
    assert mean_ap([None, 0.5, 1.0]) == 0.75
    assert mean_ap([None]) is None


def test_pr_curve_is_thinned_and_aligned() -> None:
    rng = np.random.default_rng(0)
    targets = rng.integers(0, 2, 1000)
    scores = rng.random(1000)
    curve = pr_curve(targets, scores, max_points=50)
    assert len(curve["precision"]) == len(curve["recall"]) == len(curve["thresholds"]) <= 50
    assert curve["recall"][0] == 1.0 and curve["recall"][-1] == 0.0


def test_evaluate_reports_every_class() -> None:
    targets = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    scores = np.array([[0.9, 0.1], [0.2, 0.7], [0.8, 0.6], [0.1, 0.2]])
    result = evaluate(targets, scores, ["a", "b"])
    assert result["map"] == 1.0 and result["clips"] == 4
    assert result["per_class"]["a"]["positives"] == 2 and result["per_class"]["b"]["negatives"] == 2


def _cross_validated(sources: list[list[tuple[str, str]]], folders: int) -> dict:
    from model.ml.metrics import cross_validated

    targets = np.array([[1, 1], [0, 0], [1, 1], [0, 0]])
    scores = np.array([[0.9, 0.8], [0.1, 0.3], [0.7, 0.6], [0.2, 0.1]])
    return cross_validated(targets, scores, np.array([0, 0, 1, 1]), ["a", "b"], sources, folders)


def test_a_class_from_one_recording_is_warned_about_by_name() -> None:
    metrics = _cross_validated([[("n1.wav", "/d/site1")], [("n1.wav", "/d/site1"),
                                ("n2.wav", "/d/site2")]], folders=2)  # fmt: skip
    a, b = metrics["per_class"]["a"], metrics["per_class"]["b"]
    assert a["recordings"] == 1 and "one recording (n1.wav)" in a["warning"]
    assert b["recordings"] == 2 and b["folders"] == 2 and b["warning"] is None


def test_a_class_from_one_folder_is_warned_about_when_the_project_has_several() -> None:
    sources = [[("n1.wav", "/d/site1"), ("n2.wav", "/d/site1")],
               [("n1.wav", "/d/site1"), ("x.wav", "/d/site2")]]  # fmt: skip
    metrics = _cross_validated(sources, folders=2)
    warning = metrics["per_class"]["a"]["warning"]
    assert "one site (site1;" in warning and "else the folder" in warning
    assert metrics["per_class"]["b"]["warning"] is None and "sources_note" not in metrics


def test_one_folder_for_everything_is_said_once_not_for_every_class() -> None:
    from model.ml.metrics import ONE_FOLDER_NOTE

    sources = [[("n1.wav", "/d/all"), ("n2.wav", "/d/all")]] * 2
    metrics = _cross_validated(sources, folders=1)
    assert all(m["warning"] is None for m in metrics["per_class"].values())
    assert metrics["sources_note"] == ONE_FOLDER_NOTE and metrics["folders"] == 1


def test_folders_with_the_same_name_at_different_sites_stay_apart() -> None:
    from model.ml.evaluation import recording_sources

    recs = {1: type("R", (), {"path": Path("/d/siteA/2021/a.wav")}),
            2: type("R", (), {"path": Path("/d/siteB/2021/b.wav")})}  # fmt: skip
    sources = recording_sources(recs)
    assert sources[1][0] == "a.wav" and sources[1][1] != sources[2][1]


def test_the_recordings_site_is_the_source_the_check_compares() -> None:
    """The held-out check judged "one site" by folder while each recording carries a site
    (GUANO, AudioMoth id, typed in the list): two AudioMoths copied onto one card folder were one
    source, and one site filed in two folders two."""
    from model.ml.evaluation import recording_sources

    def rec(path: str, site: str, source: str = "audiomoth-id") -> object:
        return type("R", (), {"path": Path(path), "site": site, "site_source": source})

    recs = {
        1: rec("/card/a.wav", "247AA5075E06337D"),
        2: rec("/card/b.wav", "24F3190360F1A4B6"),
        3: rec("/d/x/c.wav", "Pond", "edited"),
        4: rec("/d/y/d.wav", "Pond", "edited"),
        5: rec("/e/2021/e.wav", "2021", "folder"),  # a folder's name: the whole path counts
        6: rec("/f/2021/f.wav", "2021", "folder"),
    }
    sources = recording_sources(recs)
    assert sources[1][1] != sources[2][1] and sources[3][1] == sources[4][1]
    assert sources[5][1] == str(Path("/e/2021")) != sources[6][1]
    metrics = _cross_validated([[sources[3], sources[4]], [sources[1], sources[2]]], folders=3)
    assert "one site (Pond;" in metrics["per_class"]["a"]["warning"]
    assert metrics["per_class"]["b"]["warning"] is None
