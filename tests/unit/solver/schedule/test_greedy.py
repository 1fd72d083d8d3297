"""The greedy over every candidate mission: sound on random worlds, early before large, and the
scarce weekly slots to the fullest missions; the whole-missions bound (its validity on random worlds
is checked through ``solve_schedule``'s bound in ``test_optimize``)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from solver.schedule import cost
from solver.schedule.bound import seat_relaxation
from solver.schedule.greedy import greedy_schedule
from solver.schedule.master import demand_classes
from solver.schedule.mission_bound import mission_bound
from solver.schedule.optimize import _Generation
from solver.schedule.problem import AircraftType, CountryLimits, Mission, ScheduleProblem, ScheduleSolution
from solver.schedule.routes import candidate_routes
from solver.schedule.validate import check_schedule
from tests.unit.solver.schedule.test_optimize import optimum, worlds
from tests.unit.solver.schedule.worlds import JET, SMALL, singles, world


def greedy_missions(problem: ScheduleProblem, *, priced: bool = True) -> list[Mission]:
    routes = candidate_routes(problem)
    classes = demand_classes(problem)
    generation = _Generation(problem, routes, classes)
    prices = seat_relaxation(problem, routes) if priced else None
    picked = greedy_schedule(problem, classes, generation.pricer, generation.column, prices=prices)
    return generation.seed_schedule(picked)[1]


def as_solution(problem: ScheduleProblem, missions: list[Mission]) -> ScheduleSolution:
    return ScheduleSolution(tuple(missions), cost.totals(problem, missions), None, None, "FEASIBLE", 0.0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_the_greedy_schedule_keeps_every_rule(problem: ScheduleProblem) -> None:
    for priced in (True, False):
        missions = greedy_missions(problem, priced=priced)
        assert check_schedule(problem, as_solution(problem, missions)) == []
        # It never flies a mission that costs more than the waiting it ends.
        unflown = cost.totals(problem, []).cost
        assert cost.totals(problem, missions).cost <= unflown + 1e-6


def test_smaller_aircraft_early_before_a_large_one_late() -> None:
    # 16 people ready now; one Jet (10 seats) and one Small (6) a week. Ranked by the whole
    # mission's saving the Jet of week 2 would come before the Small of week 1.
    problem = world(
        (singles("GTM", "IAH", 16),),
        aircraft=(AircraftType("Jet", 10, 1000.0, 800.0, 1), AircraftType("Small", 6, 700.0, 700.0, 1)),
        days=14,
    )
    missions = greedy_missions(problem)
    assert sorted((m.day, m.aircraft, m.people(problem)) for m in missions) == [
        (0, "Jet", 10),
        (0, "Small", 6),
    ]


def test_a_scarce_weekly_slot_goes_to_the_larger_aircraft() -> None:
    # One mission a week to GTM: the 10-seat Jet carries more of the 20 waiting than the Small.
    problem = world(
        (singles("GTM", "IAH", 20),),
        countries={"GTM": CountryLimits("GTM", ("GUA",), "central", max_missions_per_week=1)},
        aircraft=(JET, SMALL),
        days=14,
    )
    missions = greedy_missions(problem)
    assert [(m.day // 7, m.aircraft, m.people(problem)) for m in sorted(missions, key=lambda m: m.day)] == [
        (0, "Jet", 10),
        (1, "Jet", 10),
    ]


def test_the_whole_missions_bound_charges_a_small_flow_its_whole_mission() -> None:
    # Three people to MEX (alone): the seat relaxation charges three seats, a schedule pays a mission.
    problem = world((singles("MEX", "IAH", 3),), days=7)
    routes = candidate_routes(problem)
    seats = seat_relaxation(problem, routes)
    missions = mission_bound(problem, routes, time_limit=10.0)
    assert seats is not None and missions is not None
    best = optimum(problem)
    assert seats.value < missions <= best + 1e-6
    assert missions == pytest.approx(best, rel=1e-5)  # one mission on day 0 is the optimum here
