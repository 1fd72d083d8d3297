"""The cost model, exact, so that anyone can check a proposal (issue 17).

- A mission flies its legs in order: the pickups, then the stops, then back empty from the last
  stop to the first pickup. A leg takes great-circle distance / ``cruise_kmh`` + ``LEG_OVERHEAD_H``
  (0.5 h); the mission's block hours are the sum over its legs and its cost block hours x
  ``cost_per_block_hour``.
- A unit waits from day 0 (the proposal date) to its mission's departure day: ``cost_per_day`` x
  day. A unit no mission takes waits to the end of the horizon (``days``) and costs
  ``unserved_penalty`` per person on top.
- Distances are haversine on a sphere of radius ``EARTH_RADIUS_KM``.

Arrival dates (for the receiving states' weekdays) are local at each stop: departure at
``DEPARTURE_HOUR_LOCAL`` local time at the first pickup, plus the block hours of the legs before the
stop.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from solver.schedule.problem import (
    DEPARTURE_HOUR_LOCAL,
    AircraftType,
    Mission,
    Place,
    ScheduleProblem,
    Totals,
)

EARTH_RADIUS_KM = 6371.0
LEG_OVERHEAD_H = 0.5


def great_circle_km(a: Place, b: Place) -> float:
    """Haversine distance between two airports, km."""
    la1, lo1, la2, lo2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def leg_hours(a: Place, b: Place, cruise_kmh: float) -> float:
    """Block hours of one leg."""
    return great_circle_km(a, b) / cruise_kmh + LEG_OVERHEAD_H


def route_legs(pickups: Sequence[str], stops: Sequence[str]) -> list[tuple[str, str]]:
    """The legs of a mission in flying order, the empty return to the first pickup last."""
    path = [*pickups, *stops, pickups[0]]
    return list(itertools.pairwise(path))


def block_hours(
    places: Mapping[str, Place], aircraft: AircraftType, pickups: Sequence[str], stops: Sequence[str]
) -> float:
    """The mission's block hours (sum over its legs)."""
    return sum(leg_hours(places[a], places[b], aircraft.cruise_kmh) for a, b in route_legs(pickups, stops))


def mission_cost(
    places: Mapping[str, Place], aircraft: AircraftType, pickups: Sequence[str], stops: Sequence[str]
) -> float:
    """Block hours x cost per block hour."""
    return block_hours(places, aircraft, pickups, stops) * aircraft.cost_per_block_hour


def departure_instant(start: date, day: int, first_pickup: Place) -> datetime:
    """The departure (aware, in the first pickup's zone) of a mission leaving on ``day``."""
    zone = ZoneInfo(first_pickup.timezone or "UTC")
    hours = int(DEPARTURE_HOUR_LOCAL)
    minutes = round((DEPARTURE_HOUR_LOCAL - hours) * 60)
    return datetime.combine(start + timedelta(days=day), time(hours, minutes), zone)


def stop_arrivals(
    problem: ScheduleProblem, aircraft: AircraftType, pickups: Sequence[str], stops: Sequence[str], day: int
) -> list[datetime]:
    """Arrival instant at each stop (aware, in the stop's own zone): departure plus the block
    hours of the legs before it."""
    places = problem.places
    moment = departure_instant(problem.start, day, places[pickups[0]])
    out = []
    path = [*pickups, *stops]
    for i in range(1, len(path)):
        moment = moment + timedelta(
            hours=leg_hours(places[path[i - 1]], places[path[i]], aircraft.cruise_kmh)
        )
        if i >= len(pickups):
            out.append(moment.astimezone(ZoneInfo(places[path[i]].timezone or "UTC")))
    return out


def arrival_weekdays(
    problem: ScheduleProblem, aircraft: AircraftType, pickups: Sequence[str], stops: Sequence[str], day: int
) -> list[int]:
    """The local weekday of the arrival at each stop (0 = Monday)."""
    return [a.weekday() for a in stop_arrivals(problem, aircraft, pickups, stops, day)]


def totals(
    problem: ScheduleProblem, missions: Iterable[Mission], seats: Mapping[int, int] | None = None
) -> Totals:
    """The figures of a schedule, from the cost model alone. ``seats``: per mission index, the
    seats to count in the load factor when they are not the aircraft's (flights already
    scheduled); the flight cost of every mission is recomputed from its route and aircraft."""
    missions = list(missions)
    flight_cost = 0.0
    taken = [0] * len(problem.demand)
    waiting = 0.0
    removed = 0
    wait_days = 0
    total_seats = 0
    for index, m in enumerate(missions):
        aircraft = problem.aircraft_named(m.aircraft)
        flight_cost += mission_cost(problem.places, aircraft, m.pickups, m.stops)
        total_seats += seats[index] if seats and index in seats else aircraft.seats
        for g, units in m.load.items():
            group = problem.demand[g]
            taken[g] += units
            waiting += group.cost_per_day * m.day * units
            removed += group.size * units
            wait_days += m.day * group.size * units
    unserved = 0
    for g, group in enumerate(problem.demand):
        left = group.units - taken[g]
        if left < 0:
            raise ValueError(f"demand group {g} carried {taken[g]} units of {group.units}")
        waiting += left * (group.cost_per_day * problem.days + problem.unserved_penalty * group.size)
        unserved += left * group.size
    cost = flight_cost + waiting
    return Totals(
        cost=cost,
        flight_cost=flight_cost,
        waiting_cost=waiting,
        removed=removed,
        cost_per_removal=cost / removed if removed else None,
        mean_wait_days=wait_days / removed if removed else None,
        load_factor=removed / total_seats if total_seats else None,
        missions=len(missions),
        unserved=unserved,
    )
