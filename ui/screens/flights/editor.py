"""The flight editor dialog: code, carrier, aircraft, the first pickup (departure airport and local
time), later pickups (``IATA@local time with offset;…``, checked as typed), stops in order
(any known IATA code may be typed) and capacities. Saving runs ``save_flight`` in the background.

Threading: GUI thread only; the save and the reload run as ``ui.operations.Operation``s.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import QDate, QDateTime, QStringListModel, QTime, QTimeZone
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from planner.domain import fields as f
from planner.domain.errors import InvalidInput, PlannerError, StaleVersion
from planner.domain.route import Drop, Pickup, Route, route_problems
from planner.domain.wording import plural
from planner.persistence.context import AppContext
from planner.persistence.uow import UnitOfWork
from planner.services import flights
from planner.services.auth import Actor
from planner.services.flights import AirportChoice, FlightInput, FlightRow, SaveResult
from planner.services.routes import parse_pickups
from ui.errors import show_error
from ui.operations import Operation
from ui.stale_reload import EditorDialogMixin

#: The later pickups field's example and help.
PICKUPS_EXAMPLE = "SAT@2027-01-05T09:00-06:00; AEX@2027-01-05T12:30-06:00"
PICKUPS_HELP = (
    "Optional: further airports the flight picks people up at after the departure, in order — "
    "each IATA@local time with its UTC offset, separated by ';'. E.g. " + PICKUPS_EXAMPLE
)
ERROR_STYLE = "color: #a40000;"
HINT_STYLE = "color: #555;"


def _code_only(value: str) -> str:
    """A typed pickup airport: three letters, upper-cased (the service checks it is known)."""
    code = value.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise f.FieldError(f"{f.show(value)} is not a three-letter IATA airport code")
    return code


def _line_edit(parent: QWidget, name: str, max_length: int, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setObjectName(name)
    edit.setMaxLength(max_length)
    edit.setPlaceholderText(placeholder)
    return edit


def _label(parent: QWidget, name: str, style: str = "", text: str = "", *, wrap: bool = False) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName(name)
    label.setWordWrap(wrap)
    if style:
        label.setStyleSheet(style)
    return label


def _tool_button(parent: QWidget, text: str, tip: str) -> QToolButton:
    button = QToolButton(parent)
    button.setText(text)
    button.setToolTip(tip)
    return button


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

        self.code = _line_edit(self, "code", 16, "e.g. RF0101")
        self.carrier = _line_edit(self, "carrier", 100)
        self.aircraft = _line_edit(self, "aircraft", 50)
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
        self.zone_label = _label(self, "zoneLabel")
        self.utc_label = _label(self, "utcLabel", HINT_STYLE)
        stop_buttons = self._build_stops(airports)
        self._build_pickups()
        capacities = self._build_capacities()

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
        form.addRow("Later pickups:", self.pickups)
        form.addRow("", self.pickups_error)
        form.addRow("", self.pickups_help)
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
        self.departure.dateTimeChanged.connect(self.check_pickups)
        self.departure_airport.currentIndexChanged.connect(self.check_pickups)
        self.pickups.textChanged.connect(self.check_pickups)
        self.stops.selectionModel().selectionChanged.connect(self._update_stop_buttons)
        self._load(flight)

    # ------------------------------------------------------------ building

    def _build_stops(self, airports: list[AirportChoice]) -> QHBoxLayout:
        """The stops list, the stop choice (any IATA code may be typed) and its buttons."""
        self.stops_model = QStringListModel(self)
        self.stops = QListView(self)
        self.stops.setObjectName("stops")
        self.stops.setModel(self.stops_model)
        self.stops.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.stops.setMaximumHeight(90)
        self.stop_choice = QComboBox(self)
        self.stop_choice.setObjectName("stopChoice")
        # Every country is a destination: the office's airports (those of countries with their own
        # rule first), and any other IATA code may be typed (the world table is checked on save).
        self.stop_choice.setEditable(True)
        self.stop_choice.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.stop_choice.setToolTip(
            "Choose or type an IATA code; a country without its own rule runs on the default rule"
        )
        for a in sorted(airports, key=lambda a: (not a.receiving, a.country, a.iata)):
            self.stop_choice.addItem(f"{a.iata} — {a.city} ({a.country})", a.iata)
        self.add_stop = _tool_button(self, "Add", "Add the chosen airport as the last stop")
        self.remove_stop = _tool_button(self, "Remove", "Remove the selected stop")
        self.stop_up = _tool_button(self, "Up", "Move the selected stop earlier")
        self.stop_down = _tool_button(self, "Down", "Move the selected stop later")
        row = QHBoxLayout()
        row.addWidget(self.stop_choice, 1)
        for button in (self.add_stop, self.remove_stop, self.stop_up, self.stop_down):
            row.addWidget(button)
        return row

    def _build_pickups(self) -> None:
        """The later pickups field, its help and its inline error."""
        self.pickups = _line_edit(self, "pickups", 2000, PICKUPS_EXAMPLE)
        self.pickups.setToolTip(PICKUPS_HELP)
        self.pickups_help = _label(self, "pickupsHelp", HINT_STYLE, PICKUPS_HELP, wrap=True)
        self.pickups_error = _label(self, "pickupsError", ERROR_STYLE, wrap=True)
        self.pickups_error.hide()

    def _build_capacities(self) -> QGridLayout:
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
        return capacities

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
            self.pickups.setText(flight.later_pickups_text.replace(";", "; "))
            self.seats.setValue(flight.seats)
            self.escorts.setValue(flight.escort_officers)
            self.medical.setValue(flight.medical_slots)
            self.wheelchair.setValue(flight.wheelchair_slots)
        self._zone_changed()
        self._update_stop_buttons()
        self.check_pickups()

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

    def chosen_stop(self) -> str:
        """The chosen or typed stop's IATA code ("" when none)."""
        text = self.stop_choice.currentText().strip()
        index = self.stop_choice.findText(text)
        if index >= 0:
            return str(self.stop_choice.itemData(index))
        return text.split(" ", 1)[0].upper() if text else ""

    def _add_stop(self) -> None:
        code = self.chosen_stop()
        if code:
            self.set_stops([*self.stop_codes(), code])
            self.stops.setCurrentIndex(self.stops_model.index(len(self.stop_codes()) - 1))
            self.check_pickups()
        self._update_stop_buttons()

    def _remove_stop(self) -> None:
        row = self._selected_stop()
        if row >= 0:
            codes = self.stop_codes()
            del codes[row]
            self.set_stops(codes)
            self.check_pickups()
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
            pickups=self.pickups.text().strip(),
        )

    # ------------------------------------------------------------ later pickups

    def pickups_problem(self) -> str:
        """The first problem of the later pickups as typed ("" when none is visible here):
        syntax, offsets, order after the departure, a pickup that is a stop. Whether each airport
        is known is checked on save (the world table lives in the service)."""
        text = self.pickups.text().strip()
        if not text:
            return ""
        try:
            later = parse_pickups(text, _code_only)
        except f.FieldError as exc:
            return str(exc)
        try:
            departure = local_to_utc(self.local_time(), self.zone_name())
        except ValueError:
            return ""  # the departure time's own message is shown under it
        first = Pickup(0, self.departure_airport.currentData() or "", departure)
        route = Route(
            (first, *(Pickup(i, a, t) for i, (a, t) in enumerate(later, 1))),
            tuple(Drop(i, a) for i, a in enumerate(self.stop_codes(), 1)),
        )
        problems = [p for p in route_problems(route) if "at least one stop" not in p]
        return problems[0] if problems else ""

    def check_pickups(self, *_args: Any) -> None:
        """Show the later pickups' problem under the field, as typed."""
        problem = self.pickups_problem()
        self.pickups_error.setText(problem)
        self.pickups_error.setVisible(bool(problem))
        self.pickups.setStyleSheet("QLineEdit { border: 1px solid #a40000; }" if problem else "")

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
            inline = [d.removeprefix("pickups: ") for d in exc.details if d.startswith("pickups: ")]
            if inline:  # the service's word (e.g. an unknown airport) also under the field
                self.pickups_error.setText(inline[0])
                self.pickups_error.show()
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


__all__ = ["FlightEditorDialog", "local_to_utc", "zone_of"]
