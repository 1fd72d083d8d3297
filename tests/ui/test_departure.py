"""The departure view and the struck-off report through pytest-qt, on both backends: strike off with
a coded reason from the window (the reserve moves up), boarding by scanning good and bad case
numbers (colour, message), close refused with the open cases then allowed, depart with the time,
the as-flown manifest and the report's counts and CSV."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import shiboken6
import sqlalchemy as sa
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox

from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, Flight, Person
from planner.services.manifests.actions import DepartureAction
from tests.integration.departure.world import (
    BOARDING,
    CLOSING,
    DEPARTURE,
    add,
    approve,
    departure_world,
    staff,
)
from ui import operations
from ui.screens.manifests import ManifestsScreen
from ui.screens.manifests.departure import DepartureDialog
from ui.screens.manifests.departure_models import BOARDED, LISTED, PENDING, STRUCK

WAIT = 20_000
#: Departure day, early enough for the reserve to reach the airport (4 hours' transfer).
EARLY = DEPARTURE - timedelta(hours=8)


def _world(ctx: AppContext, *, approved: bool = True):  # type: ignore[no-untyped-def]
    """RF0001 (4 seats): two Chinese nationals on stop 1 PEK, the García family on stop 2 GUA, a
    third Chinese national not placed (the flight's one reserve)."""
    world = departure_world(ctx)
    for case in ("A10000001", "A10000002", "A10000003"):
        add(world, case)
    add(world, "A20000001", "GTM", family="FAM1")
    add(world, "A20000002", "GTM", family="FAM1")
    world.plan({"A10000001": 1, "A10000002": 1, "A20000001": 2, "A20000002": 2})
    officer, supervisor = staff(ctx)
    if approved:
        approve(ctx, officer, supervisor)
    return officer, supervisor


@pytest.fixture
def screens(qtbot):
    made: list[ManifestsScreen] = []
    yield made
    qtbot.waitUntil(lambda: not operations.busy(), timeout=WAIT)
    for screen in made:
        for dialog in (screen.departure_dialog, screen.report_dialog):
            if dialog is not None and shiboken6.isValid(dialog):
                dialog.close()
        screen.close()
        screen.deleteLater()
    qtbot.wait(10)


def _screen(qtbot, screens, ctx: AppContext, actor) -> ManifestsScreen:  # type: ignore[no-untyped-def]
    screen = ManifestsScreen(ctx, actor)
    screens.append(screen)
    screen.resize(1360, 820)
    screen.show()
    screen.activate()
    qtbot.waitUntil(lambda: screen.flights.rowCount() > 0, timeout=WAIT)
    qtbot.waitUntil(lambda: screen._revisions_for == "RF0001", timeout=WAIT)
    return screen


def _departure(qtbot, screen: ManifestsScreen, clock) -> DepartureDialog:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(screen.departure_action.isEnabled, timeout=WAIT)
    screen.departure_action.trigger()
    dialog = screen.departure_dialog
    assert dialog is not None and dialog.isVisible() and "RF0001" in dialog.windowTitle()
    dialog.clock = lambda: clock
    _reload(qtbot, dialog)
    return dialog


def _reload(qtbot, dialog: DepartureDialog) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: not operations.busy(), timeout=WAIT)
    dialog.data = None
    dialog.refresh()
    qtbot.waitUntil(lambda: dialog.data is not None and not operations.busy(), timeout=WAIT)


def _state(dialog: DepartureDialog, case: str) -> str:
    assert dialog.data is not None
    return next(p.state for p in dialog.data.passengers if p.case_number == case)


