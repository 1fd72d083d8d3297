"""Determinism, cancel, progress, explanations and consolidation advice."""

from __future__ import annotations

from solver import (
    Resource,
    SolveOptions,
    SolveStatus,
    Stop,
    consolidation_advice,
    explain_unplaced,
    load_factors,
    solve,
    validate,
)
from tests.unit.solver.helpers import FAST, flight, person, problem
from tests.unit.solver.synthetic import synthetic_problem


def test_deterministic_for_same_input_and_seed():
    prob = synthetic_problem(600, 12, seed=3)
    opts = SolveOptions(time_limit=20.0, num_workers=2, seed=7)
    a, b = solve(prob, opts), solve(prob, opts)
    assert a.status is SolveStatus.OPTIMAL
    assert a.assignment == b.assignment
    assert validate(prob, a) == []


def test_progress_and_cancel_return_valid_plan_with_gap():
    prob = synthetic_problem(2000, 40, seed=5)
    seen: list[tuple[float, str]] = []
    plan = solve(
        prob,
        SolveOptions(time_limit=20.0),
        progress=lambda f, m: seen.append((f, m)),
        should_stop=lambda: bool(seen),
    )
    assert plan.stopped
    assert seen and all(0.0 <= f <= 1.0 for f, _ in seen) and "bound" in seen[0][1]
    assert validate(prob, plan) == []
    assert plan.bound >= plan.objective and plan.gap >= 0.0


def test_explanations_name_the_binding_resource():
    stops = [Stop(10, 1, "AAA"), Stop(20, 2, "AAA", 0)]
    people = [person(1, (10, 20), priority=1), person(2, (10, 20), priority=5, needs_medical=True)]
    prob = problem(people, [flight(1, seats=1, medical=1), flight(2, medical=0)], stops)
    plan = solve(prob, FAST)
    assert plan.assignment == {1: 10}
    why = explain_unplaced(prob, plan)
    blocks = {b.stop: b.binding for b in why[2]}
    assert blocks[10] == (Resource.SEATS,)
    assert set(blocks[20]) == {Resource.MEDICAL, Resource.COUNTRY_CAP}


def test_consolidation_cancels_a_flight_that_is_not_needed():
    people = [person(i, (10, 20)) for i in range(1, 4)]
    prob = problem(people, [flight(1, seats=5, hours=3.0), flight(2, seats=5, hours=4.0)])
    plan = solve(prob, FAST)
    advice = consolidation_advice(prob, plan, cost_per_flight_hour=1000.0, time_limit=10.0)
    assert len(advice.cancellable) == 1
    assert advice.total_saved in (3000.0, 4000.0)
    assert advice.plan is not None and advice.plan.placed == 3
    assert sum(load_factors(prob, plan).values()) == 3 / 5
