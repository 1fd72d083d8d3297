"""A lower bound on the total cost of any schedule: the seat relaxation.

Every person a mission carries is charged at least the cheapest cost *per seat* of any route and
aircraft that could carry them, and waits at least until the earliest day in the week they fly on
which such a route may depart; missions are relaxed to seats (the aircraft offer
``sum of available_per_week x seats`` seats a week). The result is a small LP over (demand group,
week) — a transportation problem — whose optimum is a valid lower bound:

- a mission of aircraft ``a`` on route ``r`` costs ``cost[a, r]`` and carries at most
  ``capacity(a, r) = min(seats_a, sum of its countries' caps)`` people, so it costs at least
  ``kappa[g] = min over the aircraft and routes that can carry g of cost / capacity`` per person
  of g on it;
- a unit flown in week ``w`` departs no earlier than the first day of ``w`` that is at or after its
  ready day and its country's first day and whose weekday some route that can carry it may depart
  on (``RouteSet.weekday_mask``, itself a relaxation);
- per week at most ``available_per_week`` missions of each aircraft type: at most that many times
  its seats in all, and of one country's people at most ``min(seats, cap)`` per mission; per
  country and week at most ``max_missions_per_week`` missions of at most ``min(cap, largest
  seats)`` of its people.

Integer missions, loads below full and the consolidation of small flows are what the relaxation
gives away; on large instances those are a small share of the total, so the bound is tight where
column generation converges slowly. ``solve_schedule`` reports the larger of the two bounds.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from solver.schedule.problem import ScheduleProblem, week_of
from solver.schedule.routes import RouteSet

log = logging.getLogger(__name__)

_NEVER = 1 << 30
FloatArray = npt.NDArray[np.float64]


def _next_allowed(days: int, start_weekday: int, mask: int) -> list[int]:
    """``out[d]``: the first day >= d whose weekday bit is set in ``mask`` (``_NEVER`` if none)."""
    out = [_NEVER] * (days + 1)
    for d in range(days - 1, -1, -1):
        out[d] = d if mask >> ((start_weekday + d) % 7) & 1 else out[d + 1]
    return out


@dataclass
class _Reach:
    """Per (country, hub) over the routes and aircraft carrying both: ``kappa`` the least cost per
    seat and ``next_day`` (see ``_next_allowed``); ``caps`` per country (inf: none)."""

    kappa: dict[tuple[int, int], float]
    next_day: dict[tuple[int, int], list[int]]
    caps: FloatArray


def _reach(problem: ScheduleProblem, routes: RouteSet) -> _Reach:
    seats = np.array([a.seats for a in problem.aircraft], dtype=np.float64)
    limits = [problem.countries[c].max_per_mission for c in routes.countries]
    caps = np.array([math.inf if cap is None else float(cap) for cap in limits] + [0.0])
    route_caps = caps[routes.stop_country].sum(axis=1)  # the padding column adds 0
    per_seat = routes.cost / np.maximum(np.minimum(seats[:, None], route_caps[None, :]), 1e-9)
    start_weekday = problem.start.weekday()
    kappa: dict[tuple[int, int], float] = {}
    next_day: dict[tuple[int, int], list[int]] = {}
    for ci in range(len(routes.countries)):
        has_c = (routes.stop_country == ci).any(axis=1)
        for hj in range(len(routes.hubs)):
            both = has_c & (routes.pickup_hub == hj).any(axis=1)
            if not both.any():
                continue
            kappa[(ci, hj)] = float(per_seat[:, both].min())
            mask = int(np.bitwise_or.reduce(routes.weekday_mask[:, both], axis=None))
            next_day[(ci, hj)] = _next_allowed(problem.days, start_weekday, mask)
    return _Reach(kappa, next_day, caps)


Terms = list[tuple[Any, float]]


@dataclass
class _Rows:
    demand: dict[int, Terms] = field(default_factory=lambda: defaultdict(list))
    week: dict[int, Terms] = field(default_factory=lambda: defaultdict(list))
    country_week: dict[tuple[int, int], Terms] = field(default_factory=lambda: defaultdict(list))
    #: per (country, week): each variable with its people's least flight cost (``size x kappa``)
    flight: dict[tuple[int, int], Terms] = field(default_factory=lambda: defaultdict(list))


def _variables(
    problem: ScheduleProblem, routes: RouteSet, reach: _Reach, solver: Any, *, seats_priced: bool = True
) -> _Rows:
    """One variable per (group, week) worth flying in the relaxation, with its rows. Its cost is the
    waiting to the week's first allowed day less the unserved cost, plus (``seats_priced``) the
    least flight cost per seat of its people; without, ``rows.flight`` holds that cost for the
    caller's own flight terms."""
    c_index = {c: i for i, c in enumerate(routes.countries)}
    h_index = {h: j for j, h in enumerate(routes.hubs)}
    days, objective, rows = problem.days, solver.Objective(), _Rows()
    for g, group in enumerate(problem.demand):
        ci, hj = c_index.get(group.country), h_index.get(group.hub)
        if group.units <= 0 or ci is None or hj is None or (ci, hj) not in reach.kappa:
            continue
        first = max(group.ready_day, problem.countries[group.country].first_day)
        unserved = group.cost_per_day * days + problem.unserved_penalty * group.size
        allowed = reach.next_day[(ci, hj)]
        for w in range(week_of(min(first, days)), problem.weeks):
            low, high = max(first, 7 * w), min(7 * w + 6, days - 1)
            if low > high or allowed[low] > high:
                continue
            flight = group.size * reach.kappa[(ci, hj)]
            coefficient = flight + group.cost_per_day * allowed[low] - unserved
            if not coefficient < 0:
                continue  # never worth flying in the relaxation (or no route: inf)
            x = solver.NumVar(0.0, float(group.units), "")
            objective.SetCoefficient(x, float(coefficient if seats_priced else coefficient - flight))
            rows.demand[g].append((x, 1.0))
            rows.week[w].append((x, float(group.size)))
            rows.country_week[(ci, w)].append((x, float(group.size)))
            rows.flight[(ci, w)].append((x, float(flight)))
    return rows


