"""Flights as the window lists them: route (pickups with local times, stops with their countries'
notice), per-leg plan load and manifest state, built in a fixed number of bulk queries
(:func:`flight_rows`). No authorisation here: :mod:`planner.services.flights` checks it.

Per-leg load (``FlightRow.leg_loads``): the people of the current draft plan aboard each leg of the
route (boarding at ``Assignment.pickup_sequence``, leaving at their stop;
:func:`planner.domain.route.leg_loads`), counted by one grouped query per chunk of flights;
``load_factor`` is the fullest leg over the seats.

Lists read the flights' own columns as plain tuples (:func:`flight_fields`, fetched in batches)
rather than as ORM objects: a thread listing hundreds of flights then builds no identity map and no
instance state, and hands the interpreter back between batches.
"""

from __future__ import annotations

import itertools
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from planner.domain.enums import FlightStatus, ManifestStatus
from planner.domain.route import Route, leg_loads
from planner.domain.wording import local_time_text
from planner.persistence.models import Airport, Assignment, CountryRule, Flight, FlightStop, Manifest
from planner.persistence.uow import UnitOfWork
from planner.services.current_plan import current_draft_plan_id
from planner.services.manifests.workflow import IN_FORCE
from planner.services.reference import default_notice_days
from planner.services.routes import routes_of

log = logging.getLogger(__name__)
#: Flights per bulk query.
_CHUNK = 900
#: Flights fetched per batch by :func:`flight_fields`.
FETCH_BATCH = 200


class FlightFields(NamedTuple):
    """A flight's own columns that its ``FlightRow`` shows: a plain tuple (see the module docstring);
    a ``Flight`` has the same attributes."""

    id: int
    code: str
    carrier: str
    aircraft: str
    departure_airport: str
    departure_utc: datetime
    seats: int
    escort_officers: int
    medical_slots: int
    wheelchair_slots: int
    status: str
    version: int


_FIELD_COLUMNS = tuple(getattr(Flight, name) for name in FlightFields._fields)


def flight_fields(uow: UnitOfWork, *where: Any) -> list[FlightFields]:
    """The flights matching every ``where`` clause, in departure order (then code), as plain
    tuples fetched ``FETCH_BATCH`` at a time."""
    result = uow.session.connection().execute(
        sa.select(*_FIELD_COLUMNS)
        .where(*where)
        .order_by(Flight.departure_utc, Flight.code)
        .execution_options(yield_per=FETCH_BATCH)
    )
    return [FlightFields._make(row) for part in result.partitions(FETCH_BATCH) for row in part]


@dataclass(frozen=True)
class StopRow:
    sequence: int
    airport: str
    country: str
    notice_days: int


@dataclass(frozen=True)
class PickupRow:
    """Pickup ``sequence`` (0 = the flight's departure) at ``airport``, leaving at ``departure_utc``
    (``departure_local`` in the airport's zone ``timezone``)."""

    sequence: int
    airport: str
    departure_utc: datetime
    timezone: str
    departure_local: datetime

    @property
    def local_short(self) -> str:
        return local_time_text(self.departure_utc, self.timezone)


@dataclass(frozen=True)
class FlightRow:
    """One flight as the window lists it. ``pickups`` are the route's pickups (the departure
    first), ``stops`` its drop-off stops; ``leg_loads`` the people of the current draft plan aboard
    each leg (pickup to pickup, last pickup to first stop, stop to stop); ``load_factor`` is the
    fullest leg / seats (None with no seats); ``notice_cutoff`` is the departure minus the strictest
    notice of its stops' countries (the default rule's for a country without one)."""

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
    pickups: tuple[PickupRow, ...] = ()
    leg_loads: tuple[int, ...] = ()

    @property
    def stops_text(self) -> str:
        return " → ".join(f"{s.airport} ({s.country})" for s in self.stops)

    @property
    def route_text(self) -> str:
        """Compact route: pickups in order, then the stops (``IAH → SAT → GUA · SAL``)."""
        pickups = [p.airport for p in self.pickups] or [self.departure_airport]
        return " → ".join([*pickups, " · ".join(s.airport for s in self.stops)])

    @property
    def later_pickups_text(self) -> str:
        """The later pickups in the editor's form, local times with offsets
        (``SAT@2027-01-05T09:00-06:00;…``); "" with none."""
        return ";".join(
            f"{p.airport}@{p.departure_local.isoformat(timespec='minutes')}"
            for p in self.pickups
            if p.sequence >= 1
        )

    @property
    def peak_load(self) -> int:
        """People aboard the fullest leg."""
        return max(self.leg_loads, default=0)

    @property
    def fullest_leg(self) -> int | None:
        """Index of the (first) fullest leg; None when nobody is aboard."""
        peak = self.peak_load
        return self.leg_loads.index(peak) if peak else None

    @property
    def legs_text(self) -> str:
        """Seats used on each leg: ``34/40 · 40/40 · 12/40``."""
        return " · ".join(f"{n}/{self.seats}" for n in self.leg_loads)

    @property
    def leg_names(self) -> tuple[str, ...]:
        """Each leg as ``AAA→BBB``."""
        points = [p.airport for p in self.pickups] + [s.airport for s in self.stops]
        return tuple(f"{a}→{b}" for a, b in itertools.pairwise(points))

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


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _plan_journeys(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, list[tuple[int, int, bool, int]]]:
    """flight id -> ``(pickup_sequence, stop_sequence, frozen, people)`` of the current draft plan,
    one grouped query per chunk of flights."""
    out: dict[int, list[tuple[int, int, bool, int]]] = defaultdict(list)
    plan_id = current_draft_plan_id(uow)
    if plan_id is None:
        return out
    for start in range(0, len(ids), _CHUNK):
        for flight_id, pickup, stop, is_frozen, count in uow.session.execute(
            sa.select(
                FlightStop.flight_id,
                Assignment.pickup_sequence,
                FlightStop.sequence,
                Assignment.frozen,
                sa.func.count(),
            )
            .join(FlightStop, FlightStop.id == Assignment.flight_stop_id)
            .where(Assignment.plan_run_id == plan_id, FlightStop.flight_id.in_(ids[start : start + _CHUNK]))
            .group_by(
                FlightStop.flight_id, Assignment.pickup_sequence, FlightStop.sequence, Assignment.frozen
            )
        ):
            out[flight_id].append((int(pickup), int(stop), bool(is_frozen), int(count)))
    return out


