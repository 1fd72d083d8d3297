"""The validator catches each broken rule (one small case each) and any totals figure that the
cost model does not give."""

from __future__ import annotations

from dataclasses import replace

import pytest

from solver.schedule import cost
from solver.schedule.problem import CountryLimits, Mission, ScheduleProblem, ScheduleSolution
from solver.schedule.validate import check_schedule
from tests.unit.solver.schedule.worlds import SMALL, families, singles, world


def solution(problem: ScheduleProblem, *missions: Mission) -> ScheduleSolution:
    return ScheduleSolution(tuple(missions), cost.totals(problem, missions), None, None, "FEASIBLE", 0.0)


BASE = world(
    (singles("GTM", "IAH", 8), singles("HND", "MIA", 3, ready=2), families("GTM", "IAH", 2, size=3)),
    countries={
        "GTM": CountryLimits("GTM", ("GUA",), "central", max_per_mission=8, max_missions_per_week=1),
        "HND": CountryLimits("HND", ("SAP",), "central", arrival_weekdays=frozenset({0, 2, 4}), first_day=1),
        "MEX": CountryLimits("MEX", ("MEX",)),
        "COL": CountryLimits("COL", ("BOG",), "andes"),
    },
    days=14,
)
# Day 2 = Wednesday: HND accepts; 5 singles of GTM and 3 of HND.
GOOD = Mission(2, "Jet", ("IAH", "MIA"), ("GUA", "SAP"), {0: 5, 1: 3})


def test_a_sound_schedule_passes() -> None:
    assert check_schedule(BASE, solution(BASE, GOOD)) == []


@pytest.mark.parametrize(
    ("mission", "expected"),
    [
        (replace(GOOD, load={0: 8, 2: 1}), "people on 10 seats"),
        (replace(GOOD, stops=("GUA",), pickups=("IAH",), load={0: 8, 2: 1}), "at most 8 per mission"),
        (replace(GOOD, day=3), "does not accept"),
        (replace(GOOD, stops=("GUA", "XPL")), "no country accepts arrivals at XPL"),
        (replace(GOOD, stops=("GUA", "MEX"), load={0: 5}), "not in one region"),
        (replace(GOOD, stops=("GUA", "BOG"), load={0: 5}), "not in one region"),
        (replace(GOOD, pickups=("IAH", "MIA", "SAT", "ELP")), "4 pickups"),
        (replace(GOOD, pickups=("IAH",), stops=("GUA", "SAP", "SAL", "MGA"), load={0: 5}), "4 stops"),
        (replace(GOOD, pickups=("IAH", "SAT")), "staged at MIA, not a pickup"),
        (replace(GOOD, pickups=("IAH", "GUA")), "GUA not a pickup airport"),
        (replace(GOOD, stops=("SAP",), load={0: 5}), "carries GTM but does not stop there"),
        (replace(GOOD, day=0, stops=("GUA", "SAP"), load={1: 3}), "ready on day 2"),
        (replace(GOOD, day=0, pickups=("MIA",), stops=("SAP",), load={}), "wants day 1 or later"),
        (replace(GOOD, load={0: 9}), "9 units carried of 8"),
        (replace(GOOD, load={0: 2.5}), "whole families only"),
        (replace(GOOD, aircraft="Zeppelin"), "unknown aircraft"),
        (replace(GOOD, day=14), "outside the horizon"),
    ],
)
def test_each_broken_rule_is_named(mission: Mission, expected: str) -> None:
    try:
        found = check_schedule(BASE, solution(BASE, mission))
    except (ValueError, KeyError):  # the cost model refuses what it cannot figure
        found = check_schedule(
            BASE, ScheduleSolution((mission,), solution(BASE).totals, None, None, "FEASIBLE", 0.0)
        )
    assert any(expected in line for line in found), found


def test_missions_per_week_per_country_and_aircraft_per_week() -> None:
    first = Mission(0, "Jet", ("IAH",), ("GUA",), {0: 2})
    second = Mission(1, "Jet", ("IAH",), ("GUA",), {0: 2})
    found = check_schedule(BASE, solution(BASE, first, second))
    assert any("GTM: 2 missions in week 1, at most 1" in line for line in found), found
    problem = replace(BASE, aircraft=(replace(SMALL, name="Jet", available_per_week=1),))
    found = check_schedule(
        problem, solution(problem, first, replace(second, day=8), replace(GOOD, day=9, load={1: 3}))
    )
    assert any("Jet: 2 missions in week 2, 1 available" in line for line in found), found


def test_totals_that_differ_from_the_cost_model() -> None:
    good = solution(BASE, GOOD)
    wrong = replace(good, totals=replace(good.totals, cost=good.totals.cost + 1.0, removed=1))
    found = check_schedule(BASE, wrong)
    assert any(line.startswith("totals cost") for line in found)
    assert any(line.startswith("totals removed") for line in found)
