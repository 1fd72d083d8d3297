"""The Plan screen's routes (issue 15): seats used on each leg of every flight with the fullest
leg highlighted, where each placed person boards, and route merges in the consolidation advice."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt

from planner.demo import generate as demo
from planner.persistence.context import AppContext
from planner.persistence.models import Assignment, FlightStop
from planner.services import plan_legs
from planner.services.auth import Actor
from planner.services.plan_results import PlanChange, RouteMergeRow
from planner.services.routes import routes_of
from ui.operations import Change
from ui.screens.plan import PlanScreen
from ui.screens.plan.widgets import changes_model, merges_model

WAIT = 20_000
SHOTS = Path(os.environ.get("CHARTER_SCREENSHOTS", "/tmp"))


@pytest.fixture
def demo_ctx(ctx: AppContext, admin: Actor) -> AppContext:
    with ctx.uow() as uow:
        demo.generate_demo(uow, admin, people=600, flights=10, seed=4)
        uow.commit()
    return ctx


def _run(qtbot, screen: PlanScreen) -> None:
    with qtbot.waitSignal(screen.data_changed, timeout=WAIT) as changed:
        screen.run_button.click()
    assert changed.args == [Change.PLAN]
    qtbot.waitUntil(lambda: not screen.running, timeout=WAIT)
    qtbot.waitUntil(lambda: screen._current is not None and screen.flights.rowCount() > 0, timeout=WAIT)
    qtbot.waitUntil(lambda: not screen.results_loading and bool(screen.flights.legs), timeout=WAIT)


def test_flights_tab_shows_seats_per_leg_with_the_fullest_highlighted(
    qtbot, qtmodeltester, demo_ctx, officer
) -> None:
    screen = PlanScreen(demo_ctx, officer)
    qtbot.addWidget(screen)
    screen.time_limit.setValue(5)
    screen.activate()
    _run(qtbot, screen)
    column = [key for key, _ in screen.flights.columns].index("legs")
    multi = 0
    for row, load in enumerate(screen.flights.records()):
        legs = screen.flights.legs.get(load.flight_id)
        assert legs is not None
        # Every pickup comes before every stop: the fullest leg carries everybody placed.
        assert legs.max_seats == load.placed
        assert all(0 <= n <= load.seats for n in legs.seats)
        text = screen.flights.data(screen.flights.index(row, column))
        assert text == legs.text() and text.count("→") == len(legs.legs)
        if load.placed:
            tip = screen.flights.data(screen.flights.index(row, column), Qt.ItemDataRole.ToolTipRole)
            a, b = legs.legs[legs.fullest]
            assert f"the fullest is {a}→{b} with {legs.max_seats:,}" in tip
        multi += len(legs.legs) > len(load.stops.split(" → "))  # more legs than stops: several pickups
    assert multi > 0, "the demo has missions with several pickups"
    qtmodeltester.check(screen.flights, force_py=True)
    screen.tabs.setCurrentIndex(1)
    screen.resize(1500, 520)
    screen.show()
    qtbot.waitExposed(screen)
    screen.grab().save(str(SHOTS / "plan-legs.png"))


def test_run_leg_loads_and_boarding_airports_follow_the_assignments(demo_ctx, officer) -> None:
    from planner.services import planning

    summary = planning.run_plan(demo_ctx, officer, demo_ctx.settings, time_limit=5)
    with demo_ctx.uow(write=False) as uow:
        legs = plan_legs.run_leg_loads(uow, officer, summary.plan_run_id)
        rows = uow.session.execute(
            sa.select(Assignment.person_id, Assignment.pickup_sequence, FlightStop.flight_id)
            .join(FlightStop, FlightStop.id == Assignment.flight_stop_id)
            .where(Assignment.plan_run_id == summary.plan_run_id)
        ).all()
        boarding = plan_legs.boarding_airports(uow, officer, summary.plan_run_id, [r[0] for r in rows])
        routes = routes_of(uow, {r[2] for r in rows})
    assert len(boarding) == len(rows)
    for pid, sequence, flight in rows:
        assert boarding[pid] == routes[flight].pickup(sequence).airport
    # The service agrees with the plan summary's per-leg loads (filled by the planner).
    by_code = {code: entry["seats"] for code, entry in summary.leg_loads.items()}
    with demo_ctx.uow(write=False) as uow:
        from planner.persistence.models import Flight

        codes = dict(uow.session.execute(sa.select(Flight.id, Flight.code)).all())
    for fid, flight_legs in legs.items():
        if codes[fid] in by_code:
            assert list(flight_legs.seats) == by_code[codes[fid]]


def test_changes_list_where_placed_people_board(qtbot) -> None:
    model = changes_model(None)
    model.set_records(
        [
            PlanChange("added", 1, "A300000001", "DOE, JOHN", "", "DM0001/GUA", ""),
            PlanChange("dropped", 2, "A300000002", "DOE, JANE", "DM0001/GUA", "", "NO_VALID_DOCUMENT"),
        ]
    )
    column = [key for key, _ in model.columns].index("boards_at")
    assert model.data(model.index(0, column)) == ""
    model.set_boarding({1: "BRO"})
    assert model.data(model.index(0, column)) == "BRO" and model.data(model.index(1, column)) == ""


def test_merges_table_names_the_route_and_the_saving(qtbot) -> None:
    model = merges_model(None, "EUR")
    model.set_records([RouteMergeRow(1, "DM0001", 2, "DM0002", "SAT → BRO → GUA", 30, 70, 150, 1.3, 22950.0)])
    texts = [model.data(model.index(0, c)) for c in range(model.columnCount())]
    assert "SAT → BRO → GUA" in texts and "DM0002" in texts and any("22,950" in str(t) for t in texts)
