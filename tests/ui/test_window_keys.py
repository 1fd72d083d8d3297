"""Window keys (issue 13): F5 only refreshes, also in the Plan screen; Ctrl+R runs the plan there
(and says so in the Run button's tooltip)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from planner.demo import generate as demo
from planner.persistence.context import AppContext
from planner.services import planning
from planner.services.auth import Actor
from ui.main_window import MainWindow
from ui.screens.plan import RUN_PLAN_KEYS, PlanScreen

WAIT = 20_000


@pytest.fixture
def demo_ctx(ctx: AppContext, admin: Actor) -> AppContext:
    with ctx.uow() as uow:
        demo.generate_demo(uow, admin, people=120, flights=10, seed=4)
    return ctx


def _plan_screen(qtbot, ctx: AppContext, actor: Actor) -> tuple[MainWindow, PlanScreen]:
    window = MainWindow(ctx, actor)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.show_screen(PlanScreen.title)
    screen = window.screen(PlanScreen.title)
    assert isinstance(screen, PlanScreen)
    qtbot.waitUntil(lambda: "No plan has been run yet" in screen.summary["run"].text(), timeout=WAIT)
    return window, screen


def test_f5_in_the_plan_screen_refreshes_and_never_runs(qtbot, demo_ctx, officer) -> None:
    window, screen = _plan_screen(qtbot, demo_ctx, officer)
    assert window.refresh_action.shortcut() == QKeySequence("F5")
    assert "Ctrl+R" not in [k.toString() for k in window.refresh_action.shortcuts()]
    # Another officer stores a plan meanwhile; F5 with focus inside the screen shows it.
    planning.run_plan(demo_ctx, officer, demo_ctx.settings, time_limit=5)
    screen.time_limit.setFocus()
    qtbot.keyClick(screen.time_limit, Qt.Key.Key_F5)
    assert not screen.running
    qtbot.waitUntil(lambda: screen._current is not None, timeout=WAIT)
    assert len(screen._runs) == 1 and not screen.running
    qtbot.wait(50)
    assert not screen.running  # nothing started afterwards either


def test_ctrl_r_runs_the_plan_and_the_tooltip_says_so(qtbot, demo_ctx, officer) -> None:
    _window, screen = _plan_screen(qtbot, demo_ctx, officer)
    assert RUN_PLAN_KEYS == "Ctrl+R" and "(Ctrl+R)" in screen.run_button.toolTip()
    assert "Ctrl+R" in screen.summary["run"].text()
    screen.time_limit.setValue(5)
    screen.time_limit.setFocus()
    with qtbot.waitSignal(screen.data_changed, timeout=WAIT):
        qtbot.keyClick(screen.time_limit, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
        assert screen.running
    qtbot.waitUntil(lambda: not screen.running and screen._current is not None, timeout=WAIT)


def test_ctrl_r_outside_the_plan_screen_runs_nothing(qtbot, demo_ctx, officer) -> None:
    window, screen = _plan_screen(qtbot, demo_ctx, officer)
    window.show_screen("People")
    qtbot.keyClick(window.nav, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert not screen.running
