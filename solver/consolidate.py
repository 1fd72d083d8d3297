"""Consolidation advice: flights that could be cancelled with every placed person still placed.

Greedy and bounded: flights are tried in increasing order of load (people placed, then id); a flight
with frozen people is never proposed.  For a candidate, the component of the aggregated layout that
contains it is re-solved without the flight's columns and with every placed person *required*; if that
is feasible the flight joins the cancelled set (so the advice is jointly feasible).  A final solve of
the reduced problem keeps as many people as possible at their current stop and is returned as ``plan``.

Route merges (:func:`route_merges`): two under-full missions to the same stops whose pickups differ
can fly as one mission picking up at both flights' pickups, each at its own airport and time (so
everybody keeps reaching their pickup in time), and the other flight is cancelled. The merge is
checked against the kept flight's seats, escort officers, medical and wheelchair slots and country
caps (every pickup comes before every stop, so the flight-wide count is the fullest leg's); the
merged pickups must leave in order within ``max_spread_hours``. The cost saved is the cancelled
flight's hours less the estimated positioning hops between pickups (great-circle distance at
``CRUISE_KMH`` plus ``GROUND_HOURS`` per added pickup). When flights can also be cancelled outright,
merges are sought on the plan without them, so the whole advice holds together.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from solver.compile import aggregated_layout, compile_problem
from solver.problem import ESCORT_SCALE, Flight, Plan, Problem, SolveOptions, escort_tenths


@dataclass(frozen=True, slots=True)
class CancellableFlight:
    """A flight to cancel, its hours, the money saved and how many people it carried."""

    flight: int
    hours: float
    cost_saved: float
    people: int


@dataclass(frozen=True, slots=True)
class RoutePickup:
    """One pickup of a mission: ``airport`` (a label), ``departure`` in POSIX seconds, and the
    airport's coordinates in degrees (None when unknown)."""

    airport: str
    departure: float
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True, slots=True)
class MissionRoute:
    """What merging needs of a flight's route: its pickups in flying order and its stops' labels."""

    pickups: tuple[RoutePickup, ...]
    stops: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RouteMerge:
    """Fly ``absorbed``'s people on ``kept``, which then picks up at ``pickups`` (in order) before
    ``stops``; ``absorbed`` is cancelled. ``extra_hours`` are the estimated positioning hops added to
    ``kept``; ``cost_saved`` = (absorbed's hours - extra_hours) x the cost per flight hour."""

    kept: int
    absorbed: int
    pickups: tuple[str, ...]
    stops: tuple[str, ...]
    people_moved: int
    seats_used: int
    seats: int
    extra_hours: float
    cost_saved: float

    @property
    def route(self) -> str:
        """The merged mission's route, e.g. ``AEX → BRO → GUA``."""
        return " → ".join((*self.pickups, *self.stops))


@dataclass(slots=True)
class ConsolidationAdvice:
    """``load_factors`` (people / seats per flight), the jointly cancellable flights, the total saved
    and a plan without them (``None`` when nothing can be cancelled).  ``complete`` is false when the
    time limit stopped the search before every candidate was tried."""

    load_factors: dict[int, float]
    cancellable: list[CancellableFlight] = field(default_factory=list)
    total_saved: float = 0.0
    plan: Plan | None = None
    complete: bool = True
    seconds: float = 0.0
    #: Route merges (only when ``routes`` were given), on top of the cancellations.
    merges: list[RouteMerge] = field(default_factory=list)

    @property
    def merge_saved(self) -> float:
        return sum(m.cost_saved for m in self.merges)


def load_factors(problem: Problem, plan: Plan | dict[int, int]) -> dict[int, float]:
    """People placed / seats per flight (0.0 for flights without seats)."""
    assignment = plan.assignment if isinstance(plan, Plan) else plan
    flight_of = {s.id: s.flight for s in problem.stops}
    load = Counter(flight_of[sid] for sid in assignment.values())
    return {f.id: (load[f.id] / f.seats if f.seats else 0.0) for f in problem.flights}


def _placed_problem(problem: Problem, assignment: dict[int, int]) -> Problem:
    """Only the placed people, each with their current stop as draft stop."""
    people = tuple(
        replace(p, draft_stop=assignment[p.id]) if p.frozen_stop is None else p
        for p in problem.people
        if p.id in assignment
    )
    return replace(problem, people=people)


