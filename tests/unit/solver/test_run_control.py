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


def test_good_enough_plan_stops_early_and_replan_of_unchanged_data_stays_put():
    from dataclasses import replace

    prob = synthetic_problem(3000, 60, seed=4, escorts="demo")
    opts = SolveOptions(time_limit=30.0, num_workers=2)
    first = solve(prob, opts)
    assert validate(prob, first) == []
    assert first.gap <= opts.primary_gap
    assert first.seconds < 15.0  # stops once the gap is proven, not at the time limit
    people = tuple(replace(p, draft_stop=first.assignment.get(p.id)) for p in prob.people)
    again = replace(prob, people=people)
    plan = solve(again, opts)
    assert validate(again, plan) == []
    assert plan.objective >= first.objective
    assert plan.moves == 0 or plan.objective > first.objective
    assert plan.stats["stages_seconds"] >= 0.0 and "relax_seconds" in plan.stats


def test_moves_floor_counts_people_whose_draft_stop_is_gone():
    from solver.compile import aggregated_layout, compile_problem
    from solver.cpsat import AssignmentModel

    people = [person(1, (10, 20), draft_stop=30), person(2, (10,), draft_stop=10), person(3, (20,))]
    prob = problem(people, [flight(1), flight(2), flight(3)])
    lay = aggregated_layout(compile_problem(prob))
    assert AssignmentModel(lay, FAST).moves_floor() == 1
    plan = solve(prob, FAST)
    assert plan.moves == 1 and plan.status is SolveStatus.OPTIMAL