def _scan(qtbot, dialog: DepartureDialog, text: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    dialog.last_feedback = ("info", "")
    dialog.scan_field.setFocus()
    qtbot.keyClicks(dialog.scan_field, text)
    qtbot.keyClick(dialog.scan_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.last_feedback[1] != "", timeout=WAIT)
    assert dialog.scan_field.text() == ""  # ready for the next scan
    return dialog.last_feedback


def _actions(ctx: AppContext) -> list[str]:
    with ctx.uow(write=False) as uow:
        return list(uow.session.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


def test_departure_day_from_the_window(qtbot, screens, ctx: AppContext, tmp_path: Path, monkeypatch) -> None:
    _officer, supervisor = _world(ctx)
    screen = _screen(qtbot, screens, ctx, supervisor)
    dialog = _departure(qtbot, screen, EARLY)
    data = dialog.data
    assert data is not None and data.in_force == 1
    assert {p.case_number: p.state for p in data.passengers} == dict.fromkeys(
        ("A10000001", "A10000002", "A20000001", "A20000002"), LISTED
    )
    assert [p.stop for p in data.passengers] == ["1 PEK", "1 PEK", "2 GUA", "2 GUA"]
    assert [r.case_number for r in data.reserves] == ["A10000003"]
    assert dialog.counters.text().startswith("Boarded 0 of 4 listed")
    assert dialog.airport.currentText() == "IAH"
    # Keyboard: the view opens with Ctrl+Shift+D, the scan field has the focus, every button has a
    # shortcut named in its tooltip.
    assert screen.departure_action.shortcut() == QKeySequence("Ctrl+Shift+D")
    assert dialog.focusWidget() is dialog.scan_field
    assert "(Ctrl+Shift+L)" in dialog.buttons[DepartureAction.CLOSE].toolTip()
    assert dialog.scan_field.isEnabled() and dialog.buttons[DepartureAction.CLOSE].isEnabled()
    depart_button = dialog.buttons[DepartureAction.DEPART]
    assert not depart_button.isEnabled() and depart_button.toolTip() == "Close the doors first"

    # A good scan (typed in lower case, as a scanner might): green, the row flashes, counters move.
    kind, text = _scan(qtbot, dialog, "a10000001")
    assert kind == "ok" and "A10000001" in text and "boarded at IAH" in text
    assert next(p.detail for p in dialog.data.passengers if p.case_number == "A10000001").startswith("IAH ")
    assert dialog.passengers.flashing.get("A10000001") == "ok"
    assert _state(dialog, "A10000001") == BOARDED
    assert dialog.counters.text().startswith("Boarded 1 of 4 listed")
    # The same card again: amber.
    assert _scan(qtbot, dialog, "A10000001")[0] == "again"
    # Unknown, and not listed (the reserve): red, with the service's words.
    kind, text = _scan(qtbot, dialog, "A99999999")
    assert kind == "error" and "no such case number" in text
    kind, text = _scan(qtbot, dialog, "A10000003")
    assert kind == "error" and "not listed" in text
    assert "#b3261e" in dialog.feedback.styleSheet()

    # Close is refused: the open cases are listed.
    _reload(qtbot, dialog)
    dialog.buttons[DepartureAction.CLOSE].click()
    box = dialog.confirm_box
    assert box is not None and box.isVisible()
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(dialog.problems.isVisible, timeout=WAIT)
    problems = dialog.problems.toPlainText()
    for case in ("A10000002", "A20000001", "A20000002"):
        assert case in problems
    assert "A10000001" not in problems
    assert dialog.last_feedback[0] == "error"
    assert "departure.close.refused" in _actions(ctx)

    # Board the family; strike the no-show off with the reason chosen in the dialog.
    _scan(qtbot, dialog, "A20000001")
    assert _scan(qtbot, dialog, "A20000002")[0] == "ok"
    _reload(qtbot, dialog)
    dialog.passenger_table.selectRow(dialog.passengers.row_of("A10000002"))
    strike_button = dialog.buttons[DepartureAction.STRIKE]
    assert strike_button.isEnabled()
    screen.strike_dialog = None
    strike_button.click()
    strike = screen.strike_dialog
    assert strike is not None and strike.isVisible() and strike.case_number() == "A10000002"
    strike.reason.setCurrentIndex(strike.reason.findData("NO_SHOW"))
    assert strike.strike_button.isEnabled()
    screen.strike_result_box = None
    strike.strike_button.click()
    qtbot.waitUntil(lambda: screen.strike_result_box is not None, timeout=WAIT)
    result = screen.strike_result_box
    assert "A10000002" in result.text() and "A10000003 -> stop 1 PEK" in result.informativeText()
    result.close()
    qtbot.waitUntil(lambda: dialog.data is not None and _state(dialog, "A10000002") == STRUCK, timeout=WAIT)
    _reload(qtbot, dialog)
    assert _state(dialog, "A10000003") == PENDING  # moved up: boards once revision 2 is approved
    assert "Did not board" in next(p.detail for p in dialog.data.passengers if p.case_number == "A10000002")

    # Close is allowed now.
    dialog.clock = lambda: CLOSING
    dialog.buttons[DepartureAction.CLOSE].click()
    dialog.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: dialog.data is not None and dialog.data.closed_at is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: not operations.busy(), timeout=WAIT)
    assert not dialog.problems.isVisible()
    assert not dialog.scan_field.isEnabled()
    assert "doors closed" in dialog.status.text()

    # Depart, with the time asked for.
    dialog.clock = lambda: DEPARTURE + timedelta(minutes=20)
    dialog._update_actions()
    assert depart_button.isEnabled()
    depart_button.click()
    confirm = dialog.depart_dialog
    assert confirm is not None and confirm.isVisible()
    assert confirm.departed_at() == DEPARTURE + timedelta(minutes=20)
    confirm.when.setDateTime(confirm.when.dateTime().addSecs(-5 * 60))
    confirm.ok.click()
    qtbot.waitUntil(lambda: dialog.data is not None and dialog.data.departed_at is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: not operations.busy(), timeout=WAIT)
    with ctx.uow(write=False) as uow:
        flight = uow.session.execute(sa.select(Flight).where(Flight.code == "RF0001")).scalar_one()
        assert flight.status == "DEPARTED"
        assert flight.departed_at.replace(tzinfo=None) == (DEPARTURE + timedelta(minutes=15)).replace(
            tzinfo=None
        )
        removed = set(
            uow.session.execute(
                sa.select(Person.case_number).where(Person.custody_status == "REMOVED")
            ).scalars()
        )
    assert removed == {"A10000001", "A20000001", "A20000002"}
    assert "DEPARTED" in dialog.status.text()

    # The as-flown manifest, saved like the manifests.
    target = tmp_path / "as_flown.pdf"
    monkeypatch.setattr(screen, "_ask_save_path", lambda *_a: str(target))
    assert dialog.buttons[DepartureAction.AS_FLOWN].isEnabled()
    with qtbot.waitSignal(screen.status_message, timeout=WAIT):
        dialog.buttons[DepartureAction.AS_FLOWN].click()
    assert target.read_bytes().startswith(b"%PDF")
    assert "manifest.as_flown" in _actions(ctx)

    # The struck-off report: counts by reason for the period, and the CSV.
    screen.report_action.trigger()
    report = screen.report_dialog
    assert report is not None and report.isVisible()
    day = EARLY.date()
    report.date_from.setDate(QDate(day.year, day.month, day.day))
    report.date_to.setDate(QDate(day.year, day.month, day.day))
    report.flight.setText("RF0001")
    report.report = None
    report.run()
    qtbot.waitUntil(lambda: report.report is not None, timeout=WAIT)
    counts = {r["reason"]: r["people"] for r in report.counts.records()}
    assert counts["NO_SHOW"] == 1 and sum(counts.values()) == 1
    assert report.rows.rowCount() == 1 and "1 person struck off" in report.summary.text()
    csv_path = tmp_path / "struck.csv"
    monkeypatch.setattr(screen, "_ask_save_path", lambda *_a: str(csv_path))
    with qtbot.waitSignal(screen.status_message, timeout=WAIT):
        report.export_button.click()
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("case_number,flight_id") and lines[1].startswith("A10000002,RF0001,1,NO_SHOW")


def test_scanning_before_approval_is_refused_in_red(qtbot, screens, ctx: AppContext, monkeypatch) -> None:
    officer, _supervisor = _world(ctx, approved=False)
    from planner.services.manifests import workflow as manifests

    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, "RF0001", now=BOARDING - timedelta(days=20))
    screen = _screen(qtbot, screens, ctx, officer)
    dialog = _departure(qtbot, screen, BOARDING)
    assert dialog.data is not None and dialog.data.in_force is None
    assert {p.state for p in dialog.data.passengers} == {PENDING}
    assert "not approved" in dialog.scan_field.placeholderText().lower()
    close = dialog.buttons[DepartureAction.CLOSE]
    assert not close.isEnabled() and close.toolTip() == "Needs the supervisor role"
    beeps: list[int] = []
    monkeypatch.setattr("ui.screens.manifests.departure.QApplication.beep", lambda: beeps.append(1))
    kind, text = _scan(qtbot, dialog, "A10000001")
    assert kind == "error" and "not approved yet" in text and beeps == [1]
