"""The scheduler on small random worlds: every proposal passes the validator, its totals are the
cost model's, its bound is below its cost, and on tiny worlds it is within its gap of the optimum
of the full enumeration (every candidate mission as an integer model)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.linear_solver import pywraplp

from solver.schedule import cost
from solver.schedule.baselines import weekly_cadence
from solver.schedule.evaluate import load_missions
from solver.schedule.master import Column, Master, demand_classes
from solver.schedule.optimize import solve_schedule
from solver.schedule.problem import AircraftType, CountryLimits, DemandGroup, ScheduleProblem
from solver.schedule.routes import airport_country, candidate_routes, flying_order_for
from solver.schedule.validate import check_schedule
from tests.unit.solver.schedule.worlds import JET, SMALL, families, singles, world

COUNTRIES = {
    "GTM": CountryLimits("GTM", ("GUA",), "central", max_missions_per_week=2),
    "HND": CountryLimits(
        "HND", ("SAP", "XPL"), "central", max_per_mission=5, arrival_weekdays=frozenset({1, 3})
    ),
    "SLV": CountryLimits("SLV", ("SAL",), "central", first_day=2),
    "MEX": CountryLimits("MEX", ("MEX",)),
}


@st.composite
def worlds(draw: st.DrawFn) -> ScheduleProblem:
    names = draw(st.lists(st.sampled_from(sorted(COUNTRIES)), min_size=1, max_size=3, unique=True))
    hubs = tuple(draw(st.lists(st.sampled_from(["IAH", "MIA", "SAT"]), min_size=1, max_size=3, unique=True)))
    aircraft: tuple[AircraftType, ...] = tuple(
        draw(st.lists(st.sampled_from([JET, SMALL]), min_size=1, max_size=2, unique_by=lambda a: a.name))
    )
    weeks = draw(st.integers(1, 2))
    demand = []
    for _ in range(draw(st.integers(1, 5))):
        size = draw(st.sampled_from([1, 1, 2, 3]))
        demand.append(
            DemandGroup(
                draw(st.sampled_from(names)),
                draw(st.sampled_from(hubs)),
                draw(st.integers(0, 7 * weeks - 1)),
                size,
                draw(st.integers(1, 6)),
                122.0 if size == 1 else 300.0,
            )
        )
    penalty = draw(st.sampled_from([500.0, 5000.0]))
    return world(
        tuple(demand),
        countries={c: COUNTRIES[c] for c in names},
        aircraft=aircraft,
        days=7 * weeks,
        hubs=hubs,
        penalty=penalty,
    )


def optimum(problem: ScheduleProblem) -> float:
    """The least total cost over every candidate mission (integer model, solved to optimality; each
    mission a 0/1 variable, as many copies as its aircraft may fly in a week, so that per-mission
    caps hold for every copy)."""
    routes = candidate_routes(problem)
    by_airport = airport_country(problem)
    model = Master(problem, demand_classes(problem), backend="SCIP", integer=True)
    for a, aircraft in enumerate(problem.aircraft):
        for route in routes.routes:
            for day in range(problem.days):
                if day < max(problem.countries[c].first_day for c in route.countries):
                    continue
                order = flying_order_for(problem, aircraft, route.pickups, route.stops, day)
                if order is None:
                    continue
                pickups, stops = order
                flight = cost.mission_cost(problem.places, aircraft, pickups, stops)
                countries = tuple(by_airport[s] for s in stops)
                for _ in range(aircraft.available_per_week):
                    model.y[
                        model.add(Column(a, day, pickups, stops, countries, flight, aircraft.seats))
                    ].SetUb(1.0)
    assert model.solve(60.0) == pywraplp.Solver.OPTIMAL
    return model.value()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_proposals_are_sound_and_near_the_optimum(problem: ScheduleProblem) -> None:
    solution = solve_schedule(problem, time_limit=5.0, workers=1)
    assert check_schedule(problem, solution) == []
    assert solution.totals == cost.totals(problem, solution.missions)
    assert solution.bound is not None and solution.gap is not None
    assert solution.bound <= solution.totals.cost + 1e-6
    best = optimum(problem)
    assert solution.bound <= best + 1e-6 * max(1.0, best)
    assert solution.totals.cost >= best - 1e-6 * max(1.0, best)
    # A quality floor for the heuristics on tiny worlds (families against small aircraft are the
    # hard case); the gap itself is checked above through the bound.
    assert solution.totals.cost <= best * 1.35 + 1e-6


def test_full_planes_fly_and_the_gap_closes_on_a_clear_case() -> None:
    problem = world((singles("GTM", "IAH", 20), families("GTM", "IAH", 2, size=5)), days=7)
    solution = solve_schedule(problem, time_limit=10.0, workers=1)
    assert check_schedule(problem, solution) == []
    assert solution.totals.removed == 30 and solution.totals.missions == 3
    assert all(m.people(problem) == JET.seats for m in solution.missions)
    assert solution.gap is not None and solution.gap <= 0.02


def test_a_forced_small_mission_is_explained() -> None:
    problem = world((singles("MEX", "IAH", 3, ready=0),), days=7)
    solution = solve_schedule(problem, time_limit=5.0, workers=1)
    assert len(solution.missions) == 1
    assert any("M1 30% full: only 3 people of MEX ready at IAH by then" in n for n in solution.notes), (
        solution.notes
    )


def test_nothing_to_schedule() -> None:
    solution = solve_schedule(world(()), time_limit=2.0)
    assert solution.missions == () and solution.status == "OPTIMAL"
    assert solution.notes and "nothing to schedule" in solution.notes[0]


def test_stop_request_returns_what_it_has() -> None:
    problem = world((singles("GTM", "IAH", 8),), days=7)
    solution = solve_schedule(problem, time_limit=5.0, should_stop=lambda: True)
    assert solution.status == "CANCELLED"
    assert check_schedule(problem, solution) == []


def test_weekly_cadence_and_its_loading() -> None:
    problem = world(
        (singles("GTM", "IAH", 14), singles("GTM", "MIA", 3), singles("HND", "MIA", 4, ready=8)),
        countries={**COUNTRIES, "HND": replace(COUNTRIES["HND"], max_per_mission=3)},
        aircraft=(SMALL, JET),
        days=14,
    )
    cadence = weekly_cadence(problem)
    assert [(m.day, m.stops, m.aircraft) for m in cadence] == [
        (0, ("GUA",), "Jet"),
        (7, ("GUA",), "Jet"),
        (1, ("SAP",), "Jet"),
        (8, ("SAP",), "Jet"),
    ]
    assert cadence[0].pickups == ("IAH", "MIA") or cadence[0].pickups == ("MIA", "IAH")
    loaded = load_missions(problem, cadence, seats=[10, 10, 10, 2])
    assert check_schedule(problem, loaded, seats=[10, 10, 10, 2]) == []
    assert [m.people(problem) for m in loaded.missions] == [10, 7, 0, 2]
    assert loaded.bound is not None and loaded.bound <= loaded.totals.cost + 1e-6
    assert loaded.totals.load_factor == 19 / 32
