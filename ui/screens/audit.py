"""Audit: the hash-chained event log, newest first, loaded a page at a time (the log may hold
millions of events), with filters, a detail pane showing each change as old → new, and a
"Verify chain" button that recomputes every hash in the background.

Threading: GUI thread only; every query runs as a ``ui.operations.Operation`` (a pool thread with its own
unit of work) and comes back as plain ``AuditRow`` / ``AnchorReport`` data.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from PySide6.QtCore import QDate, QItemSelection, QItemSelectionModel, QSignalBlocker, Qt, QTimer
from PySide6.QtGui import QAction, QFontDatabase, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from planner.domain.enums import Role
from planner.domain.wording import plural
from planner.persistence.context import AppContext
from planner.persistence.uow import UnitOfWork
from planner.services import audit_log
from planner.services.audit_log import Anchor, AnchorReport, AuditFacets, AuditRow
from planner.services.auth import Actor
from ui.errors import show_error
from ui.files import ask_open_path
from ui.operations import Change, Operation
from ui.record_model import DISPLAY, TOOLTIP, RecordTableModel
from ui.screens.base import Screen
from ui.tables import table_view

T = TypeVar("T")

PAGE_SIZE = 200
FILTER_DELAY_MS = 300
#: Date edits show "any" at their minimum, which therefore means "no bound".
NO_DATE = QDate(2000, 1, 1)
COLUMNS = [
    ("id", "#"),
    ("occurred_at", "When (UTC)"),
    ("actor", "Who"),
    ("action", "Action"),
    ("entity", "Entity"),
    ("entity_label", "Record"),
    ("changes_json", "Changes"),
]
COLUMN_WIDTHS = (70, 150, 110, 170, 100, 130)
#: The most a column is widened to fit its contents (the last column stretches).
COLUMN_MAX_WIDTHS = (90, 170, 200, 220, 140, 200)
INTACT_STYLE = "background:#e6f4ea; color:#0d652d; border:1px solid #0d652d;"
BROKEN_STYLE = "background:#fce8e6; color:#a50e0e; border:1px solid #a50e0e;"
BANNER_STYLE = "QLabel {{ {} font-weight:bold; padding:6px 10px; border-radius:4px; }}"


@functools.lru_cache(maxsize=4096)
def _summary(changes_json: str) -> str:
    return audit_log.summarize_changes(changes_json)


class AuditTableModel(RecordTableModel):
    """The loaded pages of the log; ``append`` adds an older page below. GUI thread only."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            COLUMNS,
            parent,
            formatters={
                "changes_json": lambda text: _summary(text or "{}"),
                "occurred_at": lambda at: at.strftime("%Y-%m-%d %H:%M:%S") if at else "",
            },
            alignments={"id": Qt.AlignmentFlag.AlignRight},
        )

    def append(self, rows: Sequence[AuditRow]) -> None:
        if not rows:
            return
        first = self.rowCount()
        self.beginInsertRows(self.index(0, 0).parent(), first, first + len(rows) - 1)
        self._records.extend(rows)
        self.endInsertRows()

    def row_of_event(self, event_id: int) -> int | None:
        return next((n for n, r in enumerate(self._records) if r.id == event_id), None)

    def data(self, index, role: int = DISPLAY) -> Any:
        if role == TOOLTIP and index.isValid() and self.columns[index.column()][0] == "changes_json":
            return audit_log.pretty_changes(self._records[index.row()].changes_json)
        return super().data(index, role)


