"""What one plan run reads: flights, stops, people (as eligibility columns), rules, the current
draft plan, and the audit mark that versions it all — in one read-only unit of work, in a handful of
bulk queries (no per-person query). Split out of :mod:`planner.services.planning`, which re-exports
it.

Besides the draft and frozen assignments, the input records who is *held*: frozen on a PLANNED
flight whose departure time has passed (nobody recorded the departure yet). The planner stores them
unchanged and places them nowhere else. People frozen on a departed or cancelled flight are no
longer frozen: they leave planning (custody REMOVED) or come back to it.

Routes: every flight's pickups (``planner.services.routes.routes_of``) go into the stop facts (rule
7 is per pickup) and into the solver problem as ``solver.Pickup``s whose ids encode (flight,
pickup sequence): :func:`pickup_id` / :func:`pickup_of`. Each assignment's ``pickup_sequence`` is
read with it (frozen and held people keep theirs).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa

import solver
from planner.domain.eligibility import CountryRuleFacts, EligibilityTables, StopFacts, encode_tables
from planner.domain.enums import FlightStatus
from planner.domain.route import Route
from planner.persistence.models import Airport, Assignment, Flight, FlightStop, StrikeOff
from planner.persistence.uow import UnitOfWork
from planner.services import office_settings
from planner.services.current_plan import current_draft_plan_id
from planner.services.eligibility_facts import UNKNOWN_ZONE, load_planning_people, pickup_facts, stop_facts
from planner.services.input_changes import input_mark
from planner.services.manifests import workflow as manifests
from planner.services.office_settings import OfficeSettings
from planner.services.reference import rule_facts
from planner.services.routes import routes_of

#: Solver pickup ids are ``flight_id * PICKUP_ID_STRIDE + sequence`` (stable across loads, so a plan
#: computed on one load can be validated on the next).
PICKUP_ID_STRIDE = 1000


def pickup_id(flight_id: int, sequence: int) -> int:
    """The solver pickup id of pickup ``sequence`` of ``flight_id``."""
    return flight_id * PICKUP_ID_STRIDE + sequence


def pickup_of(solver_pickup_id: int) -> tuple[int, int]:
    """(flight id, pickup sequence) of a solver pickup id."""
    flight, sequence = divmod(solver_pickup_id, PICKUP_ID_STRIDE)
    return flight, sequence


#: Cruise speed and fixed overhead used to estimate flight hours from great-circle distance.
CRUISE_KMH, BLOCK_OVERHEAD_HOURS = 800.0, 0.75


@dataclass(frozen=True)
class StopInfo:
    stop_id: int
    flight_id: int
    flight_code: str
    sequence: int
    airport: str
    country: str
    departure_utc: datetime


@dataclass
class PlanningInput:
    """Everything one plan run needs, as plain data (safe to hand to another thread)."""

    now: datetime
    tables: EligibilityTables
    case_number: np.ndarray  # object[N]
    priority: np.ndarray  # int8[N]
    risk_level: np.ndarray  # object[N]
    family_group: np.ndarray  # object[N] (None = no family)
    stops: list[StopInfo]
    flights: dict[int, solver.Flight]
    rules: dict[str, CountryRuleFacts]
    draft: dict[int, int]  # person id -> stop id in the current draft plan (unfrozen)
    frozen: dict[int, int]  # person id -> stop id, frozen by an approved manifest
    draft_plan_id: int | None
    frozen_flights: set[int] = field(default_factory=set)  # newest manifest approved/signed
    #: person id -> stop id, frozen on a PLANNED flight whose departure time has passed (kept as is)
    held: dict[int, int] = field(default_factory=dict)
    held_notes: list[str] = field(default_factory=list)  # one warning per such flight
    previous: dict[int, int] = field(default_factory=dict)  # every assignment of the current draft
    input_mark: int = 0  # newest audit event id before the data was read
    #: person id -> stop ids of the flights they were struck off (never placed there again)
    struck: dict[int, frozenset[int]] = field(default_factory=dict)
    #: The office's safety settings as stored when the data was read (escort load, time limit …).
    office: OfficeSettings = field(default_factory=OfficeSettings)
    #: flight id -> its route (pickups, then stops), for every planned flight
    routes: dict[int, Route] = field(default_factory=dict)
    #: person id -> pickup sequence of their assignment in the current draft (frozen and held too)
    pickup_sequence: dict[int, int] = field(default_factory=dict)


def flight_hours(departure: tuple[float, float] | None, stops: list[tuple[float, float] | None]) -> float:
    """Estimated block hours: great-circle legs at ``CRUISE_KMH`` plus ``BLOCK_OVERHEAD_HOURS`` per
    leg; 0 when coordinates are unknown."""
    points = [departure, *stops]
    if any(p is None for p in points):
        return 0.0
    hours = 0.0
    for (lat1, lon1), (lat2, lon2) in itertools.pairwise(points):  # type: ignore[misc]
        p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
        cos_angle = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
        km = 6371.0 * math.acos(max(-1.0, min(1.0, cos_angle)))
        hours += km / CRUISE_KMH + BLOCK_OVERHEAD_HOURS
    return round(hours, 2)


def load_input(uow: UnitOfWork, *, now: datetime) -> PlanningInput:
    """Read the planning data in a handful of bulk queries (no per-person query)."""
    s = uow.session
    mark = input_mark(uow)  # first: a change committed while the rest is read counts as a change
    airports = {a.iata: a for a in s.execute(sa.select(Airport)).scalars()}
    flights_rows = (
        s.execute(
            sa.select(Flight)
            .where(Flight.status == FlightStatus.PLANNED.value, Flight.departure_utc > now)
            .order_by(Flight.departure_utc, Flight.id)
        )
        .scalars()
        .all()
    )
    flight_by_id = {f.id: f for f in flights_rows}
    routes = routes_of(uow, flight_by_id)
    stop_rows = (
        s.execute(
            sa.select(FlightStop)
            .where(FlightStop.flight_id.in_(list(flight_by_id)) if flight_by_id else sa.false())
            .order_by(FlightStop.flight_id, FlightStop.sequence)
        )
        .scalars()
        .all()
    )
    stops = [
        StopInfo(
            st.id,
            st.flight_id,
            flight_by_id[st.flight_id].code,
            st.sequence,
            st.airport,
            airports[st.airport].country,
            flight_by_id[st.flight_id].departure_utc,
        )
        for st in stop_rows
    ]
    flights = _solver_flights(flights_rows, routes, stops, airports)
    rule_rows = rule_facts(uow, {st.country for st in stops})
    people = load_planning_people(uow)
    draft_plan_id = current_draft_plan_id(uow)
    draft, frozen, pickup_sequence = _draft_assignments(uow, draft_plan_id)
    previous = {**draft, **frozen}
    held, held_notes = _held_on_past_flights(
        uow, frozen, {st.stop_id for st in stops}, people.facts.person_id
    )
    # Frozen on a departed or cancelled flight (or held): no longer frozen anywhere the planner plans.
    frozen = _on_stops(frozen, stops)
    sent = {
        (person, stop)
        for stop, on_manifest in manifests.sent_manifest_people(uow, flight_by_id).items()
        for person in on_manifest
    }
    tables = encode_tables(
        people.facts,
        _stop_facts(flight_by_id, stops, airports, routes),
        rule_rows,
        sent_manifest=sent,
        airports=[f.departure_airport for f in flights_rows],
    )
    return PlanningInput(
        now=now,
        tables=tables,
        case_number=np.array(people.case_number, object),
        priority=np.array(people.priority, np.int8),
        risk_level=np.array(people.risk_level, object),
        family_group=np.array([f or None for f in people.facts.family_group], object),
        stops=stops,
        flights=flights,
        rules=rule_rows,
        draft=draft,
        frozen=frozen,
        draft_plan_id=draft_plan_id,
        frozen_flights=manifests.frozen_flight_ids(uow) & set(flight_by_id),
        held=held,
        held_notes=held_notes,
        previous=previous,
        input_mark=mark,
        struck=_struck_stops(uow, stop_rows),
        office=office_settings.load(uow),
        routes=routes,
        pickup_sequence=pickup_sequence,
    )


def _draft_assignments(
    uow: UnitOfWork, draft_plan_id: int | None
) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    """The current draft's (unfrozen person -> stop, frozen person -> stop, person -> pickup
    sequence)."""
    draft: dict[int, int] = {}
    frozen: dict[int, int] = {}
    pickup_sequence: dict[int, int] = {}
    if draft_plan_id is not None:
        for person, stop, is_frozen, sequence in uow.session.execute(
            sa.select(
                Assignment.person_id, Assignment.flight_stop_id, Assignment.frozen, Assignment.pickup_sequence
            ).where(Assignment.plan_run_id == draft_plan_id)
        ):
            (frozen if is_frozen else draft)[person] = stop
            pickup_sequence[person] = int(sequence or 0)
    return draft, frozen, pickup_sequence


def _on_stops(assigned: dict[int, int], stops: list[StopInfo]) -> dict[int, int]:
    """The entries of ``assigned`` (person -> stop) on one of ``stops``."""
    known = {st.stop_id for st in stops}
    return {p: stop for p, stop in assigned.items() if stop in known}


def _stop_facts(
    flight_by_id: dict[int, Flight],
    stops: list[StopInfo],
    airports: dict[str, Airport],
    routes: dict[int, Route],
) -> list[StopFacts]:
    """Every stop's eligibility facts, with its flight's pickups (each airport with its zone)."""
    zones = {code: a.timezone or UNKNOWN_ZONE for code, a in airports.items()}
    pickups_of = {fid: pickup_facts(route, zones) for fid, route in routes.items()}
    return [
        stop_facts(flight_by_id[st.flight_id], st.stop_id, st.country, pickups=pickups_of[st.flight_id])
        for st in stops
    ]


def _solver_flights(
    flights_rows: Sequence[Flight],
    routes: dict[int, Route],
    stops: list[StopInfo],
    airports: dict[str, Airport],
) -> dict[int, solver.Flight]:
    """The solver's flights: capacities, departure and estimated hours over the whole route."""
    stops_of_flight: dict[int, list[str]] = defaultdict(list)
    for st in stops:
        stops_of_flight[st.flight_id].append(st.airport)

    def coords(code: str) -> tuple[float, float] | None:
        a = airports.get(code)
        if a is None or a.latitude is None or a.longitude is None:
            return None
        return (a.latitude, a.longitude)

    flights = {
        f.id: solver.Flight(
            id=f.id,
            seats=f.seats,
            escort_officers=f.escort_officers,
            medical_slots=f.medical_slots,
            wheelchair_slots=f.wheelchair_slots,
            departure=f.departure_utc.timestamp(),
            hours=flight_hours(
                coords(f.departure_airport),
                [coords(p.airport) for p in routes[f.id].pickups[1:]]
                + [coords(a) for a in stops_of_flight[f.id]],
            ),
        )
        for f in flights_rows
    }
    return flights


