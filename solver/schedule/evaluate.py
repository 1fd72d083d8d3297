"""The best loading of fixed missions: the flights already scheduled ("current") and a baseline
cadence, figured by the same cost model as a proposal."""

from __future__ import annotations

import time
from collections.abc import Sequence

from ortools.linear_solver import pywraplp  # type: ignore[import-untyped,attr-defined,unused-ignore]  # untyped SWIG

from solver.schedule import cost
from solver.schedule.explain import loading_notes
from solver.schedule.master import Column, Master, demand_classes
from solver.schedule.optimize import missions_of
from solver.schedule.problem import Mission, ScheduleProblem, ScheduleSolution
from solver.schedule.routes import airport_country


def load_missions(
    problem: ScheduleProblem,
    missions: Sequence[Mission],
    *,
    seats: Sequence[int] | None = None,
    time_limit: float = 10.0,
) -> ScheduleSolution:
    """``missions`` (their day, aircraft, pickups and stops; loads ignored) loaded at the least
    total cost: only seats (``seats[i]`` overrides the aircraft's), per-country caps, ready days
    and demand bind, no mission rule is checked. ``bound``: the LP relaxation of the loading.
    Stops at airports no country accepts carry nobody."""
    started = time.monotonic()
    classes = demand_classes(problem)
    by_airport = airport_country(problem)
    lp = Master(problem, classes, mission_rules=False, fixed=True)
    mip = Master(problem, classes, backend="SCIP", integer=True, mission_rules=False, fixed=True)
    for index, m in enumerate(missions):
        aircraft = problem.aircraft_named(m.aircraft)
        column = Column(
            problem.aircraft.index(aircraft),
            m.day,
            tuple(m.pickups),
            tuple(m.stops),
            tuple(dict.fromkeys(by_airport[s] for s in m.stops if s in by_airport)),
            cost.mission_cost(problem.places, aircraft, m.pickups, m.stops),
            seats[index] if seats is not None else aircraft.seats,
        )
        lp.add(column)
        mip.add(column)
    bound = None
    if lp.solve(time_limit) == pywraplp.Solver.OPTIMAL:
        bound = lp.value()
    status = mip.solve(max(1.0, time_limit - (time.monotonic() - started)))
    if status in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        loaded = missions_of(problem, classes, mip, keep_empty=True)
    else:
        loaded = [Mission(m.day, m.aircraft, tuple(m.pickups), tuple(m.stops), {}) for m in missions]
    seat_map = {i: s for i, s in enumerate(seats)} if seats is not None else None
    totals = cost.totals(problem, loaded, seat_map)
    if bound is not None:
        bound = min(bound, totals.cost)
    gap = (totals.cost - bound) / totals.cost if bound is not None and totals.cost > 0 else None
    done = "OPTIMAL" if gap is not None and gap <= 1e-6 else "FEASIBLE"
    notes = tuple(loading_notes(problem, loaded, seats))
    return ScheduleSolution(tuple(loaded), totals, bound, gap, done, time.monotonic() - started, notes)
