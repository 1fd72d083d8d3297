"""Several pickups per flight: the pickup each placed person boards at (``solver.choose_pickups``),
the validator's per-leg and reach checks, and what ``solver.solve`` fills in ``Plan.pickup``."""

from __future__ import annotations

import solver
from solver import Flight, Person, Pickup, Problem, Stop

# Flight 1: pickups 10 (IAH, first) and 11 (SAT, later), stops 100 (first) then 101.
FLIGHT = Flight(1, seats=3, escort_officers=10, medical_slots=1, wheelchair_slots=1)
STOPS = (Stop(100, 1, "GTM", order=1), Stop(101, 1, "HND", order=2))
PICKUPS = (
    Pickup(10, 1, order=0, reached_by=frozenset({7, 8})),
    Pickup(11, 1, order=1, reached_by=frozenset({7})),
)


def _person(pid: int, facility: int | None, **kwargs) -> Person:
    return Person(pid, 3, 1.0, eligible_stops=(100, 101), facility=facility, **kwargs)


def test_everybody_boards_at_the_latest_pickup_their_facility_reaches() -> None:
    problem = Problem((_person(1, 7), _person(2, 8)), (FLIGHT,), STOPS, PICKUPS)
    assert solver.choose_pickups(problem, {1: 100, 2: 101}) == {1: 11, 2: 10}


def test_a_family_boards_together_where_every_member_is_reached() -> None:
    people = (_person(1, 7, family="F"), _person(2, 8, family="F"))
    problem = Problem(people, (FLIGHT,), STOPS, PICKUPS)
    assert solver.choose_pickups(problem, {1: 100, 2: 100}) == {1: 10, 2: 10}


def test_a_frozen_person_keeps_their_pickup_even_where_their_facility_no_longer_reaches() -> None:
    frozen = _person(1, 8, frozen_stop=100, frozen_pickup=11)
    problem = Problem((frozen,), (FLIGHT,), STOPS, PICKUPS)
    assert solver.choose_pickups(problem, {1: 100}) == {1: 11}
    assert solver.validate(problem, {1: 100}, {1: 11}) == []


def test_flights_without_listed_pickups_need_no_pickup() -> None:
    problem = Problem((_person(1, None),), (FLIGHT,), STOPS)
    assert solver.choose_pickups(problem, {1: 100}) == {}
    assert solver.validate(problem, {1: 100}) == []


def test_the_validator_reports_a_pickup_the_facility_does_not_reach_and_a_missing_one() -> None:
    problem = Problem((_person(1, 8), _person(2, 7)), (FLIGHT,), STOPS, PICKUPS)
    errors = solver.validate(problem, {1: 100, 2: 100}, {1: 11})
    assert "person 1: facility 8 does not reach pickup 11 in time" in errors
    assert "person 2: no pickup on flight 1" in errors


def test_the_validator_reports_a_leg_over_its_seats() -> None:
    people = tuple(_person(i, 7) for i in range(1, 5))
    problem = Problem(people, (FLIGHT,), STOPS, PICKUPS)
    # four people aboard the leg SAT -> first stop on a three-seat aircraft
    errors = solver.validate(problem, {1: 100, 2: 100, 3: 101, 4: 101}, {1: 10, 2: 11, 3: 11, 4: 11})
    assert "flight 1 leg 1: 4 people > 3 seats" in errors
    assert "flight 1 leg 0: 1 people > 3 seats" not in errors
    # the leg after the first stop carries only the two bound for the second stop
    assert not any("leg 2" in e for e in errors)


def test_the_validator_reports_escort_medical_and_wheelchair_per_leg() -> None:
    people = (
        Person(1, 3, 6.0, (100,), needs_medical=True, facility=7),
        Person(2, 3, 6.0, (100,), needs_medical=True, needs_wheelchair=True, facility=7),
        Person(3, 3, 0.5, (100,), needs_wheelchair=True, facility=7),
    )
    problem = Problem(people, (FLIGHT,), STOPS, PICKUPS)
    errors = solver.validate(problem, {1: 100, 2: 100, 3: 100}, {1: 10, 2: 11, 3: 11})
    assert "flight 1 leg 1: 125 escort tenths > 10 officers" in errors
    assert "flight 1 leg 1: 2 medical > 1 slots" in errors
    assert "flight 1 leg 1: 2 wheelchair > 1 slots" in errors
    assert not any("leg 0" in e for e in errors)  # only person 1 boards at the first pickup


def test_solve_fills_the_pickups_and_its_plan_validates() -> None:
    people = (_person(1, 7), _person(2, 8), _person(3, 7, family="F"), _person(4, 8, family="F"))
    problem = Problem(people, (FLIGHT,), STOPS, PICKUPS)
    plan = solver.solve(problem, solver.SolveOptions(time_limit=5))
    assert plan.placed == 3
    assert set(plan.pickup) == set(plan.assignment)
    assert solver.validate(problem, plan) == []
