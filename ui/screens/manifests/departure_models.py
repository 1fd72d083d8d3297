"""What the departure view of one flight shows, read in one unit of work (``read_departure``), and
its two tables: the listed passengers per stop with their state, and the ranked reserves per stop.

``read_departure`` runs off the GUI thread (inside an ``Operation``) and only calls planner
services; it returns plain dataclasses. The table models run on the GUI thread.

A passenger's state: ``listed`` (on the revision in force, not boarded yet), ``boarded`` (airport
and time), ``struck`` (reason and note), ``pending`` (on the newest DRAFT only — a reserve moved up —
boards once that revision is approved).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from planner.domain.enums import ManifestStatus
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor
from planner.services.departure import listing
from planner.services.manifests import workflow as manifests
from planner.services.manifests.actions import IN_FORCE, FlightState
from planner.services.manifests.as_flown import STRIKE_REASON_TEXT
from planner.services.manifests.content import ManifestContent
from planner.services.people import PersonRow, people_rows
from planner.services.reserves import list_reserves
from ui.record_model import RecordTableModel

LISTED, BOARDED, STRUCK, PENDING = "listed", "boarded", "struck", "pending"
STATE_TEXT = {
    LISTED: "Listed",
    BOARDED: "Boarded",
    STRUCK: "Struck off",
    PENDING: "Awaiting approval",
}
STATE_COLOURS = {
    BOARDED: QColor("#d8efd9"),
    STRUCK: QColor("#eeeeee"),
    PENDING: QColor("#fff1c7"),
}
STRUCK_TEXT = QColor("#8a8a8a")
FLASH_COLOURS = {"ok": QColor("#66bb6a"), "again": QColor("#ffb74d")}


def reason_text(code: str) -> str:
    """A strike-off reason code in words."""
    return STRIKE_REASON_TEXT.get(code, code)


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else ""


@dataclass(frozen=True)
class Passenger:
    """One person listed on the flight (or struck off it), as the passenger table shows them."""

    stop_sequence: int
    stop: str
    case_number: str
    name: str
    family_group: str | None
    state: str
    detail: str = ""

    @property
    def state_text(self) -> str:
        return STATE_TEXT.get(self.state, self.state)


@dataclass(frozen=True)
class Reserve:
    """One member of a ranked reserve unit."""

    stop_sequence: int
    stop: str
    rank: int
    case_number: str
    name: str
    family_group: str | None
    priority: int
    placed_on: str


@dataclass(frozen=True)
class DepartureData:
    """A flight on departure day (plain data; see the module docstring)."""

    flight_code: str
    flight_status: str
    departure_utc: datetime
    departure_airport: str
    stops: tuple[tuple[int, str], ...]
    in_force: int | None
    newest: tuple[int, str] | None
    closed_at: datetime | None = None
    closed_by: str | None = None
    departed_at: datetime | None = None
    passengers: tuple[Passenger, ...] = ()
    reserves: tuple[Reserve, ...] = ()
    reserve_limit: int = 0
    messages: tuple[str, ...] = field(default=())
    #: Every pickup airport in order on a route with several pickups; empty otherwise.
    pickups: tuple[str, ...] = ()

    def count(self, state: str) -> int:
        return sum(1 for p in self.passengers if p.state == state)

    @property
    def listed_total(self) -> int:
        """People on the revision in force (boarded, struck off or still to board)."""
        return sum(1 for p in self.passengers if p.state != PENDING)

    @property
    def open_cases(self) -> int:
        return self.count(LISTED)

    @property
    def airports(self) -> tuple[str, ...]:
        """Where people may board: the departure airport (every pickup of a route), then the stops."""
        first = self.pickups or (self.departure_airport,)
        return tuple(dict.fromkeys([*first, *(a for _s, a in self.stops)]))

    def flight_state(self) -> FlightState:
        return FlightState(self.flight_code, self.flight_status)

    def family(self, case_number: str) -> list[Passenger]:
        """Everybody who comes off together with ``case_number`` (not struck off yet)."""
        person = next((p for p in self.passengers if p.case_number == case_number), None)
        if person is None:
            return []
        if not person.family_group:
            return [person]
        return sorted(
            (p for p in self.passengers if p.family_group == person.family_group and p.state != STRUCK),
            key=lambda p: p.case_number,
        )

    def counters_text(self) -> str:
        pending = self.count(PENDING)
        text = (
            f"Boarded {self.count(BOARDED)} of {self.listed_total} listed · "
            f"struck off {self.count(STRUCK)} · still to board {self.open_cases}"
        )
        return text + (f" · awaiting approval {pending}" if pending else "")

    def status_text(self) -> str:
        """The flight's departure status in one line."""
        if self.departed_at is not None:
            return f"DEPARTED at {_when(self.departed_at)}"
        if self.flight_status != "PLANNED":
            return self.flight_status
        if self.closed_at is not None:
            return f"doors closed at {_when(self.closed_at)} by {self.closed_by}"
        if self.in_force is None:
            return "manifest not approved yet: nobody may board"
        return "boarding"


