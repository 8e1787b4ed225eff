"""Explorer dock (View ▸ Explorer): the map of every clip, from map to sound and back, bulk
labels, a gallery of the selection, and "find similar" into the Review panel.

The map is computed by ``model.explore.job.explore_job`` in the app's worker process (the
backbone, TensorFlow and UMAP's compiled code stay out of the window's process, and stay warm
there between runs); opening the panel reads the saved map in a thread. Every label made here
is one undoable command through the project's undo stack, like every other edit.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QSplitter, QVBoxLayout, QWidget

from app.context import AppContext
from app.explorer.colours import Colouring, colouring_of, legend_html
from app.explorer.controls import ActionRow, ToolRow, TopRow
from app.explorer.gallery import CELL, Gallery, pixmap_of
from app.explorer.hover_popup import HoverPopup
from app.explorer.map_view import MapView
from app.explorer.selection_actions import SelectionActions
from model.explore.store import ClipMap
from model.explore.table import label_codes
from model.ml import backbones
from model.project import Recording
from model.project.listing import RecordingLookup

ClipCallback = Callable[[Recording, float, float], Any]
BACKBONE_META = "explore_backbone"
PICTURES_KEPT = 600  # thumbnails kept for hovering back and forth (about 37 kB each)


class ExplorerPanel(QDockWidget):
    def __init__(
        self,
        context: AppContext,
        on_show: ClipCallback | None = None,
        on_play: ClipCallback | None = None,
        review: Any = None,
        parent: QWidget | None = None,
        listed: Callable[[], list[int]] | None = None,
    ) -> None:
        super().__init__("Explorer", parent)
        self.setObjectName("explorer-dock")
        self.context = context
        self.on_show, self.on_play = on_show, on_play
        self.review = review  # ReviewPanel: where selections and similar clips are reviewed
        self.listed = listed  # ids of the recordings the project panel lists (its filter)
        self.main_clip: Any = None  # the clip selected in the main view (ringed on the map)
        self.map: ClipMap | None = None
        self.extra: dict[str, Any] = {}
        self.codes = np.zeros(0, np.uint8)
        self.selection = np.zeros(0, bool)
        self.recordings = RecordingLookup(None)  # read by id when a point needs its recording
        self._open_job: Any = None
        self._compute_job: Any = None
        self._thumbs: Any = None
        self._hover_row = -1
        self.pictures: OrderedDict[int, Any] = OrderedDict()  # map row -> thumbnail, newest last

        body = QWidget(self)
        layout = QVBoxLayout(body)
        self.top, self.tools, self.actions_row = TopRow(), ToolRow(), ActionRow()
        self.view = MapView()
        self.preview = QLabel("Hover over a point to see its clip")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(2 * CELL + 20, 2 * CELL + 40)
        self.preview.setWordWrap(True)
        self.gallery = Gallery()
        self.popup = HoverPopup(self)  # the hovered clip beside the pointer
        self.legend = QLabel("")
        side = QSplitter(Qt.Orientation.Vertical)
        side.addWidget(self.preview)
        side.addWidget(self.gallery)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.view)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([640, 3 * (CELL + 12) + 40])  # room for three gallery columns
        for widget in (self.top, self.tools):
            layout.addWidget(widget)
        layout.addWidget(split, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.actions_row)
        self.setWidget(body)
        self.act = SelectionActions(self)

        self.top.compute.clicked.connect(lambda: self.compute(refit=False))
        self.top.refit.clicked.connect(lambda: self.compute(refit=True))
        self.top.cancel.clicked.connect(self.cancel)
        self.top.colour_by.currentIndexChanged.connect(lambda _i: self.recolour())
        self.top.class_combo.currentIndexChanged.connect(lambda _i: self._labels_changed())
        self.top.scope.currentIndexChanged.connect(lambda _i: self.recolour())
        self.top.backbone.currentIndexChanged.connect(lambda _i: self._backbone_changed())
        for tool, button in self.tools.buttons.items():
            button.toggled.connect(lambda on, t=tool: on and self.view.set_tool(t))
        self.view.clip_clicked.connect(self.click)
        self.view.clip_hovered.connect(self.hover)
        self.view.area_selected.connect(self.select)
        self.gallery.clip_activated.connect(self.activate)
        self.gallery.ticks_changed.connect(self._update_controls)
        context.project_changed.connect(self._on_project_changed)
        context.labels_changed.connect(self._labels_changed)
        context.models_changed.connect(self._refresh_classes)
        context.models_changed.connect(lambda: self.load() if self.map is not None else None)
        context.recording_changed.connect(lambda _r: self._scope_changed())
        self._fill_backbones()
        self._on_project_changed(context.project)  # built after a project was opened: show it

    # ----------------------------------------------------------------- setup
    def _fill_backbones(self) -> None:
        self.top.backbone.blockSignals(True)
        self.top.backbone.clear()
        for info in backbones.describe_all():
            flag = "" if info.status.available else f" ({info.status.state})"
            self.top.backbone.addItem(f"{info.name}{flag}", info.name)
            self.top.backbone.setItemData(
                self.top.backbone.count() - 1, info.status.detail, Qt.ItemDataRole.ToolTipRole
            )
        self.top.backbone.blockSignals(False)

    @property
    def backbone(self) -> str:
        return str(self.top.backbone.currentData() or backbones.IMAGENET)

    @property
    def class_id(self) -> int | None:
        value = self.top.class_combo.currentData()
        return None if value is None else int(value)

    def _refresh_classes(self) -> None:
        project, combo = self.context.project, self.top.class_combo
        current = self.class_id
        combo.blockSignals(True)
        combo.clear()
        for cls in project.classes() if project is not None else []:
            combo.addItem(cls.name, cls.id)
        combo.setCurrentIndex(max(combo.findData(current), 0))
        combo.blockSignals(False)

    def _on_project_changed(self, project: Any) -> None:
        self._open_job = self._compute_job = None
        self.map, self.extra = None, {}
        self.selection = np.zeros(0, bool)
        self.recordings = RecordingLookup(project)
        self._refresh_classes()
        saved = project.get_meta(BACKBONE_META) if project is not None else None
        index = self.top.backbone.findData(saved) if saved else -1
        if index < 0:
            index = next(
                (i for i in range(self.top.backbone.count())
                 if backbones.info(self.top.backbone.itemData(i)).status.available),
                0,
            )  # fmt: skip
        self.top.backbone.blockSignals(True)
        self.top.backbone.setCurrentIndex(index)
        self.top.backbone.blockSignals(False)
        self._show_map()
        self.tools.status.setText("")
        if project is not None and self.isVisible():
            self.load()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if self.map is None and self._open_job is None and self.context.project is not None:
            self.load()

    def _backbone_changed(self) -> None:
        project = self.context.project
        if project is not None and not project.read_only:
            project.set_meta(BACKBONE_META, self.backbone)
        self.map = None
        self._show_map()
        self.load()

    # ----------------------------------------------------------------- map jobs
    def load(self) -> None:
        """Reads the saved map (and scores, hours) off the GUI thread."""
        from model.explore.job import open_map_job

        project = self.context.project
        if project is None:
            return
        self.recordings = RecordingLookup(project)
        job = self.context.run_thread(
            "Opening the clip map", open_map_job, str(project.path), self.backbone
        )
        self._open_job = job
        job.finished.connect(lambda result, j=job: self._loaded(result, j))
        job.failed.connect(lambda msg, detail: self.context.error.emit(msg, detail))
        job.ended.connect(lambda j=job: self._job_ended(j))
        self._update_controls()

    def _loaded(self, result: dict[str, Any], job: Any) -> None:
        if job is not self._open_job:
            return
        self.map = result["map"]
        self.extra = result
        self.pictures.clear()  # rows of another map
        self._hover_row = -1
        lacking = int(result["lacking"])
        if self.map is None:
            self.tools.status.setText(
                f"No map for {self.backbone} yet: Compute map embeds the project's "
                f"{lacking} clips (features already cached are reused)."
            )
        else:
            meta = self.map.meta
            more = (
                f" {lacking} clips are not on it yet: Compute map places them." if lacking else ""
            )
            self.tools.status.setText(
                f"{len(self.map)} clips, {int(self.map.clusters.max(initial=-1)) + 1} clusters "
                f"({meta.get('method', 'umap').upper()} of {meta.get('pca_components', '?')} "
                f"principal components, {100 * float(meta.get('pca_variance', 0)):.0f} % of "
                f"the variance; made {meta.get('made', '?')}).{more}"
            )
        self.selection = np.zeros(len(self.map) if self.map is not None else 0, bool)
        self._labels_changed()
        self._scope_changed()

    def compute(self, refit: bool = False) -> None:
        project = self.context.project
        if project is None or self._compute_job is not None:
            return
        job = self.context.run_process(
            "Mapping clips",
            "model.explore.job:explore_job",
            project_path=str(project.path),
            backbone=self.backbone,
            refit=refit,
        )
        self._compute_job = job
        self.top.progress.setRange(0, 0)
        job.progress.connect(self._progress)
        job.finished.connect(self._computed)
        job.failed.connect(lambda msg, detail: self.context.error.emit(msg, detail))
        job.cancelled.connect(lambda: self.tools.status.setText("Mapping cancelled."))
        job.ended.connect(lambda j=job: self._job_ended(j))
        self._update_controls()

    def cancel(self) -> None:
        if self._compute_job is not None:
            self._compute_job.cancel_within()

    def _progress(self, progress: Any) -> None:
        bar = self.top.progress
        if progress.total:
            bar.setRange(0, int(progress.total))
            bar.setValue(int(progress.done))
        else:
            bar.setRange(0, 0)
        bar.setFormat(progress.message[:60] or "%p%")
        bar.setToolTip(progress.message)

    def _computed(self, result: dict[str, Any]) -> None:
        summary = result["summary"]
        for text in summary.get("missing_recordings", []):
            self.context.status.emit(f"Left off the map (unreadable, nothing cached): {text}")
        self.load()

    def _job_ended(self, job: Any) -> None:
        if job is self._open_job:
            self._open_job = None
        if job is self._compute_job:
            self._compute_job = None
            self.top.progress.setRange(0, 1)
            self.top.progress.setValue(0)
            self.top.progress.setFormat("")
        self._update_controls()

    # ----------------------------------------------------------------- drawing
    def _labels_changed(self) -> None:
        project, clip_map = self.context.project, self.map
        if project is None or clip_map is None or self.class_id is None:
            self.codes = np.zeros(len(clip_map) if clip_map is not None else 0, np.uint8)
        else:
            self.codes = label_codes(project, clip_map.grid, [self.class_id])[:, 0]
        self.recolour()
        self.act.show_states()

    def visible(self) -> np.ndarray:
        clip_map = self.map
        if clip_map is None:
            return np.zeros(0, bool)
        recording = self.context.recording
        scope = self.top.scope.currentData()
        if scope == "shown":
            rid = recording.id if recording is not None else -1
            return clip_map.recording_ids == rid
        if scope == "listed" and self.listed is not None:
            return np.isin(clip_map.recording_ids, np.asarray(self.listed(), np.int64))
        return np.ones(len(clip_map), bool)

    def listing_changed(self) -> None:
        """The project panel's filter changed what it lists."""
        if self.top.scope.currentData() == "listed":
            self._scope_changed()

    def colouring(self) -> Colouring | None:
        return colouring_of(self)

    def recolour(self) -> None:
        colouring = self.colouring()
        if colouring is None or self.map is None:
            self._show_map()
            return
        shown = self.visible()
        self.view.set_points(
            self.map.coords, colouring.index, colouring.palette, shown, colouring.under_all
        )
        self.view.set_selected(self.selection & shown)
        self.legend.setText(legend_html(colouring.legend))

    def _show_map(self) -> None:
        if self.map is None:
            self.view.set_points(np.zeros((0, 2), np.float32), np.zeros(0, np.int64), [])
            self.view.set_selected(np.zeros(0, bool))
            self.view.set_current(None)
            self.legend.setText("")
            self.gallery.show_rows(np.zeros(0, np.int64), [])
        self._update_controls()

    def _scope_changed(self) -> None:
        shown = self.visible()
        if len(self.selection) == len(shown) and (self.selection & ~shown).any():
            self.act.select(self.selection & shown)  # never label clips one cannot see
        self.recolour()
        self.act.follow_main_view()

    def _update_controls(self) -> None:
        project = self.context.project
        busy = self._compute_job is not None
        self.top.compute.setEnabled(project is not None and not busy)
        self.top.refit.setEnabled(project is not None and not busy and self.map is not None)
        self.top.cancel.setEnabled(busy)
        self.top.progress.setVisible(busy)
        self.act.update_controls()

    # ----------------------------------------------------------------- interaction
    def set_main_clip(self, clip: Any) -> None:
        """The main view selected a clip (or none): ring it on the map."""
        self.main_clip = clip
        self.act.follow_main_view()

    def select(self, mask: np.ndarray, add: bool = False) -> None:
        self.act.select(mask, add)

    def click(self, row: int, add: bool) -> None:
        self.act.click(row, add)

    def activate(self, row: int) -> None:
        self.act.activate(row)

    def hover(self, row: int) -> None:
        """The pointer is over a clip of the map (-1: over none)."""
        self.act.hover(row, popup=True)

    def hideEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        self.popup.leave()
        super().hideEvent(event)

    def show_picture(self, row: int, image: Any) -> None:
        """A thumbnail arrived: the preview (if it is the hovered clip) and the gallery."""
        self.pictures[row] = image
        self.pictures.move_to_end(row)
        while len(self.pictures) > PICTURES_KEPT:
            self.pictures.popitem(last=False)
        self.gallery.set_picture(row, image)
        self.popup.set_picture(row, image)
        if row == self._hover_row:
            if isinstance(image, np.ndarray):
                pixmap = pixmap_of(image).scaled(
                    2 * CELL, 2 * CELL, Qt.AspectRatioMode.KeepAspectRatio
                )
                self.preview.setPixmap(pixmap)
            else:
                self.preview.setText(str(image))
