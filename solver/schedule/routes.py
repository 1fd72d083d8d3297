"""Candidate routes of the mission scheduler: which pickups and stops a mission may combine, in
which order it flies them, what it costs per aircraft type, and on which weekdays it may depart.

- Stop sets: 1–3 distinct countries of one non-empty ``region`` (a country without a region flies
  alone), one accepted airport each. Pickup sets: 1–3 distinct hubs that hold demand of at least
  one of the stop countries (a hub without such demand only adds legs).
- Flying order: the permutation of the pickups and of the stops with the least great-circle
  distance, the empty return included; block hours are ``km / cruise + 0.5 x legs``, so that order
  is the cheapest for every aircraft type.
- Departure weekdays: ``weekday_mask[a, r]`` has bit ``w`` set when a departure on weekday ``w``
  *may* meet every stop's accepted arrival weekdays in *some* flying order, under the time zones'
  offsets at the horizon's start or end (a relaxation: the lower bound prices it, and every column
  actually added is checked exactly with ``cost.arrival_weekdays``, see :func:`flying_order_for`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from solver.schedule import cost
from solver.schedule.problem import (
    DEPARTURE_HOUR_LOCAL,
    MAX_PICKUPS,
    MAX_STOPS,
    AircraftType,
    CountryLimits,
    ScheduleProblem,
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Route:
    """A pickup set and a stop set in their shortest flying order; ``countries[i]`` is the
    country of ``stops[i]``."""

    pickups: tuple[str, ...]
    stops: tuple[str, ...]
    countries: tuple[str, ...]
    km: float

    @property
    def legs(self) -> int:
        return len(self.pickups) + len(self.stops)


@dataclass
class RouteSet:
    """Every candidate route with numpy views for the pricing: ``stop_country[r, i]`` and
    ``pickup_hub[r, j]`` index ``countries`` / ``hubs`` (padding: ``len(countries)`` /
    ``len(hubs)``); ``cost[a, r]`` per aircraft type; ``first_day[r]`` the latest ``first_day`` of
    its countries; ``weekday_mask[a, r]`` see the module docstring."""

    routes: list[Route]
    countries: list[str]
    hubs: list[str]
    stop_country: IntArray
    pickup_hub: IntArray
    cost: FloatArray
    first_day: IntArray
    weekday_mask: IntArray


def route_subset(routes: RouteSet, keep: Sequence[int]) -> RouteSet:
    """The routes ``keep`` (indices into ``routes``), in that order, with their arrays."""
    index = np.asarray(keep, dtype=np.int64)
    return RouteSet(
        [routes.routes[r] for r in keep],
        routes.countries,
        routes.hubs,
        routes.stop_country[index],
        routes.pickup_hub[index],
        routes.cost[:, index],
        routes.first_day[index],
        routes.weekday_mask[:, index],
    )


def airport_country(problem: ScheduleProblem) -> dict[str, str]:
    """Accepted arrival airport -> the country that accepts arrivals there."""
    out: dict[str, str] = {}
    for limits in problem.countries.values():
        for airport in limits.airports:
            out.setdefault(airport, limits.country)
    return out


def stop_country_sets(problem: ScheduleProblem, countries: Sequence[str]) -> list[tuple[str, ...]]:
    """The country sets one mission may serve: 1–3 distinct countries of one non-empty region,
    or one country alone (sorted tuples)."""
    by_region: dict[str, list[str]] = {}
    out: list[tuple[str, ...]] = []
    for c in sorted(countries):
        region = problem.countries[c].region
        if region:
            by_region.setdefault(region, []).append(c)
        else:
            out.append((c,))
    for members in by_region.values():
        for k in range(1, min(MAX_STOPS, len(members)) + 1):
            out.extend(itertools.combinations(members, k))
    return out


def _km(
    problem: ScheduleProblem, path: Sequence[str], cache: dict[tuple[str, str], float] | None = None
) -> float:
    places = problem.places
    total = 0.0
    for a, b in itertools.pairwise(path):
        if cache is None:
            total += cost.great_circle_km(places[a], places[b])
            continue
        km = cache.get((a, b))
        if km is None:
            km = cache[a, b] = cost.great_circle_km(places[a], places[b])
        total += km
    return total


def orders(
    problem: ScheduleProblem,
    pickups: Sequence[str],
    stops: Sequence[str],
    cache: dict[tuple[str, str], float] | None = None,
) -> list[tuple[float, tuple[str, ...], tuple[str, ...]]]:
    """Every flying order (km, pickups, stops), shortest first (the empty return included)."""
    out = []
    for p in itertools.permutations(pickups):
        for s in itertools.permutations(stops):
            out.append((_km(problem, [*p, *s, p[0]], cache), p, s))
    out.sort()
    return out


def flying_order_for(
    problem: ScheduleProblem, aircraft: AircraftType, pickups: Sequence[str], stops: Sequence[str], day: int
) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The shortest flying order whose local arrival weekdays every stop's country accepts on a
    departure on ``day`` (exact, ``cost.arrival_weekdays``); None when no order does."""
    by_airport = airport_country(problem)
    for _, p, s in orders(problem, pickups, stops):
        if arrival_accepted(problem, aircraft, p, s, day, by_airport):
            return p, s
    return None