def consolidation_advice(
    problem: Problem,
    plan: Plan | dict[int, int],
    cost_per_flight_hour: float,
    *,
    time_limit: float = 10.0,
    max_candidates: int | None = None,
    options: SolveOptions | None = None,
    routes: Mapping[int, MissionRoute] | None = None,
) -> ConsolidationAdvice:
    """Advice for ``plan`` (see module docstring); the whole call is bounded by ``time_limit`` seconds.
    With ``routes`` (flight id -> its route) the advice also lists route merges."""
    # CP-SAT loads here, not with the module: its dataclasses are read where no solve runs (the window)
    from solver.cpsat import AssignmentModel
    from solver.solve import solve

    t0 = time.monotonic()
    deadline = t0 + time_limit
    options = options or SolveOptions()
    assignment = plan.assignment if isinstance(plan, Plan) else plan
    factors = load_factors(problem, assignment)
    reduced = _placed_problem(problem, assignment)
    inst = compile_problem(reduced)
    layout = aggregated_layout(inst)
    layout.u_required[:] = True
    comps = layout.components()
    flight_of = {s.id: s.flight for s in problem.stops}
    load = Counter(flight_of[sid] for sid in assignment.values())
    frozen_flights = {flight_of[p.frozen_stop] for p in problem.people if p.frozen_stop is not None}
    f_index = {int(fid): i for i, fid in enumerate(inst.flight_id.tolist())}
    candidates = sorted((load[f.id], f.id) for f in problem.flights if f.id not in frozen_flights)
    if max_candidates is not None:
        candidates = candidates[:max_candidates]
    cancelled: list[int] = []
    complete = True
    check = replace(options, lexicographic=False)
    for _, fid in candidates:
        if time.monotonic() >= deadline:
            complete = False
            break
        fi = f_index[fid]
        where = [k for k, c in enumerate(comps) if (c.c_flight == fi).any()]
        if not where:
            if load[fid] == 0:
                cancelled.append(fid)
            continue
        k = where[0]
        trial = comps[k].without_flights(np.array([fi]))
        if (np.bincount(trial.c_unit, minlength=trial.n_units) == 0).any():
            continue  # somebody would have nowhere to go
        seconds = min(2.0, deadline - time.monotonic())
        res = AssignmentModel(trial, check).solve(time.monotonic() + seconds)
        if res.feasible and not res.infeasible and res.primary_optimal:
            comps[k] = trial
            cancelled.append(fid)
    flights = {f.id: f for f in problem.flights}
    items = [
        CancellableFlight(fid, flights[fid].hours, flights[fid].hours * cost_per_flight_hour, load[fid])
        for fid in cancelled
    ]
    new_plan = None
    if cancelled:
        gone = {s.id for s in problem.stops if s.flight in set(cancelled)}
        people = tuple(
            replace(p, eligible_stops=tuple(s for s in p.eligible_stops if s not in gone))
            for p in problem.people
        )
        left = max(deadline - time.monotonic(), 1.0)
        new_plan = solve(
            replace(problem, people=tuple(replace(p, draft_stop=assignment.get(p.id)) for p in people)),
            replace(options, time_limit=left),
        )
    merges: list[RouteMerge] = []
    if routes is not None:
        gone_flights = set(cancelled)
        kept_assignment = assignment if new_plan is None else new_plan.assignment
        merges = route_merges(
            replace(problem, flights=tuple(f for f in problem.flights if f.id not in gone_flights)),
            kept_assignment,
            routes,
            cost_per_flight_hour,
        )
    return ConsolidationAdvice(
        load_factors=factors,
        cancellable=items,
        total_saved=sum(c.cost_saved for c in items),
        plan=new_plan,
        complete=complete,
        seconds=time.monotonic() - t0,
        merges=merges,
    )


#: Positioning speed and ground time per added pickup used to estimate a merge's extra hours.
CRUISE_KMH = 750.0
GROUND_HOURS = 0.75
#: Hours per hop when an airport's coordinates are unknown.
UNKNOWN_HOP_HOURS = 1.5


def _hop_hours(a: RoutePickup, b: RoutePickup) -> float:
    if None in (a.latitude, a.longitude, b.latitude, b.longitude):
        return UNKNOWN_HOP_HOURS
    assert a.latitude is not None and a.longitude is not None
    assert b.latitude is not None and b.longitude is not None
    p1, p2 = math.radians(a.latitude), math.radians(b.latitude)
    dp, dl = p2 - p1, math.radians(b.longitude - a.longitude)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h))) / CRUISE_KMH


def _chain_hours(pickups: tuple[RoutePickup, ...]) -> float:
    return sum(_hop_hours(a, b) for a, b in itertools.pairwise(pickups))


@dataclass(slots=True)
class _Load:
    people: int = 0
    escort: int = 0
    medical: int = 0
    wheelchair: int = 0
    by_country: Counter[str] = field(default_factory=Counter)


