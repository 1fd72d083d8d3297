"""The cost model by hand: a two-leg mission, waiting, the unserved."""

from __future__ import annotations

import math

import pytest

from solver.schedule import cost
from solver.schedule.problem import Mission
from tests.unit.solver.schedule.worlds import JET, families, singles, world


def test_two_leg_mission_cost_and_totals_by_hand() -> None:
    problem = world((singles("GTM", "IAH", 4), families("GTM", "IAH", 1, size=3)), days=7)
    iah, gua = problem.places["IAH"], problem.places["GUA"]
    la1, lo1, la2, lo2 = map(math.radians, (iah.latitude, iah.longitude, gua.latitude, gua.longitude))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    km = 2 * 6371.0 * math.asin(math.sqrt(h))
    hours = 2 * (km / JET.cruise_kmh + 0.5)  # there and the empty return
    assert cost.block_hours(problem.places, JET, ["IAH"], ["GUA"]) == pytest.approx(hours)
    mission = Mission(2, "Jet", ("IAH",), ("GUA",), {0: 3, 1: 1})
    totals = cost.totals(problem, [mission])
    flight = hours * JET.cost_per_block_hour
    waiting = 3 * 122.0 * 2 + 300.0 * 2  # three singles and one family wait two days
    unserved = 122.0 * 7 + 5000.0  # one single left: the whole horizon and the penalty
    assert totals.flight_cost == pytest.approx(flight)
    assert totals.waiting_cost == pytest.approx(waiting + unserved)
    assert totals.cost == pytest.approx(flight + waiting + unserved)
    assert (totals.removed, totals.unserved, totals.missions) == (6, 1, 1)
    assert totals.load_factor == pytest.approx(6 / JET.seats)
    assert totals.cost_per_removal == pytest.approx(totals.cost / 6)
    assert totals.mean_wait_days == pytest.approx(2.0)


def test_carrying_more_than_the_group_is_an_error() -> None:
    problem = world((singles("GTM", "IAH", 1),))
    with pytest.raises(ValueError):
        cost.totals(problem, [Mission(0, "Jet", ("IAH",), ("GUA",), {0: 2})])
