"""Flights: the list the window shows (with plan load and manifest state), one flight, and the
editor's writes — create, update (optimistic locking) and cancel.

Every function takes ``(uow, actor, …)`` and calls :func:`planner.services.auth.authorize` first; reads need
officer, writes need officer. Writers work inside the caller's unit of work and commit it
themselves (one flight per call), so the window can run them as ``work(uow)``. Results are plain
frozen dataclasses, safe to hand from the worker thread to the GUI thread.

Rules of :func:`save_flight` (field formats shared with the flight schedule import,
:mod:`planner.domain.flight_fields`):

- the flight code, airports and capacities are parsed by the import's field parsers; medical and
  wheelchair slots do not exceed seats; seats are not below the people frozen on the flight by an
  approved manifest;
- stops: at least one, in order, none twice, none the departure airport, each an airport of a
  *receiving country* (a country with a ``CountryRule``);
- a new flight (or a changed departure time) departs in the future;
- a flight whose manifest is APPROVED or SIGNED is not changed (``Conflict``: prepare and approve a
  new revision instead); neither is a CANCELLED or DEPARTED flight;
- ``expected_version`` is the version the editor read; a different current version is refused
  with ``StaleVersion`` (a ``Conflict``) naming who changed the flight and when (from the audit
  log). ``None`` means *create*: a code that exists already is invalid input.

A stop that plan assignments refer to cannot be removed (re-plan first); stops that stay keep
their identity when reordered. Audit: ``flight.create`` / ``flight.update`` / ``flight.cancel``
with ``{field: [old, new]}`` (stops as ``AAA;BBB``), entity ``flight``, id the flight code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from planner.domain import fields as f
from planner.domain.enums import FlightStatus, ManifestStatus, Role
from planner.domain.errors import Conflict, InvalidInput, NotFound, StaleVersion
from planner.domain.flight_fields import ESCORTS, FLIGHT_CODE, FLIGHT_FIELDS, SEATS, SLOTS
from planner.domain.wording import local_time_text, plural
from planner.persistence import audit
from planner.persistence.models import (
    Airport,
    Assignment,
    CountryRule,
    Flight,
    FlightStop,
    Manifest,
    utc_now,
)
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.current_plan import current_draft_plan_id
from planner.services.manifests.workflow import IN_FORCE
from planner.services.reference import DEFAULT_NOTICE_DAYS

#: The audit events' ``entity`` for flights (``entity_id``: the flight code).
ENTITY = "flight"
#: What the editor changes and audits: the flight's own fields and its stops (``AAA;BBB``).
_AUDITED = (*FLIGHT_FIELDS, "stops")


@dataclass(frozen=True)
class StopRow:
    sequence: int
    airport: str
    country: str
    notice_days: int


@dataclass(frozen=True)
class FlightRow:
    """One flight as the window lists it. ``load_factor`` is placed / seats (None with no seats);
    ``notice_cutoff`` is the departure minus the strictest notice of its stops' countries."""

    id: int
    code: str
    carrier: str
    aircraft: str
    departure_airport: str
    departure_utc: datetime
    timezone: str
    departure_local: datetime
    stops: tuple[StopRow, ...]
    seats: int
    escort_officers: int
    medical_slots: int
    wheelchair_slots: int
    status: str
    placed: int
    frozen: int
    load_factor: float | None
    manifest_status: str | None
    manifest_revision: int | None
    manifest_in_force: str | None
    notice_cutoff: datetime
    version: int

    @property
    def stops_text(self) -> str:
        return " → ".join(f"{s.airport} ({s.country})" for s in self.stops)

    @property
    def local_text(self) -> str:
        return local_time_text(self.departure_utc, self.timezone, with_zone_name=True)

    @property
    def local_short(self) -> str:
        return local_time_text(self.departure_utc, self.timezone)

    @property
    def locked_reason(self) -> str:
        """Why the flight may not be edited or cancelled ("" = it may)."""
        if self.manifest_in_force:
            return (
                f"flight {self.code}'s manifest is {self.manifest_in_force.lower()}; "
                "a new manifest revision is needed to change it"
            )
        if self.status != FlightStatus.PLANNED.value:
            return f"flight {self.code} is {self.status}"
        return ""


