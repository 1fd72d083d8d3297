"""A stronger lower bound than the seat relaxation: whole missions per aircraft type and week.

The seat relaxation (``bound``) charges each person the least cost per seat; a small flow to a far
country then costs a fraction of the one mission it needs. This relaxation keeps the seat
relaxation's people variables (group, week) and rows, and adds integer mission counts:

- a country that flies alone (no region): ``m[a, c, w]`` missions of aircraft type ``a`` to ``c``
  in week ``w``, each costing at least ``phi[a, c]`` (its cheapest candidate route on that type);
  its people that week <= ``sum_a min(seats_a, cap_c) m[a, c, w]``; ``sum_a m[a, c, w]`` <= its
  missions per week;
- a region: ``m[a, R, w]`` missions of type ``a`` within region ``R``, each at least ``phi[a, R]``
  (its cheapest route within ``R``); the region's people that week <= ``sum_a seats_a m[a, R, w]``;
- the flight cost of each (alone country or region, week) is at least both its missions'
  ``sum phi m`` and its people's least per-seat cost (a variable ``F`` above both);
- per aircraft type and week, all its missions <= ``available_per_week``.

Every schedule gives a feasible point with at most its cost (count its missions by type, country or
region and week), so the optimum — and SCIP's proven dual bound when the time runs out — is a
lower bound on every schedule's total cost.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

from solver.callbacks import StopWatcher
from solver.schedule.bound import _add_rows, _reach, _variables
from solver.schedule.problem import ScheduleProblem
from solver.schedule.routes import RouteSet

log = logging.getLogger(__name__)


def _cheapest(routes: RouteSet, n_aircraft: int, members: set[str]) -> list[float]:
    """Per aircraft type, the least cost of a candidate route whose countries are all in
    ``members`` and that it may fly on some weekday (inf: none)."""
    inside = np.array([set(r.countries) <= members for r in routes.routes], dtype=np.bool_)
    out = []
    for a in range(n_aircraft):
        usable = inside & (routes.weekday_mask[a] != 0)
        out.append(float(routes.cost[a, usable].min()) if usable.any() else math.inf)
    return out


class _Model:
    """The relaxation being built: SCIP, the seat relaxation's rows, the mission variables per
    (aircraft type, week)."""

    def __init__(self, problem: ScheduleProblem, routes: RouteSet, solver: Any, rows: Any) -> None:
        self.problem, self.routes, self.solver, self.rows = problem, routes, solver, rows
        self.c_index = {c: i for i, c in enumerate(routes.countries)}
        self.per_aircraft_week: dict[tuple[int, int], list[Any]] = defaultdict(list)

    def people(self, members: set[str], week: int) -> list[tuple[Any, float]]:
        """The people variables (with their sizes) of ``members`` flying in ``week``."""
        return [t for c in sorted(members) for t in self.rows.country_week.get((self.c_index[c], week), [])]

    def add_group(self, members: set[str], alone: bool) -> None:
        """The missions of one alone country or one region, per week (module docstring)."""
        problem, solver = self.problem, self.solver
        inf = solver.infinity()
        phi = _cheapest(self.routes, len(problem.aircraft), members)
        limits = problem.countries[next(iter(members))]
        cap = limits.max_per_mission if alone else None
        most = limits.max_missions_per_week if alone else None
        for w in range(problem.weeks):
            people = self.people(members, w)
            if not people:
                continue
            link = _at_most_seats(solver, people)
            slots = solver.Constraint(-inf, float(most)) if most is not None else None
            missions = solver.Constraint(0.0, inf)  # F - sum phi m >= 0
            by_seat = solver.Constraint(0.0, inf)  # F - sum kappa size x >= 0
            flight = solver.NumVar(0.0, inf, "")
            solver.Objective().SetCoefficient(flight, 1.0)
            missions.SetCoefficient(flight, 1.0)
            by_seat.SetCoefficient(flight, 1.0)
            for c in members:
                for x, cost in self.rows.flight.get((self.c_index[c], w), []):
                    by_seat.SetCoefficient(x, -cost)
            region_missions: dict[int, Any] = {}
            for a, plane in enumerate(problem.aircraft):
                if not math.isfinite(phi[a]) or plane.available_per_week <= 0:
                    continue
                m = solver.IntVar(0.0, float(plane.available_per_week), "")
                link.SetCoefficient(m, -float(plane.seats if cap is None else min(plane.seats, cap)))
                missions.SetCoefficient(m, -phi[a])
                if slots is not None:
                    slots.SetCoefficient(m, 1.0)
                self.per_aircraft_week[a, w].append(m)
                region_missions[a] = m
            if not alone:
                for c in sorted(members):
                    self.serving(c, w, region_missions)

    def serving(self, country: str, week: int, region_missions: dict[int, Any]) -> None:
        """For a country of a region with a cap or a weekly mission limit: ``n[a]`` missions of type
        ``a`` serving it that week (at most the region's ``m[a]``, at most its weekly limit in
        all), and its people <= ``sum_a min(seats_a, cap) n[a]``: its slots cannot all be the
        largest aircraft when only a few of them exist."""
        solver, limits = self.solver, self.problem.countries[country]
        if limits.max_per_mission is None and limits.max_missions_per_week is None:
            return
        people = self.people({country}, week)
        if not people:
            return
        link = _at_most_seats(solver, people)
        most = limits.max_missions_per_week
        slots = solver.Constraint(-solver.infinity(), float(most)) if most is not None else None
        cap = limits.max_per_mission
        for a, m in region_missions.items():
            seats = self.problem.aircraft[a].seats
            n = solver.NumVar(0.0, solver.infinity(), "")
            within = solver.Constraint(-solver.infinity(), 0.0)  # n <= m
            within.SetCoefficient(n, 1.0)
            within.SetCoefficient(m, -1.0)
            link.SetCoefficient(n, -float(seats if cap is None else min(seats, cap)))
            if slots is not None:
                slots.SetCoefficient(n, 1.0)

    def aircraft_rows(self) -> None:
        """Per aircraft type and week, all its missions within ``available_per_week``."""
        for (a, _w), variables in self.per_aircraft_week.items():
            row = self.solver.Constraint(
                -self.solver.infinity(), float(self.problem.aircraft[a].available_per_week)
            )
            for m in variables:
                row.SetCoefficient(m, 1.0)


def _at_most_seats(solver: Any, people: list[tuple[Any, float]]) -> Any:
    """A row ``sum size x <= 0`` to which the caller adds ``-seats`` per mission variable."""
    row = solver.Constraint(-solver.infinity(), 0.0)
    for x, size in people:
        row.SetCoefficient(x, size)
    return row


def mission_bound(
    problem: ScheduleProblem,
    routes: RouteSet,
    *,
    time_limit: float,
    workers: int = 1,
    should_stop: Callable[[], bool] | None = None,
) -> float | None:
    """The relaxation's proven lower bound (module docstring) within ``time_limit`` seconds (or until
    ``should_stop``), or None when SCIP is unavailable or proves nothing."""
    from ortools.linear_solver import pywraplp  # type: ignore[import-untyped,attr-defined,unused-ignore]

    days, penalty = problem.days, problem.unserved_penalty
    constant = sum(g.units * (g.cost_per_day * days + penalty * g.size) for g in problem.demand)
    if not routes.routes or not problem.aircraft or days <= 0:
        return constant
    solver = pywraplp.Solver.CreateSolver("SCIP")
    if solver is None:
        return None
    reach = _reach(problem, routes)
    rows = _variables(problem, routes, reach, solver, seats_priced=False)
    if not rows.demand:
        return constant
    _add_rows(problem, routes, reach, rows, solver)
    model = _Model(problem, routes, solver, rows)
    groups: dict[str, set[str]] = {}
    for c in routes.countries:
        region = problem.countries[c].region
        groups.setdefault(f"region:{region}" if region else f"alone:{c}", set()).add(c)
    for key, members in groups.items():
        model.add_group(members, alone=key.startswith("alone:"))
    model.aircraft_rows()
    objective = solver.Objective()
    objective.SetMinimization()
    solver.SetTimeLimit(max(1, int(time_limit * 1000)))
    solver.SetNumThreads(workers)
    with StopWatcher(should_stop, solver.InterruptSolve):
        status = solver.Solve()
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        log.info("mission bound: SCIP status %s", status)
        return None
    best = float(objective.BestBound())
    if not math.isfinite(best):
        return None
    value = constant + best
    log.info("mission bound %.0f (SCIP %s, %d variables)", value, status, solver.NumVariables())
    return value - 1e-6 * abs(value)
