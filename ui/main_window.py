"""The main window: for now the people list (filter as you type, sortable, lazily loaded).

Threading: all methods run on the GUI thread; queries run through ``run_in_background`` and
only ids and plain rows come back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QTableView,
    QToolBar,
    QWidget,
)

from planner import __version__
from planner.auth import Actor
from planner.context import AppContext
from planner.domain import CustodyStatus
from planner.services import people
from planner.services.people import PeopleFilter, PersonRow
from ui.background import Task, run_in_background
from ui.errors import show_error
from ui.people_model import COLUMNS, PeopleTableModel

FILTER_DELAY_MS = 250


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.actor = ctx, actor
        self.setWindowTitle("Charter Planner")
        self._sort = ("case_number", False)
        self._query_generation = 0

        self.model = PeopleTableModel(self._request_rows, self)
        self.table = QTableView(self)
        self.table.setObjectName("peopleTable")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate([110, 170, 170, 90, 40, 95, 85, 80, 70, 130, 70, 70, 100, 130, 60]):
            self.table.setColumnWidth(column, width)
        self.setCentralWidget(self.table)

        self.search = QLineEdit(self)
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Search case number or name…  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.nationality = QComboBox(self)
        self.nationality.setObjectName("nationality")
        self.nationality.addItem("All nationalities", "")
        self.custody = QComboBox(self)
        self.custody.setObjectName("custody")
        self.custody.addItem("Any custody status", "")
        for status in CustodyStatus:
            self.custody.addItem(status.value.replace("_", " ").title(), status.value)
        toolbar = QToolBar("Filters", self)
        toolbar.setObjectName("filters")
        toolbar.setMovable(False)
        toolbar.addWidget(self.search)
        toolbar.addWidget(self.nationality)
        toolbar.addWidget(self.custody)
        self.addToolBar(toolbar)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(FILTER_DELAY_MS)
        self._debounce.timeout.connect(self.reload)
        self.search.textChanged.connect(self._debounce.start)
        self.nationality.currentIndexChanged.connect(self.reload)
        self.custody.currentIndexChanged.connect(self.reload)

        self.count_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.count_label)
        self.statusBar().addPermanentWidget(
            QLabel(f"Signed in as {actor.display_name or actor.username} ({actor.role.value})")
        )
        self.model.sort_requested.connect(self._sort_changed)
        self._build_menus()
        self._restore_layout()
        self._load_nationalities()
        self.reload()

    # ------------------------------------------------------------ menus and layout

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu("&View")
        find = QAction("&Find person", self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(lambda: (self.search.setFocus(), self.search.selectAll()))
        view_menu.addAction(find)
        refresh = QAction("&Refresh", self)
        refresh.setShortcut(QKeySequence.StandardKey.Refresh)
        refresh.triggered.connect(self.reload)
        view_menu.addAction(refresh)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About Charter Planner", self)
        about.triggered.connect(
            lambda: QMessageBox.about(
                self,
                "About Charter Planner",
                f"Charter Planner {__version__}\nDatabase: {self._database_label()}",
            )
        )
        help_menu.addAction(about)

    def _database_label(self) -> str:
        return self.ctx.engine.url.render_as_string(hide_password=True)

    def _restore_layout(self) -> None:
        settings = QSettings()
        geometry = settings.value("main_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 760)
        header_state = settings.value("main_window/people_header")
        if header_state is not None:
            self.table.horizontalHeader().restoreState(header_state)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        settings = QSettings()
        settings.setValue("main_window/geometry", self.saveGeometry())
        settings.setValue("main_window/people_header", self.table.horizontalHeader().saveState())
        super().closeEvent(event)

    # ------------------------------------------------------------ queries (background)

    def current_filter(self) -> PeopleFilter:
        return PeopleFilter(
            text=self.search.text(),
            nationality=self.nationality.currentData() or "",
            custody_status=self.custody.currentData() or "",
        )

    def reload(self) -> None:
        """Re-run the people query with the current filter and order (off the GUI thread)."""
        self._query_generation += 1
        generation, people_filter, (sort_by, descending) = (
            self._query_generation,
            self.current_filter(),
            self._sort,
        )
        self.count_label.setText("Searching…")

        def work(_task: Task) -> list[int]:
            with self.ctx.uow(write=False) as uow:
                return people.person_ids(
                    uow, self.actor, people_filter, sort_by=sort_by, descending=descending
                )

        run_in_background(work, lambda ids: self._show_ids(generation, ids), self._query_failed)

    def _show_ids(self, generation: int, ids: list[int]) -> None:
        if generation != self._query_generation:
            return  # superseded by a newer keystroke
        self.model.set_ids(ids)
        self.count_label.setText(f"{len(ids):,} people")

    def _query_failed(self, exc: BaseException, details: str) -> None:
        self.count_label.setText("")
        show_error(self, "Could not load people", exc, details)

    def _request_rows(self, ids: Sequence[int], deliver: Callable[[dict[int, PersonRow]], None]) -> None:
        def work(_task: Task) -> dict[int, PersonRow]:
            with self.ctx.uow(write=False) as uow:
                return people.people_rows(uow, self.actor, ids)

        run_in_background(work, deliver, self._query_failed)

    def _load_nationalities(self) -> None:
        def work(_task: Task) -> list[str]:
            with self.ctx.uow(write=False) as uow:
                return people.nationalities(uow, self.actor)

        def fill(codes: list[str]) -> None:
            for code in codes:
                self.nationality.addItem(code, code)

        run_in_background(work, fill, self._query_failed)

    def _sort_changed(self, key: str, descending: bool) -> None:
        self._sort = (key, descending)
        self.reload()


__all__ = ["COLUMNS", "MainWindow"]
