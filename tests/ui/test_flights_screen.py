"""The Flights screen through pytest-qt on both backends: list, filter, sort, create and edit in
the dialog (validation shown in the dialog; a stale edit refused naming who changed the flight,
then Reload and save again; other refusals without Reload), cancel with confirmation (a stale
cancel refreshes the table)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from planner.demo import generate as demo
from planner.persistence.context import AppContext
from planner.persistence.models import (
    Assignment,
    Flight,
    FlightStop,
    Manifest,
    Person,
    PlanRun,
    utc_now,
)
from planner.services import flights
from planner.services.auth import Actor
from ui.main_window import SCREENS, MainWindow
from ui.operations import Change
from ui.screens.flights import COLUMNS, FlightEditorDialog, FlightsScreen, local_to_utc

NOW = utc_now().replace(microsecond=0)
TIMEOUT = 5000


@pytest.fixture
def office(ctx: AppContext, admin: Actor) -> AppContext:
    """Demo data (10 flights) and a draft plan placing 6 people on the first upcoming flight."""
    with ctx.uow() as uow:
        demo.generate_demo(uow, admin, people=120, flights=10, seed=5, now=NOW)
        uow.commit()
    with ctx.uow() as uow:
        s = uow.session
        run = PlanRun(created_by="admin", status="DRAFT", counts_json=json.dumps({"placed": 6}))
        s.add(run)
        s.flush()
        stop = s.execute(
            sa.select(FlightStop.id)
            .join(Flight, Flight.id == FlightStop.flight_id)
            .where(Flight.status == "PLANNED", Flight.departure_utc > NOW)
            .order_by(Flight.departure_utc, FlightStop.sequence)
            .limit(1)
        ).scalar_one()
        people = s.execute(sa.select(Person.id).order_by(Person.id).limit(6)).scalars().all()
        s.add_all(Assignment(plan_run_id=run.id, person_id=p, flight_stop_id=stop) for p in people)
        s.add(  # one that has departed, whatever the demo drew
            Flight(
                code="RF0800",
                carrier="GlobalX",
                aircraft="A320",
                departure_airport="IAH",
                departure_utc=NOW - timedelta(days=3),
                seats=100,
                escort_officers=40,
                status="DEPARTED",
            )
        )
        uow.commit()
    return ctx


def _screen(qtbot, ctx: AppContext, actor: Actor) -> FlightsScreen:
    screen = FlightsScreen(ctx, actor)
    qtbot.addWidget(screen)
    screen.resize(1200, 600)
    screen.show()
    screen.activate()
    qtbot.waitUntil(lambda: screen.model.rowCount() > 0, timeout=TIMEOUT)
    return screen


def _codes(screen: FlightsScreen) -> list[str]:
    return [r.code for r in screen.model.records()]


def _column(key: str) -> int:
    return [k for k, _ in COLUMNS].index(key)


def _wait_reloaded(qtbot, screen: FlightsScreen, condition) -> None:
    qtbot.waitUntil(lambda: bool(condition()), timeout=TIMEOUT)


def _save_in(qtbot, dialog: FlightEditorDialog) -> None:
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=TIMEOUT)


def _save_elsewhere(ctx: AppContext, actor: Actor, code: str, **changes: object) -> flights.FlightRow:
    """Someone else saves the flight (as another window would), changing ``changes``."""
    with ctx.uow() as uow:
        current = flights.get_flight(uow, actor, code)
        values = {
            "code": current.code,
            "carrier": current.carrier,
            "aircraft": current.aircraft,
            "departure_airport": current.departure_airport,
            "departure_utc": current.departure_utc,
            "stops": tuple(s.airport for s in current.stops),
            "seats": current.seats,
            "escort_officers": current.escort_officers,
            "medical_slots": current.medical_slots,
            "wheelchair_slots": current.wheelchair_slots,
            "pickups": current.later_pickups_text,
        }
        result = flights.save_flight(uow, actor, values | changes, expected_version=current.version)
    return result.flight


def test_lists_filters_sorts_and_passes_the_model_tester(
    qtbot, qtmodeltester, office: AppContext, admin: Actor
) -> None:
    screen = _screen(qtbot, office, admin)
    rows = screen.model.records()
    assert all(r.departure_utc > NOW for r in rows)
    assert [r.departure_utc for r in rows] == sorted(r.departure_utc for r in rows)
    placed = next(r for r in rows if r.placed)
    assert placed.placed == 6
    load = screen.model.index(rows.index(placed), _column("load_factor"))
    assert screen.model.data(load) == f"{100 * 6 / placed.seats:.0f} %"
    assert "6 placed of" in screen.model.data(load, Qt.ItemDataRole.ToolTipRole)
    local = screen.model.data(screen.model.index(0, _column("local_short")), Qt.ItemDataRole.ToolTipRole)
    assert "(America/" in local
    qtmodeltester.check(screen.model, force_py=True)

    screen.search.setText(rows[1].code.lower())
    assert _codes(screen) == [rows[1].code]
    screen.search.setText(rows[1].stops[0].country)
    assert rows[1].code in _codes(screen)
    screen.search.clear()

    screen.include_past.setChecked(True)
    _wait_reloaded(qtbot, screen, lambda: len(screen._rows) > len(rows))
    assert any(r.departure_utc < NOW for r in screen.model.records())
    screen.status.setCurrentIndex(screen.status.findData("DEPARTED"))
    assert "RF0800" in _codes(screen) and {r.status for r in screen.model.records()} == {"DEPARTED"}
    assert screen.count_label.text().startswith(f"{screen.model.rowCount()} of ")
    screen.status.setCurrentIndex(0)

    screen.table.sortByColumn(_column("placed"), Qt.SortOrder.DescendingOrder)
    assert screen.model.records()[0].placed == 6


def test_new_flight_with_validation_in_the_dialog(qtbot, office: AppContext, admin: Actor) -> None:
    screen = _screen(qtbot, office, admin)
    before = screen.model.rowCount()
    dialog = screen.new_flight()
    assert dialog.isVisible() and dialog.windowTitle() == "New flight"
    dialog.code.setText("RF0900")
    dialog.carrier.setText("")
    dialog.seats.setValue(3)
    dialog.medical.setValue(4)
    dialog.submit()
    qtbot.waitUntil(lambda: "carrier: required" in dialog.messages.text(), timeout=TIMEOUT)
    text = dialog.messages.text()
    assert "stops: at least one stop is required" in text
    assert "medical_slots: 4 exceeds the 3 seats" in text
    assert dialog.isVisible() and dialog.buttons.isEnabled()

    dialog.carrier.setText("GlobalX")
    dialog.aircraft.setText("A321")
    dialog.medical.setValue(1)
    dialog.seats.setValue(150)
    dialog.departure_airport.setCurrentIndex(dialog.departure_airport.findData("IAH"))
    assert dialog.zone_label.text().startswith("America/Chicago (")
    dialog.set_local_time(datetime(2031, 7, 1, 9, 30))
    assert dialog.utc_label.text() == "= 2031-07-01 14:30 UTC (stored)"
    for code in ("SAL", "GUA", "SAP"):
        dialog.stop_choice.setCurrentIndex(dialog.stop_choice.findData(code))
        dialog.add_stop.click()
    assert dialog.stop_codes() == ["SAL", "GUA", "SAP"]
    assert dialog.stop_down.isEnabled() is False and dialog.stop_up.isEnabled()  # last one selected
    dialog.stop_up.click()
    assert dialog.stop_codes() == ["SAL", "SAP", "GUA"]
    dialog.stops.setCurrentIndex(dialog.stops_model.index(0))
    dialog.stop_down.click()
    assert dialog.stop_codes() == ["SAP", "SAL", "GUA"]
    dialog.remove_stop.click()  # SAL, moved to second place, is still selected
    assert dialog.stop_codes() == ["SAP", "GUA"]

    with qtbot.waitSignal(screen.data_changed, timeout=TIMEOUT) as changed:
        _save_in(qtbot, dialog)
    assert changed.args == [Change.FLIGHTS]
    _wait_reloaded(qtbot, screen, lambda: screen.model.rowCount() == before + 1)
    created = screen.selected()
    assert created is not None and created.code == "RF0900"
    assert [s.airport for s in created.stops] == ["SAP", "GUA"]
    assert created.departure_utc == datetime.fromisoformat("2031-07-01T14:30:00+00:00")
    assert created.local_short == "2031-07-01 09:30 UTC\u221205:00"  # an offset, never "CDT"


def test_edit_with_enter_and_stale_edits_are_refused(qtbot, office: AppContext, admin: Actor) -> None:
    screen = _screen(qtbot, office, admin)
    screen.table.selectRow(2)
    row = screen.selected()
    assert row is not None and screen.edit_action.isEnabled()
    screen.table.setFocus()
    qtbot.keyClick(screen.table, Qt.Key.Key_Return)
    dialog = screen.editor
    assert dialog.isVisible() and dialog.code.isReadOnly() and dialog.code.text() == row.code
    assert dialog.stop_codes() == [s.airport for s in row.stops]
    assert dialog.local_time() == row.departure_local.replace(tzinfo=None)
    dialog.seats.setValue(row.seats + 7)
    _save_in(qtbot, dialog)
    _wait_reloaded(qtbot, screen, lambda: screen.selected() and screen.selected().version == row.version + 1)
    assert screen.selected().seats == row.seats + 7

    stale = screen.edit_flight()
    assert stale is not None and not stale.reload_button.isVisible()
    opened = stale.flight.version
    other = _save_elsewhere(office, admin, row.code, carrier="Other Air")  # someone else saves first
    assert other.version == opened + 1
    stale.aircraft.setText("B757")
    stale.submit()
    qtbot.waitUntil(stale.reload_button.isVisible, timeout=TIMEOUT)
    text = stale.messages.text()
    assert "Not saved — the flight was changed by someone else:" in text
    assert "changed by admin at " in text and "UTC (flight.update)" in text
    assert f"version {opened + 1}, yours {opened}" in text
    assert stale.isVisible() and not stale.save_button.isEnabled()

    # Reload reads the flight as now stored (the other change, the new version) into the dialog.
    stale.reload_button.click()
    qtbot.waitUntil(lambda: stale.flight.version == opened + 1, timeout=TIMEOUT)
    assert stale.carrier.text() == "Other Air" and stale.aircraft.text() == row.aircraft
    assert stale.seats.value() == row.seats + 7 and stale.stop_codes() == [s.airport for s in row.stops]
    assert f"Reloaded version {opened + 1}" in stale.messages.text()
    assert stale.save_button.isEnabled() and not stale.reload_button.isVisible()

    # The change applied again saves on top of the other one.
    stale.aircraft.setText("B757")
    with qtbot.waitSignal(screen.data_changed, timeout=TIMEOUT):
        _save_in(qtbot, stale)
    assert stale.saved is not None and stale.saved.changes == {"aircraft": [row.aircraft, "B757"]}
    with office.uow(write=False) as uow:
        stored = flights.get_flight(uow, admin, row.code)
    assert (stored.version, stored.carrier, stored.aircraft) == (opened + 2, "Other Air", "B757")
    _wait_reloaded(qtbot, screen, lambda: screen.selected() and screen.selected().version == opened + 2)
    assert screen.selected().aircraft == "B757"


def test_a_frozen_flight_is_refused_without_reload(qtbot, office: AppContext, admin: Actor) -> None:
    """A refusal that is not about the version (a manifest approved meanwhile) is only reported:
    Reload would not help. Reloading a flight that may no longer change keeps Save off."""
    screen = _screen(qtbot, office, admin)
    screen.table.selectRow(1)
    row = screen.selected()
    dialog = screen.edit_flight()
    assert dialog is not None
    with office.uow() as uow:  # approving a manifest does not change the flight's version
        uow.session.add(
            Manifest(flight_id=row.id, revision=1, status="APPROVED", sha256="0" * 64, prepared_by="admin")
        )
        uow.commit()
    dialog.seats.setValue(row.seats + 1)
    dialog.submit()
    qtbot.waitUntil(lambda: "manifest is approved" in dialog.messages.text(), timeout=TIMEOUT)
    assert dialog.buttons.isEnabled() and not dialog.reload_button.isVisible()
    assert "changed by someone else" not in dialog.messages.text()

    # Reloaded (the path after a stale refusal), such a flight shows why Save stays off.
    dialog.reload()
    qtbot.waitUntil(lambda: dialog.flight.manifest_in_force == "APPROVED", timeout=TIMEOUT)
    assert not dialog.save_button.isEnabled()
    assert (
        "Cannot save: flight" in dialog.messages.text() and "manifest is approved" in dialog.messages.text()
    )
    dialog.reject()


def test_cancel_asks_with_the_number_of_placed_people(qtbot, office: AppContext, admin: Actor) -> None:
    screen = _screen(qtbot, office, admin)
    asked: list[str] = []
    screen.confirm = lambda _title, text: asked.append(text) or len(asked) > 1
    placed_row = next(i for i, r in enumerate(screen.model.records()) if r.placed)
    code = screen.model.record(placed_row).code
    screen.table.selectRow(placed_row)
    screen.table.setFocus()
    qtbot.keyClick(screen.table, Qt.Key.Key_Delete)
    assert "6 people placed on it by the current plan" in asked[0]
    assert screen.selected().status == "PLANNED"  # the user said no

    # Someone else saved the flight after the table was read: the cancel is refused naming who,
    # and the table shows the flight as now stored, so trying again cancels it.
    opened = screen.selected().version
    _save_elsewhere(office, admin, code, carrier="Other Air")
    screen.cancel_action.trigger()
    qtbot.waitUntil(lambda: screen.selected().version == opened + 1, timeout=TIMEOUT)
    box = screen.findChild(QMessageBox)
    assert box is not None and box.windowTitle() == f"Flight {code} was not cancelled"
    assert "changed by admin at " in box.text() and "UTC (flight.update)" in box.text()
    assert screen.selected().status == "PLANNED" and screen.selected().carrier == "Other Air"
    box.close()

    with qtbot.waitSignal(screen.data_changed, timeout=TIMEOUT):
        screen.cancel_action.trigger()
    _wait_reloaded(qtbot, screen, lambda: screen.selected() and screen.selected().status == "CANCELLED")
    assert screen.selected().code == code
    assert not screen.edit_action.isEnabled() and not screen.cancel_action.isEnabled()
    assert screen.cancel_action.toolTip() == f"Cannot cancel: flight {code} is CANCELLED"
    assert screen.edit_flight() is None
    screen.table.clearSelection()
    assert screen.edit_action.toolTip() == "Select a flight first"


def test_local_time_conversion_and_window_order(qtbot, ctx: AppContext, admin: Actor) -> None:
    assert local_to_utc(datetime(2031, 1, 15, 8, 0), "America/Chicago").hour == 14
    with pytest.raises(ValueError, match="does not exist"):
        local_to_utc(datetime(2031, 3, 9, 2, 30), "America/Chicago")  # clocks go forward
    titles = [s.title for s in SCREENS]
    assert titles[0] == "Dashboard" and titles.index("People") < titles.index("Flights")
    window = MainWindow(ctx, admin)
    qtbot.addWidget(window)
    assert isinstance(window.screen("Flights"), FlightsScreen)
    assert window.stack.currentWidget() is window.screen("Dashboard")


def test_dialog_refuses_a_time_the_clock_skips(qtbot, office: AppContext, admin: Actor) -> None:
    screen = _screen(qtbot, office, admin)
    dialog = screen.new_flight()
    dialog.departure_airport.setCurrentIndex(dialog.departure_airport.findData("IAH"))
    dialog.set_local_time(datetime(2031, 3, 9, 2, 30))
    assert "does not exist" in dialog.utc_label.text()
    dialog.submit()
    assert "does not exist in America/Chicago" in dialog.messages.text()
    assert dialog.isVisible()
    dialog.reject()