def arrival_accepted(
    problem: ScheduleProblem,
    aircraft: AircraftType,
    pickups: Sequence[str],
    stops: Sequence[str],
    day: int,
    by_airport: dict[str, str] | None = None,
) -> bool:
    """Whether every stop's local arrival weekday is one its country accepts (exact)."""
    by_airport = by_airport if by_airport is not None else airport_country(problem)
    weekdays = cost.arrival_weekdays(problem, aircraft, pickups, stops, day)
    for airport, weekday in zip(stops, weekdays, strict=True):
        accepted = problem.countries[by_airport[airport]].arrival_weekdays
        if accepted and weekday not in accepted:
            return False
    return True


def _utc_offsets_hours(problem: ScheduleProblem, airports: Sequence[str]) -> dict[str, set[float]]:
    """Each airport's UTC offsets (hours) at the horizon's start and end (a zone changes at most
    once within a few months, so every day of the horizon has one of them)."""
    out: dict[str, set[float]] = {}
    moments = [
        datetime.combine(problem.start + timedelta(days=d), time(12)) for d in (0, max(problem.days, 1))
    ]
    for airport in airports:
        zone = ZoneInfo(problem.places[airport].timezone or "UTC")
        offsets = set()
        for m in moments:
            delta = m.replace(tzinfo=zone).utcoffset()
            offsets.add(delta.total_seconds() / 3600 if delta is not None else 0.0)
        out[airport] = offsets
    return out


def _possible_offsets(
    problem: ScheduleProblem,
    pickups: Sequence[str],
    stops: Sequence[str],
    utc: dict[str, set[float]],
    cache: dict[tuple[str, str], float],
) -> list[list[set[int]]]:
    """Per aircraft type, for each stop (in ``stops``' given order): every day offset (local
    arrival date minus departure date) some flying order and some pair of zone offsets give."""
    reached: list[tuple[str, str, float, int]] = []  # (first pickup, stop, km so far, legs so far)
    for p in itertools.permutations(pickups):
        for s in itertools.permutations(stops):
            path = [*p, *s]
            km = 0.0
            for i in range(1, len(path)):
                km += _km(problem, path[i - 1 : i + 1], cache)
                if i >= len(p):
                    reached.append((p[0], path[i], km, i))
    out = []
    for aircraft in problem.aircraft:
        possible: dict[str, set[int]] = {s: set() for s in stops}
        for first, stop, km, legs in reached:
            hours = km / aircraft.cruise_kmh + cost.LEG_OVERHEAD_H * legs
            for off_first in utc[first]:
                for off_stop in utc[stop]:
                    possible[stop].add(math.floor((DEPARTURE_HOUR_LOCAL + hours + off_stop - off_first) / 24))
        out.append([possible[s] for s in stops])
    return out


