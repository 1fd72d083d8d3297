"""Properties of flights with routes, on both backends: for any route (1–3 pickups, 1–3 stops) and
any hand-made draft plan on it, the listed per-leg loads equal a brute-force count of the people
aboard each leg, the fullest leg carries everybody (pickups come before stops), and the plan
export names each person's pickup airport; the editor's own text of the later pickups saves back
unchanged whatever their UTC offsets."""

from __future__ import annotations

from datetime import timedelta, timezone

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.persistence.context import AppContext
from planner.persistence.models import Assignment, Flight, FlightPickup, FlightStop, Person, PlanRun
from planner.services import flights, planning
from planner.services.auth import Actor
from planner.services.flights import FlightInput
from tests.integration.test_flight_routes import DEPART, NOW, _plan

PICKUP_AIRPORTS = ("SAT", "AEX", "HRL")
STOP_AIRPORTS = ("GUA", "SAL", "SAP")


@st.composite
def routes_and_plans(draw: st.DrawFn) -> tuple[int, int, list[int], list[tuple[int, int, int]]]:
    """(later pickups, stops, offsets in hours of the later pickups' texts, journeys
    ``(pickup, stop, people)``)."""
    later = draw(st.integers(0, 2))
    stops = draw(st.integers(1, 3))
    offsets = draw(st.lists(st.integers(-10, 12), min_size=later, max_size=later))
    journeys = draw(
        st.lists(st.tuples(st.integers(0, later), st.integers(1, stops), st.integers(1, 3)), max_size=6)
    )
    return later, stops, offsets, journeys


def _reset(ctx: AppContext) -> None:
    with ctx.uow() as uow:
        s = uow.session
        for table in (Assignment, PlanRun, Person, FlightPickup, FlightStop, Flight):
            s.execute(sa.delete(table))
        uow.commit()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=routes_and_plans())
def test_leg_loads_match_a_brute_force_count(ctx: AppContext, admin: Actor, case) -> None:
    later, n_stops, offsets, journeys = case
    _reset(ctx)
    text = ";".join(
        f"{PICKUP_AIRPORTS[i]}@"
        + (DEPART + timedelta(hours=i + 1))
        .astimezone(timezone(timedelta(hours=offsets[i])))
        .isoformat(timespec="minutes")
        for i in range(later)
    )
    data = FlightInput(
        "RF0400", "GlobalX", "A320", "IAH", DEPART, STOP_AIRPORTS[:n_stops], 50, 10, pickups=text
    )
    with ctx.uow() as uow:
        flights.save_flight(uow, admin, data, now=NOW)
    _plan(ctx, "RF0400", journeys)
    with ctx.uow(write=False) as uow:
        row = flights.get_flight(uow, admin, "RF0400")
        exported = planning.assignments_for_export(uow, admin)
    n_pickups = later + 1
    expected = [
        sum(n for p, s, n in journeys if p <= leg < n_pickups + s - 1)
        for leg in range(n_pickups + n_stops - 1)
    ]
    assert list(row.leg_loads) == expected
    assert row.placed == sum(n for *_, n in journeys) == row.peak_load
    assert row.leg_loads[later] == row.placed  # last pickup -> first stop carries everybody
    pickup_names = ("IAH", *PICKUP_AIRPORTS[:later])
    assert sorted(r["pickup_airport"] for r in exported) == sorted(
        pickup_names[p] for p, _s, n in journeys for _ in range(n)
    )
    # The editor's text (local times with offsets) saves back unchanged.
    again = FlightInput(
        "RF0400",
        "GlobalX",
        "A320",
        "IAH",
        DEPART,
        STOP_AIRPORTS[:n_stops],
        50,
        10,
        pickups=row.later_pickups_text,
    )
    with ctx.uow() as uow:
        assert flights.save_flight(uow, admin, again, expected_version=1, now=NOW).changes == {}
