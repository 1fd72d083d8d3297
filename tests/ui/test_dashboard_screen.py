"""The Dashboard screen through pytest-qt on a real SQLite file: tiles, the load-factor chart, the
tables (model tester), and refreshing when other screens report changes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PySide6.QtCharts import QBarCategoryAxis, QLineSeries, QStackedBarSeries

from planner.demo import generate as demo
from planner.persistence.context import AppContext
from planner.persistence.models import (
    Assignment,
    Flight,
    FlightStop,
    Person,
    PlanExclusion,
    PlanRun,
    utc_now,
)
from planner.services import flights
from planner.services.auth import Actor
from planner.services.flights import FlightInput
from ui.main_window import MainWindow
from ui.operations import Change
from ui.screens.dashboard import DashboardScreen

NOW = utc_now().replace(microsecond=0)
TIMEOUT = 5000


@pytest.fixture
def office(ctx: AppContext, admin: Actor) -> AppContext:
    """Demo data, two flights in the next days (9 of 10 and 2 of 10 seats taken) and exclusions."""
    with ctx.uow() as uow:
        demo.generate_demo(uow, admin, people=150, flights=6, seed=11, now=NOW)
        uow.commit()
    for code, days in (("RF0901", 6), ("RF0902", 8)):
        with ctx.uow() as uow:
            flights.save_flight(
                uow,
                admin,
                FlightInput(code, "GlobalX", "A320", "IAH", NOW + timedelta(days=days), ("GUA",), 10, 5),
            )
    with ctx.uow() as uow:
        s = uow.session
        run = PlanRun(
            created_by="olivia",
            status="DRAFT",
            counts_json=json.dumps({"people_considered": 150, "eligible": 20, "placed": 11}),
        )
        s.add(run)
        s.flush()
        people = s.execute(sa.select(Person.id).order_by(Person.id)).scalars().all()
        stops = dict(
            s.execute(
                sa.select(Flight.code, FlightStop.id)
                .join(FlightStop, FlightStop.flight_id == Flight.id)
                .where(Flight.code.in_(["RF0901", "RF0902"]))
            ).all()
        )
        s.add_all(
            Assignment(
                plan_run_id=run.id, person_id=pid, flight_stop_id=stops["RF0901" if n < 9 else "RF0902"]
            )
            for n, pid in enumerate(people[:11])
        )
        s.add_all(
            PlanExclusion(plan_run_id=run.id, person_id=pid, reason="CAPACITY" if n % 3 else "LEGAL_HOLD")
            for n, pid in enumerate(people[11:20])
        )
        uow.commit()
    return ctx


def _screen(qtbot, ctx: AppContext, actor: Actor) -> DashboardScreen:
    screen = DashboardScreen(ctx, actor)
    qtbot.addWidget(screen)
    screen.resize(1200, 760)
    screen.show()
    screen.activate()
    qtbot.waitUntil(lambda: screen.snapshot is not None, timeout=TIMEOUT)
    return screen


def test_tiles_chart_and_tables(qtbot, qtmodeltester, office: AppContext, admin: Actor) -> None:
    screen = _screen(qtbot, office, admin)
    d = screen.snapshot
    assert d is not None
    assert screen.tiles["placed"].value.text() == "11"
    assert screen.tiles["not_placed"].value.text() == "9"
    assert screen.tiles["final"].value.text() == f"{d.status_count('in_custody_final'):,}"
    assert screen.tiles["upcoming"].value.text() == str(len(d.upcoming))
    assert "Current plan" in screen.plan_label.text() and "olivia" in screen.plan_label.text()

    codes = [f.code for f in d.upcoming]
    assert {"RF0901", "RF0902"} <= set(codes)
    series = screen.chart.series()
    bars = next(s for s in series if isinstance(s, QStackedBarSeries))
    line = next(s for s in series if isinstance(s, QLineSeries))
    good, low = bars.barSets()
    assert good.label() == "80 % or more" and low.label() == "under 80 %"
    shown = [f for f in d.upcoming if f.seats]
    assert good.at(codes.index("RF0901")) == pytest.approx(90.0) and low.at(codes.index("RF0901")) == 0
    assert low.at(codes.index("RF0902")) == pytest.approx(20.0) and good.at(codes.index("RF0902")) == 0
    assert {p.y() for p in line.points()} == {80.0}
    axis = next(a for a in screen.chart.axes() if isinstance(a, QBarCategoryAxis))
    assert axis.categories() == [f.code for f in shown]

    assert [(r.reason, r.count) for r in screen.reasons.records()] == [("CAPACITY", 6), ("LEGAL_HOLD", 3)]
    upcoming_codes = [r.code for r in screen.upcoming.records()]
    assert upcoming_codes == codes
    row = upcoming_codes.index("RF0901")
    assert screen.upcoming.data(screen.upcoming.index(row, 3)) == "9 / 10"
    assert screen.upcoming.data(screen.upcoming.index(row, 4)) == "90 %"
    for model in (screen.upcoming, screen.reasons, screen.warnings):
        qtmodeltester.check(model, force_py=True)


def test_refreshes_on_relevant_changes_only(qtbot, office: AppContext, admin: Actor) -> None:
    screen = _screen(qtbot, office, admin)
    first = screen.snapshot
    with office.uow() as uow:
        flights.cancel_flight(uow, admin, "RF0902", expected_version=1)
    screen.on_data_changed(Change.AUDIT)
    assert screen.snapshot is first  # not a topic the dashboard shows
    screen.on_data_changed(Change.FLIGHTS)
    qtbot.waitUntil(lambda: screen.snapshot is not first, timeout=TIMEOUT)
    assert "RF0902" not in [f.code for f in screen.snapshot.upcoming]

    screen.hide()  # hidden: remember, refresh on the next activate
    before = screen.snapshot
    screen.on_data_changed(Change.PLAN)
    assert screen._stale and screen.snapshot is before
    screen.show()
    screen.activate()
    qtbot.waitUntil(lambda: screen.snapshot is not before, timeout=TIMEOUT)


def test_dashboard_is_the_first_screen(qtbot, office: AppContext, admin: Actor) -> None:
    window = MainWindow(office, admin)
    qtbot.addWidget(window)
    screen = window.screen("Dashboard")
    assert isinstance(screen, DashboardScreen)
    assert window.stack.currentWidget() is screen
    qtbot.waitUntil(lambda: screen.snapshot is not None, timeout=TIMEOUT)
