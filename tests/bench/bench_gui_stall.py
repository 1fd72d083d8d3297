"""How long does the GUI thread stall while a 100,000-person plan runs in the background and while
the People table filters as you type? Target: no gap between two 10 ms ticks longer than 100 ms.

A ``QTimer`` fires every 10 ms on the GUI thread; the longest gap between two ticks (minus the
10 ms period) is the longest the window could not react. Stalls longer than 50 ms are attributed
to the phase the plan run was in (from its progress messages), which tells a GUI-thread stall
(the window's own work) from GIL contention (a background thread holding the interpreter).

Run: ``pytest -m bench tests/bench/bench_gui_stall.py -s``. The 100,000-person database is created
once (about 20 s) in the temp folder and reused; delete ``charter-bench-gui-100k`` to rebuild.
"""

from __future__ import annotations

import faulthandler
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings, Qt, QThreadPool, QTimer

from planner.demo import generate as demo
from planner.persistence.context import AppContext, build_context
from planner.settings import Settings
from tests.conftest import admin_actor, make_initialised_context
from ui.app import settle_heap, tune_for_responsiveness
from ui.main_window import MainWindow
from ui.screens.people import PeopleScreen
from ui.screens.plan import PlanScreen

pytestmark = pytest.mark.bench

PEOPLE, FLIGHTS = 100_000, 800
PLAN_TIME_LIMIT = 15
TARGET_MS = 100.0
AFTER_RUN_MS = 500
SWITCH_MS = 1500
BENCH_DIR = Path(tempfile.gettempdir()) / "charter-bench-gui-100k"


class StallMeter:
    """Ticks every 10 ms on the GUI thread and records the gaps between ticks (GUI thread only)."""

    PERIOD_MS = 10

    def __init__(self) -> None:
        #: With CHARTER_STALL_TRACE=FILE, every stall over 100 ms dumps all threads' stacks to FILE
        #: (faulthandler's watchdog needs no GIL, so it sees who holds it).
        trace = os.environ.get("CHARTER_STALL_TRACE")
        self.trace = open(trace, "a", encoding="utf-8") if trace else None  # noqa: SIM115
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(self.PERIOD_MS)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[tuple[float, float]] = []  # (tick time, gap in ms)
        self._last = 0.0

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        if self.trace is not None:
            faulthandler.cancel_dump_traceback_later()

    def _tick(self) -> None:
        if self.trace is not None:
            faulthandler.dump_traceback_later(TARGET_MS / 1000.0, file=self.trace)
        now = time.perf_counter()
        self.gaps.append((now, 1000.0 * (now - self._last)))
        self._last = now

    def stalls(self, over_ms: float) -> list[tuple[float, float]]:
        """(start time, stall in ms beyond the period) of every gap longer than ``over_ms`` + period."""
        return [(t - g / 1000.0, g - self.PERIOD_MS) for t, g in self.gaps if g - self.PERIOD_MS > over_ms]

    def report(self, label: str) -> float:
        gaps = [g for _, g in self.gaps]
        worst = max(gaps) - self.PERIOD_MS if gaps else 0.0
        p99 = statistics.quantiles(gaps, n=100)[98] - self.PERIOD_MS if len(gaps) > 100 else worst
        over = sum(1 for g in gaps if g - self.PERIOD_MS > TARGET_MS)
        print(
            f"\n{label}: {len(gaps):,} ticks; longest stall {worst:.0f} ms, p99 {p99:.0f} ms, "
            f"stalls > {TARGET_MS:.0f} ms: {over}"
        )
        return worst


@pytest.fixture(scope="module")
def big_ctx() -> Iterator[AppContext]:
    settings = Settings(db=str(BENCH_DIR / "charter.db"), data_dir=BENCH_DIR)
    ready = BENCH_DIR / "ready"
    if not ready.exists():
        BENCH_DIR.mkdir(exist_ok=True)
        for stale in BENCH_DIR.glob("charter.db*"):
            stale.unlink()
        started = time.perf_counter()
        ctx = make_initialised_context(settings)
        with ctx.uow() as uow:
            demo.generate_demo(uow, admin_actor(), people=PEOPLE, flights=FLIGHTS, seed=1)
            uow.commit()
        ctx.close()
        ready.touch()
        print(f"\ncreated the {PEOPLE:,}-person database in {time.perf_counter() - started:.1f} s")
    ctx = build_context(settings)
    yield ctx
    ctx.close()


@pytest.fixture
def window(qtbot, big_ctx: AppContext) -> Iterator[MainWindow]:
    previous = sys.getswitchinterval(), QThreadPool.globalInstance().maxThreadCount()
    tune_for_responsiveness()  # as ui.app.make_application does for the real window
    QCoreApplication.setOrganizationName("charter-planner-bench")
    QSettings().clear()
    win = MainWindow(big_ctx, admin_actor())
    qtbot.addWidget(win)
    win.resize(1360, 820)
    win.show()
    settle_heap()  # as ui.app.run_gui does once the window is shown
    yield win
    gc.unfreeze()
    sys.setswitchinterval(previous[0])
    QThreadPool.globalInstance().setMaxThreadCount(previous[1])


def _wait_people(qtbot, people: PeopleScreen) -> None:
    qtbot.waitUntil(lambda: people.count_label.text().endswith(" people"), timeout=60_000)


