"""The Plan screen through pytest-qt on a real SQLite file with demo data: run, cancel, conflict,
summary, per-flight loads, the unplaced and their explanations, changes, consolidation, history."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QMessageBox

from planner.demo import generate as demo
from planner.domain.enums import Role
from planner.domain.reasons import short_label
from planner.persistence.context import AppContext
from planner.persistence.models import Assignment, Person
from planner.services import planning
from planner.services.auth import Actor
from tests.conftest import add_user
from ui.main_window import MainWindow
from ui.operations import Change
from ui.screens.plan import PlanScreen

WAIT = 20_000


@pytest.fixture
def demo_ctx(ctx: AppContext, admin: Actor) -> AppContext:
    with ctx.uow() as uow:
        demo.generate_demo(uow, admin, people=300, flights=8, seed=11)
        uow.commit()
    return ctx


def _screen(qtbot, ctx: AppContext, actor: Actor) -> PlanScreen:
    screen = PlanScreen(ctx, actor)
    qtbot.addWidget(screen)
    screen.time_limit.setValue(5)
    screen.activate()
    return screen


def _run(qtbot, screen: PlanScreen) -> None:
    previous = screen._current.id if screen._current else None
    with qtbot.waitSignal(screen.data_changed, timeout=WAIT) as changed:
        screen.run_button.click()
    assert changed.args == [Change.PLAN]
    qtbot.waitUntil(lambda: not screen.running, timeout=WAIT)
    _wait_shown(qtbot, screen, previous)


def _wait_shown(qtbot, screen: PlanScreen, previous: int | None = None) -> None:
    """Wait until a run other than ``previous`` is shown with its flights and unplaced loaded."""
    qtbot.waitUntil(lambda: screen._current is not None and screen._current.id != previous, timeout=WAIT)
    qtbot.waitUntil(
        lambda: (
            screen.flights.rowCount() > 0
            and sum(f.placed for f in screen.flights.records()) == screen._current.placed
        ),
        timeout=WAIT,
    )
    qtbot.waitUntil(lambda: screen.unplaced_count.text() not in ("", "Loading…"), timeout=WAIT)


def test_run_shows_summary_loads_unplaced_and_history(qtbot, qtmodeltester, demo_ctx, officer) -> None:
    screen = _screen(qtbot, demo_ctx, officer)
    qtbot.waitUntil(lambda: "No plan has been run yet" in screen.summary["run"].text(), timeout=WAIT)
    assert not screen.advice_button.isEnabled() and screen.advice_button.toolTip() == "Run a plan first"
    assert not screen.cancel_button.isEnabled() and screen.cancel_button.toolTip() == "Nothing is running"

    _run(qtbot, screen)
    run = screen._current
    assert run is not None and run.status == "DRAFT" and run.created_by == officer.username
    assert "stored" in screen.progress.format()
    assert screen.summary["placed"].text().startswith(f"{run.placed:,}")
    assert screen.summary["eligible"].text() == f"{run.eligible:,}"
    assert "proven optimal" in screen.summary["gap"].text()
    # The office's safety settings the run used (from the database; the time limit given).
    assert (
        screen.summary["safety"].text().startswith("escort officers per returnee LOW 1 / MEDIUM 1.5 / HIGH 2")
    )
    assert "solver limit 5 s" in screen.summary["safety"].text()
    if os.environ.get("CHARTER_SHOT"):
        screen.resize(1200, 700)
        screen.grab().save(os.environ["CHARTER_SHOT"])
    # Not placed by reason adds up, and each reason has a meaning.
    reasons = screen.reasons.records()
    assert sum(r["people"] for r in reasons) == run.not_placed > 0
    assert all(r["meaning"] for r in reasons)
    # Per-flight loads: placed adds up to the run's count; load factor shown as a percentage.
    loads = screen.flights.records()
    assert sum(f.placed for f in loads) == run.placed
    column = [c for c, _ in screen.flights.columns].index("load_factor")
    first = screen.flights.index(0, column)
    assert screen.flights.data(first).endswith("%")
    screen.flights_view.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    factors = [f.load_factor for f in screen.flights.records()]
    assert factors == sorted(factors, reverse=True)
    assert "flights under 80 % full" in screen.flights_total.text()
    # Unplaced people are listed most urgent first.
    unplaced = screen.unplaced.records()
    assert len(unplaced) == run.not_placed
    assert [u.priority for u in unplaced] == sorted(u.priority for u in unplaced)
    # The case number is shown (it was blank), the reason in the one table's words, not its code.
    assert screen.unplaced.data(screen.unplaced.index(0, 0)) == unplaced[0].case_number
    assert screen.unplaced.data(screen.unplaced.index(0, 4)) == short_label(unplaced[0].reason)
    assert "_" not in screen.reason_filter.itemText(1)
    # Escort officers are whole people: the column shows an integer, the tooltip the exact load.
    escorts = [c for c, _ in screen.flights.columns].index("escorts_needed")
    for row in range(screen.flights.rowCount()):
        assert screen.flights.data(screen.flights.index(row, escorts)).replace(",", "").isdigit()
    assert "escort load" in screen.flights.data(screen.flights.index(0, escorts), Qt.ItemDataRole.ToolTipRole)
    # History and changes.
    assert [r.id for r in screen.history.records()] == [run.id]
    qtbot.waitUntil(lambda: "first plan run" in screen.changes_label.text(), timeout=WAIT)
    screen.grab()  # paints the load-factor delegate
    for model in (screen.flights, screen.unplaced, screen.reasons, screen.history):
        qtmodeltester.check(model, force_py=True)


def test_filter_by_reason_and_open_an_explanation(qtbot, demo_ctx, officer) -> None:
    screen = _screen(qtbot, demo_ctx, officer)
    _run(qtbot, screen)
    run = screen._current
    reason, count = max(run.not_placed_by_reason.items(), key=lambda kv: kv[1])
    # Double-clicking a reason on the summary lists those people.
    row = next(i for i, r in enumerate(screen.reasons.records()) if r["reason"] == reason)
    screen._reason_chosen(screen.reasons.index(row, 0))
    assert screen.tabs.currentIndex() == 2
    qtbot.waitUntil(lambda: screen.unplaced.rowCount() == count, timeout=WAIT)
    assert {u.reason for u in screen.unplaced.records()} == {reason}
    assert screen.unplaced_count.text() == f"{count:,} people"

    assert not screen.explain_button.isEnabled()
    assert screen.explain_button.toolTip() == "Select a person first"
    screen.unplaced_view.selectRow(0)
    assert screen.explain_button.isEnabled()
    case = screen.unplaced.record(0).case_number
    screen.explain_button.click()
    qtbot.waitUntil(lambda: screen.explanation is not None, timeout=WAIT)
    text = screen.explanation.text.toPlainText()
    assert case in text and f"not placed by plan {run.id}" in text
    screen.explanation.reject()
    qtbot.waitUntil(lambda: screen.explanation is None, timeout=WAIT)
    # Double-click does the same.
    screen.unplaced_view.doubleClicked.emit(screen.unplaced.index(0, 1))
    qtbot.waitUntil(lambda: screen.explanation is not None, timeout=WAIT)
    screen.explanation.reject()


def test_second_run_shows_changes_and_history_switches_runs(qtbot, qtmodeltester, demo_ctx, officer) -> None:
    screen = _screen(qtbot, demo_ctx, officer)
    _run(qtbot, screen)
    first = screen._current.id
    # Release somebody placed by the first run, so the second run drops them.
    with demo_ctx.uow() as uow:
        person_id = uow.session.execute(
            sa.select(Assignment.person_id).where(Assignment.plan_run_id == first).limit(1)
        ).scalar_one()
        uow.session.get(Person, person_id).custody_status = "RELEASED"
        uow.commit()
    _run(qtbot, screen)
    second = screen._current.id
    assert second == first + 1
    qtbot.waitUntil(lambda: f"Compared with plan {first}" in screen.changes_label.text(), timeout=WAIT)
    dropped = [c for c in screen._diff.changes if c.kind == "dropped"]
    assert any(c.person_id == person_id and c.reason == "NOT_IN_CUSTODY" for c in dropped)
    screen.change_filter.setCurrentIndex(screen.change_filter.findData("dropped"))
    assert {c.kind for c in screen.changes.records()} == {"dropped"}
    assert all(c.from_stop and not c.to_stop for c in screen.changes.records())
    qtmodeltester.check(screen.changes, force_py=True)
    # History: newest first; double-click shows the older run, the selector follows.
    assert [r.id for r in screen.history.records()] == [second, first]
    assert screen.history.record(1).status == "SUPERSEDED"
    screen.history_view.doubleClicked.emit(screen.history.index(1, 0))
    assert screen._current.id == first
    assert screen.run_selector.currentData() == first
    qtbot.waitUntil(lambda: "first plan run" in screen.changes_label.text(), timeout=WAIT)
    screen.run_selector.setCurrentIndex(0)
    screen.run_selector.activated.emit(0)
    assert screen._current.id == second


def test_cancel_stores_the_best_plan_found(qtbot, demo_ctx, officer) -> None:
    screen = _screen(qtbot, demo_ctx, officer)
    qtbot.waitUntil(lambda: "No plan has been run yet" in screen.summary["run"].text(), timeout=WAIT)
    with qtbot.waitSignal(screen.data_changed, timeout=WAIT):
        screen.run_plan()
        assert screen.running and screen.cancel_button.isEnabled()
        assert not screen.run_button.isEnabled()
        assert "Cancel" in screen.run_button.toolTip()
        screen.cancel()
    assert "stopped early" in screen.progress.format()
    _wait_shown(qtbot, screen)
    assert screen._current is not None and screen._current.status == "DRAFT"


def conflicting_plan_job(progress, should_stop, settings, actor, time_limit):
    """Runs in the plan's child process: computes a plan, lets another officer store one, then
    tries to store its own — which must be refused as a conflict."""
    from planner.persistence.context import build_context
    from planner.persistence.models import utc_now

    ctx = build_context(settings)
    with ctx.uow(write=False) as uow:
        data = planning.load_input(uow, now=utc_now())
    outcome = planning.compute_plan(data, settings, time_limit=time_limit)
    planning.run_plan(ctx, Actor("oscar", Role.OFFICER), settings, time_limit=time_limit)
    with ctx.uow() as uow:
        planning.store_plan(uow, actor, outcome, {})


def test_conflict_offers_to_run_again(qtbot, demo_ctx, officer) -> None:
    add_user(demo_ctx, "oscar", Role.OFFICER)
    screen = _screen(qtbot, demo_ctx, officer)
    screen.plan_job = conflicting_plan_job
    screen.run_plan()
    qtbot.waitUntil(lambda: screen.conflict_box is not None, timeout=WAIT)
    box = screen.conflict_box
    assert "Another officer stored a plan" in box.text()
    assert "another plan was stored" in screen.progress.format()
    with demo_ctx.uow(write=False) as uow:
        raced = planning.current_draft_plan_id(uow)
    del screen.plan_job  # back to the real job for "run again"
    with qtbot.waitSignal(screen.data_changed, timeout=WAIT):
        box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: not screen.running, timeout=WAIT)
    _wait_shown(qtbot, screen, previous=raced)
    assert screen._current.id == raced + 1 and screen._current.created_by == officer.username


@pytest.fixture
def advice_ctx(ctx: AppContext, admin: Actor) -> AppContext:
    """Enough flights for one of them to be cancellable outright."""
    with ctx.uow() as uow:
        demo.generate_demo(uow, admin, people=300, flights=16, seed=11)
        uow.commit()
    return ctx


def test_consolidation_advice(qtbot, qtmodeltester, advice_ctx, officer) -> None:
    screen = _screen(qtbot, advice_ctx, officer)
    _run(qtbot, screen)
    screen.advice_limit.setValue(5)
    assert screen.advice_button.isEnabled()
    screen.advice_button.click()
    assert not screen.advice_button.isEnabled() and screen.advice_cancel.isEnabled()
    qtbot.waitUntil(lambda: screen._advice_task is None, timeout=WAIT)
    assert screen.advice.rowCount() > 0
    saved = sum(r.cost_saved for r in screen.advice.records())
    assert (
        f"saves EUR {saved:,.0f} (at EUR 8,500 per flight hour)" in screen.advice_total.text()
    )  # currency on money
    qtmodeltester.check(screen.advice, force_py=True)
    # Cancel drops the pending result.
    screen.find_cancellable()
    screen.cancel_advice()
    assert screen.advice_progress.format() == "Cancelled" and screen.advice_button.isEnabled()


def test_ctrl_r_runs_and_esc_cancels_in_the_window(qtbot, demo_ctx, officer) -> None:
    window = MainWindow(demo_ctx, officer)
    qtbot.addWidget(window)
    window.show()
    window.show_screen(PlanScreen.title)
    screen = window.screen(PlanScreen.title)
    assert isinstance(screen, PlanScreen)
    qtbot.waitUntil(lambda: "No plan has been run yet" in screen.summary["run"].text(), timeout=WAIT)
    screen.time_limit.setFocus()
    with qtbot.waitSignal(screen.data_changed, timeout=WAIT):
        qtbot.keyClick(screen.time_limit, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
        assert screen.running
        qtbot.keyClick(screen.time_limit, Qt.Key.Key_Escape)
        assert screen._plan_task is None or screen._plan_task.cancel_requested
    assert "stopped early" in screen.progress.format()


def test_plan_screen_needs_an_officer() -> None:
    assert PlanScreen.allowed_for(Role.OFFICER)
    assert PlanScreen.required_role == Role.OFFICER
    assert QModelIndex().isValid() is False
