"""Forecasts: when each requested person is expected to become eligible, how many by each upcoming
cut-off, and the dashboard's view of the pipeline — on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from planner.persistence.context import AppContext
from planner.services import dashboard, flights
from planner.services.auth import Actor
from planner.services.consular.status import forecast_by_cutoff, forecast_people, pipeline_dashboard
from planner.services.flights import FlightInput
from tests.integration.consular import pipeline_world
from tests.integration.consular.pipeline_world import reference

TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def world(ctx: AppContext) -> dict[str, int]:
    with ctx.uow() as uow:
        ids = pipeline_world.build(uow.session, TODAY)
        uow.commit()
    return ids


def _flight(ctx: AppContext, actor: Actor, code: str, days: int, stops: tuple[str, ...]) -> None:
    with ctx.uow() as uow:
        flights.save_flight(
            uow, actor, FlightInput(code, "GlobalX", "B767", "IAH", NOW + days * DAY, stops, 100, 20), now=NOW
        )


@pytest.fixture
def schedule(ctx: AppContext, admin: Actor, world: dict[str, int]) -> None:
    _flight(ctx, admin, "RF0101", 30, ("PEK", "GUA"))
    _flight(ctx, admin, "RF0102", 60, ("PVG", "PEK"))
    _flight(ctx, admin, "RF0103", 20, ("PEK",))
    with ctx.uow() as uow:
        flights.cancel_flight(uow, admin, "RF0103", expected_version=1)


def test_each_requested_person_gets_an_expected_date_and_what_is_awaited(
    ctx: AppContext, officer: Actor, world: dict[str, int]
) -> None:
    with ctx.uow(write=False) as uow:
        rows = forecast_people(uow, officer, today=TODAY)
    by_person = {(f.person_id, f.country): f for f in rows}
    assert [f.person_id for f in rows] == [world[k] for k in ("c1", "c5", "c6", "c7", "h1")]
    vr1 = reference("VR", "CHN", TODAY - 92 * DAY, 1)
    vr2 = reference("VR", "CHN", TODAY - 7 * DAY, 2)
    td1 = reference("TD", "CHN", TODAY - 61 * DAY, 1)
    # overdue verification: expected today; no document, China issues them: + 30 days
    c5 = by_person[(world["c5"], "CHN")]
    assert c5.expected_eligible_on == TODAY + 30 * DAY
    assert c5.waiting_for == (f"verification {vr1}", "travel document (not requested yet)")
    assert c5.confirm_rate == 0.75 and c5.case_number == "A100000005"
    # a passport valid long enough: only the verification (due T+13)
    c6 = by_person[(world["c6"], "CHN")]
    assert (c6.expected_eligible_on, c6.waiting_for) == (TODAY + 13 * DAY, (f"verification {vr2}",))
    # a passport expiring at T+30 is too short after T+13 (China wants 30 days' validity)
    c7 = by_person[(world["c7"], "CHN")]
    assert c7.expected_eligible_on == TODAY + 43 * DAY
    # confirmed, an overdue travel-document request: today
    c1 = by_person[(world["c1"], "CHN")]
    assert (c1.expected_eligible_on, c1.waiting_for) == (TODAY, (f"travel document {td1}",))
    assert not c1.verification_open
    # Haiti (default rule: passport only) issues no documents on request: no known path
    h1 = by_person[(world["h1"], "HTI")]
    assert h1.expected_eligible_on is None and h1.confirm_rate is None
    assert h1.waiting_for[-1] == "a travel document (HTI issues none on request)"


def test_forecast_by_cutoff_counts_people_expected_eligible_by_each_cutoff(
    ctx: AppContext, officer: Actor, schedule: None
) -> None:
    with ctx.uow(write=False) as uow:
        rows = forecast_by_cutoff(uow, officer, now=NOW)
    assert [(r.flight_code, r.country, r.cutoff_on) for r in rows] == [
        ("RF0101", "CHN", TODAY + 16 * DAY),  # 30 days out, China's 14 days' notice
        ("RF0101", "GTM", TODAY + 27 * DAY),  # Guatemala's 3 days
        ("RF0102", "CHN", TODAY + 46 * DAY),  # two Chinese stops: one line
    ]
    first, gtm, second = rows
    assert first.departure_utc == NOW + 30 * DAY
    # by T+16: c1 (today) and c6 (T+13); c6 weighted by China's confirmation rate 0.75
    assert first.expected_people == 2 and first.expected_confirmed == pytest.approx(1.75)
    assert (gtm.expected_people, gtm.expected_confirmed) == (0, 0.0)
    # by T+46 everybody of China: c1 whole, c5, c6, c7 at 0.75
    assert second.expected_people == 4 and second.expected_confirmed == pytest.approx(3.25)
    with ctx.uow(write=False) as uow:
        assert forecast_by_cutoff(uow, officer, now=NOW + 61 * DAY) == []


def test_the_dashboard_carries_overdue_per_country_and_the_cutoff_forecast(
    ctx: AppContext, officer: Actor, schedule: None
) -> None:
    with ctx.uow(write=False) as uow:
        pipeline = pipeline_dashboard(uow, officer, now=NOW)
        board = dashboard.dashboard(uow, officer, now=NOW)
    assert board.pipeline == pipeline
    assert [(o.country, o.name, o.overdue, o.oldest_days_overdue) for o in pipeline.overdue] == [
        ("CHN", "China", 2, 72),
        ("HTI", "Haiti", 1, 1),
    ]
    assert pipeline.overdue[0].references == (
        reference("TD", "CHN", TODAY - 61 * DAY, 1),
        reference("VR", "CHN", TODAY - 92 * DAY, 1),
    )
    assert pipeline.overdue_total == 3
    assert [c.expected_people for c in pipeline.by_cutoff] == [2, 0, 4]
