"""Flights: the list the window shows (with route, per-leg plan load and manifest state), one
flight, and the editor's writes — create, update (optimistic locking) and cancel.

Every function takes ``(uow, actor, …)`` and calls :func:`planner.services.auth.authorize` first; reads need
officer, writes need officer. Writers work inside the caller's unit of work and commit it
themselves (one flight per call), so the window can run them as ``work(uow)``. Results are plain
frozen dataclasses, safe to hand from the worker thread to the GUI thread.

Rules of :func:`save_flight` (field formats shared with the flight schedule import,
:mod:`planner.domain.flight_fields`):

- the flight code, airports and capacities are parsed by the import's field parsers; medical and
  wheelchair slots do not exceed seats; seats are not below the people frozen on the flight by an
  approved manifest;
- airports: any known airport (the office's own table, then the world dataset,
  :class:`planner.services.airports.AirportCatalog`); an unknown code is one error naming the
  closest known codes; dataset airports are copied into the database (audited) when saved;
- stops: at least one, in order, none twice, none the departure airport; any country (a country
  without its own ``CountryRule`` runs on the default rule);
- later pickups (``FlightInput.pickups``): the flights CSV text ``IATA@ISO8601;…``
  (:func:`planner.services.routes.parse_pickups`), each after the one before, the last before the
  first stop's arrival when known, none a stop or listed twice
  (:func:`planner.domain.route.route_problems`); a pickup where people of the current draft plan
  board may not be removed or moved in the order (re-plan first);
- a new flight (or a changed departure time) departs in the future;
- a flight whose manifest is APPROVED or SIGNED is not changed (``Conflict``: prepare and approve a
  new revision instead); neither is a CANCELLED or DEPARTED flight;
- ``expected_version`` is the version the editor read; a different current version is refused
  with ``StaleVersion`` (a ``Conflict``) naming who changed the flight and when (from the audit
  log). ``None`` means *create*: a code that exists already is invalid input.

A stop that plan assignments refer to cannot be removed (re-plan first); stops that stay keep
their identity when reordered. Audit: ``flight.create`` / ``flight.update`` / ``flight.cancel``
with ``{field: [old, new]}`` (stops as ``AAA;BBB``, later pickups as ``AAA@2027-01-05T15:00Z;…``),
entity ``flight``, id the flight code.

Per-leg load (``FlightRow.leg_loads``): the people of the current draft plan aboard each leg of the
route (boarding at ``Assignment.pickup_sequence``, leaving at their stop), counted in one grouped
query for the whole list; ``load_factor`` is the fullest leg over the seats.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from planner.domain import fields as f
from planner.domain.enums import FlightStatus, Role
from planner.domain.errors import Conflict, InvalidInput, NotFound, StaleVersion
from planner.domain.flight_fields import ESCORTS, FLIGHT_CODE, FLIGHT_FIELDS, SEATS, SLOTS
from planner.domain.route import Drop, Pickup, Route, route_problems
from planner.domain.wording import plural
from planner.persistence import audit
from planner.persistence.models import (
    Airport,
    Assignment,
    CountryRule,
    Flight,
    FlightPickup,
    FlightStop,
    Manifest,
    utc_now,
)
from planner.persistence.uow import UnitOfWork
from planner.services.airports import AirportCatalog
from planner.services.auth import Actor, authorize
from planner.services.current_plan import current_draft_plan_id
from planner.services.flight_rows import FlightRow, PickupRow, StopRow, flight_fields, flight_rows
from planner.services.manifests.workflow import IN_FORCE
from planner.services.routes import (
    parse_pickups,
    pickup_change_problems,
    pickups_text,
    write_pickups,
)

log = logging.getLogger(__name__)

#: The audit events' ``entity`` for flights (``entity_id``: the flight code).
ENTITY = "flight"
#: What the editor changes and audits: the flight's own fields, its stops (``AAA;BBB``) and its
#: later pickups (``routes.pickups_text``).
_AUDITED = (*FLIGHT_FIELDS, "stops", "pickups")
#: Audited keys that are not ``Flight`` columns.
_ROUTE_KEYS = ("stops", "pickups")


@dataclass(frozen=True)
class AirportChoice:
    """An airport of the office's table for the editor; ``receiving``: its country has its own
    rule (every airport may be a stop; others run on the default rule)."""

    iata: str
    name: str
    city: str
    country: str
    timezone: str
    receiving: bool


@dataclass(frozen=True)
class FlightInput:
    """What the editor sends. ``departure_utc`` is timezone-aware; ``stops`` are IATA codes in order;
    ``pickups`` the later pickups as the flights CSV writes them (``SAT@2027-01-05T09:00-06:00;…``,
    "" for none)."""

    code: str
    carrier: str
    aircraft: str
    departure_airport: str
    departure_utc: datetime
    stops: tuple[str, ...]
    seats: int
    escort_officers: int
    medical_slots: int = 0
    wheelchair_slots: int = 0
    pickups: str = ""


@dataclass(frozen=True)
class SaveResult:
    flight: FlightRow
    created: bool
    changes: dict[str, list[Any]] = field(default_factory=dict)


# ---------------------------------------------------------------- reads


def list_flights(
    uow: UnitOfWork,
    actor: Actor,
    *,
    include_past: bool = False,
    now: datetime | None = None,
    until: datetime | None = None,
) -> list[FlightRow]:
    """Flights in departure order; without ``include_past`` only those departing after ``now``
    (default: the current time); with ``until`` only those departing before it."""
    authorize(uow, actor, Role.OFFICER, "flights.read")
    where = []
    if not include_past:
        where.append(Flight.departure_utc > (now or utc_now()))
    if until is not None:
        where.append(Flight.departure_utc < until)
    return flight_rows(uow, flight_fields(uow, *where))


def _flight(uow: UnitOfWork, code: str) -> Flight:
    flight = uow.session.execute(sa.select(Flight).where(Flight.code == code)).scalar_one_or_none()
    if flight is None:
        raise NotFound(f"there is no flight {code}")
    return flight


def get_flight(uow: UnitOfWork, actor: Actor, code: str) -> FlightRow:
    """One flight by code; ``NotFound`` when there is none."""
    authorize(uow, actor, Role.OFFICER, "flights.read")
    return flight_rows(uow, [_flight(uow, code)])[0]


def airport_choices(uow: UnitOfWork, actor: Actor) -> list[AirportChoice]:
    """The office's airports for the editor's combos (any other known IATA code may be typed);
    ``receiving`` marks airports whose country has its own rule."""
    authorize(uow, actor, Role.OFFICER, "flights.read")
    receiving = set(uow.session.execute(sa.select(CountryRule.country)).scalars())
    return [
        AirportChoice(a.iata, a.name, a.city, a.country, a.timezone, a.country in receiving)
        for a in uow.session.execute(sa.select(Airport).order_by(Airport.country, Airport.iata)).scalars()
    ]


# ---------------------------------------------------------------- writes


def _check_version(uow: UnitOfWork, flight: Flight, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != flight.version:
        who = audit.last_change(uow, ENTITY, flight.code)
        raise StaleVersion(
            f"flight {flight.code} was changed by {who} since you opened it "
            f"(version {flight.version}, yours {expected_version}); reload it and apply your change again"
        )


def _check_not_locked(uow: UnitOfWork, flight: Flight, doing: str) -> None:
    status = uow.session.execute(
        sa.select(Manifest.status)
        .where(Manifest.flight_id == flight.id, Manifest.status.in_(IN_FORCE))
        .order_by(Manifest.revision.desc())
        .limit(1)
    ).scalar_one_or_none()
    if status is not None:
        raise Conflict(
            f"flight {flight.code}'s manifest is {status.lower()}, so the flight cannot be {doing}; "
            "a new manifest revision is needed (take people off it on the Manifests screen first)"
        )
    if flight.status != FlightStatus.PLANNED.value:
        raise Conflict(f"flight {flight.code} is {flight.status} and cannot be {doing}")


def _as_input(data: FlightInput | Mapping[str, Any]) -> FlightInput:
    if isinstance(data, FlightInput):
        return data
    values = dict(data)
    values["stops"] = tuple(values.get("stops") or ())
    return FlightInput(**values)


@dataclass(frozen=True)
class _Valid:
    """A validated editor input: ``Flight`` column values, stops, later pickups."""

    values: dict[str, Any]
    stops: tuple[str, ...]
    pickups: tuple[tuple[str, datetime], ...]

    @property
    def airports(self) -> set[str]:
        return {self.values["departure_airport"], *self.stops, *(a for a, _ in self.pickups)}

    def audited(self) -> dict[str, Any]:
        """The audited values: columns, ``stops`` as ``AAA;BBB``, ``pickups`` as ``pickups_text``."""
        later = (Pickup(i, a, t) for i, (a, t) in enumerate(self.pickups, 1))
        return {k: self.values[k] for k in FLIGHT_FIELDS} | {
            "stops": ";".join(self.stops),
            "pickups": pickups_text(later),
        }


class _Checker:
    """Collects one ``field: message`` line per problem."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def check(self, name: str, parser: Any, value: Any) -> Any:
        """``parser(value)`` (trimmed), or None with the problem noted (empty: "required")."""
        text = "" if value is None else str(value).strip()
        if not text:
            self.errors.append(f"{name}: required")
            return None
        try:
            return parser(text)
        except f.FieldError as exc:
            self.errors.append(f"{name}: {exc}")
            return None

    def text(self, name: str, value: str | None, limit: int) -> str:
        """A required free-text field of at most ``limit`` characters."""
        text = (value or "").strip()
        if not text:
            self.errors.append(f"{name}: required")
        elif len(text) > limit:
            self.errors.append(f"{name}: at most {limit} characters")
        elif f.CONTROL_CHARS.search(text):
            self.errors.append(f"{name}: contains control characters")
        return text

    def departure(self, value: Any, existing: Flight | None, now: datetime) -> datetime | None:
        """The departure in UTC: aware, and in the future when new or moved."""
        if not isinstance(value, datetime) or value.tzinfo is None:
            self.errors.append("departure_utc: a date and time with a time zone is required")
            return None
        when = value.astimezone(UTC)
        moved = existing is None or existing.departure_utc != when
        if moved and when <= now:
            self.errors.append(f"departure_utc: {when:%Y-%m-%d %H:%M} UTC is not in the future")
        return when

    def stops(self, raw: Sequence[str], parse_airport: Any, departure: str | None) -> list[str]:
        """The stops' codes in order: at least one, none twice, none the departure airport."""
        stops: list[str] = []
        if not raw:
            self.errors.append("stops: at least one stop is required")
        for number, value in enumerate(raw, 1):
            stop = self.check(f"stop {number}", parse_airport, value)
            if stop is None:
                continue
            if stop in stops:
                self.errors.append(f"stop {number}: {stop} is listed twice")
            elif stop == departure:
                self.errors.append(f"stop {number}: {stop} is the departure airport")
            stops.append(stop)
        return stops


