"""Each constraint module on tiny instances: a forced placement is feasible or infeasible."""

from __future__ import annotations

import numpy as np
import pytest
from ortools.sat.python import cp_model

from solver import SolveStatus, Stop, solve, validate
from solver.compile import aggregated_layout, compile_problem, naive_layout
from solver.constraints import assignment, country_cap, escort, family, required, seats, slots
from tests.unit.solver.helpers import FAST, flight, person, problem


def _feasible(prob, module, placed: dict[int, int], naive: bool = True) -> bool:
    """Is ``module`` alone satisfiable with person index → stop id forced (everybody else free)?"""
    inst = compile_problem(prob)
    lay = naive_layout(inst) if naive else aggregated_layout(inst)
    model = cp_model.CpModel()
    x = [model.new_int_var(0, int(ub), "") for ub in lay.c_ub]
    for m in module if isinstance(module, tuple) else (module,):
        m.add(model, lay, x)
    for j in range(lay.n_columns):
        item = lay.u_items[int(lay.c_unit[j])][0]
        p = item[0]
        want = placed.get(p)
        if want is not None and int(inst.stop_id[lay.c_stop[j]]) == want:
            model.add(x[j] == 1)
    status = cp_model.CpSolver().solve(model)
    return status in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def test_seats():
    prob = problem([person(1, (10,)), person(2, (10,))], [flight(1, seats=1)])
    assert _feasible(prob, seats, {0: 10})
    assert not _feasible(prob, seats, {0: 10, 1: 10})


def test_escort_tenths():
    prob = problem([person(1, (10,), load=2.0), person(2, (10,), load=1.5)], [flight(1, escorts=3)])
    assert _feasible(prob, escort, {0: 10})
    assert not _feasible(prob, escort, {0: 10, 1: 10})
    prob = problem([person(1, (10,), load=1.5), person(2, (10,), load=1.5)], [flight(1, escorts=3)])
    assert _feasible(prob, escort, {0: 10, 1: 10})


@pytest.mark.parametrize("need", ["needs_medical", "needs_wheelchair"])
def test_slots(need):
    people = [person(1, (10,), **{need: True}), person(2, (10,), **{need: True})]
    prob = problem(people, [flight(1, medical=1, wheelchair=1)])
    assert _feasible(prob, slots, {0: 10})
    assert not _feasible(prob, slots, {0: 10, 1: 10})


def test_country_cap_sums_over_the_flights_stops():
    stops = [Stop(10, 1, "AAA", 1), Stop(11, 1, "AAA", None), Stop(12, 1, "BBB", None)]
    prob = problem([person(1, (10, 11, 12)), person(2, (10, 11, 12))], [flight(1)], stops)
    assert _feasible(prob, country_cap, {0: 10, 1: 12})
    assert not _feasible(prob, country_cap, {0: 10, 1: 11})


def test_assignment_at_most_once():
    prob = problem([person(1, (10, 20))], [flight(1), flight(2)])
    inst = compile_problem(prob)
    lay = naive_layout(inst)
    model = cp_model.CpModel()
    x = [model.new_int_var(0, 1, "") for _ in range(lay.n_columns)]
    assignment.add(model, lay, x)
    model.add(sum(x) == 2)
    assert cp_model.CpSolver().solve(model) == cp_model.INFEASIBLE


def test_family_links_members():
    prob = problem([person(1, (10, 20), family="F"), person(2, (10, 20), family="F")], [flight(1), flight(2)])
    assert _feasible(prob, family, {0: 10, 1: 10})
    assert _feasible(prob, family, {0: 10, 1: 20})  # links alone: both members on both stops
    assert not _feasible(prob, (family, assignment), {0: 10, 1: 20})


def test_required_family_member_must_join_frozen_member():
    people = [person(1, (10,), family="F", frozen_stop=10), person(2, (10,), family="F")]
    prob = problem(people, [flight(1, seats=1)])
    inst = compile_problem(prob)
    lay = aggregated_layout(inst)
    assert lay.u_required.all()
    model = cp_model.CpModel()
    x = [model.new_int_var(0, int(ub), "") for ub in lay.c_ub]
    required.add(model, lay, x)
    assert cp_model.CpSolver().solve(model) == cp_model.INFEASIBLE  # no seat left: no column at all
    assert solve(prob, FAST).status == SolveStatus.INFEASIBLE


def test_frozen_person_stays_and_consumes_capacity():
    people = [person(1, (), frozen_stop=10, priority=5), person(2, (10,), priority=1)]
    plan = solve(problem(people, [flight(1, seats=1)]), FAST)
    assert plan.assignment == {1: 10}
    assert plan.objective == 1 and plan.bound == 1


def test_family_whole_or_not_at_all():
    people = [
        person(1, (10,), family="F", priority=1),
        person(2, (10,), family="F", priority=1),
        person(3, (10,), priority=5),
    ]
    prob = problem(people, [flight(1, seats=2, escorts=1)])
    plan = solve(prob, FAST)
    assert plan.assignment == {3: 10}
    assert validate(prob, plan) == []
    assert plan.status == SolveStatus.OPTIMAL


def test_higher_priority_first_and_on_earlier_flights():
    people = [person(i, (10, 20), priority=1 + (i % 5)) for i in range(1, 6)]
    prob = problem(people, [flight(1, seats=2, departure=100.0), flight(2, seats=2, departure=50.0)])
    plan = solve(prob, FAST)
    assert set(plan.assignment) == {5, 1, 2, 3}  # priorities 1..4 placed, priority 5 not
    assert plan.assignment[5] == 20 and plan.assignment[1] == 20  # earliest flight for the top two
    assert plan.objective == plan.bound == 5 + 4 + 3 + 2


def test_validator_reports_violations():
    prob = problem(
        [person(1, (10,)), person(2, (10,), family="F"), person(3, (20,), family="F")],
        [flight(1, seats=1), flight(2)],
    )
    errors = validate(prob, {1: 10, 2: 10, 3: 20})
    assert any("seats" in e for e in errors)
    assert any("split" in e for e in errors)
    assert any("not eligible" in e for e in validate(prob, {1: 20}))
    assert np.all([isinstance(e, str) for e in errors])