def route_merges(
    problem: Problem,
    plan: Plan | dict[int, int],
    routes: Mapping[int, MissionRoute],
    cost_per_flight_hour: float,
    *,
    max_spread_hours: float = 12.0,
    max_pickups: int = 3,
) -> list[RouteMerge]:
    """Pairs of missions of ``plan`` to the same stops (same labels, same order) that can fly as one
    (see the module docstring), best saving first; each flight takes part in at most one merge.
    Flights with frozen people are left alone (their manifest names the route). Pure and fast:
    no solve, O(flights² per destination)."""
    assignment = plan.assignment if isinstance(plan, Plan) else plan
    stops = {s.id: s for s in problem.stops}
    people = {p.id: p for p in problem.people}
    flights = {f.id: f for f in problem.flights}
    loads: dict[int, _Load] = defaultdict(_Load)
    for pid, sid in assignment.items():
        stop = stops.get(sid)
        if stop is None or stop.flight not in flights:
            continue
        person = people.get(pid)
        load = loads[stop.flight]
        load.people += 1
        load.by_country[stop.country] += 1
        if person is not None:
            load.escort += escort_tenths(person.escort_load)
            load.medical += person.needs_medical
            load.wheelchair += person.needs_wheelchair
    frozen = {stops[p.frozen_stop].flight for p in problem.people if p.frozen_stop in stops}
    caps: dict[int, dict[str, int]] = defaultdict(dict)
    for s in problem.stops:
        if s.country_cap is not None:
            caps[s.flight][s.country] = min(s.country_cap, caps[s.flight].get(s.country, s.country_cap))
    by_stops: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for fid in sorted(flights):
        route = routes.get(fid)
        if route is not None and route.pickups and route.stops and fid not in frozen:
            by_stops[route.stops].append(fid)
    limit = max_spread_hours * 3600.0
    options: list[tuple[float, int, int, RouteMerge]] = []
    for group in by_stops.values():
        for kept in group:
            for absorbed in group:
                if kept == absorbed or not loads[absorbed].people:
                    continue
                merge = _merge(
                    flights[kept],
                    flights[absorbed],
                    routes,
                    loads,
                    caps,
                    cost_per_flight_hour,
                    spread_seconds=limit,
                    max_pickups=max_pickups,
                )
                if merge is not None:
                    options.append((-merge.cost_saved, kept, absorbed, merge))
    options.sort(key=lambda o: (o[0], o[1], o[2]))
    used: set[int] = set()
    chosen = []
    for _, kept, absorbed, merge in options:
        if kept in used or absorbed in used:
            continue
        used |= {kept, absorbed}
        chosen.append(merge)
    return chosen


def _merge(
    kept: Flight,
    absorbed: Flight,
    routes: Mapping[int, MissionRoute],
    loads: Mapping[int, _Load],
    caps: Mapping[int, Mapping[str, int]],
    cost_per_flight_hour: float,
    *,
    spread_seconds: float,
    max_pickups: int,
) -> RouteMerge | None:
    """The merge of ``absorbed`` into ``kept``, or None when it breaks a capacity or the route."""
    a, b = routes[kept.id], routes[absorbed.id]
    if {p.airport for p in a.pickups} & {p.airport for p in b.pickups}:
        return None  # a shared pickup: plain cancellation advice covers it
    merged = tuple(sorted((*a.pickups, *b.pickups), key=lambda p: p.departure))
    times = [p.departure for p in merged]
    if len(merged) > max_pickups or len(set(times)) < len(times) or times[-1] - times[0] > spread_seconds:
        return None
    la, lb = loads[kept.id], loads[absorbed.id]
    if (
        la.people + lb.people > kept.seats
        or la.escort + lb.escort > kept.escort_officers * ESCORT_SCALE
        or la.medical + lb.medical > kept.medical_slots
        or la.wheelchair + lb.wheelchair > kept.wheelchair_slots
    ):
        return None
    for country, cap in caps.get(kept.id, {}).items():
        if la.by_country[country] + lb.by_country[country] > cap:
            return None
    extra = round(max(0.0, _chain_hours(merged) - _chain_hours(a.pickups)) + GROUND_HOURS * len(b.pickups), 2)
    saved = (absorbed.hours - extra) * cost_per_flight_hour
    if saved <= 0:
        return None
    return RouteMerge(
        kept=kept.id,
        absorbed=absorbed.id,
        pickups=tuple(p.airport for p in merged),
        stops=a.stops,
        people_moved=lb.people,
        seats_used=la.people + lb.people,
        seats=kept.seats,
        extra_hours=extra,
        cost_saved=saved,
    )