def _frozen_on(uow: UnitOfWork, flight: Flight) -> int:
    """People of the current draft plan frozen on ``flight``."""
    plan_id = current_draft_plan_id(uow)
    if plan_id is None:
        return 0
    return int(
        uow.session.execute(
            sa.select(sa.func.count())
            .select_from(Assignment)
            .join(FlightStop, FlightStop.id == Assignment.flight_stop_id)
            .where(
                Assignment.plan_run_id == plan_id,
                Assignment.frozen.is_(True),
                FlightStop.flight_id == flight.id,
            )
        ).scalar_one()
    )


def _validate(
    uow: UnitOfWork, catalog: AirportCatalog, data: FlightInput, existing: Flight | None, now: datetime
) -> _Valid:
    """The validated input, or ``InvalidInput`` listing every bad field (one line each)."""
    c = _Checker()
    errors = c.errors
    code = c.check("code", FLIGHT_CODE, data.code)
    if code is not None and len(code) > 16:
        errors.append("code: at most 16 characters")
    taken = existing is None and code is not None
    if taken and uow.session.execute(sa.select(Flight.id).where(Flight.code == code)).first() is not None:
        errors.append(f"code: flight {code} exists already")
    values: dict[str, Any] = {
        "carrier": c.text("carrier", data.carrier, 100),
        "aircraft": c.text("aircraft", data.aircraft, 50),
        "departure_airport": c.check("departure_airport", catalog.parse, data.departure_airport),
        "departure_utc": c.departure(data.departure_utc, existing, now),
    }
    for name, parser in (
        ("seats", SEATS),
        ("escort_officers", ESCORTS),
        ("medical_slots", SLOTS),
        ("wheelchair_slots", SLOTS),
    ):
        values[name] = c.check(name, parser, getattr(data, name))
    seats = values["seats"]
    for slot in ("medical_slots", "wheelchair_slots"):
        if values[slot] is not None and seats is not None and values[slot] > seats:
            errors.append(f"{slot}: {values[slot]} exceeds the {seats} seats")
    stops = c.stops(data.stops, catalog.parse, values["departure_airport"])
    pickups, problems = _route_check(
        uow,
        data.pickups,
        catalog.parse,
        existing=existing,
        departure=values["departure_airport"],
        when=values["departure_utc"],
        stops=stops,
    )
    errors.extend(problems)
    if existing is not None and seats is not None and seats < (frozen := _frozen_on(uow, existing)):
        errors.append(f"seats: {seats} is fewer than the {frozen} people frozen on the flight")
    if existing is not None and not errors:
        errors.extend(_removal_problems(uow, existing, stops, pickups))
    if errors:
        raise InvalidInput(f"the flight was not saved: {plural(len(errors), 'problem')}", errors)
    values["code"] = code
    return _Valid(values, tuple(stops), pickups)


