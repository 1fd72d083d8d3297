"""``load_problem`` on a small world (both backends): who is ready when and where, families as one
unit, the hubs, the current flights, and the notes on who was left out."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from planner.domain.errors import InvalidInput
from planner.persistence.context import AppContext
from planner.services.scheduling.problem import ScheduleCosts, load_problem
from solver.schedule.problem import DemandGroup
from tests.integration.planning.invariant_worlds import World
from tests.integration.planning.request_worlds import add_requests
from tests.integration.scheduling.world import build, person

WEEKS = 4
#: Index in PEOPLE -> what it is.
PEOPLE = [
    person("GTM"),  # 0 eligible now, at SAT
    person("GTM", facility=1),  # 1 eligible now, at MIA (facility F1)
    person("HND", hold_until=10),  # 2 a hold ends in 10 days: ready on day 11
    person("SLV", family="F1"),  # 3, 4 a family of two: one unit
    person("SLV", family="F1"),
    person("MEX", order="PENDING"),  # 5 no final order: not eligible
    person("GTM", verifications=[]),  # 6 verification requested 10 days ago: expected in 20 days
    person("GTM", verifications=[]),  # 7 requested today: expected in 30 days, after the horizon
    person("HND", family="F2"),  # 8, 9 a family whose second member has no final order
    person("HND", family="F2", order="PENDING"),
    person("GTM", custody="REMOVED"),  # 10 removed: not in the demand at all
]
FLIGHTS = [
    {
        "hub": "SAT",
        "days_ahead": 5,
        "stops": ["GTM"],
        "seats": 6,
        "escorts": 12,
        "medical": 0,
        "wheelchair": 0,
    },
    {
        "hub": "MIA",
        "days_ahead": 40,
        "stops": ["HND"],
        "seats": 6,
        "escorts": 12,
        "medical": 0,
        "wheelchair": 0,
    },
]
REQUESTS = [
    {"person": 6, "country": None, "batch": 0, "sent_days_ago": 10, "answer": None, "lead": 0},
    {"person": 7, "country": None, "batch": 1, "sent_days_ago": 0, "answer": None, "lead": 0},
]
#: Without the A320 the flights fly: it is costed like the nearest seats (the small jet, 8 seats).
CATALOG = "aircraft,seats,cost_per_block_hour,cruise_kmh,available_per_week\nSmall jet,8,3000,700,5\nBig jet,30,9000,800,2\n"


def test_the_demand_the_current_flights_and_the_notes(ctx: AppContext) -> None:
    today = build(ctx, PEOPLE, FLIGHTS, catalog=CATALOG)
    add_requests(ctx, World(FLIGHTS, PEOPLE), REQUESTS)
    with ctx.uow(write=False) as uow:
        loaded = load_problem(
            uow, start=today, weeks=WEEKS, costs=ScheduleCosts(100.0, 250.0, 4000.0), now=_midnight(today)
        )
    problem = loaded.problem
    assert (problem.start, problem.days, problem.hubs, problem.unserved_penalty) == (
        today,
        28,
        ("SAT", "MIA"),
        4000.0,
    )
    assert {"GTM", "HND", "MEX", "SLV"} <= set(problem.countries)
    assert problem.countries["GTM"].airports == ("GUA",)
    assert problem.countries["GTM"].first_day == 3  # 3 days' notice, from midnight
    assert set(problem.demand) == {
        DemandGroup("GTM", "SAT", 0, 1, 1, 100.0),
        DemandGroup("GTM", "MIA", 0, 1, 1, 100.0),
        DemandGroup("HND", "SAT", 11, 1, 1, 100.0),
        DemandGroup("SLV", "SAT", 0, 2, 1, 250.0),
        DemandGroup("GTM", "SAT", 20, 1, 1, 100.0),  # the forecast (no answer history: weight 1)
    }
    # The flights already scheduled, as missions; A320 is not in the catalog.
    assert loaded.current_flights == ["T000"]  # T001 leaves after the horizon
    assert loaded.current_seats == [6]
    (mission,) = loaded.current
    assert (mission.pickups, mission.stops, mission.aircraft) == (("SAT",), ("GUA",), "A320")
    assert 5 <= mission.day <= 7
    made_up = problem.aircraft_named("A320")
    assert (made_up.available_per_week, made_up.cost_per_block_hour, made_up.cruise_kmh) == (0, 3000, 700)
    notes = "\n".join(loaded.notes)
    assert "aircraft A320 (flights T000) is not in the catalog: costed like Small jet" in notes
    assert "1 person expected eligible by an open request only after the horizon" in notes
    assert "1 person in a family with a member who cannot travel within the horizon" in notes
    assert "2 people not eligible within the horizon" in notes  # MEX and the family's member
    assert "NO_FINAL_ORDER 2" in notes
    assert "1 person expected eligible by pending requests" in notes
    assert "REMOVED" not in notes


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), UTC)


def test_the_notice_counts_from_now(ctx: AppContext) -> None:
    """A departure at 08:00 local on the notice day is too late once that hour has passed."""
    today = build(ctx, [person("GTM")])
    with ctx.uow(write=False) as uow:
        early = load_problem(uow, start=today, weeks=1, now=_midnight(today))
        late = load_problem(uow, start=today, weeks=1, now=_midnight(today) + timedelta(hours=20))
    assert (early.problem.countries["GTM"].first_day, late.problem.countries["GTM"].first_day) == (3, 4)


def test_no_aircraft_is_one_clear_line(ctx: AppContext) -> None:
    today = build(ctx, [person("GTM")], catalog="")
    with (
        ctx.uow(write=False) as uow,
        pytest.raises(
            InvalidInput, match=r"no aircraft: import an aircraft catalog first \(import aircraft FILE\)"
        ),
    ):
        load_problem(uow, start=today, weeks=2)


def test_a_hold_beyond_the_horizon_or_a_late_transfer_counts_from_the_middle(ctx: AppContext) -> None:
    today = build(ctx, [person("GTM", hold_until=40), person("GTM", hold_until=5)])
    with ctx.uow(write=False) as uow:
        loaded = load_problem(uow, start=today + timedelta(days=1), weeks=2)
    # hold until today + 5 from tomorrow: ready on day 5; the hold until day 40 never ends in the horizon
    assert [(g.ready_day, g.units) for g in loaded.problem.demand] == [(5, 1)]
    assert "1 person not eligible within the horizon" in "\n".join(loaded.notes)
    assert "LEGAL_HOLD 1" in "\n".join(loaded.notes)


def test_forecast_people_count_with_the_confirmation_rate_rounded_half_up(ctx: AppContext) -> None:
    """GTM confirmed 2 of 4 answered requests (rate 0.5): three people awaiting an answer count
    as 1.5, so 2 units of one group (ready when the answers are expected)."""
    people = [
        *(person("GTM", order="PENDING") for _ in range(4)),
        *(person("GTM", verifications=[]) for _ in range(3)),
    ]
    answered = [
        {"person": i, "country": None, "batch": 0, "sent_days_ago": 20, "answer": answer, "lead": 10}
        for i, answer in enumerate(["CONFIRMED", "CONFIRMED", "NOT_CONFIRMED", "NOT_CONFIRMED"])
    ]
    waiting = [
        {"person": i, "country": None, "batch": 1, "sent_days_ago": 5, "answer": None, "lead": 0}
        for i in (4, 5, 6)
    ]
    today = build(ctx, people)
    add_requests(ctx, World([], people), answered + waiting)
    with ctx.uow(write=False) as uow:
        loaded = load_problem(uow, start=today, weeks=2, now=_midnight(today))
    (group,) = loaded.problem.demand
    assert (group.country, group.hub, group.size, group.units) == ("GTM", "SAT", 1, 2)
    assert 0 < group.ready_day < 14
    assert "3 people expected eligible by pending requests, counted as 1.5" in "\n".join(loaded.notes)
