"""The Compare view's table, notes and PR plots from a comparison result (no worker needed)."""

from __future__ import annotations

from app.ml.compare_view import CompareView


def _figures(ap: float, std: float, recordings: int = 3, warning: str | None = None) -> dict:
    return {
        "ap": ap, "positives": 12, "recordings": recordings, "warning": warning,
        "ap_spread": {"std": std, "folds": 5},
        "pr_curve": {"precision": [0.5, 1.0], "recall": [1.0, 0.0], "thresholds": [0.1, 1.0]},
    }  # fmt: skip


def _result() -> dict:
    def entry(name: str, wren: float, owl: float, **extra: object) -> dict:
        return {
            "name": name, "title": name.upper(), "flagged": False, "licence_notice": "",
            "metrics": {
                "map": (wren + owl) / 2, "map_spread": {"std": 0.05, "folds": 5},
                "per_class": {"wren": _figures(wren, 0.04),
                              "owl": _figures(owl, 0.1, 1, "all present clips come from one")},
            },
            **extra,
        }  # fmt: skip

    return {
        "classes": ["wren", "owl"],
        "head": "linear",
        "split": {"folds": 5, "method": "recording"},
        "seconds": 12.0,
        "backbones": [
            entry("resnet50-untrained", 0.71, 0.9, flagged=True),
            entry("birdnet-v2.4", 0.93, 0.88, licence_notice="CC BY-NC-SA 4.0 notice"),
            {
                "name": "resnet50-imagenet",
                "title": "x",
                "flagged": False,
                "licence_notice": "",
                "error": "weights missing: import them",
            },  # fmt: skip
        ],
    }


def test_the_table_puts_backbones_side_by_side_with_spread_and_the_best_in_bold(qtbot) -> None:
    view = CompareView()
    qtbot.addWidget(view)
    view.show_result(_result())
    table = view.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers == ["Class", "Present", "Recordings", "⚠ resnet50-untrained", "birdnet-v2.4"]
    assert table.item(0, 3).text() == "0.71 ± 0.04" and table.item(0, 4).text() == "0.93 ± 0.04"
    assert table.item(0, 4).font().bold() and not table.item(0, 3).font().bold()
    assert table.item(1, 3).font().bold() and not table.item(1, 4).font().bold()
    assert table.item(1, 0).text() == "⚠ owl" and table.item(1, 2).text() == "1"
    assert table.item(2, 0).text() == "mAP" and table.item(2, 4).text() == "0.91 ± 0.05"
    notes = view.notes.text()
    assert "resnet50-imagenet: not compared — weights missing" in notes
    assert "CC BY-NC-SA 4.0 notice" in notes and "⚠ owl: all present clips" in notes
    assert set(view.plot_widgets) == {"wren", "owl"}
    assert all(len(p.listDataItems()) == 2 for p in view.plot_widgets.values())


def test_train_buttons_name_their_backbone(qtbot) -> None:
    view = CompareView()
    qtbot.addWidget(view)
    view.show_result(_result())
    assert set(view.train_buttons) == {"resnet50-untrained", "birdnet-v2.4"}
    with qtbot.waitSignal(view.train_requested) as asked:
        view.train_buttons["birdnet-v2.4"].click()
    assert asked.args == ["birdnet-v2.4"]
    view.show_result({"classes": [], "backbones": []})  # a second result replaces the first
    assert view.train_buttons == {} and view.plot_widgets == {} and view.table.rowCount() == 0
    assert view.table.isHidden()