def _type(qtbot, people: PeopleScreen, text: str, pause_ms: int = 120) -> None:
    """Type ``text`` one key at a time (a brisk typist), then wait for the result."""
    people.search.setFocus()
    for ch in text:
        if ch.isascii():
            qtbot.keyClick(people.search, ch)
        else:  # QTest types ASCII only; an input method would insert the character like this
            people.search.insert(ch)
        qtbot.wait(pause_ms)
    qtbot.wait(people._debounce.interval() + 50)
    _wait_people(qtbot, people)


def _typing_session(qtbot, people: PeopleScreen) -> None:
    for query in ("GARCIA", "LI", "A2", "MARÍA JOSÉ", "郑", "ZZZZ"):
        people.search.clear()
        _type(qtbot, people, query)
        people.model.data(people.model.index(0, 0))  # show the first page
        qtbot.wait(150)
    people.search.clear()
    _wait_people(qtbot, people)


def _run_plan(qtbot, plan: PlanScreen, phases: list[tuple[float, float, str]]) -> float:
    original = plan._plan_progress

    def recording(fraction: float, message: str) -> None:
        phases.append((time.perf_counter(), fraction, message))
        original(fraction, message)

    plan._plan_progress = recording  # type: ignore[method-assign]
    plan.time_limit.setValue(PLAN_TIME_LIMIT)
    started = time.perf_counter()
    phases.append((started, 0.0, "start"))
    plan.run_plan()
    qtbot.waitUntil(lambda: not plan.running, timeout=300_000)
    _wait_results(qtbot, plan)
    return time.perf_counter() - started


def _wait_results(qtbot, plan: PlanScreen) -> None:
    """Until the run's history, loads, unplaced and changes are all shown, and a moment more for
    what other screens do about the new plan: all of it counts in the measurement."""
    qtbot.waitUntil(lambda: not plan.results_loading, timeout=60_000)
    qtbot.waitUntil(lambda: plan.unplaced_count.text() not in ("", "Loading…"), timeout=60_000)
    qtbot.wait(AFTER_RUN_MS)


def _attribute(meter: StallMeter, phases: list[tuple[float, float, str]], over_ms: float = 50.0) -> None:
    for start, stall in meter.stalls(over_ms):
        phase = next((m for t, _f, m in reversed(phases) if t <= start), "before the run")
        print(f"  stall {stall:.0f} ms during: {phase}")


def test_gui_stall_while_a_big_plan_runs(qtbot, window: MainWindow) -> None:
    window.show_screen(PlanScreen.title)
    plan = window.screen(PlanScreen.title)
    assert isinstance(plan, PlanScreen)
    qtbot.wait(500)
    meter, phases = StallMeter(), []
    meter.start()
    seconds = _run_plan(qtbot, plan, phases)
    meter.stop()
    worst = meter.report(f"plan run on {PEOPLE:,} people ({seconds:.1f} s, time limit {PLAN_TIME_LIMIT} s)")
    print(f"  {plan.progress.format()}")
    _attribute(meter, phases)
    assert worst < 10 * TARGET_MS  # recorded, not gated: the figures are the result


def test_gui_stall_while_people_filter_as_you_type(qtbot, window: MainWindow) -> None:
    window.show_screen(PeopleScreen.title)
    people = window.screen(PeopleScreen.title)
    assert isinstance(people, PeopleScreen)
    _wait_people(qtbot, people)
    meter = StallMeter()
    meter.start()
    started = time.perf_counter()
    _typing_session(qtbot, people)
    meter.stop()
    worst = meter.report(f"people filter as you type ({time.perf_counter() - started:.1f} s)")
    _attribute(meter, [(started, 0.0, "typing")])
    assert worst < 10 * TARGET_MS


def test_gui_stall_while_typing_during_a_plan_run(qtbot, window: MainWindow) -> None:
    plan = window.screen(PlanScreen.title)
    people = window.screen(PeopleScreen.title)
    assert isinstance(plan, PlanScreen) and isinstance(people, PeopleScreen)
    window.show_screen(PeopleScreen.title)
    _wait_people(qtbot, people)
    meter, phases = StallMeter(), []
    original = plan._plan_progress

    def recording(fraction: float, message: str) -> None:
        phases.append((time.perf_counter(), fraction, message))
        original(fraction, message)

    plan._plan_progress = recording  # type: ignore[method-assign]
    plan.time_limit.setValue(PLAN_TIME_LIMIT)
    meter.start()
    started = time.perf_counter()
    phases.append((started, 0.0, "start"))
    plan.run_plan()
    while plan.running:
        _typing_session(qtbot, people)
    _wait_results(qtbot, plan)
    meter.stop()
    worst = meter.report(f"typing in People while the plan runs ({time.perf_counter() - started:.1f} s)")
    _attribute(meter, phases)
    assert worst < 10 * TARGET_MS


def test_gui_stall_while_switching_screens(qtbot, window: MainWindow) -> None:
    """Every screen in turn, twice (the first visit loads it, the second refreshes), with
    ``SWITCH_MS`` on each: the Dashboard's flight list, the People list, the Audit log … are
    queried in the background while the meter runs."""
    from ui.main_window import SCREENS

    meter, phases = StallMeter(), []
    meter.start()
    started = time.perf_counter()
    for round_ in (1, 2):
        for screen_class in SCREENS:
            phases.append((time.perf_counter(), 0.0, f"{screen_class.title} (visit {round_})"))
            window.show_screen(screen_class.title)
            qtbot.wait(SWITCH_MS)
    meter.stop()
    worst = meter.report(
        f"switching between {len(SCREENS)} screens twice ({time.perf_counter() - started:.1f} s)"
    )
    _attribute(meter, phases)
    assert worst < 10 * TARGET_MS
