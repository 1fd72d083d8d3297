"""Flights: a sortable, filterable table of flights with their plan load and manifest state, an
editor dialog (stops, capacities, departure time in the airport's zone) and cancelling a flight.

A save or cancel based on a stale version is refused (``StaleVersion``) with a message naming who
changed the flight and when: the editor then offers Reload (the flight as now stored, its new
version; ``ui.stale_reload``), and a refused cancel refreshes the table so the next try uses the
current version. Other refusals (an approved manifest, a cancelled flight) are only reported.

Threading: GUI thread only. Every service call (list, airports, save, cancel) runs off the GUI
thread as ``ui.operations.Operation``s; results come back as plain dataclasses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import QDate, QDateTime, QModelIndex, QStringListModel, Qt, QTime, QTimeZone
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from planner.domain.enums import FlightStatus
from planner.domain.errors import InvalidInput, PlannerError, StaleVersion
from planner.domain.wording import plural
from planner.persistence.context import AppContext
from planner.persistence.uow import UnitOfWork
from planner.services import flights
from planner.services.auth import Actor
from planner.services.flights import AirportChoice, FlightInput, FlightRow, SaveResult
from ui.errors import show_error
from ui.operations import Change, Operation
from ui.record_model import RecordTableModel
from ui.screens.base import Screen
from ui.stale_reload import EditorDialogMixin
from ui.tables import table_view

LOAD_TARGET = 0.8
LOW_LOAD = QColor("#fbe3c2")
GOOD_LOAD = QColor("#d8efd9")
MUTED = QColor("#8a8a8a")

COLUMNS: list[tuple[str, str]] = [
    ("code", "Flight"),
    ("departure_utc", "Departure (UTC)"),
    ("local_short", "Local departure"),
    ("departure_airport", "From"),
    ("stops_text", "Stops (country)"),
    ("status", "Status"),
    ("placed", "Placed"),
    ("seats", "Seats"),
    ("load_factor", "Load"),
    ("manifest_status", "Manifest"),
    ("notice_cutoff", "Notice cut-off (UTC)"),
    ("carrier", "Carrier"),
    ("aircraft", "Aircraft"),
    ("escort_officers", "Escorts"),
    ("medical_slots", "Medical"),
    ("wheelchair_slots", "Wheelchair"),
    ("version", "Ver."),
]
COLUMN_WIDTHS = (65, 120, 150, 45, 200, 80, 55, 50, 55, 90, 145, 120, 80, 55, 60, 75, 40)
NUMERIC = (
    "seats",
    "escort_officers",
    "medical_slots",
    "wheelchair_slots",
    "placed",
    "load_factor",
    "version",
)


def column_of(key: str) -> int:
    return [k for k, _ in COLUMNS].index(key)


def percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.0f} %"


def _manifest_text(row: FlightRow) -> str:
    if row.manifest_status is None:
        return "none"
    text = f"{row.manifest_status} r{row.manifest_revision}"
    if row.manifest_in_force and row.manifest_in_force != row.manifest_status:
        text += f" ({row.manifest_in_force} in force)"
    return text


class FlightsTableModel(RecordTableModel):
    """``RecordTableModel`` over ``FlightRow``s: load factor shaded against the 80 % target,
    cancelled and departed flights greyed. GUI thread only."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            COLUMNS,
            parent,
            formatters={
                "load_factor": percent,
                "manifest_status": lambda _v: "",  # replaced in data() (needs the whole row)
                "departure_utc": lambda v: f"{v:%Y-%m-%d %H:%M}" if v else "",
                "notice_cutoff": lambda v: f"{v:%Y-%m-%d %H:%M}" if v else "",
            },
            alignments={key: Qt.AlignmentFlag.AlignRight for key in NUMERIC},
        )

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # type: ignore[override]
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        key = self.columns[index.column()][0]
        row: FlightRow = self.record(index.row())
        if key == "manifest_status" and role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return _manifest_text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "local_short":
                return row.local_text
            if key == "load_factor":
                return f"{row.placed} placed of {row.seats} seats (target {percent(LOAD_TARGET)})"
            if key == "notice_cutoff":
                return "After this time nobody may be added (strictest notice of the stops' countries)"
            if key == "placed":
                return f"{row.placed} placed by the current plan, {row.frozen} of them frozen"
        if role == Qt.ItemDataRole.ForegroundRole and row.status != FlightStatus.PLANNED.value:
            return QBrush(MUTED)
        if (
            role == Qt.ItemDataRole.BackgroundRole
            and key == "load_factor"
            and row.load_factor is not None
            and row.status == FlightStatus.PLANNED.value
        ):
            return QBrush(GOOD_LOAD if row.load_factor >= LOAD_TARGET else LOW_LOAD)
        return super().data(index, role)