@dataclass(frozen=True)
class AirportChoice:
    iata: str
    name: str
    city: str
    country: str
    timezone: str
    receiving: bool


@dataclass(frozen=True)
class FlightInput:
    """What the editor sends. ``departure_utc`` is timezone-aware; ``stops`` are IATA codes in order."""

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


@dataclass(frozen=True)
class SaveResult:
    flight: FlightRow
    created: bool
    changes: dict[str, list[Any]] = field(default_factory=dict)


# ---------------------------------------------------------------- reads


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _rows(uow: UnitOfWork, flights: Sequence[Flight]) -> list[FlightRow]:
    """Display rows for ``flights`` in a fixed number of queries."""
    if not flights:
        return []
    s = uow.session
    ids = [fl.id for fl in flights]
    airports = {a.iata: a for a in s.execute(sa.select(Airport)).scalars()}
    notice = dict(s.execute(sa.select(CountryRule.country, CountryRule.notice_days)).all())
    stops: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for stop_id, flight_id, sequence, airport in s.execute(
        sa.select(FlightStop.id, FlightStop.flight_id, FlightStop.sequence, FlightStop.airport)
        .where(FlightStop.flight_id.in_(ids))
        .order_by(FlightStop.flight_id, FlightStop.sequence)
    ):
        stops[flight_id].append((stop_id, sequence, airport))
    placed: dict[int, int] = defaultdict(int)
    frozen: dict[int, int] = defaultdict(int)
    plan_id = current_draft_plan_id(uow)
    if plan_id is not None:
        for flight_id, is_frozen, count in s.execute(
            sa.select(FlightStop.flight_id, Assignment.frozen, sa.func.count())
            .join(FlightStop, FlightStop.id == Assignment.flight_stop_id)
            .where(Assignment.plan_run_id == plan_id, FlightStop.flight_id.in_(ids))
            .group_by(FlightStop.flight_id, Assignment.frozen)
        ):
            placed[flight_id] += count
            if is_frozen:
                frozen[flight_id] += count
    latest: dict[int, tuple[int, str]] = {}
    in_force: dict[int, str] = {}
    for flight_id, revision, status in s.execute(
        sa.select(Manifest.flight_id, Manifest.revision, Manifest.status).where(Manifest.flight_id.in_(ids))
    ):
        if flight_id not in latest or revision > latest[flight_id][0]:
            latest[flight_id] = (revision, status)
        if status in IN_FORCE and (in_force.get(flight_id) != ManifestStatus.SIGNED.value):
            in_force[flight_id] = status
    out = []
    for fl in flights:
        departure = airports.get(fl.departure_airport)
        zone_name = departure.timezone if departure is not None else "UTC"
        stop_rows = []
        for _sid, sequence, code in stops[fl.id]:
            country = airports[code].country if code in airports else ""
            stop_rows.append(StopRow(sequence, code, country, int(notice.get(country, DEFAULT_NOTICE_DAYS))))
        strictest = max((st.notice_days for st in stop_rows), default=0)
        manifest = latest.get(fl.id)
        count = placed.get(fl.id, 0)
        out.append(
            FlightRow(
                id=fl.id,
                code=fl.code,
                carrier=fl.carrier,
                aircraft=fl.aircraft,
                departure_airport=fl.departure_airport,
                departure_utc=fl.departure_utc,
                timezone=zone_name,
                departure_local=fl.departure_utc.astimezone(_zone(zone_name)),
                stops=tuple(stop_rows),
                seats=fl.seats,
                escort_officers=fl.escort_officers,
                medical_slots=fl.medical_slots,
                wheelchair_slots=fl.wheelchair_slots,
                status=fl.status,
                placed=count,
                frozen=frozen.get(fl.id, 0),
                load_factor=count / fl.seats if fl.seats else None,
                manifest_status=manifest[1] if manifest else None,
                manifest_revision=manifest[0] if manifest else None,
                manifest_in_force=in_force.get(fl.id),
                notice_cutoff=fl.departure_utc - timedelta(days=strictest),
                version=fl.version,
            )
        )
    return out


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
    query = sa.select(Flight).order_by(Flight.departure_utc, Flight.code)
    if not include_past:
        query = query.where(Flight.departure_utc > (now or utc_now()))
    if until is not None:
        query = query.where(Flight.departure_utc < until)
    return _rows(uow, uow.session.execute(query).scalars().all())


