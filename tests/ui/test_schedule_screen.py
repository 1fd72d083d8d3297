"""The Schedule screen (issue 17) through pytest-qt.

Without a database: the calendar lays out one row per country with proposed and current blocks
(a mission to two countries joined) and a click names the mission; the cost split chart stacks
flying, waiting and the unserved penalty on one scale; the slider's costs scale the family's.
With the services stood in (both backends, for the office settings): the screen builds for each
role (Accept disabled for an officer, naming the role), Propose stores and shows a proposal, the
slider runs a what-if with ``store=False`` that stores nothing and says so, a calendar click
selects the table row, Accept (supervisor) asks first and announces the flights. End to end on a
demo database: Propose fills calendar, table and chart; Accept creates PLANNED flights."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QGroupBox, QMessageBox

from planner.demo import generate as demo
from planner.persistence.context import AppContext
from planner.persistence.models import Flight, ScheduleProposal
from planner.services.auth import Actor
from planner.services.scheduling import proposals
from planner.services.scheduling.problem import ScheduleCosts
from tests.ui.schedule_views import COSTS, FakeProposals, proposal
from ui import operations
from ui.main_window import MainWindow, go_keys
from ui.operations import Change
from ui.screens.schedule import ACCEPT_KEYS, PROPOSE_KEYS, SCHEDULE_KEYS, ScheduleScreen
from ui.screens.schedule.calendar import MissionCalendar
from ui.screens.schedule.cost_chart import CostSplitChart, split
from ui.screens.schedule.models import Money, column_of, scaled_costs, whatif_text

WAIT = 20_000


# ----------------------------------------------------------------------------- widgets alone


def test_calendar_rows_blocks_joins_and_clicks(qtbot) -> None:
    view = proposal()
    calendar = MissionCalendar()
    qtbot.addWidget(calendar)
    calendar.resize(1000, 320)
    calendar.set_schedule(view.from_date, 7 * view.weeks, view.missions, view.current_missions)
    assert calendar.countries() == ["GTM", "HND", "MEX", "SLV"]
    blocks = calendar.layout_blocks()
    proposed = [b for b in blocks if not b.current]
    assert sorted((b.mission.id, b.country, b.people) for b in proposed) == [
        ("M1", "GTM", 180),
        ("M2", "HND", 60),
        ("M2", "SLV", 100),
        ("M3", "MEX", 120),
    ]
    (current,) = [b for b in blocks if b.current]
    assert current.mission.id == "RC001" and current.country == "GTM"
    rows = {r.country: r for r in calendar.country_rows()}
    assert rows["GTM"].proposed.contains(proposed[0].rect.center())
    assert rows["GTM"].current.contains(current.rect.center())  # the lane below the country's row
    # Day 3 is left of day 9, and a block sits in its day's column.
    m2 = next(b for b in proposed if b.mission.id == "M2")
    assert calendar.day_x(3) <= m2.rect.center().x() <= calendar.day_x(4)
    with qtbot.waitSignal(calendar.mission_clicked) as clicked:
        qtbot.mouseClick(calendar, Qt.MouseButton.LeftButton, pos=m2.rect.center().toPoint())
    assert clicked.args == ["M2"]
    assert calendar.block_at(QPointF(2, 2)) is None
    calendar.grab()  # paints without error


def test_cost_chart_stacks_flying_waiting_and_penalty_on_one_scale(qtbot) -> None:
    view = proposal()
    chart = CostSplitChart()
    qtbot.addWidget(chart)
    chart.resize(700, 160)
    chart.set_totals([("Proposed", view.totals), ("Current", view.current)], view.costs)
    parts = dict((name, amount) for name, amount in split(view.current, COSTS))
    assert parts["unserved penalty"] == 150 * 5000
    assert parts["flying"] + parts["waiting"] + parts["unserved penalty"] == pytest.approx(view.current.cost)
    proposed, current = chart.bars()
    width = [sum(r.width() for _n, _a, r in bar.parts) for bar in (proposed, current)]
    assert width[0] / width[1] == pytest.approx(300_000 / 900_000, rel=1e-3)
    assert "EUR 652 per removal" in proposed.value and "EUR 7,500 per removal" in current.value
    assert "flying EUR 150,000" in chart.toolTip()
    chart.grab()


def test_the_slider_scales_the_family_cost_with_the_adult_cost() -> None:
    costs = scaled_costs(COSTS, 61)
    assert (costs.detention_cost_person, costs.detention_cost_family, costs.unserved_penalty) == (
        61,
        150,
        5000,
    )
    assert scaled_costs(COSTS, 0).detention_cost_family == 0
    assert scaled_costs(ScheduleCosts(0, 300, 5000), 50).detention_cost_family == 300  # no ratio: kept
    view = proposal(None, missions=3)
    assert whatif_text(122, view, Money("USD")) == "At USD 122/day: 3 missions, USD 652 per removal"


# ----------------------------------------------------------------------------- the screen, services stood in


@pytest.fixture
def fake(monkeypatch) -> FakeProposals:
    stand_in = FakeProposals()
    for name in (
        "compute_proposal",
        "store_proposal",
        "propose",
        "list_proposals",
        "load_proposal",
        "accept",
    ):
        monkeypatch.setattr(proposals, name, getattr(stand_in, name))
    return stand_in


def _screen(qtbot, ctx: AppContext, actor: Actor) -> ScheduleScreen:
    screen = ScheduleScreen(ctx, actor)
    qtbot.addWidget(screen)
    screen.resize(1400, 900)
    screen.show()
    screen.activate()
    qtbot.waitUntil(lambda: not operations.busy() and screen.office is not None, timeout=WAIT)
    return screen


def _propose(qtbot, screen: ScheduleScreen) -> None:
    with qtbot.waitSignal(screen.data_changed, timeout=WAIT) as changed:
        screen.propose_button.click()
    assert changed.args[0] & Change.SCHEDULE
    qtbot.waitUntil(lambda: not screen.running and not operations.busy(), timeout=WAIT)


def test_officer_proposes_but_may_not_accept(
    qtbot, qtmodeltester, ctx: AppContext, officer: Actor, fake
) -> None:
    screen = _screen(qtbot, ctx, officer)
    assert screen.slider.value() == 122 and screen.weeks.value() == 8
    assert "No proposal" in screen.banner.text() and screen.picker.currentText() == "No stored proposals"
    assert not screen.accept_button.isEnabled()
    assert "supervisor role; you are officer" in screen.accept_button.toolTip()
    assert f"({PROPOSE_KEYS})" in screen.propose_button.toolTip()

    screen.time_limit.setValue(3)
    _propose(qtbot, screen)
    (call,) = [kw for name, kw in fake.calls if name == "propose"]
    assert call["time_limit"] == 3 and call["costs"] == COSTS and call["weeks"] == 8
    assert [name for name, _kw in fake.calls] == ["propose", "store"]  # solved, then stored
    assert screen.view is not None and screen.view.id == 1 and not screen.showing_whatif
    assert screen.missions.rowCount() == 3 and len(screen.calendar.layout_blocks()) == 5
    assert len(screen.chart.bars()) == 2
    assert screen.totals.cells[("cost", "proposed")].text() == "EUR 300,000"
    assert screen.totals.cells[("cost", "current")].text() == "EUR 900,000"
    assert "gap 1.2 %" in screen.totals.quality.text() and "Mexico" in screen.totals.notes.text()
    assert screen.picker.currentData() == 1 and "Proposal #1" in screen.banner.text()
    assert not screen.accept_button.isEnabled()  # still the officer
    qtmodeltester.check(screen.missions)
    tip = screen.missions.headerData(
        column_of("cost"), Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole
    )
    assert "block hour" in tip
    screen.table.sortByColumn(column_of("cost"), Qt.SortOrder.DescendingOrder)
    assert [m.id for m in screen.missions.records()] == ["M3", "M2", "M1"]  # cost 50,003 > 50,002 > 50,001


def test_slider_what_if_stores_nothing_and_says_so(qtbot, ctx: AppContext, supervisor: Actor, fake) -> None:
    fake.stored.append(proposal(1))
    screen = _screen(qtbot, ctx, supervisor)
    qtbot.waitUntil(lambda: screen.view is not None, timeout=WAIT)  # the newest proposal shows
    assert screen.accept_button.isEnabled() and f"({ACCEPT_KEYS})" in screen.accept_button.toolTip()

    screen.slider.setValue(61)
    assert "…" in screen.whatif_label.text()
    qtbot.waitUntil(lambda: screen.showing_whatif and not operations.busy(), timeout=WAIT)
    (call,) = [kw for name, kw in fake.calls if name == "propose"]
    assert not call["store"] and call["costs"].detention_cost_family == 150
    assert call["time_limit"] <= ScheduleScreen.WHATIF_SECONDS
    assert len(fake.stored) == 1 and ("store", {}) not in fake.calls  # nothing stored
    assert "not stored" in screen.banner.text() and "#1 is unchanged" in screen.banner.text()
    assert screen.store_whatif.isVisibleTo(screen)
    assert screen.whatif_label.text() == "At EUR 61/day: 2 missions, EUR 882 per removal (not stored)"
    assert screen.missions.rowCount() == 2 and screen.totals.header_proposed.text() == "<b>What-if</b>"
    assert not screen.accept_button.isEnabled() and "what-if" in screen.accept_button.toolTip()

    # Back at the stored proposal's cost: the stored proposal again, without solving.
    screen.slider.setValue(122)
    screen.run_whatif()
    assert not screen.showing_whatif and screen.view is not None and screen.view.id == 1
    assert len([c for c in fake.calls if c[0] == "propose"]) == 1

    # A superseded what-if is dropped: only the last value shows.
    screen.slider.setValue(200)
    screen.run_whatif()
    screen.slider.setValue(61)
    screen.run_whatif()
    qtbot.waitUntil(lambda: screen.showing_whatif and not operations.busy(), timeout=WAIT)
    assert screen.view is not None and screen.view.costs.detention_cost_person == 61

    # Propose at this cost stores it.
    with qtbot.waitSignal(screen.data_changed, timeout=WAIT):
        screen.store_whatif.click()
    qtbot.waitUntil(lambda: not screen.running and not operations.busy(), timeout=WAIT)
    assert len(fake.stored) == 2 and screen.view is not None and screen.view.id == 2
    assert not screen.showing_whatif and not screen.store_whatif.isVisibleTo(screen)


def test_calendar_click_selects_and_accept_asks_then_announces(
    qtbot, ctx: AppContext, supervisor: Actor, fake
) -> None:
    fake.stored.append(proposal(1))
    screen = _screen(qtbot, ctx, supervisor)
    qtbot.waitUntil(lambda: screen.view is not None, timeout=WAIT)
    m3 = next(b for b in screen.calendar.layout_blocks() if b.mission.id == "M3")
    qtbot.mouseClick(screen.calendar, Qt.MouseButton.LeftButton, pos=m3.rect.center().toPoint())
    assert [m.id for m in screen.selected_missions()] == ["M3"]
    assert screen.calendar.selected == {"M3"}
    assert screen.table.currentIndex().row() == screen.missions.row_of("M3")
    assert "1 mission" in screen.accept_button.toolTip()

    screen.accept_missions()
    box = screen.confirm_box
    assert box is not None and "1 mission of proposal #1" in box.text() and "M3" in box.informativeText()
    box.button(QMessageBox.StandardButton.No).click()
    assert not [c for c in fake.calls if c[0] == "accept"]

    screen.accept_missions()
    box = screen.confirm_box
    assert box is not None
    with qtbot.waitSignal(screen.data_changed, timeout=WAIT) as changed:
        box.button(QMessageBox.StandardButton.Yes).click()
    assert changed.args[0] & Change.FLIGHTS
    qtbot.waitUntil(lambda: screen.result_box is not None and not operations.busy(), timeout=WAIT)
    assert ("accept", {"proposal_id": 1, "missions": ["M3"]}) in fake.calls
    assert screen.result_box is not None and "SCH1-M3" in screen.result_box.text()
    qtbot.waitUntil(
        lambda: screen.view is not None and screen.view.missions[2].flight_code == "SCH1-M3", timeout=WAIT
    )
    flight_column = column_of("flight_code")
    assert any(
        screen.missions.index(r, flight_column).data() == "SCH1-M3" for r in range(screen.missions.rowCount())
    )


def test_keys_progress_and_cancel(qtbot, ctx: AppContext, officer: Actor, fake, monkeypatch) -> None:
    """Ctrl+R proposes (focus inside the screen), progress shows, Esc cancels: the best found is stored."""
    release = threading.Event()

    def slow_compute(_uow, _actor, **kwargs):
        kwargs["progress"](0.25, "searching")
        while not kwargs["should_stop"]() and not release.wait(0.01):
            pass
        return fake.propose(None, None, store=False, **{k: v for k, v in kwargs.items() if k != "progress"})

    monkeypatch.setattr(proposals, "compute_proposal", slow_compute)
    screen = _screen(qtbot, ctx, officer)
    screen.weeks.setFocus()
    qtbot.keyClick(screen.weeks, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert screen.running and not screen.propose_button.isEnabled() and screen.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: "searching" in screen.progress.format(), timeout=WAIT)
    assert screen.progress.value() == 250
    with qtbot.waitSignal(screen.data_changed, timeout=WAIT):
        qtbot.keyClick(screen.weeks, Qt.Key.Key_Escape)
        assert "Stopping" in screen.progress.format()
    release.set()
    qtbot.waitUntil(lambda: not screen.running and not operations.busy(), timeout=WAIT)
    assert (
        screen.view is not None and screen.view.id == 1 and "Proposal #1 stored" in screen.progress.format()
    )
    assert screen.propose_button.isEnabled() and not screen.cancel_button.isEnabled()


def test_window_lists_schedule_after_plan_with_its_own_key(
    qtbot, ctx: AppContext, officer: Actor, fake
) -> None:
    keys = go_keys()
    assert keys["Schedule"] == SCHEDULE_KEYS == "Ctrl+L"
    assert keys["Requests"] == "Ctrl+6" and keys["Reference data"] == "Ctrl+0"
    assert len(set(keys.values())) == len(keys)
    window = MainWindow(ctx, officer)
    qtbot.addWidget(window)
    window.show()
    window.show_screen("Schedule")
    assert isinstance(window.stack.currentWidget(), ScheduleScreen)
    qtbot.waitUntil(lambda: not operations.busy(), timeout=WAIT)


# ----------------------------------------------------------------------------- end to end


@pytest.fixture
def demo_ctx(ctx: AppContext, admin: Actor) -> AppContext:
    with ctx.uow() as uow:
        demo.generate_demo(uow, admin, people=120, flights=6, seed=4)
    return ctx


def _count(ctx: AppContext, table: type) -> int:
    with ctx.uow(write=False) as uow:
        return int(uow.session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_end_to_end_propose_what_if_and_accept(qtbot, demo_ctx: AppContext, supervisor: Actor) -> None:
    screen = _screen(qtbot, demo_ctx, supervisor)
    screen.weeks.setValue(3)
    screen.time_limit.setValue(3)
    _propose(qtbot, screen)
    view = screen.view
    assert view is not None and view.id is not None and view.missions
    assert _count(demo_ctx, ScheduleProposal) == 1
    assert screen.missions.rowCount() == len(view.missions)
    assert [b for b in screen.calendar.layout_blocks() if not b.current]
    assert len(screen.chart.bars()) == 2 and screen.picker.currentData() == view.id

    screen.WHATIF_SECONDS = 2.0
    screen.slider.setValue(30)
    screen.run_whatif()
    qtbot.waitUntil(lambda: screen.showing_whatif and not operations.busy(), timeout=WAIT)
    assert _count(demo_ctx, ScheduleProposal) == 1  # the what-if stored nothing

    screen.slider.setValue(round(view.costs.detention_cost_person))
    screen.run_whatif()
    assert not screen.showing_whatif and screen.accept_button.isEnabled()
    flights = _count(demo_ctx, Flight)
    screen.accept_missions()
    assert screen.confirm_box is not None
    with qtbot.waitSignal(screen.data_changed, timeout=WAIT):
        screen.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: screen.result_box is not None and not operations.busy(), timeout=WAIT)
    assert _count(demo_ctx, Flight) == flights + len(view.missions)
    qtbot.waitUntil(
        lambda: screen.view is not None and all(m.flight_code for m in screen.view.missions), timeout=WAIT
    )
    assert not screen.accept_button.isEnabled() and "accepted already" in screen.accept_button.toolTip()


def test_office_settings_dialog_edits_the_scheduling_settings(qtbot, ctx: AppContext, admin: Actor) -> None:
    from planner.services import office_settings
    from ui.office_settings_dialog import OfficeSettingsDialog

    dialog = OfficeSettingsDialog(ctx, admin)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.loaded is not None and dialog.save_button.isEnabled(), timeout=WAIT)
    fields = dialog.fields
    assert fields["detention_cost_person"].value() == 122 and fields["schedule_weeks"].value() == 8
    assert dialog.findChild(QGroupBox, "schedulingSettings") is not None
    fields["detention_cost_family"].setValue(280)
    fields["schedule_weeks"].setValue(6)
    fields["pickup_airports"].setText("aex, sat")
    assert dialog.changes() == {
        "detention_cost_family": 280,
        "schedule_weeks": 6,
        "pickup_airports": "aex, sat",
    }
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Saved"), timeout=WAIT)
    with ctx.uow(write=False) as uow:
        stored = office_settings.load(uow)
    assert (stored.detention_cost_family, stored.schedule_weeks, stored.pickup_airports) == (
        280,
        6,
        "AEX;SAT",
    )
    assert fields["pickup_airports"].text() == "AEX;SAT" and dialog.changes() == {}
    qtbot.waitUntil(lambda: not operations.busy(), timeout=WAIT)
