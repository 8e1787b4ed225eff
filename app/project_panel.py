"""The left-hand project panel: the recordings (filterable) and the classes (editable).

The panel never writes to the project directly: class edits go through the undo stack as
commands, so Ctrl+Z undoes a rename or a deletion like any label. The ``*_class`` methods do
the edits without asking anything, the button slots ask the user first (names, colours,
confirmation) and then call them; tests drive the methods.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QColorDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import dialogs
from app.recording_sites import SITE
from app.recordings_columns import RecordingsColumns
from app.recordings_filter import RecordingsFilter
from app.recordings_model import (
    ID_ROLE,
    NAME,
    RecordingsModel,
    format_duration,
)
from model.errors import ProjectError
from model.project import (
    AddClass,
    Command,
    CommandGroup,
    DeleteClass,
    LabelClass,
    Project,
    RenameClass,
    SetClassColour,
    SetClassShortcut,
    UndoStack,
)

__all__ = ["KEYS", "ProjectPanel", "format_duration", "swatch"]

KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0")
_ID = Qt.ItemDataRole.UserRole
FILTER_DELAY_MS = 150  # typing "finch" filters once, not five times over 100,000 rows


def swatch(colour: str, size: int = 14) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


class ProjectPanel(QWidget):
    """Recordings table with a filter box over a class list with edit buttons."""

    recording_selected = Signal(int)  # recording id
    class_selected = Signal(object)  # class id or None
    sites_changed = Signal()  # a site was typed or set: results split by site change

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self.undo: UndoStack | None = None
        self._unsubscribe_sites: Callable[[], None] | None = None
        self._classes: list[LabelClass] = []
        self._filling = False
        self._selected_id: int | None = None

        self.filter_box = QLineEdit(self)
        self.filter_box.setPlaceholderText("Filter recordings…")
        self.filter_box.setClearButtonEnabled(True)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(lambda: self.apply_filter(self.filter_box.text()))
        self.filter_box.textChanged.connect(lambda _text: self._filter_timer.start())
        self.recordings = RecordingsModel(self)
        self.recordings_proxy = RecordingsFilter(self.recordings, self)
        self.recordings_table = table = QTableView(self)
        table.setModel(self.recordings_proxy)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # Only the Site column is editable (the model's flags): double-click or F2 on it.
        table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.set_site_action = QAction("Set site of the listed recordings…", table)
        self.set_site_action.triggered.connect(self.ask_site_of_listed)
        table.addAction(self.set_site_action)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # dates start names, numbers end them
        header = table.horizontalHeader()
        header.setSortIndicator(NAME, Qt.SortOrder.AscendingOrder)  # A→Z, as a file browser
        table.setSortingEnabled(True)
        self.columns = RecordingsColumns(table)  # names readable; a header menu hides columns
        self.recordings.dataChanged.connect(
            lambda top, _bottom, _roles=(): top.column() == SITE and self.sites_changed.emit()
        )
        table.selectionModel().selectionChanged.connect(self._on_recording_selection)

        self.class_tree = QTreeWidget(self)
        self.class_tree.setHeaderLabels(["Class", "Key"])
        self.class_tree.setRootIsDecorated(False)
        self.class_tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.class_tree.header().setStretchLastSection(False)
        self.class_tree.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked)
        self.class_tree.itemChanged.connect(self._on_class_item_changed)
        self.class_tree.currentItemChanged.connect(self._on_class_current)
        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for name, slot in (
            ("Add…", self.ask_add_class),
            ("Rename…", self.ask_rename_class),
            ("Colour…", self.ask_recolour_class),
            ("Key…", self.ask_class_shortcut),
            ("Delete…", self.ask_delete_class),
        ):
            button = QPushButton(name, self)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the spectrogram
            button.clicked.connect(slot)
            buttons.addWidget(button)
            self.buttons[name.rstrip("…").lower()] = button

        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        self.recordings_title = QLabel("<b>Recordings</b>", top)
        top_layout.addWidget(self.recordings_title)
        for signal in (
            self.recordings_proxy.rowsInserted, self.recordings_proxy.rowsRemoved,
            self.recordings_proxy.modelReset, self.recordings_proxy.layoutChanged,
        ):  # fmt: skip
            signal.connect(self._count_recordings)
        top_layout.addWidget(self.filter_box)
        top_layout.addWidget(table)
        bottom = QWidget(self)
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(QLabel("<b>Classes</b>", bottom))
        bottom_layout.addWidget(self.class_tree)
        bottom_layout.addLayout(buttons)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        self.set_project(None, None)

    # -- project ----------------------------------------------------------------------------
    def set_project(self, project: Project | None, undo: UndoStack | None) -> None:
        self.project, self.undo = project, undo
        self._selected_id = None
        for button in self.buttons.values():
            button.setEnabled(project is not None and not project.read_only)
        if self._unsubscribe_sites is not None:
            self._unsubscribe_sites()
        self._unsubscribe_sites = (
            None
            if undo is None
            else undo.subscribe(
                lambda: self.recordings.show_sites(undo.last_sites)  # a site edit, undo or redo
            )
        )
        self.recordings.undo = undo
        self.recordings.set_project(project)
        self.refresh_classes()

    def refresh(self) -> list[int]:
        """New recordings and the classes; returns the ids of the recordings added."""
        added = self.refresh_recordings()
        self.refresh_classes()
        return added

    # -- recordings -------------------------------------------------------------------------
    def refresh_recordings(self) -> list[int]:
        """Adds rows for recordings added since the last look (nothing else is re-read);
        returns their ids."""
        added = self.recordings.refresh()
        if self._selected_id is not None:
            self.select_recording(self._selected_id, emit=False)
        return added

    def refresh_counts(self, recording_ids: frozenset[int] | None = None) -> None:
        """Label counts after an edit: the rows of ``recording_ids`` (None: every row)."""
        self.recordings.update_label_counts(recording_ids)

    def refresh_scores(self, recording_ids: frozenset[int] | None = None) -> None:
        """Scored-window counts after scoring (None: all, e.g. another model became active)."""
        self.recordings.update_scored_counts(recording_ids)

    def apply_filter(self, text: str) -> None:
        """Shows only rows whose file name or folder contains every word of ``text``."""
        self._filter_timer.stop()
        self._filling = True  # rows going away move Qt's current row: not a choice of the user
        self.recordings_proxy.set_words(text)
        self._filling = False
        if self._selected_id is not None:
            self.select_recording(self._selected_id, emit=False)

    def _count_recordings(self, *_args: object) -> None:
        """How many recordings the list holds (and shows, when filtered): at a season's
        100,000 the scroll bar alone says nothing."""
        shown, every = self.recordings_proxy.rowCount(), self.recordings.rowCount()
        count = f"{every:,}" if shown == every else f"{shown:,} of {every:,}"
        self.recordings_title.setText(
            f"<b>Recordings</b> ({count})" if every else "<b>Recordings</b>"
        )

    def ask_site_of_listed(self) -> None:
        """One site for every recording the list shows (filter first: a folder, an AudioMoth
        id, a date), e.g. to name an AudioMoth id's recordings after the place it hung."""
        if self.project is None or self.project.read_only:
            return
        ids = self.visible_recording_ids()
        if not ids:
            return
        current = self.recordings.site_of(ids[0])
        site, ok = QInputDialog.getText(
            self,
            "Set site",
            f"Site of the {len(ids)} recording(s) listed"
            + (" (the filter chooses which)" if self.recordings_proxy.words else "")
            + ":",
            text=current,
        )
        if ok:
            self.set_site_of(ids, site)

    def set_site_of(self, recording_ids: list[int], site: str) -> int:
        try:
            changed = self.recordings.set_sites(recording_ids, site)
        except ProjectError as exc:
            dialogs.report_exception(self, "Cannot set the site", exc)
            return 0
        return changed  # the model's dataChanged says sites_changed

    def visible_recording_ids(self) -> list[int]:
        proxy = self.recordings_proxy
        return [proxy.index(row, NAME).data(ID_ROLE) for row in range(proxy.rowCount())]

    def first_listed_recording(self) -> int | None:
        """The recording of the list's first row, in the order shown."""
        proxy = self.recordings_proxy
        return proxy.index(0, NAME).data(ID_ROLE) if proxy.rowCount() else None

    def neighbour_recording(self, rec_id: int, step: int) -> int | None:
        """The recording ``step`` rows below (negative: above) ``rec_id`` in the list as
        shown (sorted, filtered), or None past either end; one lookup, however long the list."""
        row = self.recordings.row_of(rec_id)
        if row is None:
            return None
        index = self.recordings_proxy.mapFromSource(self.recordings.index(row, NAME))
        if not index.isValid():  # filtered out: start from the top or the bottom
            rows = self.recordings_proxy.rowCount()
            target = 0 if step > 0 else rows - 1
        else:
            target = index.row() + step
        if not 0 <= target < self.recordings_proxy.rowCount():
            return None
        return self.recordings_proxy.index(target, NAME).data(ID_ROLE)

    def current_recording_id(self) -> int | None:
        """The selected row's recording (None when the filter hides it)."""
        rows = self.recordings_table.selectionModel().selectedRows(NAME)
        return rows[0].data(ID_ROLE) if rows else None

    def select_recording(self, rec_id: int, *, emit: bool = True) -> bool:
        """Selects and shows the row of ``rec_id``; a row the filter hides is still chosen
        (``emit``) and comes back selected when the filter lets it through."""
        row = self.recordings.row_of(rec_id)
        if row is None:
            return False
        self._selected_id = rec_id
        index = self.recordings_proxy.mapFromSource(self.recordings.index(row, NAME))
        self._filling = True
        selection = self.recordings_table.selectionModel()
        if index.isValid():
            if selection.currentIndex().row() != index.row() or not selection.hasSelection():
                flags = (
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows
                )
                selection.setCurrentIndex(index, flags)
            self.recordings_table.scrollTo(index)
        else:
            selection.clear()
        self._filling = False
        if emit:
            self.recording_selected.emit(rec_id)
        return True

    def _on_recording_selection(self) -> None:
        if not self._filling and (rec_id := self.current_recording_id()) is not None:
            self._selected_id = rec_id
            self.recording_selected.emit(rec_id)

    # -- classes ----------------------------------------------------------------------------
    def classes(self) -> list[LabelClass]:
        return list(self._classes)

    def refresh_classes(self) -> None:
        current = self.current_class_id()
        self._classes = self.project.classes() if self.project else []
        self._filling = True
        self.class_tree.clear()
        for cls in self._classes:
            item = QTreeWidgetItem([cls.name, cls.shortcut or ""])
            item.setIcon(0, swatch(cls.colour))
            item.setData(0, _ID, cls.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignCenter)
            item.setToolTip(0, f"{cls.name} ({cls.colour}); double-click to rename")
            self.class_tree.addTopLevelItem(item)
            if cls.id == current:
                self.class_tree.setCurrentItem(item)
        self._filling = False
        if current is not None and self.current_class_id() != current:
            self.class_selected.emit(self.current_class_id())

    def current_class_id(self) -> int | None:
        return None if (item := self.class_tree.currentItem()) is None else item.data(0, _ID)

    def select_class(self, class_id: int | None) -> None:
        for index in range(self.class_tree.topLevelItemCount()):
            item = self.class_tree.topLevelItem(index)
            if item.data(0, _ID) == class_id:
                self._filling = True
                self.class_tree.setCurrentItem(item)
                self._filling = False
                return

    def _on_class_current(self, current: QTreeWidgetItem | None, *_: object) -> None:
        if not self._filling:
            self.class_selected.emit(None if current is None else current.data(0, _ID))

    def _on_class_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._filling or column != 0:
            return
        class_id = item.data(0, _ID)
        old = next((c for c in self._classes if c.id == class_id), None)
        if old is not None and item.text(0).strip() != old.name:
            if not self.rename_class(class_id, item.text(0)):
                self.refresh_classes()  # show the old name again

    def _push(self, command: Command, title: str) -> bool:
        if self.undo is None:
            return False
        try:
            self.undo.push(command)
        except ProjectError as exc:
            dialogs.report_exception(self, title, exc)
            return False
        return True

    def add_class(
        self, name: str, colour: str | None = None, shortcut: str | None = None
    ) -> LabelClass | None:
        command = AddClass(name, colour, shortcut)
        return command.created if self._push(command, "Could not add the class") else None

    def rename_class(self, class_id: int, name: str) -> bool:
        return self._push(RenameClass(class_id, name), "Could not rename the class")

    def recolour_class(self, class_id: int, colour: str) -> bool:
        return self._push(SetClassColour(class_id, colour), "Could not change the colour")

    def set_class_shortcut(self, class_id: int, key: str | None, *, take: bool = False) -> bool:
        """``take``: a key another class has moves here in the same undo step; that class gets
        this one's old key (a swap) or none."""
        classes = {c.id: c for c in (self.project.classes() if self.project else [])}
        owner = next((c for c in classes.values() if c.shortcut == key and c.id != class_id), None)
        mine = classes.get(class_id)
        if not (take and key and owner and mine):
            return self._push(SetClassShortcut(class_id, key), "Could not change the key")
        steps: list[Command] = [SetClassShortcut(owner.id, None), SetClassShortcut(class_id, key)]
        if mine.shortcut:
            steps.append(SetClassShortcut(owner.id, mine.shortcut))
        text = (
            f'Swap keys of "{mine.name}" and "{owner.name}"'
            if mine.shortcut
            else f'Move key {key} from "{owner.name}" to "{mine.name}"'
        )
        return self._push(CommandGroup(text, steps), "Could not change the key")

    def delete_class(self, class_id: int) -> bool:
        return self._push(DeleteClass(class_id), "Could not delete the class")

    # -- the buttons: ask, then edit --------------------------------------------------------
    def _current_class(self) -> LabelClass | None:
        class_id = self.current_class_id()
        return next((c for c in self._classes if c.id == class_id), None)

    def ask_add_class(self) -> None:
        name, ok = QInputDialog.getText(self, "Add class", "Name of the new class:")
        if ok and name.strip():
            added = self.add_class(name.strip())
            if added is not None:
                self.select_class(added.id)
                self.class_selected.emit(added.id)

    def ask_rename_class(self) -> None:
        if (cls := self._current_class()) is None:
            return
        name, ok = QInputDialog.getText(self, "Rename class", "New name:", text=cls.name)
        if ok and name.strip() and name.strip() != cls.name:
            self.rename_class(cls.id, name.strip())

    def ask_recolour_class(self) -> None:
        if (cls := self._current_class()) is None:
            return
        colour = QColorDialog.getColor(QColor(cls.colour), self, f"Colour of {cls.name}")
        if colour.isValid():
            self.recolour_class(cls.id, colour.name())

    def key_choices(self, cls: LabelClass) -> list[str]:
        """What the Key… dialog offers: a key another class has says what choosing it does."""
        owners = {c.shortcut: c.name for c in self._classes if c.shortcut and c.id != cls.id}
        then = f"who gets {cls.shortcut}" if cls.shortcut else "who is left without a key"
        what = "swap with" if cls.shortcut else "move from"
        return ["none"] + [f"{k} ({what} {owners[k]}, {then})" if k in owners else k for k in KEYS]

    def ask_class_shortcut(self) -> None:
        if (cls := self._current_class()) is None:
            return
        choices = self.key_choices(cls)
        current = choices.index(cls.shortcut) if cls.shortcut in choices else 0
        choice, ok = QInputDialog.getItem(
            self, "Class key", f"Key that labels {cls.name}:", choices, current, False
        )
        if ok:
            key = None if choice == "none" else choice[0]
            if key != cls.shortcut:
                self.set_class_shortcut(cls.id, key, take=True)

    def ask_delete_class(self) -> None:
        if (cls := self._current_class()) is None or self.project is None:
            return
        n = self.project.label_total(cls.id)  # counted by the class index, not listed
        boxes = self.project.box_total(cls.id)
        also = f" and {boxes} box(es)" if boxes else ""
        question = (
            f'Delete the class "{cls.name}" and its {n} label(s){also}?\n'
            "(Edit ▸ Undo brings it back.)"
        )
        if dialogs.confirm(self, "Delete class", question):
            self.delete_class(cls.id)
