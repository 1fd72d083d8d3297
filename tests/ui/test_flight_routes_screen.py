"""The Flights screen with multi-pickup routes, through pytest-qt on both backends: the route and
per-leg load columns (fullest leg marked, sortable), the editor's "Later pickups" field (checked as
typed, the service's refusal shown under it, saved), a stop typed as any IATA code."""

from __future__ import annotations

import os
from datetime import timedelta, timezone

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from planner.persistence.context import AppContext
from planner.persistence.models import utc_now
from planner.services import flights
from planner.services.auth import Actor
from planner.services.flights import FlightInput
from tests.integration.test_flight_routes import _plan
from ui.screens.dashboard import DashboardScreen
from ui.screens.flights import COLUMNS, FlightsScreen
from ui.screens.flights.model import LEG_PARTS_ROLE

NOW = utc_now().replace(microsecond=0, second=0, minute=0)
DEPART = NOW + timedelta(days=5)  # within the dashboard's 14 days
CST = timezone(timedelta(hours=-6))
TIMEOUT = 5000


def _at(hours: float) -> str:
    return (DEPART + timedelta(hours=hours)).astimezone(CST).isoformat(timespec="minutes")


def _column(key: str) -> int:
    return [k for k, _ in COLUMNS].index(key)


@pytest.fixture
def routes(ctx: AppContext, admin: Actor) -> AppContext:
    """RF0300 IAH → SAT → GUA · SAL (10 seats; legs 3, 9, 4) and RF0301 IAH → SAL (40 seats, 2)."""
    with ctx.uow() as uow:
        for code, stops, pickups, seats in (
            ("RF0300", ("GUA", "SAL"), f"SAT@{_at(2)}", 10),
            ("RF0301", ("SAL",), "", 40),
        ):
            flights.save_flight(
                uow,
                admin,
                FlightInput(code, "GlobalX", "A320", "IAH", DEPART, stops, seats, 5, pickups=pickups),
                now=NOW,
            )
    _plan(ctx, "RF0300", [(0, 1, 3), (1, 1, 2), (1, 2, 4)])
    return ctx


def _screen(qtbot, ctx: AppContext, actor: Actor) -> FlightsScreen:
    screen = FlightsScreen(ctx, actor)
    qtbot.addWidget(screen)
    screen.resize(1400, 420)
    screen.show()
    screen.activate()
    qtbot.waitUntil(lambda: screen.model.rowCount() == 2, timeout=TIMEOUT)
    return screen


def _row(screen: FlightsScreen, code: str) -> int:
    return next(i for i, r in enumerate(screen.model.records()) if r.code == code)


def test_route_and_per_leg_load_columns(qtbot, routes: AppContext, admin: Actor, tmp_path) -> None:
    screen = _screen(qtbot, routes, admin)
    model = screen.model
    row = _row(screen, "RF0300")
    assert model.data(model.index(row, _column("route_text"))) == "IAH → SAT → GUA · SAL"
    tip = model.data(model.index(row, _column("route_text")), Qt.ItemDataRole.ToolTipRole)
    assert "Pickup SAT:" in tip and "Stop 2: SAL (SLV" in tip
    legs = model.index(row, _column("legs_text"))
    assert model.data(legs) == "3/10 · 9/10 · 4/10"
    assert model.data(legs, LEG_PARTS_ROLE) == [("3/10", False), ("9/10", True), ("4/10", False)]
    assert "SAT→GUA: 9 of 10 seats  ← fullest" in model.data(legs, Qt.ItemDataRole.ToolTipRole)
    assert model.data(model.index(row, _column("load_factor"))) == "90 %"
    screen.table.sortByColumn(_column("legs_text"), Qt.SortOrder.AscendingOrder)
    assert [r.code for r in model.records()] == ["RF0301", "RF0300"]  # 0 % before 90 %
    screen.table.sortByColumn(_column("legs_text"), Qt.SortOrder.DescendingOrder)
    assert [r.code for r in model.records()] == ["RF0300", "RF0301"]
    screen.search.setText("sat")
    assert [r.code for r in model.records()] == ["RF0300"]
    screen.search.clear()
    shot = os.environ.get("H3_SCREENSHOTS")
    if shot:
        screen.grab().save(os.path.join(shot, "flights_routes.png"))


