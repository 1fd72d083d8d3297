"""Hypothesis property tests on small random instances against the naive exact model."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import Flight, Person, Problem, SolveOptions, SolveStatus, Stop, solve, validate

AGG = SolveOptions(time_limit=20.0, num_workers=1)
NAIVE = SolveOptions(time_limit=20.0, num_workers=1, aggregate=False)


@st.composite
def instances(draw: st.DrawFn) -> Problem:
    n_flights = draw(st.integers(1, 3))
    flights, stops = [], []
    for f in range(1, n_flights + 1):
        flights.append(
            Flight(
                f,
                draw(st.integers(0, 4)),
                draw(st.integers(0, 6)),
                draw(st.integers(0, 1)),
                draw(st.integers(0, 1)),
                float(draw(st.integers(0, 3))),
                4.0,
            )
        )
        for k in range(draw(st.integers(1, 2))):
            cap = draw(st.one_of(st.none(), st.integers(0, 3)))
            stops.append(Stop(f * 10 + k, f, draw(st.sampled_from(["AAA", "BBB"])), cap))
    stop_ids = [s.id for s in stops]
    people: list[Person] = []
    n = draw(st.integers(1, 9))
    fam = 0
    while len(people) < n:
        size = draw(st.sampled_from([1, 1, 1, 2, 3]))
        elig = tuple(draw(st.lists(st.sampled_from(stop_ids), max_size=3, unique=True)))
        family = None
        if size > 1:
            fam += 1
            family = f"F{fam}"
        frozen = draw(st.sampled_from([None, None, None, None, *stop_ids])) if size == 1 else None
        for _ in range(size):
            pid = len(people) + 1
            draft = draw(st.one_of(st.none(), st.sampled_from(stop_ids)))
            people.append(
                Person(
                    pid,
                    draw(st.integers(1, 5)),
                    draw(st.sampled_from([1.0, 1.5, 2.0])),
                    elig,
                    draw(st.booleans()),
                    draw(st.booleans()),
                    family,
                    draft,
                    frozen,
                )
            )
    return Problem(tuple(people), tuple(flights), tuple(stops))


def _frozen_fits(prob: Problem) -> bool:
    return validate(prob, {p.id: p.frozen_stop for p in prob.people if p.frozen_stop is not None}) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_plan_valid_and_optimal_like_naive(prob: Problem) -> None:
    plan = solve(prob, AGG)
    naive = solve(prob, NAIVE)
    assert plan.status == naive.status
    if plan.status is SolveStatus.INFEASIBLE:
        return
    assert plan.status is SolveStatus.OPTIMAL
    if _frozen_fits(prob):
        assert validate(prob, plan) == []
        assert validate(prob, naive) == []
    assert plan.objective == naive.objective == plan.bound
    assert plan.moves == naive.moves
    for p in prob.people:  # frozen people never move
        if p.frozen_stop is not None:
            assert plan.assignment[p.id] == p.frozen_stop
    families: dict[str, set] = {}
    for p in prob.people:  # families never split
        if p.family:
            families.setdefault(p.family, set()).add(plan.assignment.get(p.id))
    assert all(len(v) == 1 for v in families.values())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.data())
def test_replanning_after_one_person_becomes_ineligible(prob: Problem, data: st.DataObject) -> None:
    first = solve(prob, AGG)
    if first.status is not SolveStatus.OPTIMAL or not _frozen_fits(prob):
        return
    movable = [
        p for p in prob.people if p.id in first.assignment and p.frozen_stop is None and p.family is None
    ]
    if not movable:
        return
    gone = data.draw(st.sampled_from(movable)).id
    people = tuple(
        replace(
            p, draft_stop=first.assignment.get(p.id), eligible_stops=() if p.id == gone else p.eligible_stops
        )
        for p in prob.people
    )
    again = replace(prob, people=people)
    plan = solve(again, AGG)
    naive = solve(again, NAIVE)
    assert validate(again, plan) == []
    assert plan.objective == naive.objective
    assert plan.moves == naive.moves  # the fewest moves that keep the best primary objective
    if plan.objective == first.objective - (6 - next(p for p in prob.people if p.id == gone).priority):
        assert plan.moves == 1  # nobody else had to move