def _name(family: str, given: str) -> str:
    return f"{family}, {given}" if given else family


def _rows_by_case(content: ManifestContent | None) -> dict[str, tuple[int, str, Any]]:
    """case -> (stop sequence, what the Stop column says, row); on a route with several pickups the
    column names the pickup first (``SAT → GUA``)."""
    if content is None:
        return {}
    if content.has_route:
        return {
            row.case_number: (
                stop.sequence,
                f"{content.pickup(row.pickup_sequence).airport} → {stop.airport}",
                row,
            )
            for stop in content.stops
            for row in stop.rows
        }
    return {
        row.case_number: (stop.sequence, stop.airport, row) for stop in content.stops for row in stop.rows
    }


def _struck_detail(strike: Any) -> str:
    return reason_text(strike.reason) + (f" — {strike.note}" if strike.note else "")


def _people(uow: UnitOfWork, actor: Actor, ids: list[int]) -> dict[int, PersonRow]:
    out: dict[int, PersonRow] = {}
    for start in range(0, len(ids), 300):
        out.update(people_rows(uow, actor, ids[start : start + 300]))
    return out


def _passengers(
    uow: UnitOfWork,
    actor: Actor,
    flight_id: int,
    contents: tuple[ManifestContent | None, ManifestContent | None],
    stops: dict[int, str],
) -> list[Passenger]:
    """The passengers of the revision in force, the people only on the newest draft (pending), and
    the people struck off who are on neither any more."""
    in_force, draft = contents
    struck = listing.struck_off(uow, flight_id)
    boarded = listing.boarded(uow, flight_id)
    people = _people(uow, actor, sorted(set(struck) | set(boarded)))
    struck_cases = {people[pid].case_number: s for pid, s in struck.items() if pid in people}
    boarded_cases = {people[pid].case_number: b for pid, b in boarded.items() if pid in people}
    out: list[Passenger] = []

    def add(case: str, where: tuple[int, str], row: Any, state: str, detail: str) -> None:
        seq, airport = where
        name = _name(row.family_name, row.given_names)
        out.append(
            Passenger(seq, f"{seq} {airport}".strip(), case, name, row.family_group or None, state, detail)
        )

    listed = _rows_by_case(in_force)
    for case, (seq, airport, row) in listed.items():
        if case in struck_cases:
            add(case, (seq, airport), row, STRUCK, _struck_detail(struck_cases[case]))
        elif case in boarded_cases:
            b = boarded_cases[case]
            add(case, (seq, airport), row, BOARDED, f"{b.airport} {_when(b.boarded_at)}")
        else:
            add(case, (seq, airport), row, LISTED, "")
    for case, (seq, airport, row) in _rows_by_case(draft).items():
        if case not in listed and case not in struck_cases:
            detail = (
                f"on DRAFT revision {draft.revision}: boards once it is approved" if draft is not None else ""
            )
            add(case, (seq, airport), row, PENDING, detail)
    shown = {p.case_number for p in out}
    for pid, strike in struck.items():  # struck off and on no revision shown any more
        person = people.get(pid)
        if person is not None and person.case_number not in shown:
            where = (strike.stop_sequence, stops.get(strike.stop_sequence, ""))
            add(person.case_number, where, person, STRUCK, _struck_detail(strike))
    route = next((c for c in contents if c is not None and c.has_route), None)
    if route is not None:  # the boarding list groups per pickup: in pickup order, then by stop
        pickup_of = {r.case_number: r.pickup_sequence for stop in route.stops for r in stop.rows}
        out.sort(key=lambda p: (pickup_of.get(p.case_number, 0), p.stop_sequence, p.case_number))
    else:
        out.sort(key=lambda p: (p.stop_sequence, p.case_number))
    return out