def _leg_loads(route: Route, journeys: Sequence[tuple[int, int, bool, int]]) -> tuple[int, ...]:
    """People aboard each leg; journeys naming a pickup or stop the route no longer has are left
    out (logged: the plan is older than the route)."""
    pickups = {p.sequence for p in route.pickups}
    stops = {d.sequence for d in route.drops}
    known = [(pk, st, n) for pk, st, _frozen, n in journeys if pk in pickups and st in stops]
    if len(known) != len(journeys):
        log.warning("plan assignments name pickups or stops the route no longer has; left out of leg loads")
    if not route.drops:
        return ()
    return tuple(leg_loads(route, [(pk, st) for pk, st, _ in known], [n for _, _, n in known]))


def flight_rows(uow: UnitOfWork, flights: Sequence[Flight | FlightFields]) -> list[FlightRow]:
    """Display rows for ``flights`` (ORM objects or ``FlightFields``) in a fixed number of queries
    (per chunk of 900 flights)."""
    if not flights:
        return []
    s = uow.session
    ids = [fl.id for fl in flights if fl.id is not None]
    airports = {a.iata: a for a in s.execute(sa.select(Airport)).scalars()}
    notice = dict(s.execute(sa.select(CountryRule.country, CountryRule.notice_days)).all())
    notice_by_default = default_notice_days(notice.values())  # a country without a rule
    routes = routes_of(uow, ids)
    journeys = _plan_journeys(uow, ids)
    latest: dict[int, tuple[int, str]] = {}
    in_force: dict[int, str] = {}
    for flight_id, revision, status in s.execute(
        sa.select(Manifest.flight_id, Manifest.revision, Manifest.status).where(Manifest.flight_id.in_(ids))
    ):
        if flight_id not in latest or revision > latest[flight_id][0]:
            latest[flight_id] = (revision, status)
        if status in IN_FORCE and (in_force.get(flight_id) != ManifestStatus.SIGNED.value):
            in_force[flight_id] = status

    def zone_of(code: str) -> str:
        airport = airports.get(code)
        return airport.timezone if airport is not None else "UTC"

    out = []
    for fl in flights:
        assert fl.id is not None
        route = routes[fl.id]
        zone_name = zone_of(fl.departure_airport)
        stop_rows = []
        for drop in route.drops:
            country = airports[drop.airport].country if drop.airport in airports else ""
            stop_rows.append(
                StopRow(drop.sequence, drop.airport, country, int(notice.get(country, notice_by_default)))
            )
        pickup_rows = tuple(
            PickupRow(
                p.sequence,
                p.airport,
                p.departure_utc,
                zone_of(p.airport),
                p.departure_utc.astimezone(_zone(zone_of(p.airport))),
            )
            for p in route.pickups
        )
        strictest = max((st.notice_days for st in stop_rows), default=0)
        manifest = latest.get(fl.id)
        mine = journeys.get(fl.id, [])
        loads = _leg_loads(route, mine)
        peak = max(loads, default=0)
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
                placed=sum(n for *_, n in mine),
                frozen=sum(n for _, _, is_frozen, n in mine if is_frozen),
                load_factor=peak / fl.seats if fl.seats else None,
                manifest_status=manifest[1] if manifest else None,
                manifest_revision=manifest[0] if manifest else None,
                manifest_in_force=in_force.get(fl.id),
                notice_cutoff=fl.departure_utc - timedelta(days=strictest),
                version=fl.version,
                pickups=pickup_rows,
                leg_loads=loads,
            )
        )
    return out


__all__ = ["FlightFields", "FlightRow", "PickupRow", "StopRow", "flight_fields", "flight_rows"]
