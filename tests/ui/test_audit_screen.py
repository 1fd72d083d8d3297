"""The audit screen through pytest-qt on a real SQLite file: newest first, paging (button and
scroll), every filter, the detail pane, and "Verify chain" both intact and broken."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QKeySequence

from planner.persistence import audit
from planner.persistence.audit import AuditEntry
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent
from planner.services.auth import Actor
from tests.integration.test_audit_chain import _drop_triggers
from ui import operations
from ui.main_window import MainWindow
from ui.operations import Change
from ui.screens.audit import NO_DATE, PAGE_SIZE, AuditScreen
from ui.screens.users import UsersScreen

EXTRA_EVENTS = 450


@pytest.fixture(autouse=True)
def _finish_background_work(qtbot):
    """Let queries started by a test report back before its widgets are deleted."""
    yield
    qtbot.waitUntil(lambda: not operations.busy(), timeout=10000)


@pytest.fixture
def logged(ctx: AppContext) -> AppContext:
    """The initialised database plus ``EXTRA_EVENTS`` events by two actors on two entities."""
    with ctx.uow() as uow:
        audit.record_many(
            uow,
            [
                AuditEntry(
                    "olivia" if i % 3 else "sam",
                    "flight.update" if i % 2 else "person.update",
                    "flight" if i % 2 else "person",
                    f"E{i:04d}",
                    {"seats": [i, i + 1], "note": "checked"},
                )
                for i in range(EXTRA_EVENTS)
            ],
        )
        uow.commit()
    return ctx


def _total(ctx: AppContext) -> int:
    with ctx.uow(write=False) as uow:
        return uow.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one()


def _screen(qtbot, ctx: AppContext, actor: Actor) -> AuditScreen:
    screen = AuditScreen(ctx, actor)
    qtbot.addWidget(screen)
    screen.resize(1200, 700)
    screen.show()
    screen.activate()
    _wait_idle(qtbot, screen)
    return screen


def _wait_idle(qtbot, screen: AuditScreen) -> None:
    qtbot.waitUntil(lambda: not screen._loading and "Loading" not in screen.count_label.text(), timeout=5000)


def _ids(screen: AuditScreen) -> list[int]:
    return [screen.model.record(row).id for row in range(screen.model.rowCount())]


def test_newest_first_paged_by_button_and_scrolling(qtbot, logged: AppContext, officer: Actor) -> None:
    total = _total(logged)
    screen = _screen(qtbot, logged, officer)
    assert _ids(screen) == list(range(total, total - PAGE_SIZE, -1))
    assert screen.older_button.isEnabled()
    assert "200 newest" in screen.count_label.text()

    screen.older_button.click()
    _wait_idle(qtbot, screen)
    assert _ids(screen) == list(range(total, total - 2 * PAGE_SIZE, -1))

    bar = screen.table.verticalScrollBar()
    bar.setValue(bar.maximum())  # scrolling to the bottom loads the rest
    _wait_idle(qtbot, screen)
    assert _ids(screen) == list(range(total, 0, -1))
    assert not screen.older_button.isEnabled()
    assert "every matching event is shown" in screen.older_button.toolTip().lower()
    assert screen.count_label.text() == f"All {total:,} matching events shown"


def test_each_filter_narrows_the_list(qtbot, logged: AppContext, officer: Actor) -> None:
    screen = _screen(qtbot, logged, officer)
    qtbot.waitUntil(lambda: screen.actor_filter.count() > 0, timeout=5000)
    assert {"olivia", "sam", "admin"} <= {
        screen.actor_filter.itemText(i) for i in range(screen.actor_filter.count())
    }

    screen.actor_filter.setEditText("sam")
    screen.reload()
    _wait_idle(qtbot, screen)
    assert screen.model.rowCount() == EXTRA_EVENTS // 3
    assert {screen.model.record(r).actor for r in range(screen.model.rowCount())} == {"sam"}

    screen.action_filter.setText("flight.")
    screen.reload()
    _wait_idle(qtbot, screen)
    assert {screen.model.record(r).action for r in range(screen.model.rowCount())} == {"flight.update"}

    screen.clear_filters()
    _wait_idle(qtbot, screen)
    assert screen.model.rowCount() == PAGE_SIZE
    screen.entity_filter.setEditText("person")
    screen.entity_id_filter.setText("E0012")
    screen.reload()
    _wait_idle(qtbot, screen)
    assert [(r.entity, r.entity_id) for r in screen.model.records()] == [("person", "E0012")]

    screen.clear_filters()
    today = QDate(date.today())
    screen.since_filter.setDate(today.addDays(1))  # nothing happened tomorrow
    _wait_idle(qtbot, screen)
    assert screen.model.rowCount() == 0
    screen.since_filter.setDate(today.addDays(-1))
    screen.until_filter.setDate(today.addDays(1))
    _wait_idle(qtbot, screen)
    assert screen.model.rowCount() == PAGE_SIZE
    assert screen.current_filter()["until"] - screen.current_filter()["since"] == timedelta(days=3)
    screen.until_filter.setDate(today.addDays(-1))
    _wait_idle(qtbot, screen)
    assert screen.model.rowCount() == 0
    screen.clear_filters()
    _wait_idle(qtbot, screen)
    assert screen.since_filter.date() == NO_DATE and screen.since_filter.text() == "any"


def test_typing_in_a_filter_reloads_after_a_pause(qtbot, logged: AppContext, officer: Actor) -> None:
    screen = _screen(qtbot, logged, officer)
    qtbot.keyClicks(screen.action_filter, "login.")
    qtbot.waitUntil(lambda: not screen._debounce.isActive(), timeout=3000)
    _wait_idle(qtbot, screen)
    assert screen.model.rowCount() == 0 or all(r.action.startswith("login.") for r in screen.model.records())


def test_detail_pane_shows_old_and_new(qtbot, logged: AppContext, officer: Actor) -> None:
    screen = _screen(qtbot, logged, officer)
    screen.entity_id_filter.setText("E0007")
    screen.reload()
    _wait_idle(qtbot, screen)
    screen.table.selectRow(0)
    event = screen.selected_event()
    assert event is not None and event.entity_id == "E0007"
    text = screen.detail.toPlainText()
    assert "seats 7 → 8" in text and "note: checked" in text
    assert f"Event {event.id}" in screen.detail_header.text()
    summary = screen.model.index(0, 6)
    assert screen.model.data(summary) == "note: checked; seats 7 → 8"
    assert "→" in screen.model.data(summary, Qt.ItemDataRole.ToolTipRole)


def test_columns_sort_and_model_passes_qtmodeltester(
    qtbot, qtmodeltester, logged: AppContext, officer: Actor
) -> None:
    screen = _screen(qtbot, logged, officer)
    screen.table.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    actors = [r.actor for r in screen.model.records()]
    assert actors == sorted(actors)
    screen.older_button.click()  # an older page keeps the chosen order
    _wait_idle(qtbot, screen)
    actors = [r.actor for r in screen.model.records()]
    assert len(actors) == 2 * PAGE_SIZE and actors == sorted(actors)
    qtmodeltester.check(screen.model, force_py=True)


def test_verify_chain_reports_intact(qtbot, logged: AppContext, officer: Actor) -> None:
    screen = _screen(qtbot, logged, officer)
    assert screen.verify_action.shortcut() == QKeySequence("Ctrl+Shift+V")
    screen.verify_action.trigger()
    assert screen.busy.isVisibleTo(screen) and not screen.verify_button.isEnabled()
    qtbot.waitUntil(lambda: "intact" in screen.verdict.text(), timeout=10000)
    assert f"intact: {_total(logged):,} events" in screen.verdict.text()
    assert not screen.busy.isVisibleTo(screen) and screen.verify_button.isEnabled()


def test_verify_chain_names_and_selects_the_broken_event(qtbot, logged: AppContext, officer: Actor) -> None:
    target = _total(logged) - 5
    _drop_triggers(logged)
    with logged.engine.begin() as conn:
        conn.execute(sa.update(AuditEvent).where(AuditEvent.id == target).values(actor="mallory"))
    screen = _screen(qtbot, logged, officer)
    screen.verify_button.click()
    qtbot.waitUntil(lambda: "BROKEN" in screen.verdict.text(), timeout=10000)
    assert f"BROKEN at event {target}: event {target} was altered" in screen.verdict.text()
    selected = screen.selected_event()
    assert selected is not None and selected.id == target and selected.actor == "mallory"


def test_verify_chain_says_when_the_broken_event_is_not_shown(
    qtbot, logged: AppContext, officer: Actor
) -> None:
    _drop_triggers(logged)
    with logged.engine.begin() as conn:
        conn.execute(sa.update(AuditEvent).where(AuditEvent.id == 3).values(action="tampered"))
    screen = _screen(qtbot, logged, officer)
    screen.verify()
    qtbot.waitUntil(lambda: "BROKEN" in screen.verdict.text(), timeout=10000)
    assert "BROKEN at event 3" in screen.verdict.text() and "not among those shown" in screen.verdict.text()


def test_the_window_shows_audit_to_officers_and_users_to_admins_only(
    qtbot, logged: AppContext, officer: Actor, admin: Actor
) -> None:
    window = MainWindow(logged, officer)
    qtbot.addWidget(window)
    assert AuditScreen.title in window.screens and UsersScreen.title not in window.screens
    window.show_screen(AuditScreen.title)
    screen = window.screen(AuditScreen.title)
    assert isinstance(screen, AuditScreen)
    _wait_idle(qtbot, screen)
    assert screen.model.rowCount() == PAGE_SIZE
    row = next(r for r in range(window.nav.count()) if window.nav.item(r).text() == UsersScreen.title)
    assert "Needs the admin role" in window.nav.item(row).toolTip()

    screen.on_data_changed(Change.PEOPLE)  # visible: reloads at once
    _wait_idle(qtbot, screen)
    assert screen.model.rowCount() == PAGE_SIZE
    admin_window = MainWindow(logged, admin)
    qtbot.addWidget(admin_window)
    assert UsersScreen.title in admin_window.screens