def read_departure(uow: UnitOfWork, actor: Actor, flight_code: str, *, now: datetime) -> DepartureData:
    """Officer+: the departure view of ``flight_code`` at ``now`` (reads only)."""
    reserves = list_reserves(uow, actor, flight_code, now=now)  # the role check
    infos = manifests.list_manifests(uow, actor, flight_code)
    in_force = next((m.revision for m in infos if m.status in IN_FORCE), None)
    newest = infos[0] if infos else None
    flight = listing.flight_named(uow, flight_code)
    force_content = (
        manifests.manifest_content(uow, actor, flight_code, revision=in_force) if in_force else None
    )
    draft_content = (
        manifests.manifest_content(uow, actor, flight_code, revision=newest.revision)
        if newest is not None and newest.status == ManifestStatus.DRAFT.value
        else None
    )
    base = force_content or draft_content
    stops = tuple((s.sequence, s.airport) for s in base.stops) if base else ()
    passengers = _passengers(uow, actor, flight.id, (force_content, draft_content), dict(stops))
    reserve_rows = [
        Reserve(
            unit.stop_sequence,
            f"{unit.stop_sequence} {unit.airport}",
            unit.rank,
            m.case_number,
            _name(m.family_name, m.given_names),
            unit.family_group,
            m.priority,
            unit.placed_on or "",
        )
        for unit in reserves.units
        for m in unit.members
    ]
    return DepartureData(
        flight_code=flight.code,
        flight_status=flight.status,
        departure_utc=flight.departure_utc,
        departure_airport=flight.departure_airport,
        stops=stops,
        in_force=in_force,
        newest=(newest.revision, newest.status) if newest else None,
        closed_at=flight.closed_at,
        closed_by=flight.closed_by,
        departed_at=flight.departed_at,
        passengers=tuple(passengers),
        reserves=tuple(reserve_rows),
        reserve_limit=reserves.limit,
        pickups=tuple(p.airport for p in base.pickups) if base is not None else (),
    )


PASSENGER_COLUMNS = [
    ("stop", "Stop"),
    ("case_number", "Case number"),
    ("name", "Name"),
    ("family_group", "Family"),
    ("state_text", "State"),
    ("detail", "Boarded at / reason"),
]
RESERVE_COLUMNS = [
    ("stop", "Stop"),
    ("rank", "Rank"),
    ("case_number", "Case number"),
    ("name", "Name"),
    ("family_group", "Family"),
    ("priority", "Priority"),
    ("placed_on", "Placed on"),
]

Index = QModelIndex | QPersistentModelIndex


class PassengerModel(RecordTableModel):
    """The passengers with their state as the row colour; one row may flash (scan feedback)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(PASSENGER_COLUMNS, parent)
        #: case number -> flash kind ("ok", "again") while its row flashes.
        self.flashing: dict[str, str] = {}

    def row_of(self, case_number: str) -> int | None:
        return next((n for n, p in enumerate(self.records()) if p.case_number == case_number), None)

    def replace_record(self, row: int, record: Passenger) -> None:
        """Show ``record`` in ``row`` (the same person, a new state)."""
        self._records[row] = record
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def flash(self, case_number: str, kind: str) -> None:
        self.flashing[case_number] = kind
        self._repaint(case_number)

    def unflash(self, case_number: str) -> None:
        if self.flashing.pop(case_number, None) is not None:
            self._repaint(case_number)

    def _repaint(self, case_number: str) -> None:
        row = self.row_of(case_number)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole):
            if not 0 <= index.row() < self.rowCount():
                return None
            record: Passenger = self.record(index.row())
            if role == Qt.ItemDataRole.BackgroundRole:
                kind = self.flashing.get(record.case_number)
                colour = FLASH_COLOURS[kind] if kind else STATE_COLOURS.get(record.state)
                return QBrush(colour) if colour is not None else None
            return QBrush(STRUCK_TEXT) if record.state == STRUCK else None
        return super().data(index, role)


class ReserveModel(RecordTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            RESERVE_COLUMNS,
            parent,
            alignments={"rank": Qt.AlignmentFlag.AlignRight, "priority": Qt.AlignmentFlag.AlignRight},
        )


__all__ = [
    "BOARDED",
    "LISTED",
    "PENDING",
    "STRUCK",
    "DepartureData",
    "Passenger",
    "PassengerModel",
    "Reserve",
    "ReserveModel",
    "read_departure",
    "reason_text",
]