def _route_check(
    uow: UnitOfWork,
    text: str,
    parse_airport: Any,
    *,
    existing: Flight | None,
    departure: str | None,
    when: datetime | None,
    stops: Sequence[str],
) -> tuple[tuple[tuple[str, datetime], ...], list[str]]:
    """The later pickups parsed from ``text`` and the problems of the route they make."""
    try:
        pickups = parse_pickups(text or "", parse_airport)
    except f.FieldError as exc:
        return (), [f"pickups: {exc}"]
    if departure is None or when is None or not stops:
        return pickups, []
    arrivals = _stop_arrivals(uow, existing)
    route = Route(
        (Pickup(0, departure, when), *(Pickup(i, a, t) for i, (a, t) in enumerate(pickups, 1))),
        tuple(Drop(i, a, arrivals.get(a)) for i, a in enumerate(dict.fromkeys(stops), 1) if a != departure),
    )
    return pickups, [f"pickups: {problem}" for problem in route_problems(route)]


def _removal_problems(
    uow: UnitOfWork, existing: Flight, stops: Sequence[str], pickups: Sequence[tuple[str, datetime]]
) -> list[str]:
    """Stops or pickups of ``existing`` that people of a plan use and the change removes or moves."""
    assert existing.id is not None
    s = uow.session
    errors: list[str] = []
    old = {
        sid: airport
        for sid, airport in s.execute(
            sa.select(FlightStop.id, FlightStop.airport).where(FlightStop.flight_id == existing.id)
        )
    }
    gone = [sid for sid, airport in old.items() if airport not in stops]
    if gone:
        used = set(
            s.execute(
                sa.select(Assignment.flight_stop_id).where(Assignment.flight_stop_id.in_(gone)).distinct()
            ).scalars()
        )
        for sid in sorted(used):
            errors.append(f"stops: stop {old[sid]} has people assigned by a plan; re-plan before removing it")
    old_pickups = list(
        s.execute(
            sa.select(FlightPickup.airport)
            .where(FlightPickup.flight_id == existing.id)
            .order_by(FlightPickup.sequence)
        ).scalars()
    )
    new_pickups = [a for a, _ in pickups]
    if old_pickups != new_pickups:
        errors.extend(
            f"pickups: {problem}"
            for problem in pickup_change_problems(uow, existing.id, old_pickups, new_pickups)
        )
    return errors