def _struck_stops(uow: UnitOfWork, stop_rows: Sequence[FlightStop]) -> dict[int, frozenset[int]]:
    """person id -> the stops (of ``stop_rows``) of every flight the person was struck off."""
    stops_of: dict[int, list[int]] = defaultdict(list)
    for st in stop_rows:
        stops_of[st.flight_id].append(st.id)
    out: dict[int, set[int]] = defaultdict(set)
    if stops_of:
        for person, flight in uow.session.execute(
            sa.select(StrikeOff.person_id, StrikeOff.flight_id).where(StrikeOff.flight_id.in_(list(stops_of)))
        ):
            out[person].update(stops_of[flight])
    return {person: frozenset(stops) for person, stops in out.items()}


def _held_on_past_flights(
    uow: UnitOfWork, frozen: dict[int, int], known_stops: set[int], present: Any
) -> tuple[dict[int, int], list[str]]:
    """People of ``present`` (ids) frozen on a PLANNED flight not in ``known_stops`` (its departure
    time has passed, nobody recorded the departure): person id -> stop id, and one warning per
    flight."""
    outside = sorted({stop for stop in frozen.values() if stop not in known_stops})
    if not outside:
        return {}, []
    past: dict[int, tuple[str, datetime]] = {}
    for start in range(0, len(outside), 900):
        past.update(
            (sid, (code, departure))
            for sid, code, departure in uow.session.execute(
                sa.select(FlightStop.id, Flight.code, Flight.departure_utc)
                .join(Flight, Flight.id == FlightStop.flight_id)
                .where(
                    FlightStop.id.in_(outside[start : start + 900]),
                    Flight.status == FlightStatus.PLANNED.value,
                )
            ).all()
        )
    ids = set(present)
    held = {pid: stop for pid, stop in frozen.items() if stop in past and pid in ids}
    per_flight = Counter(past[stop] for stop in held.values())
    notes = [
        f"{code} was due to leave at {departure:%Y-%m-%d %H:%M} UTC and is still PLANNED: its {n:,} people "
        f"stay on it, out of planning, until its departure is recorded (charter-planner depart {code}) "
        "or it is cancelled"
        for (code, departure), n in sorted(per_flight.items())
    ]
    return held, notes


__all__ = [
    "BLOCK_OVERHEAD_HOURS",
    "CRUISE_KMH",
    "PICKUP_ID_STRIDE",
    "PlanningInput",
    "StopInfo",
    "flight_hours",
    "load_input",
    "pickup_id",
    "pickup_of",
]