@dataclass
class _Capacity:
    """The week rows (week -> row) and the country-week rows ((country, week) -> row and the most
    people of the country one mission may carry)."""

    week: dict[int, Any] = field(default_factory=dict)
    country_week: dict[tuple[str, int], tuple[Any, float]] = field(default_factory=dict)


def _add_rows(
    problem: ScheduleProblem, routes: RouteSet, reach: _Reach, rows: _Rows, solver: Any
) -> _Capacity:
    def row(terms: Terms, limit: float) -> Any:
        constraint = solver.Constraint(-solver.infinity(), limit)
        for variable, coefficient in terms:
            constraint.SetCoefficient(variable, coefficient)
        return constraint

    capacity = _Capacity()
    for g, terms in rows.demand.items():
        row(terms, float(problem.demand[g].units))
    week_seats = float(sum(a.available_per_week * a.seats for a in problem.aircraft))
    for w, terms in rows.week.items():
        capacity.week[w] = row(terms, week_seats)
    largest = float(max(a.seats for a in problem.aircraft))
    for (ci, w), terms in rows.country_week.items():
        cap = float(reach.caps[ci])
        limit = float(sum(a.available_per_week * min(cap, float(a.seats)) for a in problem.aircraft))
        most = problem.countries[routes.countries[ci]].max_missions_per_week
        if most is not None:
            limit = min(limit, most * min(cap, largest))
        if math.isfinite(limit):
            capacity.country_week[routes.countries[ci], w] = (row(terms, limit), min(cap, largest))
    return capacity


@dataclass(frozen=True)
class SeatRelaxation:
    """The seat relaxation's optimum ``value`` (a lower bound) and what its duals say a mission's
    scarce capacity is worth: ``seat_price[w]`` per aircraft seat flown in week ``w`` and
    ``slot_price[(country, w)]`` per mission to ``country`` in week ``w`` (its per-person price
    times the most people of the country one mission carries). Prices only guide the greedy."""

    value: float
    seat_price: dict[int, float] = field(default_factory=dict)
    slot_price: dict[tuple[str, int], float] = field(default_factory=dict)


def seat_relaxation(problem: ScheduleProblem, routes: RouteSet) -> SeatRelaxation | None:
    """The seat relaxation solved (module docstring), or None when the LP solver fails."""
    from ortools.linear_solver import pywraplp  # type: ignore[import-untyped,attr-defined,unused-ignore]

    days, penalty = problem.days, problem.unserved_penalty
    constant = sum(g.units * (g.cost_per_day * days + penalty * g.size) for g in problem.demand)
    if not routes.routes or not problem.aircraft or days <= 0:
        return SeatRelaxation(constant)
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:
        return None
    reach = _reach(problem, routes)
    rows = _variables(problem, routes, reach, solver)
    if not rows.demand:
        return SeatRelaxation(constant)
    capacity = _add_rows(problem, routes, reach, rows, solver)
    solver.Objective().SetMinimization()
    status = solver.Solve()
    if status != pywraplp.Solver.OPTIMAL:
        log.warning("seat bound: LP status %s", status)
        return None
    value = float(constant + solver.Objective().Value())
    log.info("seat bound %.0f (%d variables)", value, solver.NumVariables())
    # A hair below the LP optimum, for the solver's tolerances.
    return SeatRelaxation(
        value - 1e-6 * abs(value),
        {w: max(0.0, -row.dual_value()) for w, row in capacity.week.items()},
        {key: max(0.0, -row.dual_value()) * most for key, (row, most) in capacity.country_week.items()},
    )