def _stop_arrivals(uow: UnitOfWork, existing: Flight | None) -> dict[str, datetime]:
    """Known arrival times of ``existing``'s stops, by airport (kept when a stop stays)."""
    if existing is None:
        return {}
    arrivals: dict[str, datetime] = {}
    for airport, arrival in uow.session.execute(
        sa.select(FlightStop.airport, FlightStop.arrival_utc).where(FlightStop.flight_id == existing.id)
    ):
        if arrival is not None:
            arrivals[airport] = arrival
    return arrivals


def _replace_stops(uow: UnitOfWork, flight_id: int, stops: tuple[str, ...]) -> None:
    """Keep rows of stops that stay (renumbered), delete the others, add the new ones."""
    s = uow.session
    table = FlightStop.__table__
    old = {
        airport: sid
        for sid, airport in s.execute(
            sa.select(FlightStop.id, FlightStop.airport).where(FlightStop.flight_id == flight_id)
        )
    }
    gone = [sid for airport, sid in old.items() if airport not in stops]
    if gone:
        s.execute(sa.delete(table).where(table.c.id.in_(gone)))
    kept = [old[a] for a in stops if a in old]
    if kept:  # park kept rows out of the way of the (flight_id, sequence) unique key
        s.execute(sa.update(table).where(table.c.id.in_(kept)).values(sequence=-table.c.id))
    for sequence, airport in enumerate(stops, 1):
        if airport in old:
            s.execute(sa.update(table).where(table.c.id == old[airport]).values(sequence=sequence))
        else:
            s.execute(sa.insert(table).values(flight_id=flight_id, sequence=sequence, airport=airport))