class AuditScreen(Screen):
    title = "Audit"
    required_role = Role.OFFICER

    def __init__(self, ctx: AppContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(ctx, actor, parent)
        self._generation = 0
        self._loading = False
        self._has_more = False
        self._oldest_id: int | None = None
        self._loaded = False
        self._stale = False

        # -- filters
        self.actor_filter = self._editable_combo("actorFilter", "Anyone")
        self.actor_filter.setToolTip("Only events by this user (exact user name)")
        self.action_filter = QLineEdit(self)
        self.action_filter.setObjectName("actionFilter")
        self.action_filter.setPlaceholderText("Action starts with… (e.g. user.)")
        self.action_filter.setClearButtonEnabled(True)
        self.entity_filter = self._editable_combo("entityFilter", "Any entity")
        self.entity_filter.setToolTip("Only events about this kind of record")
        self.entity_id_filter = QLineEdit(self)
        self.entity_id_filter.setObjectName("entityIdFilter")
        self.entity_id_filter.setPlaceholderText("Record (exact: case number, flight code, user…)")
        self.entity_id_filter.setClearButtonEnabled(True)
        self.since_filter = self._date_edit(
            "sinceFilter", "From this day (UTC), inclusive; 'any' for no bound"
        )
        self.until_filter = self._date_edit(
            "untilFilter", "Up to this day (UTC), inclusive; 'any' for no bound"
        )
        self.clear_button = QPushButton("Clear filters", self)
        self.clear_button.setObjectName("clearFilters")
        self.clear_button.clicked.connect(self.clear_filters)

        filters = QHBoxLayout()
        filters.addWidget(self.actor_filter, 2)
        filters.addWidget(self.action_filter, 2)
        filters.addWidget(self.entity_filter, 2)
        filters.addWidget(self.entity_id_filter, 2)
        filters.addWidget(QLabel("From", self))
        filters.addWidget(self.since_filter, 1)
        filters.addWidget(QLabel("to", self))
        filters.addWidget(self.until_filter, 1)
        filters.addWidget(self.clear_button)

        # -- actions
        self.newest_button = QPushButton("Newest", self)
        self.newest_button.setObjectName("newestButton")
        self.newest_button.setToolTip("Reload from the newest event (Ctrl+Shift+N)")
        self.newest_button.clicked.connect(self.reload)
        self.older_button = QPushButton("Older ▼", self)
        self.older_button.setObjectName("olderButton")
        self.older_button.clicked.connect(self.load_older)
        self.verify_button = QPushButton("Verify chain", self)
        self.verify_button.setObjectName("verifyButton")
        self.verify_button.setToolTip("Recompute every event's hash and check the chain (Ctrl+Shift+V)")
        self.verify_button.clicked.connect(self.verify)
        self.anchors_button = QPushButton("Verify with anchors file…", self)
        self.anchors_button.setObjectName("verifyAnchorsButton")
        self.anchors_button.setToolTip(
            "Check the chain also against an anchors file exported with 'audit anchors' and kept "
            "away from the database: finds a recomputed, truncated or reordered chain"
        )
        self.anchors_button.clicked.connect(self.choose_anchors_file)
        self.busy = QProgressBar(self)
        self.busy.setObjectName("verifyBusy")
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(140)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.count_label = QLabel(self)
        self.count_label.setObjectName("auditCount")
        self.verdict = QLabel(self)
        self.verdict.setObjectName("verifyResult")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verdict.hide()

        bar = QHBoxLayout()
        bar.addWidget(self.newest_button)
        bar.addWidget(self.older_button)
        bar.addWidget(self.count_label, 1)
        bar.addWidget(self.busy)
        bar.addWidget(self.verify_button)
        bar.addWidget(self.anchors_button)

        self.verify_action = self._action("Verify chain", "Ctrl+Shift+V", self.verify)
        self.newest_action = self._action("Newest events", "Ctrl+Shift+N", self.reload)

        # -- table and detail
        self.model = AuditTableModel(self)
        self.table = table_view(
            self.model,
            "auditTable",
            widths=COLUMN_WIDTHS,
            sort_column=0,
            descending=True,
            single_selection=True,
            parent=self,
        )
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.verticalScrollBar().valueChanged.connect(self._scrolled)

        self.detail_header = QLabel("Select an event to see its changes.", self)
        self.detail_header.setObjectName("eventHeader")
        self.detail_header.setTextFormat(Qt.TextFormat.PlainText)
        self.detail_header.setWordWrap(True)
        self.detail_header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail = QPlainTextEdit(self)
        self.detail.setObjectName("eventChanges")
        self.detail.setReadOnly(True)
        self.detail.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        detail_box = QWidget(self)
        detail_layout = QFormLayout(detail_box)
        detail_layout.setContentsMargins(0, 4, 0, 0)
        detail_layout.addRow(self.detail_header)
        detail_layout.addRow(self.detail)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setObjectName("auditSplitter")
        splitter.addWidget(self.table)
        splitter.addWidget(detail_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([600, 170])

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addLayout(bar)
        layout.addWidget(self.verdict)
        layout.addWidget(splitter)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(FILTER_DELAY_MS)
        self._debounce.timeout.connect(self.reload)
        for line in (
            self.action_filter,
            self.entity_id_filter,
            self.actor_filter.lineEdit(),
            self.entity_filter.lineEdit(),
        ):
            assert line is not None  # the combo boxes are editable: they have a line edit
            line.textChanged.connect(self._debounce.start)
        for date_edit in (self.since_filter, self.until_filter):
            date_edit.dateChanged.connect(self.reload)
        self._update_buttons()

    # ------------------------------------------------------------ construction helpers

    def _editable_combo(self, name: str, placeholder: str) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(name)
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        line = combo.lineEdit()
        assert line is not None  # set by setEditable(True)
        line.setPlaceholderText(placeholder)
        line.setClearButtonEnabled(True)
        return combo

    def _date_edit(self, name: str, tooltip: str) -> QDateEdit:
        edit = QDateEdit(self)
        edit.setObjectName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMinimumDate(NO_DATE)
        edit.setSpecialValueText("any")
        edit.setDate(NO_DATE)
        edit.setToolTip(tooltip)
        return edit

    def _action(self, text: str, shortcut: str, slot) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)  # only while this screen shows
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    # ------------------------------------------------------------ screen contract

    def activate(self) -> None:
        if not self._loaded or self._stale:
            self._loaded = True
            self._load_facets()
            self.reload()

    def on_data_changed(self, change: Change) -> None:
        # Every change anywhere writes an audit event.
        if not self._loaded:
            return
        if self.isVisible():
            self.reload()
        else:
            self._stale = True

    # ------------------------------------------------------------ filters

    @staticmethod
    def _day_start(day: QDate) -> datetime:
        return datetime(day.year(), day.month(), day.day(), tzinfo=UTC)

    def current_filter(self) -> dict[str, Any]:
        """The filter keywords for ``audit_log.list_events``."""
        since = self.since_filter.date()
        until = self.until_filter.date()
        return {
            "actor_name": self.actor_filter.currentText().strip() or None,
            "action_prefix": self.action_filter.text().strip() or None,
            "entity": self.entity_filter.currentText().strip() or None,
            "entity_id": self.entity_id_filter.text().strip() or None,
            "since": None if since == NO_DATE else self._day_start(since),
            "until": None if until == NO_DATE else self._day_start(until) + timedelta(days=1),
        }

    def clear_filters(self) -> None:
        widgets = (self.action_filter, self.entity_id_filter, self.actor_filter, self.entity_filter)
        for widget in (*widgets, self.since_filter, self.until_filter):
            widget.blockSignals(True)
        self.action_filter.clear()
        self.entity_id_filter.clear()
        self.actor_filter.setEditText("")
        self.entity_filter.setEditText("")
        self.since_filter.setDate(NO_DATE)
        self.until_filter.setDate(NO_DATE)
        for widget in (*widgets, self.since_filter, self.until_filter):
            widget.blockSignals(False)
        self.reload()

    def _load_facets(self) -> None:
        def fill(facets: AuditFacets) -> None:
            for combo, values in ((self.actor_filter, facets.actors), (self.entity_filter, facets.entities)):
                text = combo.currentText()
                # Its line edit too: its textChanged starts the filter debounce, whose reload
                # would throw away the pages loaded meanwhile although the filter is unchanged.
                line = combo.lineEdit()
                assert line is not None  # the combo is editable
                with QSignalBlocker(combo), QSignalBlocker(line):
                    combo.clear()
                    combo.addItems(values)
                    combo.setEditText(text)

        def failed(exc: BaseException, details: str) -> None:
            show_error(self, "Could not read the audit log", exc, details)

        self._read(lambda uow: audit_log.facets(uow, self.actor), fill, failed)

    # ------------------------------------------------------------ paging (background)

    def reload(self) -> None:
        """Show the newest page for the current filters (off the GUI thread)."""
        self._debounce.stop()
        self._stale = False
        self._generation += 1
        self.model.set_records([])
        self._oldest_id, self._has_more = None, False
        self._show_detail(None)
        self._fetch(before_id=None)

    def load_older(self) -> None:
        """Append the next older page, if any and none is loading."""
        if self._loading or not self._has_more:
            return
        self._fetch(before_id=self._oldest_id)

    def _fetch(self, *, before_id: int | None) -> None:
        generation, query = self._generation, self.current_filter()
        self._loading = True
        self.count_label.setText("Loading…")
        self._update_buttons()

        def work(uow) -> list[AuditRow]:
            return audit_log.list_events(uow, self.actor, limit=PAGE_SIZE, before_id=before_id, **query)

        def done(rows: list[AuditRow]) -> None:
            if generation == self._generation:
                self._page_arrived(rows)

        def failed(exc: BaseException, details: str) -> None:
            if generation == self._generation:
                self._loading = False
                self.count_label.setText("")
                self._update_buttons()
            show_error(self, "Could not read the audit log", exc, details)

        self._read(work, done, failed)

    def _read(
        self,
        work: Callable[[UnitOfWork], T],
        on_done: Callable[[T], None],
        on_error: Callable[[BaseException, str], None],
    ) -> None:
        """Run the query ``work(uow)`` as an ``Operation`` with the caller's error handler."""
        Operation(self).success(on_done).failure(on_error).run_in_uow(self.ctx, work)

    def _page_arrived(self, rows: list[AuditRow]) -> None:
        self._loading = False
        self._has_more = len(rows) == PAGE_SIZE
        if rows:
            self._oldest_id = min(row.id for row in rows)
        first_page = self.model.rowCount() == 0
        self.model.append(rows)
        if first_page and rows:
            self._fit_columns()
        header = self.table.horizontalHeader()
        if not (
            header.sortIndicatorSection() == 0 and header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
        ):
            self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        count = self.model.rowCount()
        if self._has_more:
            self.count_label.setText(
                f"{plural(count, 'newest matching event')} shown — scroll down or press Older for more"
            )
        else:
            self.count_label.setText(
                f"All {plural(count, 'matching event')} shown"
                if count != 1
                else "The one matching event shown"
            )
        self._update_buttons()
        if count and not self.table.selectionModel().hasSelection() and self.model.rowCount() == len(rows):
            self.table.selectRow(0)

    def _fit_columns(self) -> None:
        """Widen the columns to their contents (one page: at most ``PAGE_SIZE`` rows), within
        ``COLUMN_MAX_WIDTHS`` and never narrower than ``COLUMN_WIDTHS``."""
        for column, (least, most) in enumerate(zip(COLUMN_WIDTHS, COLUMN_MAX_WIDTHS, strict=True)):
            self.table.resizeColumnToContents(column)
            self.table.setColumnWidth(column, max(least, min(most, self.table.columnWidth(column))))

    def _scrolled(self, value: int) -> None:
        bar = self.table.verticalScrollBar()
        if value >= bar.maximum() - 2 and bar.maximum() > 0:
            self.load_older()

    def _update_buttons(self) -> None:
        self.older_button.setEnabled(self._has_more and not self._loading)
        if self._loading:
            self.older_button.setToolTip("Loading…")
        elif self._has_more:
            self.older_button.setToolTip(f"Load the next {PAGE_SIZE} older events")
        else:
            self.older_button.setToolTip("Every matching event is shown already")

    # ------------------------------------------------------------ detail

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = {index.row() for index in selected.indexes()}
        self._show_detail(self.model.record(min(rows)) if rows else None)

    def selected_event(self) -> AuditRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.record(rows[0].row()) if rows else None

    def select_event(self, event_id: int) -> bool:
        """Select and show event ``event_id`` if it is loaded; True when it was."""
        row = self.model.row_of_event(event_id)
        if row is None:
            return False
        index = self.model.index(row, 0)
        self.table.selectionModel().select(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def _show_detail(self, event: AuditRow | None) -> None:
        if event is None:
            self.detail_header.setText("Select an event to see its changes.")
            self.detail.clear()
            return
        self.detail_header.setText(audit_log.event_heading(event))
        self.detail.setPlainText(audit_log.pretty_changes(event.changes_json))

    # ------------------------------------------------------------ verify

    def verify(self) -> None:
        """Check the whole chain (and the anchors the database holds) in the background, then say
        so prominently."""
        self._verify("")

    def choose_anchors_file(self) -> None:
        """Ask for an anchors file, then :meth:`verify_with_anchors`."""
        path = ask_open_path(self, "Audit anchors file", "Audit anchors (*.jsonl);;All files (*)")
        if path:
            self.verify_with_anchors(path)

    def verify_with_anchors(self, path: str) -> None:
        """Verify the chain also against the anchors file at ``path``."""
        self._verify(path)

    def _verify(self, anchors_path: str) -> None:
        if not self.verify_button.isEnabled():
            return
        self.verify_button.setEnabled(False)
        self.anchors_button.setEnabled(False)
        self.verify_action.setEnabled(False)
        self.busy.show()
        self.verdict.setStyleSheet(BANNER_STYLE.format(""))
        self.verdict.setText("Verifying the audit chain…")
        self.verdict.show()

        def failed(exc: BaseException, details: str) -> None:
            self._verify_finished()
            self.verdict.setText("The check could not run.")
            show_error(self, "Could not verify the chain", exc, details)

        actor = self.actor
        self._read(
            lambda uow: audit_log.verify(uow, actor, _anchors_from(anchors_path)), self._verified, failed
        )

    def _verify_finished(self) -> None:
        self.busy.hide()
        self.verify_button.setEnabled(True)
        self.anchors_button.setEnabled(True)
        self.verify_action.setEnabled(True)

    def _verified(self, report: AnchorReport) -> None:
        self._verify_finished()
        if report.ok:
            self.verdict.setStyleSheet(BANNER_STYLE.format(INTACT_STYLE))
            anchored = (
                f", checked against {plural(report.anchors_checked, 'anchor')}"
                if report.anchors_checked
                else ""
            )
            self.verdict.setText(f"✔ Chain intact: {plural(report.events_checked, 'event')}{anchored}")
            self.status_message.emit(f"Audit chain intact: {plural(report.events_checked, 'event')}")
            return
        self.verdict.setStyleSheet(BANNER_STYLE.format(BROKEN_STYLE))
        where = f" at event {report.first_broken_id}" if report.first_broken_id is not None else ""
        text = f"✖ Chain BROKEN{where}: {report.message}"
        if report.first_broken_id is not None and not self.select_event(report.first_broken_id):
            text += " (that event is not among those shown; clear the filters or load older events)"
        self.verdict.setText(text)
        self.status_message.emit(f"Audit chain BROKEN{where}")


def _anchors_from(path: str) -> list[Anchor]:
    """The anchors of the file at ``path`` (none for ""); ``InvalidInput`` for a bad file. Runs on
    the worker thread with the verification."""
    return audit_log.read_anchor_file(path) if path else []