def _flight(uow: UnitOfWork, code: str) -> Flight:
    flight = uow.session.execute(sa.select(Flight).where(Flight.code == code)).scalar_one_or_none()
    if flight is None:
        raise NotFound(f"there is no flight {code}")
    return flight


def get_flight(uow: UnitOfWork, actor: Actor, code: str) -> FlightRow:
    """One flight by code; ``NotFound`` when there is none."""
    authorize(uow, actor, Role.OFFICER, "flights.read")
    return _rows(uow, [_flight(uow, code)])[0]


def airport_choices(uow: UnitOfWork, actor: Actor) -> list[AirportChoice]:
    """Every airport for the editor's combos; ``receiving`` marks airports that may be stops."""
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


def _validate(
    uow: UnitOfWork, data: FlightInput, existing: Flight | None, now: datetime
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The flight's column values and stops, or ``InvalidInput`` listing every bad field."""
    s = uow.session
    errors: list[str] = []
    airports = {a.iata: a for a in s.execute(sa.select(Airport)).scalars()}
    receiving = set(s.execute(sa.select(CountryRule.country)).scalars())
    parse_airport = f.airport(airports)

    def check(name: str, parser: Any, value: Any) -> Any:
        text = "" if value is None else str(value).strip()
        if not text:
            errors.append(f"{name}: required")
            return None
        try:
            return parser(text)
        except f.FieldError as exc:
            errors.append(f"{name}: {exc}")
            return None

    code = check("code", FLIGHT_CODE, data.code)
    if code is not None and len(code) > 16:
        errors.append("code: at most 16 characters")
    taken = existing is None and code is not None
    if taken and s.execute(sa.select(Flight.id).where(Flight.code == code)).first() is not None:
        errors.append(f"code: flight {code} exists already")
    values: dict[str, Any] = {}
    for name, limit in (("carrier", 100), ("aircraft", 50)):
        text = (getattr(data, name) or "").strip()
        if not text:
            errors.append(f"{name}: required")
        elif len(text) > limit:
            errors.append(f"{name}: at most {limit} characters")
        elif f.CONTROL_CHARS.search(text):
            errors.append(f"{name}: contains control characters")
        values[name] = text
    departure = check("departure_airport", parse_airport, data.departure_airport)
    values["departure_airport"] = departure
    when = data.departure_utc
    if not isinstance(when, datetime) or when.tzinfo is None:
        errors.append("departure_utc: a date and time with a time zone is required")
    else:
        when = when.astimezone(UTC)
        values["departure_utc"] = when
        moved = existing is None or existing.departure_utc != when
        if moved and when <= now:
            errors.append(f"departure_utc: {when:%Y-%m-%d %H:%M} UTC is not in the future")
    for name, parser in (
        ("seats", SEATS),
        ("escort_officers", ESCORTS),
        ("medical_slots", SLOTS),
        ("wheelchair_slots", SLOTS),
    ):
        values[name] = check(name, parser, getattr(data, name))
    for slot in ("medical_slots", "wheelchair_slots"):
        if values[slot] is not None and values["seats"] is not None and values[slot] > values["seats"]:
            errors.append(f"{slot}: {values[slot]} exceeds the {values['seats']} seats")
    stops: list[str] = []
    if not data.stops:
        errors.append("stops: at least one stop is required")
    for number, raw in enumerate(data.stops, 1):
        stop = check(f"stop {number}", parse_airport, raw)
        if stop is None:
            continue
        if stop in stops:
            errors.append(f"stop {number}: {stop} is listed twice")
        elif stop == departure:
            errors.append(f"stop {number}: {stop} is the departure airport")
        elif airports[stop].country not in receiving:
            errors.append(
                f"stop {number}: {stop} is in {airports[stop].country}, which is not a receiving country "
                "(no country rule)"
            )
        stops.append(stop)
    if existing is not None and values["seats"] is not None:
        plan_id = current_draft_plan_id(uow)
        frozen = 0
        if plan_id is not None:
            frozen = s.execute(
                sa.select(sa.func.count())
                .select_from(Assignment)
                .join(FlightStop, FlightStop.id == Assignment.flight_stop_id)
                .where(
                    Assignment.plan_run_id == plan_id,
                    Assignment.frozen.is_(True),
                    FlightStop.flight_id == existing.id,
                )
            ).scalar_one()
        if values["seats"] < frozen:
            errors.append(f"seats: {values['seats']} is fewer than the {frozen} people frozen on the flight")
    if existing is not None and not errors:
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
                errors.append(
                    f"stops: stop {old[sid]} has people assigned by a plan; re-plan before removing it"
                )
    if errors:
        raise InvalidInput(f"the flight was not saved: {plural(len(errors), 'problem')}", errors)
    values["code"] = code
    return values, tuple(stops)


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


def save_flight(
    uow: UnitOfWork,
    actor: Actor,
    data: FlightInput | Mapping[str, Any],
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> SaveResult:
    """Officer+: create (``expected_version`` None) or update the flight ``data.code``; commits.

    Raises ``InvalidInput`` (``details``: one ``field: message`` per problem), ``StaleVersion`` (a
    ``Conflict``: stale version), ``Conflict`` (approved/signed manifest, cancelled/departed flight)
    or ``NotFound``."""
    authorize(uow, actor, Role.OFFICER, "flights.edit")
    data = _as_input(data)
    now = now or utc_now()
    s = uow.session
    existing = None
    if expected_version is not None:
        existing = _flight(uow, (data.code or "").strip())
        _check_version(uow, existing, expected_version)
        _check_not_locked(uow, existing, "changed")
    values, stops = _validate(uow, data, existing, now)
    new = {k: values[k] for k in _AUDITED if k != "stops"} | {"stops": ";".join(stops)}
    if existing is None:
        flight = Flight(code=values["code"], status=FlightStatus.PLANNED.value, version=1, **new_columns(new))
        s.add(flight)
        s.flush()
        s.execute(
            sa.insert(FlightStop.__table__),
            [{"flight_id": flight.id, "sequence": i, "airport": a} for i, a in enumerate(stops, 1)],
        )
        changes = audit.changed_fields({}, {"code": flight.code, **new})
        audit.record(uow, audit.AuditEntry(actor.username, "flight.create", ENTITY, flight.code, changes))
        uow.commit()
        return SaveResult(get_flight(uow, actor, flight.code), True, changes)
    old = {k: getattr(existing, k) for k in _AUDITED if k != "stops"} | {
        "stops": _stops_text(uow, existing.id)
    }
    changes = audit.changed_fields(old, new)
    if not changes:
        return SaveResult(get_flight(uow, actor, existing.code), False, {})
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
        _replace_stops(uow, existing.id, stops)
    audit.record(uow, audit.AuditEntry(actor.username, "flight.update", ENTITY, existing.code, changes))
    uow.commit()
    s.expire_all()
    return SaveResult(get_flight(uow, actor, existing.code), False, changes)


def new_columns(values: Mapping[str, Any]) -> dict[str, Any]:
    """The ``Flight`` column values among editor ``values`` (everything but ``stops``)."""
    return {k: v for k, v in values.items() if k != "stops"}


def cancel_flight(uow: UnitOfWork, actor: Actor, code: str, *, expected_version: int) -> FlightRow:
    """Officer+: mark the flight CANCELLED (people placed on it stay in the plan until the next
    plan run moves them); commits. ``StaleVersion`` on a stale version; ``Conflict`` on an
    approved/signed manifest or a flight that is not PLANNED."""
    authorize(uow, actor, Role.OFFICER, "flights.cancel")
    flight = _flight(uow, code)
    _check_version(uow, flight, expected_version)
    _check_not_locked(uow, flight, "cancelled")
    placed = _rows(uow, [flight])[0].placed
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
    return data


__all__ = [
    "AirportChoice",
    "FlightInput",
    "FlightRow",
    "SaveResult",
    "StopRow",
    "airport_choices",
    "cancel_flight",
    "get_flight",
    "list_flights",
    "save_flight",
]