def _stops_text(uow: UnitOfWork, flight_id: int) -> str:
    return ";".join(
        uow.session.execute(
            sa.select(FlightStop.airport)
            .where(FlightStop.flight_id == flight_id)
            .order_by(FlightStop.sequence)
        ).scalars()
    )


def _pickups_text(uow: UnitOfWork, flight_id: int) -> str:
    return pickups_text(
        Pickup(seq, airport, when)
        for seq, airport, when in uow.session.execute(
            sa.select(FlightPickup.sequence, FlightPickup.airport, FlightPickup.departure_utc)
            .where(FlightPickup.flight_id == flight_id)
            .order_by(FlightPickup.sequence)
        )
    )


def save_flight(
    uow: UnitOfWork,
    actor: Actor,
    data: FlightInput | Mapping[str, Any],
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> SaveResult:
    """Officer+: create (``expected_version`` None) or update the flight ``data.code``; commits.

    Raises ``InvalidInput`` (``details``: one ``field: message`` per problem; nothing written, no
    audit event), ``StaleVersion`` (a ``Conflict``: stale version), ``Conflict`` (approved/signed
    manifest, cancelled/departed flight) or ``NotFound``."""
    code, created, changes = write_flight(uow, actor, data, expected_version=expected_version, now=now)
    if created or changes:
        uow.commit()
    if changes and not created:
        uow.session.expire_all()
    return SaveResult(get_flight(uow, actor, code), created, changes)


def write_flight(
    uow: UnitOfWork,
    actor: Actor,
    data: FlightInput | Mapping[str, Any],
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> tuple[str, bool, dict[str, list[Any]]]:
    """``save_flight`` without the commit, for a service that saves several flights in one
    transaction (``schedule accept``) and commits once: validates, writes and audits; returns the
    flight's code, whether it was created, and the audited changes (empty: nothing to change)."""
    authorize(uow, actor, Role.OFFICER, "flights.edit")
    data = _as_input(data)
    now = now or utc_now()
    s = uow.session
    existing = None
    if expected_version is not None:
        existing = _flight(uow, (data.code or "").strip())
        _check_version(uow, existing, expected_version)
        _check_not_locked(uow, existing, "changed")
    catalog = AirportCatalog.load(uow)
    valid = _validate(uow, catalog, data, existing, now)
    new = valid.audited()
    if existing is None:
        catalog.ensure_in_database(uow, actor, valid.airports)
        flight = Flight(
            code=valid.values["code"], status=FlightStatus.PLANNED.value, version=1, **new_columns(new)
        )
        s.add(flight)
        s.flush()
        assert flight.id is not None
        s.execute(
            sa.insert(FlightStop.__table__),
            [{"flight_id": flight.id, "sequence": i, "airport": a} for i, a in enumerate(valid.stops, 1)],
        )
        write_pickups(uow, flight.id, valid.pickups)
        if not new["pickups"]:
            del new["pickups"]  # a single-pickup flight's create event reads as before
        changes = audit.changed_fields({}, {"code": flight.code, **new})
        audit.record(uow, audit.AuditEntry(actor.username, "flight.create", ENTITY, flight.code, changes))
        return flight.code, True, changes
    assert existing.id is not None
    old = {k: getattr(existing, k) for k in FLIGHT_FIELDS} | {
        "stops": _stops_text(uow, existing.id),
        "pickups": _pickups_text(uow, existing.id),
    }
    changes = audit.changed_fields(old, new)
    if not changes:
        return existing.code, False, {}
    catalog.ensure_in_database(uow, actor, valid.airports)
    table = Flight.__table__
    updated: sa.CursorResult[Any] = s.execute(  # type: ignore[assignment]  # DML: a CursorResult
        sa.update(table)
        .where(table.c.id == existing.id, table.c.version == existing.version)
        .values(version=existing.version + 1, **new_columns(new))
    )
    if updated.rowcount != 1:  # changed between our read and write
        raise StaleVersion(
            f"flight {existing.code} was changed by {audit.last_change(uow, ENTITY, existing.code)} meanwhile"
        )
    if "stops" in changes:
        _replace_stops(uow, existing.id, valid.stops)
    if "pickups" in changes:
        write_pickups(uow, existing.id, valid.pickups)
    audit.record(uow, audit.AuditEntry(actor.username, "flight.update", ENTITY, existing.code, changes))
    return existing.code, False, changes


def new_columns(values: Mapping[str, Any]) -> dict[str, Any]:
    """The ``Flight`` column values among editor ``values`` (everything but stops and pickups)."""
    return {k: v for k, v in values.items() if k not in _ROUTE_KEYS}


def cancel_flight(uow: UnitOfWork, actor: Actor, code: str, *, expected_version: int) -> FlightRow:
    """Officer+: mark the flight CANCELLED (people placed on it stay in the plan until the next
    plan run moves them); commits. ``StaleVersion`` on a stale version; ``Conflict`` on an
    approved/signed manifest or a flight that is not PLANNED."""
    authorize(uow, actor, Role.OFFICER, "flights.cancel")
    flight = _flight(uow, code)
    _check_version(uow, flight, expected_version)
    _check_not_locked(uow, flight, "cancelled")
    placed = flight_rows(uow, [flight])[0].placed
    table = Flight.__table__
    updated: sa.CursorResult[Any] = uow.session.execute(  # type: ignore[assignment]  # DML: a CursorResult
        sa.update(table)
        .where(table.c.id == flight.id, table.c.version == flight.version)
        .values(status=FlightStatus.CANCELLED.value, version=flight.version + 1)
    )
    if updated.rowcount != 1:
        raise StaleVersion(f"flight {code} was changed by {audit.last_change(uow, ENTITY, code)} meanwhile")
    audit.record(
        uow,
        audit.AuditEntry(
            actor.username,
            "flight.cancel",
            ENTITY,
            code,
            {"status": [flight.status, FlightStatus.CANCELLED.value], "placed_people": placed},
        ),
    )
    uow.commit()
    uow.session.expire_all()
    return get_flight(uow, actor, code)


def as_dict(row: FlightRow) -> dict[str, Any]:
    """A ``FlightRow`` as plain JSON-able data (for the command line and exports)."""
    data = asdict(row)
    data["stops"] = [asdict(st) for st in row.stops]
    data["pickups"] = [asdict(p) for p in row.pickups]
    data["leg_loads"] = list(row.leg_loads)
    data["route"] = row.route_text
    return data


__all__ = [
    "AirportChoice",
    "FlightInput",
    "FlightRow",
    "PickupRow",
    "SaveResult",
    "StopRow",
    "airport_choices",
    "cancel_flight",
    "get_flight",
    "list_flights",
    "save_flight",
    "write_flight",
]
