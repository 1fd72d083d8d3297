"""Per-leg loads and boarding airports of a stored plan run (the Plan screen), and flights' routes
as the consolidation advice reads them (``solver.consolidate.MissionRoute``).

A flight's legs join its route points in flying order (pickups, then stops; see
:mod:`planner.domain.route`); the seats used on a leg are the people of the run aboard it, each
from the pickup they board at (``Assignment.pickup_sequence``) to their stop. Reads only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from planner.domain.enums import Role
from planner.domain.route import Route, leg_loads
from planner.persistence.models import Assignment, Flight, FlightPickup, FlightStop
from planner.persistence.uow import UnitOfWork
from planner.services.airports import dataset_airports
from planner.services.auth import Actor, authorize
from planner.services.routes import routes_of
from solver.consolidate import MissionRoute, RoutePickup

#: SQLite's limit on bound parameters is far above this.
_CHUNK = 900


@dataclass(frozen=True)
class FlightLegs:
    """The legs of one flight (``(origin, destination)`` IATA pairs, in flying order) and the seats
    used on each by a plan run."""

    flight_id: int
    legs: tuple[tuple[str, str], ...]
    seats: tuple[int, ...]

    @property
    def fullest(self) -> int:
        """Index of the fullest leg (the first of equals); -1 for a flight without legs."""
        if not self.seats:
            return -1
        return max(range(len(self.seats)), key=lambda k: (self.seats[k], -k))

    @property
    def max_seats(self) -> int:
        return max(self.seats, default=0)

    def parts(self) -> list[str]:
        """One ``SAT→BRO 40`` text per leg."""
        return [f"{a}→{b} {n:,}" for (a, b), n in zip(self.legs, self.seats, strict=True)]

    def text(self) -> str:
        """Every leg with its seats used, e.g. ``SAT→BRO 40 · BRO→GUA 70``."""
        return " · ".join(self.parts())


def legs_of(route: Route, journeys: Iterable[tuple[int, int]], weights: list[int]) -> FlightLegs:
    """``FlightLegs`` of a route from ``(pickup_sequence, stop_sequence)`` journeys and their counts
    (journeys off the route are left out)."""
    pickups = {p.sequence for p in route.pickups}
    drops = {d.sequence for d in route.drops}
    kept = [(j, w) for j, w in zip(journeys, weights, strict=True) if j[0] in pickups and j[1] in drops]
    seats = leg_loads(route, [j for j, _ in kept], [w for _, w in kept]) if route.drops else []
    return FlightLegs(
        flight_id=-1,
        legs=tuple((leg.origin, leg.destination) for leg in route.legs()),
        seats=tuple(seats),
    )


def run_leg_loads(
    uow: UnitOfWork, actor: Actor, plan_run_id: int, flight_ids: Iterable[int] | None = None
) -> dict[int, FlightLegs]:
    """flight id -> its legs and the seats run ``plan_run_id`` uses on each, for ``flight_ids``
    (default: every flight with somebody placed in the run)."""
    authorize(uow, actor, Role.OFFICER, "plan.view")
    rows = uow.session.execute(
        sa.select(FlightStop.flight_id, Assignment.pickup_sequence, FlightStop.sequence, sa.func.count())
        .join(Assignment, Assignment.flight_stop_id == FlightStop.id)
        .where(Assignment.plan_run_id == plan_run_id)
        .group_by(FlightStop.flight_id, Assignment.pickup_sequence, FlightStop.sequence)
    ).all()
    journeys: dict[int, list[tuple[int, int]]] = defaultdict(list)
    weights: dict[int, list[int]] = defaultdict(list)
    for fid, pickup, stop, n in rows:
        journeys[fid].append((int(pickup or 0), int(stop)))
        weights[fid].append(int(n))
    wanted = set(journeys) if flight_ids is None else set(flight_ids)
    out = {}
    for fid, route in routes_of(uow, wanted).items():
        legs = legs_of(route, journeys.get(fid, []), weights.get(fid, []))
        out[fid] = FlightLegs(fid, legs.legs, legs.seats)
    return out


def boarding_airports(
    uow: UnitOfWork, actor: Actor, plan_run_id: int, person_ids: Iterable[int]
) -> dict[int, str]:
    """person id -> the airport where they board in run ``plan_run_id`` (people the run places)."""
    authorize(uow, actor, Role.OFFICER, "plan.view")
    ids = sorted(set(person_ids))
    out: dict[int, str] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = uow.session.execute(
            sa.select(
                Assignment.person_id,
                sa.func.coalesce(FlightPickup.airport, Flight.departure_airport),
            )
            .join(FlightStop, FlightStop.id == Assignment.flight_stop_id)
            .join(Flight, Flight.id == FlightStop.flight_id)
            .outerjoin(
                FlightPickup,
                sa.and_(
                    FlightPickup.flight_id == Flight.id, FlightPickup.sequence == Assignment.pickup_sequence
                ),
            )
            .where(Assignment.plan_run_id == plan_run_id, Assignment.person_id.in_(chunk))
        ).all()
        out.update((int(pid), str(airport)) for pid, airport in rows)
    return out


def mission_routes(routes: Mapping[int, Route]) -> dict[int, MissionRoute]:
    """flight id -> its route as the consolidation advice reads it: pickups with POSIX departure
    seconds and the dataset's coordinates (None for an airport the dataset lacks), stop airports."""
    world = dataset_airports()
    out = {}
    for fid, route in routes.items():
        pickups = []
        for p in route.pickups:
            info = world.get(p.airport)
            pickups.append(
                RoutePickup(
                    p.airport,
                    p.departure_utc.timestamp(),
                    info.latitude if info else None,
                    info.longitude if info else None,
                )
            )
        out[fid] = MissionRoute(tuple(pickups), tuple(d.airport for d in route.drops))
    return out
