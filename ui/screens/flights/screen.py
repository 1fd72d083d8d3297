"""The Flights screen: a sortable, filterable table of flights with their route, per-leg plan
load and manifest state; the editor dialog (:mod:`ui.screens.flights.editor`); cancelling a flight.

A save or cancel based on a stale version is refused (``StaleVersion``) with a message naming who
changed the flight and when: the editor then offers Reload (the flight as now stored, its new
version; ``ui.stale_reload``), and a refused cancel refreshes the table so the next try uses the
current version. Other refusals (an approved manifest, a cancelled flight) are only reported.

Threading: GUI thread only. Every service call (list, airports, save, cancel) runs off the GUI
thread as ``ui.operations.Operation``s; results come back as plain dataclasses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from planner.domain.enums import FlightStatus
from planner.domain.errors import StaleVersion
from planner.persistence.context import AppContext
from planner.services import flights
from planner.services.auth import Actor
from planner.services.flights import AirportChoice, FlightRow
from ui.errors import show_error
from ui.operations import Change, Operation
from ui.screens.base import Screen
from ui.screens.flights.editor import FlightEditorDialog
from ui.screens.flights.model import COLUMN_WIDTHS, FlightsTableModel, LegLoadDelegate, column_of
from ui.tables import table_view


class FlightsScreen(Screen):
    title = "Flights"

    def __init__(self, ctx: AppContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(ctx, actor, parent)
        self._rows: list[FlightRow] = []
        self._airports: list[AirportChoice] = []
        self._generation = 0
        self._loaded = False
        self._select_after_load: str | None = None
        #: Asks the user to confirm cancelling (replaceable in tests); returns True to go ahead.
        self.confirm: Callable[[str, str], bool] = self._ask

        self.model = FlightsTableModel(self)
        self.table = table_view(
            self.model,
            "flightsTable",
            widths=COLUMN_WIDTHS,
            sort_column=column_of("departure_utc"),
            single_selection=True,
            parent=self,
        )
        self.legs_delegate = LegLoadDelegate(self.table)
        self.table.setItemDelegateForColumn(column_of("legs_text"), self.legs_delegate)
        self.table.doubleClicked.connect(lambda _index: self.edit_flight())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())

        self.search = QLineEdit(self)
        self.search.setObjectName("flightSearch")
        self.search.setPlaceholderText("Filter: flight, carrier, aircraft, airport or country…")
        self.search.setClearButtonEnabled(True)
        self.status = QComboBox(self)
        self.status.setObjectName("statusFilter")
        self.status.addItem("Any status", "")
        for status in FlightStatus:
            self.status.addItem(status.value.title(), status.value)
        self.include_past = QCheckBox("Include past", self)
        self.include_past.setObjectName("includePast")
        self.include_past.setToolTip("Also list flights that have already departed")
        self.count_label = QLabel(self)
        self.count_label.setObjectName("flightCount")

        self.new_action = self._action("&New flight…", "Ctrl+N", self.new_flight, "Create a flight (Ctrl+N)")
        # Enter and Del act on the table only (not while typing in the filter).
        self.edit_action = self._action("&Edit…", "Return", self.edit_flight, "", self.table)
        self.edit_action.setShortcuts([QKeySequence("Return"), QKeySequence("Enter")])
        self.cancel_action = self._action("&Cancel flight…", "Del", self.cancel_selected, "", self.table)
        buttons = QHBoxLayout()
        for action, name in (
            (self.new_action, "newFlight"),
            (self.edit_action, "editFlight"),
            (self.cancel_action, "cancelFlight"),
        ):
            button = QPushButton(action.text().replace("&", ""), self)
            button.setObjectName(name)
            button.clicked.connect(action.trigger)
            action.changed.connect(
                lambda b=button, a=action: (b.setEnabled(a.isEnabled()), b.setToolTip(a.toolTip()))
            )
            buttons.addWidget(button)
        buttons.addStretch(1)

        filters = QHBoxLayout()
        filters.addWidget(self.search, 3)
        filters.addWidget(self.status, 1)
        filters.addWidget(self.include_past)
        filters.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

        self.search.textChanged.connect(self._apply_filter)
        self.status.currentIndexChanged.connect(self._apply_filter)
        self.include_past.toggled.connect(self.reload)
        self._update_actions()

    def _action(
        self, text: str, shortcut: str, slot: Callable[[], Any], tip: str, owner: QWidget | None = None
    ) -> QAction:
        """An action with a shortcut active while ``owner`` (default: the screen) has focus."""
        owner = owner or self
        action = QAction(text, owner)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(tip)
        action.triggered.connect(slot)
        owner.addAction(action)
        return action

    # ------------------------------------------------------------ screen contract

    def activate(self) -> None:
        self._loaded = True
        self.reload()

    def on_data_changed(self, change: Change) -> None:
        if change & (Change.FLIGHTS | Change.PLAN | Change.MANIFESTS) and self._loaded:
            self.reload()

    # ------------------------------------------------------------ loading and filtering

    def reload(self) -> None:
        """Fetch flights (and the airports for the editor) off the GUI thread."""
        self._generation += 1
        generation, include_past = self._generation, self.include_past.isChecked()
        self.count_label.setText("Loading…")

        def work(uow: Any) -> tuple[list[FlightRow], list[AirportChoice]]:
            return (
                flights.list_flights(uow, self.actor, include_past=include_past),
                flights.airport_choices(uow, self.actor),
            )

        Operation(self, "Could not load flights").success(
            lambda result: self._show(generation, *result)
        ).run_in_uow(self.ctx, work)

    def _show(self, generation: int, rows: list[FlightRow], airports: list[AirportChoice]) -> None:
        if generation != self._generation:
            return
        current = self.selected()
        selected = self._select_after_load or (current.code if current else None)
        self._select_after_load = None
        self._rows, self._airports = rows, airports
        self._apply_filter()
        if selected:
            self.select_code(selected)

    def _matches(self, row: FlightRow) -> bool:
        status = self.status.currentData()
        if status and row.status != status:
            return False
        text = self.search.text().strip().lower()
        if not text:
            return True
        haystack = " ".join(
            [row.code, row.carrier, row.aircraft, row.route_text, row.stops_text, row.status]
        ).lower()
        return all(word in haystack for word in text.split())

    def _apply_filter(self) -> None:
        shown = [row for row in self._rows if self._matches(row)]
        self.model.set_records(shown)
        header = self.table.horizontalHeader()
        self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self.count_label.setText(f"{len(shown):,} of {len(self._rows):,} flights")
        self._update_actions()

    def select_code(self, code: str) -> None:
        for row, record in enumerate(self.model.records()):
            if record.code == code:
                self.table.selectRow(row)
                self.table.scrollTo(self.model.index(row, 0))
                return

    def selected(self) -> FlightRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.record(rows[0].row()) if rows else None

    def _update_actions(self) -> None:
        row = self.selected()
        if row is None:
            for action in (self.edit_action, self.cancel_action):
                action.setEnabled(False)
                action.setToolTip("Select a flight first")
            return
        reason = row.locked_reason
        self.edit_action.setEnabled(not reason)
        self.edit_action.setToolTip(
            f"Cannot edit: {reason}" if reason else f"Edit flight {row.code} (Enter or double-click)"
        )
        self.cancel_action.setEnabled(not reason)
        self.cancel_action.setToolTip(
            f"Cannot cancel: {reason}" if reason else f"Cancel flight {row.code} (Del)"
        )

    # ------------------------------------------------------------ actions

    def open_editor(self, flight: FlightRow | None) -> FlightEditorDialog:
        """Open the (non-blocking) editor; on success the table reloads and selects the flight."""
        dialog = FlightEditorDialog(self.ctx, self.actor, self._airports, flight, self)
        dialog.accepted.connect(lambda: self._after_save(dialog))
        dialog.open()
        self.editor = dialog
        return dialog

    def new_flight(self) -> FlightEditorDialog:
        return self.open_editor(None)

    def edit_flight(self) -> FlightEditorDialog | None:
        row = self.selected()
        if row is None or not self.edit_action.isEnabled():
            return None
        return self.open_editor(row)

    def _after_save(self, dialog: FlightEditorDialog) -> None:
        result = dialog.saved
        if result is None:
            return
        verb = "created" if result.created else ("saved" if result.changes else "unchanged")
        self.status_message.emit(f"Flight {result.flight.code} {verb}")
        self._select_after_load = result.flight.code
        self.reload()
        if result.created or result.changes:
            self.announce_change(Change.FLIGHTS)

    def _ask(self, title: str, text: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self)
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.button(QMessageBox.StandardButton.Yes).setText("Cancel the flight")
        box.button(QMessageBox.StandardButton.No).setText("Keep it")
        return box.exec() == QMessageBox.StandardButton.Yes

    def cancel_selected(self) -> None:
        """Confirm (saying how many placed people it affects), then cancel in the background."""
        row = self.selected()
        if row is None or not self.cancel_action.isEnabled():
            return
        affected = (
            f"{row.placed} people placed on it by the current plan will need a new plan run."
            if row.placed
            else "Nobody is placed on it by the current plan."
        )
        text = (
            f"Cancel flight {row.code} ({row.route_text}), departing {row.local_text}?\n\n{affected}\n"
            "The flight stays in the list as CANCELLED; this cannot be undone here."
        )
        if not self.confirm(f"Cancel flight {row.code}", text):
            return
        code, version = row.code, row.version

        def done(result: FlightRow) -> None:
            self.status_message.emit(f"Flight {result.code} cancelled ({row.placed} placed people affected)")
            self._select_after_load = result.code
            self.reload()

        def failed(exc: BaseException, details: str) -> None:
            show_error(self, f"Flight {code} was not cancelled", exc, details)
            if isinstance(exc, StaleVersion):  # show the flight as now stored; the next try uses it
                self._select_after_load = code
                self.reload()

        Operation(self).success(done).failure(failed).changes(Change.FLIGHTS).run_in_uow(
            self.ctx,
            lambda uow: flights.cancel_flight(uow, self.actor, code, expected_version=version),
            write=True,
        )


__all__ = ["FlightsScreen"]