def _weekday_mask(offsets: list[set[int]], limits: list[CountryLimits]) -> int:
    mask = 0
    for weekday in range(7):
        if all(
            not lim.arrival_weekdays or any((weekday + o) % 7 in lim.arrival_weekdays for o in offs)
            for offs, lim in zip(offsets, limits, strict=True)
        ):
            mask |= 1 << weekday
    return mask


def candidate_routes(problem: ScheduleProblem) -> RouteSet:
    """Every candidate route of ``problem`` (see the module docstring)."""
    hubs_of: dict[str, set[str]] = {}
    for g in problem.demand:
        if g.units > 0 and g.country in problem.countries and g.hub in problem.places:
            hubs_of.setdefault(g.country, set()).add(g.hub)
    countries = sorted(c for c in hubs_of if any(a in problem.places for a in problem.countries[c].airports))
    hubs = sorted({h for hs in hubs_of.values() for h in hs})
    all_airports = sorted(
        {*hubs, *(a for c in countries for a in problem.countries[c].airports if a in problem.places)}
    )
    utc = _utc_offsets_hours(problem, all_airports)

    cache: dict[tuple[str, str], float] = {}
    routes: list[Route] = []
    masks: list[list[int]] = []
    for country_set in stop_country_sets(problem, countries):
        limits = [problem.countries[c] for c in country_set]
        airport_choices = [[a for a in lim.airports if a in problem.places] for lim in limits]
        useful_hubs = sorted({h for c in country_set for h in hubs_of[c]})
        for airports in itertools.product(*airport_choices):
            for k in range(1, min(MAX_PICKUPS, len(useful_hubs)) + 1):
                for pickup_set in itertools.combinations(useful_hubs, k):
                    km, p, s = orders(problem, pickup_set, airports, cache)[0]
                    order = [airports.index(a) for a in s]
                    routes.append(Route(p, s, tuple(country_set[i] for i in order), km))
                    offsets = _possible_offsets(problem, pickup_set, airports, utc, cache)
                    masks.append([_weekday_mask(per_stop, limits) for per_stop in offsets])

    return _route_set(problem, routes, masks, countries, hubs)


def _route_set(
    problem: ScheduleProblem,
    routes: list[Route],
    masks: list[list[int]],
    countries: list[str],
    hubs: list[str],
) -> RouteSet:
    """The numpy views of ``routes``."""
    c_index = {c: i for i, c in enumerate(countries)}
    h_index = {h: j for j, h in enumerate(hubs)}
    n = len(routes)
    stop_country = np.full((n, MAX_STOPS), len(countries), dtype=np.int64)
    pickup_hub = np.full((n, MAX_PICKUPS), len(hubs), dtype=np.int64)
    route_cost = np.zeros((len(problem.aircraft), n))
    first_day = np.zeros(n, dtype=np.int64)
    for r, route in enumerate(routes):
        for i, c in enumerate(route.countries):
            stop_country[r, i] = c_index[c]
        for j, h in enumerate(route.pickups):
            pickup_hub[r, j] = h_index[h]
        first_day[r] = max(problem.countries[c].first_day for c in route.countries)
        for a, aircraft in enumerate(problem.aircraft):
            hours = route.km / aircraft.cruise_kmh + cost.LEG_OVERHEAD_H * route.legs
            route_cost[a, r] = hours * aircraft.cost_per_block_hour
    weekday_mask = np.array(masks, dtype=np.int64).reshape(n, len(problem.aircraft)).T.copy()
    return RouteSet(routes, countries, hubs, stop_country, pickup_hub, route_cost, first_day, weekday_mask)
