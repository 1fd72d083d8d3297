"""Requests: the verification and travel-document pipeline per receiving country.

Above, the countries (everyone claimed or asked about): open, overdue, confirmed and not confirmed
verification requests, median and expected lead time, open and overdue travel-document requests,
sortable. Below, for the selected country: its funnel (claimed → requested → confirmed → document
valid → placed → flown), the lead-time distribution of its answered requests, and its batches.

Actions (toolbar and keys, while this screen shows; officer and above): **Request verification…**
(Ctrl+Shift+V) and **Request travel documents…** (Ctrl+Shift+E) open the request dialog
(:mod:`.dialogs`) for the selected country; **Reminder letter…** (Ctrl+Shift+M) writes the reminder
to the consulate for the selected country's overdue requests (enabled when it has some).

Threading: GUI thread only. Everything shown is read in one operation off the GUI thread
(:func:`.models.load_overview`) when the screen is shown, on F5, and after a change to requests,
people, plans, flights or manifests; results of an older load are dropped (generation counter).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QLabel,
    QMessageBox,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from planner.domain.enums import RequestKind, Role
from planner.domain.wording import plural
from planner.persistence.context import AppContext
from planner.services.auth import Actor
from planner.services.consular.batches import CreatedBatch
from planner.services.consular.reminders import ReminderLetter, write_reminder
from ui.files import ask_save_path
from ui.operations import Change, Operation
from ui.screens.base import Screen
from ui.screens.requests.charts import FunnelChart, KindLeads, LeadTimeChart
from ui.screens.requests.dialogs import RequestDialog
from ui.screens.requests.models import (
    BATCH_WIDTHS,
    COUNTRY_COLUMNS,
    COUNTRY_WIDTHS,
    WAITING_COLUMNS,
    WAITING_WIDTHS,
    BatchTableModel,
    CountryRow,
    CountryTableModel,
    WaitingTableModel,
    column_of,
    load_overview,
)
from ui.tables import table_view

VERIFICATION_KEYS = "Ctrl+Shift+V"
DOCUMENTS_KEYS = "Ctrl+Shift+E"
REMINDER_KEYS = "Ctrl+Shift+M"
#: The changes that alter what the screen shows.
SHOWN_CHANGES = Change.REQUESTS | Change.PEOPLE | Change.PLAN | Change.FLIGHTS | Change.MANIFESTS
NO_REQUESTS = "No requests yet — select a country and Request verification… ({keys})"
PLACEHOLDER = "color: palette(placeholder-text); padding: 12px;"


class RequestsScreen(Screen):
    title = "Requests"
    required_role = Role.OFFICER

    def __init__(self, ctx: AppContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(ctx, actor, parent)
        self._rows: list[CountryRow] = []
        self._generation = 0
        self._loaded = False
        self._sized = False
        self._select_after_load: str | None = None
        #: Where the reminder letter goes (replaceable in tests); "" = cancelled.
        self.ask_reminder_path: Callable[[str], str] = self._ask_reminder_path
        #: The last dialog and message box opened (tests drive them).
        self.request_dialog: RequestDialog | None = None
        self.result_box: QMessageBox | None = None

        self._build_toolbar()
        # Countries.
        self.countries = CountryTableModel(self)
        self.country_table = table_view(
            self.countries,
            "requestCountries",
            widths=COUNTRY_WIDTHS,
            sort_column=column_of(COUNTRY_COLUMNS, "claimed"),
            descending=True,
            single_selection=True,
            parent=self,
        )
        self.country_table.selectionModel().selectionChanged.connect(lambda *_: self._country_selected())
        self.countries_empty = QLabel("Loading…", self)
        self.countries_empty.setObjectName("countriesEmpty")
        self.countries_empty.setStyleSheet(PLACEHOLDER)
        self.countries_empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.countries_empty.setWordWrap(True)
        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.countries_empty)
        top_layout.addWidget(self.country_table, 1)

        bottom = self._build_detail()  # and the batches box
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("requestSplitter")
        self.splitter.addWidget(top)
        self.splitter.addWidget(bottom)
        self.splitter.addWidget(self.batch_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 4)
        self.splitter.setStretchFactor(2, 3)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.splitter, 1)
        self._show_detail(None)
        self._update_actions()

    def _build_toolbar(self) -> None:
        self.toolbar = QToolBar("Request actions", self)
        self.toolbar.setObjectName("requestToolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.verification_action = self._action(
            "Request verification…", VERIFICATION_KEYS, lambda: self.open_request(RequestKind.VERIFICATION)
        )
        self.documents_action = self._action(
            "Request travel documents…",
            DOCUMENTS_KEYS,
            lambda: self.open_request(RequestKind.TRAVEL_DOCUMENT),
        )
        self.toolbar.addSeparator()
        self.reminder_action = self._action("Reminder letter…", REMINDER_KEYS, self.write_reminder)
        self.count_label = QLabel("", self)
        self.count_label.setObjectName("requestCount")
        spacer = QWidget(self)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.toolbar.addWidget(spacer)
        self.toolbar.addWidget(self.count_label)

    def _build_detail(self) -> QWidget:
        """The selected country: its title, funnel, lead times and batches."""
        self.detail_title = QLabel("Select a country", self)
        self.detail_title.setObjectName("requestDetailTitle")
        self.detail_title.setStyleSheet("font-weight: 600; font-size: 11pt;")
        self.funnel_chart = FunnelChart(self)
        self.lead_chart = LeadTimeChart(self)
        self.batches = BatchTableModel(self)
        self.batch_table = table_view(
            self.batches, "requestBatches", widths=BATCH_WIDTHS, sort_column=2, descending=True, parent=self
        )
        self.batches_empty = QLabel("", self)
        self.batches_empty.setObjectName("batchesEmpty")
        self.batches_empty.setStyleSheet(PLACEHOLDER)
        self.batches_empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.batches_empty.setWordWrap(True)
        self.waiting = WaitingTableModel(self)
        self.waiting_table = table_view(
            self.waiting,
            "requestWaiting",
            widths=WAITING_WIDTHS,
            sort_column=column_of(WAITING_COLUMNS, "expected_eligible_on"),
            parent=self,
        )
        self.waiting_empty = QLabel("", self)
        self.waiting_empty.setObjectName("waitingEmpty")
        self.waiting_empty.setStyleSheet(PLACEHOLDER)
        self.waiting_empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.waiting_empty.setWordWrap(True)
        funnel_box = self._box("Funnel", self.funnel_chart)
        lead_box = self._box("Lead times of answered requests", self.lead_chart)
        self.batch_box = QTabWidget(self)
        self.batch_box.setObjectName("requestTabs")
        self.batch_box.addTab(self._page(self.batches_empty, self.batch_table), "Batches")
        self.batch_box.addTab(
            self._page(self.waiting_empty, self.waiting_table), "People waiting (expected eligible)"
        )
        bottom = QWidget(self)
        grid = QGridLayout(bottom)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.detail_title, 0, 0, 1, 2)
        grid.addWidget(funnel_box, 1, 0)
        grid.addWidget(lead_box, 1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(1, 1)
        return bottom

    def _page(self, *widgets: QWidget) -> QWidget:
        page = QWidget(self)
        inner = QVBoxLayout(page)
        inner.setContentsMargins(4, 4, 4, 4)
        for widget in widgets:
            inner.addWidget(widget, 1)
        return page

    def _box(self, title: str, *widgets: QWidget) -> QGroupBox:
        box = QGroupBox(title, self)
        inner = QVBoxLayout(box)
        inner.setContentsMargins(6, 6, 6, 6)
        for widget in widgets:
            inner.addWidget(widget, 1)
        return box

    def _action(self, text: str, shortcut: str, slot: Callable[[], Any]) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)  # only while this screen shows
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        self.toolbar.addAction(action)
        return action

    # ------------------------------------------------------------ screen contract

    def activate(self) -> None:
        self._loaded = True
        self.reload()

    def on_data_changed(self, change: Change) -> None:
        # Hidden: the next show reloads anyway (the window calls ``activate``).
        if change & SHOWN_CHANGES and self._loaded and self.isVisible():
            self.reload()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self._sized:  # first show: countries 30 %, charts 42 %, batches 28 %
            self._sized = True
            total = sum(self.splitter.sizes())
            self.splitter.setSizes(
                [int(total * 0.3), int(total * 0.42), total - int(total * 0.3) - int(total * 0.42)]
            )

    # ------------------------------------------------------------ loading

    def reload(self) -> None:
        """Read the countries, funnels and batches off the GUI thread."""
        self._generation += 1
        generation, actor = self._generation, self.actor
        self.count_label.setText("Loading…")
        Operation(self, "Could not load the requests").success(
            lambda rows: self._show(generation, rows)
        ).run_in_uow(self.ctx, lambda uow: load_overview(uow, actor))

    def _show(self, generation: int, rows: list[CountryRow]) -> None:
        if generation != self._generation:
            return
        current = self.selected()
        wanted = self._select_after_load or (current.country if current else None)
        self._select_after_load = None
        self._rows = rows
        self.countries.set_records(rows)
        header = self.country_table.horizontalHeader()
        self.countries.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        batches = sum(len(r.batches) for r in rows)
        open_requests = sum(r.open + r.documents_open for r in rows)
        overdue = sum(r.overdue + r.documents_overdue for r in rows)
        self.count_label.setText(
            f"{plural(len(rows), 'country', 'countries')} · {plural(batches, 'batch', 'batches')} · "
            f"{open_requests:,} open · {overdue:,} overdue"
        )
        if not rows:
            self.countries_empty.setText(
                "Nobody claims a nationality yet — import a roster first (Import screen)"
            )
        elif not batches:
            self.countries_empty.setText(NO_REQUESTS.format(keys=VERIFICATION_KEYS))
        self.countries_empty.setVisible(not rows or not batches)
        self.country_table.setVisible(bool(rows))
        if not self.select_country(wanted) and rows:
            self.country_table.selectRow(0)
        self._country_selected()

    def select_country(self, code: str | None) -> bool:
        """Select ``code`` in the table; False when it is not listed."""
        if code is None:
            return False
        for row, record in enumerate(self.countries.records()):
            if record.country == code:
                self.country_table.selectRow(row)
                self.country_table.scrollTo(self.countries.index(row, 0))
                return True
        return False

    def selected(self) -> CountryRow | None:
        rows = self.country_table.selectionModel().selectedRows()
        return self.countries.record(rows[0].row()) if rows else None

    def _country_selected(self) -> None:
        self._show_detail(self.selected())
        self._update_actions()

    def _show_detail(self, row: CountryRow | None) -> None:
        if row is None:
            self.detail_title.setText("Select a country")
            self.funnel_chart.set_funnel(None)
            self.lead_chart.set_leads([])
            self.batches.set_records([])
            self.batches_empty.setText("Select a country to see its request batches")
            self.batches_empty.setVisible(True)
            self.batch_table.setVisible(False)
            self.waiting.set_records([])
            self.waiting_empty.setText("Select a country to see who waits for an answer")
            self.waiting_empty.setVisible(True)
            self.waiting_table.setVisible(False)
            return
        overdue = row.overdue + row.documents_overdue
        self.detail_title.setText(
            f"{row.name} ({row.country}) — {plural(row.claimed, 'person', 'people')} claiming it, "
            f"{row.open + row.documents_open:,} requests open" + (f", {overdue:,} overdue" if overdue else "")
        )
        self.funnel_chart.set_funnel(row.funnel)
        if row.funnel is None:
            self.funnel_chart.empty_text = f"Nobody claims {row.name} nationality"
        days = row.funnel.lead_days if row.funnel else {}
        self.lead_chart.set_leads(
            [
                KindLeads(
                    RequestKind.VERIFICATION, tuple(days.get(RequestKind.VERIFICATION, ())), row.expected
                ),
                KindLeads(
                    RequestKind.TRAVEL_DOCUMENT,
                    tuple(days.get(RequestKind.TRAVEL_DOCUMENT, ())),
                    row.documents_expected,
                ),
            ]
        )
        self.batches.set_records(row.batches)
        header = self.batch_table.horizontalHeader()
        self.batches.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self.batches_empty.setText(
            f"No requests to {row.name} yet — Request verification… ({VERIFICATION_KEYS}) sends the first batch"
        )
        self.batches_empty.setVisible(not row.batches)
        self.batch_table.setVisible(bool(row.batches))
        self.waiting.set_records(row.waiting)
        header = self.waiting_table.horizontalHeader()
        self.waiting.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self.waiting_empty.setText(f"Nobody waits for an answer from {row.name}")
        self.waiting_empty.setVisible(not row.waiting)
        self.waiting_table.setVisible(bool(row.waiting))
        self.batch_box.setTabText(1, f"People waiting ({len(row.waiting):,}): expected eligible")

    def _update_actions(self) -> None:
        row = self.selected()
        allowed = self.can(Role.OFFICER)
        for action, what, keys in (
            (self.verification_action, "verification of nationality", VERIFICATION_KEYS),
            (self.documents_action, "travel documents", DOCUMENTS_KEYS),
        ):
            action.setEnabled(allowed)
            where = f" of {row.name}" if row else ""
            action.setToolTip(
                f"Ask the authorities{where} for {what}: a request list and a cover letter ({keys})"
                if allowed
                else "Needs the officer role"
            )
        if not allowed:
            self.reminder_action.setEnabled(False)
            self.reminder_action.setToolTip("Needs the officer role")
        elif row is None:
            self.reminder_action.setEnabled(False)
            self.reminder_action.setToolTip("Select a country first")
        elif not row.any_overdue:
            self.reminder_action.setEnabled(False)
            self.reminder_action.setToolTip(f"Nothing is overdue for {row.name}")
        else:
            self.reminder_action.setEnabled(True)
            self.reminder_action.setToolTip(
                f"A reminder letter to the consulate of {row.name} listing "
                f"{plural(row.overdue + row.documents_overdue, 'overdue request')} ({REMINDER_KEYS})"
            )

    # ------------------------------------------------------------ actions

    def open_request(self, kind: RequestKind) -> RequestDialog | None:
        """The request dialog for ``kind``, prefilled with the selected country."""
        action = self.verification_action if kind is RequestKind.VERIFICATION else self.documents_action
        if not action.isEnabled():
            return None
        row = self.selected()
        countries = [(r.country, r.name) for r in sorted(self._rows, key=lambda r: r.country)]
        dialog = RequestDialog(self.ctx, self.actor, kind, countries, row.country if row else None, self)
        dialog.accepted.connect(lambda: self._batch_created(dialog.created))
        dialog.open()
        self.request_dialog = dialog
        return dialog

    def _batch_created(self, created: CreatedBatch | None) -> None:
        if created is None:
            return
        self._select_after_load = created.country
        self.status_message.emit(
            f"{created.reference}: {plural(created.people, 'person', 'people')} requested"
        )
        self._inform(
            f"Batch {created.reference}",
            f"{created.reference}: {plural(created.people, 'person', 'people')} requested.\n\n"
            f"Request list: {created.csv_path}\nCover letter: {created.pdf_path}",
        )

    def _ask_reminder_path(self, code: str) -> str:
        return ask_save_path(
            self, "Save the reminder letter", f"reminder-{code}-{date.today().isoformat()}.pdf", "PDF (*.pdf)"
        )

    def write_reminder(self) -> None:
        """Ask where, then write the selected country's reminder letter in the background."""
        row = self.selected()
        if row is None or not self.reminder_action.isEnabled():
            return
        chosen = self.ask_reminder_path(row.country)
        if not chosen:
            return
        code, out, actor = row.country, Path(chosen), self.actor

        def done(letter: ReminderLetter) -> None:
            self.status_message.emit(f"Reminder letter for {letter.country} written to {letter.path}")
            self._inform(
                f"Reminder to {row.name}",
                f"The reminder letter lists {plural(letter.people, 'person', 'people')} in "
                f"{plural(len(letter.references), 'batch', 'batches')} ({', '.join(letter.references)}).\n\n"
                f"Saved to {letter.path}",
            )

        Operation(self, "The reminder letter was not written").success(done).changes(
            Change.REQUESTS | Change.AUDIT
        ).run_in_uow(self.ctx, lambda uow: write_reminder(uow, actor, code, out), write=True)

    def _inform(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, self)
        box.open()
        self.result_box = box


__all__ = ["DOCUMENTS_KEYS", "REMINDER_KEYS", "VERIFICATION_KEYS", "RequestsScreen"]
