"""Consolidation advice: flights that could be cancelled with every placed person still placed.

Greedy and bounded: flights are tried in increasing order of load (people placed, then id); a flight
with frozen people is never proposed.  For a candidate, the component of the aggregated layout that
contains it is re-solved without the flight's columns and with every placed person *required*; if that
is feasible the flight joins the cancelled set (so the advice is jointly feasible).  A final solve of
the reduced problem keeps as many people as possible at their current stop and is returned as ``plan``.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from solver.compile import aggregated_layout, compile_problem
from solver.cpsat import AssignmentModel
from solver.problem import Plan, Problem, SolveOptions
from solver.solve import solve


@dataclass(frozen=True, slots=True)
class CancellableFlight:
    """A flight to cancel, its hours, the money saved and how many people it carried."""

    flight: int
    hours: float
    cost_saved: float
    people: int


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
) -> ConsolidationAdvice:
    """Advice for ``plan`` (see module docstring); the whole call is bounded by ``time_limit`` seconds."""
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
    return ConsolidationAdvice(
        load_factors=factors,
        cancellable=items,
        total_saved=sum(c.cost_saved for c in items),
        plan=new_plan,
        complete=complete,
        seconds=time.monotonic() - t0,
    )