# ---------------------------------------------------------------- editor


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_to_utc(naive: datetime, zone_name: str) -> datetime:
    """A wall-clock time in ``zone_name`` as UTC; ``ValueError`` when the clock skips it (DST)."""
    zone = zone_of(zone_name)
    aware = naive.replace(tzinfo=zone)
    utc = aware.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != naive:
        raise ValueError(f"{naive:%Y-%m-%d %H:%M} does not exist in {zone_name} (the clocks go forward)")
    return utc


class FlightEditorDialog(EditorDialogMixin, QDialog):
    """Create or edit one flight. Saving runs ``save_flight`` in the background; validation and
    conflict messages appear in the dialog, which stays open until the save succeeds; after a
    stale-version refusal, Reload reads the flight as now stored (``flight`` is the version the
    next save is based on).

    GUI thread only; ``saved`` (the ``SaveResult``) is set when the dialog is accepted."""

    record_label = "the flight"

    def __init__(
        self,
        ctx: AppContext,
        actor: Actor,
        airports: list[AirportChoice],
        flight: FlightRow | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx, self.actor, self.flight = ctx, actor, flight
        self.airports = {a.iata: a for a in airports}
        self.saved: SaveResult | None = None
        self.setObjectName("flightEditor")
        self.setWindowTitle(f"Edit flight {flight.code}" if flight else "New flight")
        self.setMinimumWidth(620)

        self.code = QLineEdit(self)
        self.code.setObjectName("code")
        self.code.setMaxLength(16)
        self.code.setPlaceholderText("e.g. RF0101")
        self.carrier = QLineEdit(self)
        self.carrier.setObjectName("carrier")
        self.carrier.setMaxLength(100)
        self.aircraft = QLineEdit(self)
        self.aircraft.setObjectName("aircraft")
        self.aircraft.setMaxLength(50)
        self.departure_airport = QComboBox(self)
        self.departure_airport.setObjectName("departureAirport")
        for a in sorted(airports, key=lambda a: (a.receiving, a.country, a.iata)):
            self.departure_airport.addItem(f"{a.iata} — {a.city} ({a.country})", a.iata)
        self.departure = QDateTimeEdit(self)
        self.departure.setObjectName("departure")
        self.departure.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.departure.setCalendarPopup(True)
        # Wall-clock fields only: a UTC editor never shifts a time the machine's own zone skips.
        self.departure.setTimeZone(QTimeZone.utc())
        self.zone_label = QLabel(self)
        self.zone_label.setObjectName("zoneLabel")
        self.utc_label = QLabel(self)
        self.utc_label.setObjectName("utcLabel")
        self.utc_label.setStyleSheet("color: #555;")

        self.stops_model = QStringListModel(self)
        self.stops = QListView(self)
        self.stops.setObjectName("stops")
        self.stops.setModel(self.stops_model)
        self.stops.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.stops.setMaximumHeight(90)
        self.stop_choice = QComboBox(self)
        self.stop_choice.setObjectName("stopChoice")
        for a in airports:
            if a.receiving:
                self.stop_choice.addItem(f"{a.iata} — {a.city} ({a.country})", a.iata)
        self.add_stop = QToolButton(self)
        self.add_stop.setText("Add")
        self.add_stop.setToolTip("Add the chosen airport as the last stop")
        self.remove_stop = QToolButton(self)
        self.remove_stop.setText("Remove")
        self.remove_stop.setToolTip("Remove the selected stop")
        self.stop_up = QToolButton(self)
        self.stop_up.setText("Up")
        self.stop_up.setToolTip("Move the selected stop earlier")
        self.stop_down = QToolButton(self)
        self.stop_down.setText("Down")
        self.stop_down.setToolTip("Move the selected stop later")
        stop_buttons = QHBoxLayout()
        stop_buttons.addWidget(self.stop_choice, 1)
        for button in (self.add_stop, self.remove_stop, self.stop_up, self.stop_down):
            stop_buttons.addWidget(button)

        def spin(name: str, high: int, tip: str) -> QSpinBox:
            box = QSpinBox(self)
            box.setObjectName(name)
            box.setRange(0, high)
            box.setToolTip(tip)
            return box

        self.seats = spin("seats", 1000, "Seats for returnees")
        self.escorts = spin("escorts", 2000, "Escort officers on board")
        self.medical = spin("medical", 1000, "Seats for people who need a medical escort")
        self.wheelchair = spin("wheelchair", 1000, "Wheelchair places")
        capacities = QGridLayout()
        for column, (label, box) in enumerate(
            [
                ("Seats", self.seats),
                ("Escort officers", self.escorts),
                ("Medical slots", self.medical),
                ("Wheelchair slots", self.wheelchair),
            ]
        ):
            capacities.addWidget(QLabel(label), 0, column)
            capacities.addWidget(box, 1, column)

        self.add_editor_footer("reloadFlight")

        time_row = QHBoxLayout()
        time_row.addWidget(self.departure)
        time_row.addWidget(self.zone_label, 1)
        form = QFormLayout()
        form.addRow("Flight code:", self.code)
        form.addRow("Carrier:", self.carrier)
        form.addRow("Aircraft:", self.aircraft)
        form.addRow("Departure airport:", self.departure_airport)
        form.addRow("Departure (local):", time_row)
        form.addRow("", self.utc_label)
        form.addRow("Stops, in order:", self.stops)
        form.addRow("", stop_buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(capacities)
        layout.addWidget(self.messages)
        layout.addWidget(self.buttons)

        self.add_stop.clicked.connect(self._add_stop)
        self.remove_stop.clicked.connect(self._remove_stop)
        self.stop_up.clicked.connect(lambda: self._move_stop(-1))
        self.stop_down.clicked.connect(lambda: self._move_stop(1))
        self.departure_airport.currentIndexChanged.connect(self._zone_changed)
        self.departure.dateTimeChanged.connect(self._show_utc)
        self.stops.selectionModel().selectionChanged.connect(self._update_stop_buttons)
        self._load(flight)

    # ------------------------------------------------------------ fields

    def _load(self, flight: FlightRow | None) -> None:
        if flight is None:
            start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
            first_home = next((a.iata for a in self.airports.values() if not a.receiving), "")
            self.departure_airport.setCurrentIndex(max(0, self.departure_airport.findData(first_home)))
            local = start.astimezone(zone_of(self.zone_name())).replace(tzinfo=None)
            self.set_local_time(local.replace(hour=10) if local.hour < 10 else local)
            self.departure.setDateTime(self.departure.dateTime().addDays(14))
            self.seats.setValue(100)
            self.escorts.setValue(40)
        else:
            self.code.setText(flight.code)
            self.code.setReadOnly(True)
            self.code.setToolTip("The flight code identifies the flight and cannot change")
            self.carrier.setText(flight.carrier)
            self.aircraft.setText(flight.aircraft)
            self.departure_airport.setCurrentIndex(self.departure_airport.findData(flight.departure_airport))
            self.set_local_time(flight.departure_local.replace(tzinfo=None))
            self.set_stops([s.airport for s in flight.stops])
            self.seats.setValue(flight.seats)
            self.escorts.setValue(flight.escort_officers)
            self.medical.setValue(flight.medical_slots)
            self.wheelchair.setValue(flight.wheelchair_slots)
        self._zone_changed()
        self._update_stop_buttons()

    def zone_name(self) -> str:
        airport = self.airports.get(self.departure_airport.currentData() or "")
        return airport.timezone if airport else "UTC"

    def set_local_time(self, naive: datetime) -> None:
        """Set the editor to a wall-clock time of the departure airport's zone."""
        day = QDate(naive.year, naive.month, naive.day)
        self.departure.setDateTime(QDateTime(day, QTime(naive.hour, naive.minute), QTimeZone.utc()))

    def local_time(self) -> datetime:
        qt = self.departure.dateTime()
        d, t = qt.date(), qt.time()
        return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())

    def _zone_changed(self) -> None:
        self._show_utc()

    def _show_utc(self) -> None:
        name = self.zone_name()
        try:
            utc = local_to_utc(self.local_time(), name)
        except ValueError as exc:
            self.zone_label.setText(name)
            self.utc_label.setText(str(exc))
            return
        local = utc.astimezone(zone_of(name))
        offset = local.strftime("%z")
        self.zone_label.setText(f"{name} ({local.tzname()}, UTC{offset[:3]}:{offset[3:]})")
        self.utc_label.setText(f"= {utc:%Y-%m-%d %H:%M} UTC (stored)")

    def _stop_label(self, code: str) -> str:
        a = self.airports.get(code)
        return f"{code} — {a.name}, {a.city} ({a.country})" if a else code

    def stop_codes(self) -> list[str]:
        """The stops' IATA codes in order (each list entry starts with its code)."""
        return [label.split(" ", 1)[0] for label in self.stops_model.stringList()]

    def set_stops(self, codes: list[str]) -> None:
        self.stops_model.setStringList([self._stop_label(c) for c in codes])

    def _selected_stop(self) -> int:
        rows = self.stops.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def _add_stop(self) -> None:
        code = self.stop_choice.currentData()
        if code:
            self.set_stops([*self.stop_codes(), code])
            self.stops.setCurrentIndex(self.stops_model.index(len(self.stop_codes()) - 1))
        self._update_stop_buttons()

    def _remove_stop(self) -> None:
        row = self._selected_stop()
        if row >= 0:
            codes = self.stop_codes()
            del codes[row]
            self.set_stops(codes)
        self._update_stop_buttons()

    def _move_stop(self, delta: int) -> None:
        row = self._selected_stop()
        codes = self.stop_codes()
        target = row + delta
        if row < 0 or not 0 <= target < len(codes):
            return
        codes[row], codes[target] = codes[target], codes[row]
        self.set_stops(codes)
        self.stops.setCurrentIndex(self.stops_model.index(target))
        self._update_stop_buttons()

    def _update_stop_buttons(self, *_args: Any) -> None:
        row, count = self._selected_stop(), len(self.stop_codes())
        self.remove_stop.setEnabled(row >= 0)
        self.stop_up.setEnabled(row > 0)
        self.stop_down.setEnabled(0 <= row < count - 1)

    # ------------------------------------------------------------ saving

    def flight_input(self) -> FlightInput:
        """The entered flight; ``ValueError`` when the local time does not exist."""
        return FlightInput(
            code=self.code.text().strip(),
            carrier=self.carrier.text().strip(),
            aircraft=self.aircraft.text().strip(),
            departure_airport=self.departure_airport.currentData() or "",
            departure_utc=local_to_utc(self.local_time(), self.zone_name()),
            stops=tuple(self.stop_codes()),
            seats=self.seats.value(),
            escort_officers=self.escorts.value(),
            medical_slots=self.medical.value(),
            wheelchair_slots=self.wheelchair.value(),
        )

    def submit(self) -> None:
        """Save in the background; keep the dialog open and list the problems when refused."""
        try:
            data = self.flight_input()
        except ValueError as exc:
            self.show_messages([f"departure: {exc}"])
            return
        version = self.flight.version if self.flight else None
        self.buttons.setEnabled(False)
        self.show_messages([])
        self.messages.setText("Saving…")

        Operation(self).success(self._saved).failure(self._failed).run_in_uow(
            self.ctx,
            lambda uow: flights.save_flight(uow, self.actor, data, expected_version=version),
            write=True,
        )

    def _saved(self, result: SaveResult) -> None:
        self.buttons.setEnabled(True)
        self.saved = result
        self.accept()

    def _failed(self, exc: BaseException, details: str) -> None:
        self.buttons.setEnabled(True)
        if isinstance(exc, InvalidInput):
            self.show_messages(
                exc.details,
                f"Not saved — {plural(len(exc.details), 'problem')}:" if exc.details else str(exc),
            )
        elif isinstance(exc, StaleVersion):
            self.offer_reload(exc)  # saving again would be refused the same way: only a reload helps
        elif isinstance(exc, PlannerError):  # e.g. approved manifest, cancelled: reloading would not help
            self.show_messages([str(exc)])
        else:
            self.show_messages([])
            show_error(self, "The flight was not saved", exc, details)

    # ------------------------------------------------------------ reload (StaleReloadMixin)

    def read_current(self) -> Callable[[UnitOfWork], FlightRow]:
        actor, code = self.actor, self.flight.code if self.flight else self.code.text().strip()
        return lambda uow: flights.get_flight(uow, actor, code)

    def show_record(self, record: FlightRow) -> None:
        """Fill the fields from the flight as now stored; Save stays off when it may not change."""
        self.flight = record
        self._load(record)
        self.save_button.setEnabled(not record.locked_reason)
        if record.locked_reason:
            self.show_messages([f"Cannot save: {record.locked_reason}"])


# ---------------------------------------------------------------- screen


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
            [row.code, row.carrier, row.aircraft, row.departure_airport, row.stops_text, row.status]
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
            f"Cancel flight {row.code} ({row.stops_text}), departing {row.local_text}?\n\n{affected}\n"
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


__all__ = ["FlightEditorDialog", "FlightsScreen", "FlightsTableModel", "local_to_utc"]
