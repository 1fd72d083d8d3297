"""The dashboard's request panels through pytest-qt, on both backends: overdue requests per country
in words with a reminder letter each (written through the save dialog and an operation, audited),
the way to the Requests screen, the forecast per upcoming cut-off (sortable model, rounded, the rate
in the tooltip) and the empty states."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt

from planner.demo import generate as demo
from planner.domain.enums import RequestKind
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, CountryRule, Person, utc_now
from planner.services.auth import Actor
from planner.services.consular.status import CutoffForecast
from tests.integration.test_people_requests import add_batch, clear_requests
from ui import operations
from ui.main_window import MainWindow
from ui.screens import dashboard_requests
from ui.screens.dashboard import DashboardScreen
from ui.screens.dashboard_requests import REQUESTS_SCREEN, CutoffModel, confirmed_tip

NOW = utc_now().replace(microsecond=0)
TODAY = NOW.date()
TIMEOUT = 8000


@pytest.fixture
def office(ctx: AppContext, admin: Actor) -> AppContext:
    with ctx.uow() as uow:
        demo.generate_demo(uow, admin, people=120, flights=6, seed=11, now=NOW)
    clear_requests(ctx)
    return ctx


def _people(ctx: AppContext, country: str, n: int) -> list[int]:
    with ctx.uow() as uow:
        return list(
            uow.session.execute(
                sa.select(Person.id).where(Person.nationality == country).order_by(Person.id).limit(n)
            ).scalars()
        )


def _lead(ctx: AppContext, country: str) -> int:
    with ctx.uow() as uow:
        days = uow.session.execute(
            sa.select(CountryRule.lead_time_days).where(CountryRule.country == country)
        ).scalar_one_or_none()
    return 30 if days is None else int(days)


def _screen(qtbot, ctx: AppContext, actor: Actor) -> DashboardScreen:
    screen = DashboardScreen(ctx, actor)
    qtbot.addWidget(screen)
    screen.resize(1200, 900)
    screen.show()
    screen.activate()
    qtbot.waitUntil(lambda: screen.snapshot is not None, timeout=TIMEOUT)
    return screen


def test_empty_states_in_words(qtbot, office: AppContext, admin: Actor) -> None:
    screen = _screen(qtbot, office, admin)
    panel = screen.overdue_panel
    assert panel.summary.text().startswith("No request is overdue")
    assert panel.buttons == {} and screen.overdue_box.title() == "Requests overdue"
    summary = screen.cutoff_panel.summary.text()
    assert summary.startswith("Nobody with an open request is expected eligible") or summary.startswith(
        "No planned flight departs later"
    )


def test_overdue_lines_reminder_letter_and_forecast(
    qtbot, qtmodeltester, office: AppContext, admin: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chn = _people(office, "CHN", 5)
    other = next(c for c in ("GTM", "HND", "MEX", "SLV") if len(_people(office, c, 3)) >= 3)
    late = _lead(office, "CHN") + 12
    old = add_batch(office, RequestKind.VERIFICATION, "CHN", 3, TODAY - timedelta(days=late), chn[:2])
    newer = add_batch(office, RequestKind.VERIFICATION, "CHN", 5, TODAY - timedelta(days=late - 4), chn[2:3])
    add_batch(
        office, RequestKind.VERIFICATION, other, 1, TODAY - timedelta(days=2), _people(office, other, 3)
    )

    screen = _screen(qtbot, office, admin)
    panel = screen.overdue_panel
    assert set(panel.buttons) == {"CHN"}  # the fresh batch is not overdue
    assert panel.labels["CHN"].text() == f"China — 3 requests overdue, oldest 12 days ({old}, {newer})"
    assert screen.overdue_box.title() == "Requests overdue (3)"
    assert "3 requests overdue in 1 country" in panel.summary.text()

    # The reminder letter: the save dialog proposes a name, the letter is written off the GUI thread.
    proposed: list[str] = []
    out = tmp_path / "reminder.pdf"

    def ask(_parent, _caption, name, _filter=""):  # type: ignore[no-untyped-def]
        proposed.append(name)
        return str(out)

    monkeypatch.setattr(dashboard_requests, "ask_save_path", ask)
    messages: list[str] = []
    screen.status_message.connect(messages.append)
    qtbot.mouseClick(panel.buttons["CHN"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.last_letter is not None and not operations.busy(), timeout=TIMEOUT)
    assert proposed == [f"reminder-CHN-{TODAY:%Y-%m-%d}.pdf"]
    assert out.read_bytes().startswith(b"%PDF")
    letter = panel.last_letter
    assert letter is not None and set(letter.references) == {old, newer} and letter.people == 3
    assert messages and messages[-1].startswith("Reminder letter to China written to")
    assert panel.buttons["CHN"].isEnabled()
    with office.uow() as uow:
        assert (
            uow.session.execute(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "request.reminder")
            ).scalar_one()
            == 1
        )

    # The forecast per cut-off: the service's rows, sortable, rounded, the rate in the tooltip.
    pipeline = screen.snapshot.pipeline if screen.snapshot else None
    assert pipeline is not None
    model = screen.cutoff_panel.model
    assert model.records() == list(pipeline.by_cutoff)
    qtmodeltester.check(model, force_py=True)
    if pipeline.by_cutoff:
        row = max(range(model.rowCount()), key=lambda r: model.record(r).expected_people)
        record = model.record(row)
        assert model.data(model.index(row, 4)) == f"{round(record.expected_confirmed):,}"
        assert model.data(model.index(row, 4), Qt.ItemDataRole.ToolTipRole) == confirmed_tip(record)
        assert model.data(model.index(row, 2)).startswith(f"{record.cutoff_on:%Y-%m-%d}")
        model.sort(3, Qt.SortOrder.DescendingOrder)
        counts = [model.record(r).expected_people for r in range(model.rowCount())]
        assert counts == sorted(counts, reverse=True)


def test_cancelled_save_dialog_writes_nothing(
    qtbot, office: AppContext, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    chn = _people(office, "CHN", 1)
    add_batch(
        office, RequestKind.VERIFICATION, "CHN", 1, TODAY - timedelta(days=_lead(office, "CHN") + 3), chn
    )
    screen = _screen(qtbot, office, admin)
    monkeypatch.setattr(dashboard_requests, "ask_save_path", lambda *_a: "")
    screen.overdue_panel.buttons["CHN"].click()
    assert screen.overdue_panel.writing is None and not operations.busy()


def test_requests_button_opens_the_requests_screen(qtbot, office: AppContext, admin: Actor) -> None:
    window = MainWindow(office, admin)
    qtbot.addWidget(window)
    screen = window.screen("Dashboard")
    assert isinstance(screen, DashboardScreen)
    qtbot.waitUntil(lambda: screen.snapshot is not None, timeout=TIMEOUT)
    button = screen.overdue_panel.requests_button
    if REQUESTS_SCREEN not in window.screens:  # the Requests screen is not in this window
        assert not button.isEnabled()
        return
    assert button.isEnabled()
    button.click()
    assert window.stack.currentWidget() is window.screen(REQUESTS_SCREEN)


def test_passed_cutoffs_are_marked(qtbot, qtmodeltester) -> None:
    model = CutoffModel()
    rows = tuple(
        CutoffForecast(
            "CHN", n, f"RF090{n}", NOW + timedelta(days=9), TODAY + timedelta(days=days), people, rate
        )
        for n, (days, people, rate) in enumerate([(-2, 4, 3.0), (5, 7, 4.9)])
    )
    model.set_forecast(rows, TODAY)
    qtmodeltester.check(model, force_py=True)
    assert model.data(model.index(0, 2)) == f"{TODAY - timedelta(days=2):%Y-%m-%d} (passed)"
    assert model.data(model.index(0, 0), Qt.ItemDataRole.ForegroundRole) is not None
    assert model.data(model.index(1, 2)) == f"{TODAY + timedelta(days=5):%Y-%m-%d}"
    assert model.data(model.index(1, 0), Qt.ItemDataRole.ForegroundRole) is None
    assert model.data(model.index(1, 4)) == "5"  # 4.9 rounded
    assert "confirmation rate 70 %" in model.data(model.index(1, 4), Qt.ItemDataRole.ToolTipRole)