def test_editor_later_pickups_checked_as_typed_and_saved(
    qtbot, routes: AppContext, admin: Actor, tmp_path
) -> None:
    screen = _screen(qtbot, routes, admin)
    screen.select_code("RF0300")
    dialog = screen.edit_flight()
    assert dialog is not None
    assert dialog.pickups.text().startswith("SAT@") and dialog.pickups.text().endswith(":00")
    assert dialog.pickups_error.isHidden()
    assert "IATA@local time" in dialog.pickups_help.text()

    dialog.pickups.setText(f"SAT@{_at(2)}; AEX@{_at(1)}")  # before SAT
    assert not dialog.pickups_error.isHidden()
    assert dialog.pickups_error.text().startswith("pickup AEX leaves at")
    dialog.pickups.setText("SAT@2030-01-01T10:00")  # no offset
    assert "SAT" in dialog.pickups_error.text() and not dialog.pickups_error.isHidden()
    dialog.pickups.setText(f"GUA@{_at(2)}")  # a stop
    assert dialog.pickups_error.text() == "pickup GUA is also a drop-off stop"

    dialog.pickups.setText(f"SAT@{_at(2)}; XQZ@{_at(3)}")  # well-formed, unknown: the service says so
    assert dialog.pickups_error.isHidden()
    dialog.submit()
    qtbot.waitUntil(lambda: "XQZ is not known" in dialog.pickups_error.text(), timeout=TIMEOUT)
    assert "closest known" in dialog.messages.text() and dialog.isVisible()
    shot = os.environ.get("H3_SCREENSHOTS")
    if shot:
        dialog.grab().save(os.path.join(shot, "flight_editor_pickups.png"))

    dialog.pickups.setText(f"SAT@{_at(2)}; AEX@{_at(3)}")
    assert dialog.pickups_error.isHidden()
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=TIMEOUT)
    assert dialog.saved is not None
    assert dialog.saved.flight.route_text == "IAH → SAT → AEX → GUA · SAL"
    assert list(dialog.saved.changes) == ["pickups"]
    qtbot.waitUntil(
        lambda: screen.model.records()[_row(screen, "RF0300")].route_text == "IAH → SAT → AEX → GUA · SAL",
        timeout=TIMEOUT,
    )
    assert screen.model.records()[_row(screen, "RF0300")].legs_text == "3/10 · 9/10 · 9/10 · 4/10"


def test_a_stop_may_be_typed_as_any_iata_code(qtbot, routes: AppContext, admin: Actor) -> None:
    screen = _screen(qtbot, routes, admin)
    screen.select_code("RF0301")
    dialog = screen.edit_flight()
    assert dialog is not None
    dialog.stop_choice.setEditText("pap")
    dialog.add_stop.click()
    assert dialog.stop_codes() == ["SAL", "PAP"]
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=TIMEOUT)
    assert dialog.saved is not None and dialog.saved.flight.route_text == "IAH → SAL · PAP"
    assert dialog.saved.flight.stops[1].country == "HTI"


def test_dashboard_lists_per_leg_loads(qtbot, routes: AppContext, admin: Actor) -> None:
    screen = DashboardScreen(routes, admin)
    qtbot.addWidget(screen)
    screen.resize(1400, 800)
    screen.show()
    screen.activate()
    qtbot.waitUntil(lambda: screen.upcoming.rowCount() == 2, timeout=TIMEOUT)
    model = screen.upcoming
    column = [k for k, _ in model.columns].index("legs_text")
    by_code = {r.code: i for i, r in enumerate(model.records())}
    legs = model.index(by_code["RF0300"], column)
    assert model.data(legs) == "3/10 · 9/10 · 4/10"
    assert model.data(legs, LEG_PARTS_ROLE)[1] == ("9/10", True)
    tip = screen.tiles["load"].toolTip()
    assert "1 under 80 % on their fullest leg: RF0301 0 %" in tip
    shot = os.environ.get("H3_SCREENSHOTS")
    if shot:
        screen.grab().save(os.path.join(shot, "dashboard_legs.png"))
