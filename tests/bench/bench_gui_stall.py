"""How long does the GUI thread stall while a 100,000-person plan runs in the background, while
the People table filters as you type, and on every switch between screens? Targets: no gap between
two 10 ms ticks longer than 100 ms; on a screen switch (issue 18) none longer than 50 ms.

A ``QTimer`` fires every 10 ms on the GUI thread; the longest gap between two ticks (minus the
10 ms period) is the longest the window could not react. Stalls longer than 50 ms are attributed
to the phase the plan run was in (from its progress messages), which tells a GUI-thread stall
(the window's own work) from GIL contention (a background thread holding the interpreter).

Each gap also records the CPU time the window's thread and the whole process used meanwhile, which
names its cause without a trace: the window's own work (its thread ran), the interpreter lock (a
background thread ran while the window's thread waited), or the machine (neither ran: other
programs had the cores). On a busy machine the last kind is noise, so the screen-switch report gives
each stall's process-attributed part too, and the longest gap of an idle window measured in the same
run as its floor.

Run: ``pytest -m bench tests/bench/bench_gui_stall.py -s``. The 100,000-person database is created
and planned once (about a minute) in the temp folder and reused; delete ``charter-bench-gui-100k``
to rebuild.
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
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings, Qt, QThreadPool, QTimer

from planner.demo import generate as demo
from planner.persistence.context import AppContext, build_context
from planner.settings import Settings
from tests.conftest import admin_actor, make_initialised_context
from ui import operations
from ui.app import settle_heap, tune_for_responsiveness
from ui.main_window import SCREENS, MainWindow
from ui.screens.people import PeopleScreen
from ui.screens.plan import PlanScreen

pytestmark = pytest.mark.bench

PEOPLE, FLIGHTS = 100_000, 800
PLAN_TIME_LIMIT = 15
TARGET_MS = 100.0
AFTER_RUN_MS = 500
#: Screen switching: rounds over every screen; each switch waits at least ``SWITCH_MIN_MS``, until
#: no operation is in flight, then ``SETTLE_MS``; the idle window is measured for ``IDLE_MS`` first.
SWITCH_ROUNDS = int(os.environ.get("CHARTER_BENCH_ROUNDS", "3"))
SWITCH_TARGET_MS = 50.0
SWITCH_MIN_MS, SETTLE_MS, IDLE_MS = 300, 400, 3000
BENCH_DIR = Path(tempfile.gettempdir()) / "charter-bench-gui-100k"


#: Causes of a stall (``StallMeter.cause``).
WINDOW, LOCK, MACHINE = "window thread", "interpreter lock", "machine"


class StallMeter:
    """Ticks every 10 ms on the GUI thread and records the gaps between ticks, with the CPU time the
    GUI thread and the whole process used during each (GUI thread only)."""

    PERIOD_MS = 10

    def __init__(self) -> None:
        #: With CHARTER_STALL_TRACE=FILE, every stall over CHARTER_STALL_TRACE_MS (default 100) dumps
        #: all threads' stacks to FILE (faulthandler's watchdog needs no GIL, so it sees who holds it).
        trace = os.environ.get("CHARTER_STALL_TRACE")
        self.trace = open(trace, "a", encoding="utf-8") if trace else None  # noqa: SIM115
        self.trace_after = float(os.environ.get("CHARTER_STALL_TRACE_MS", TARGET_MS)) / 1000.0
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(self.PERIOD_MS)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[tuple[float, float]] = []  # (tick time, gap in ms)
        self.cpu: list[tuple[float, float]] = []  # per gap: (GUI thread's CPU ms, other threads' CPU ms)
        self._last = (0.0, 0.0, 0.0)

    def start(self) -> None:
        self.gaps.clear()
        self.cpu.clear()
        self._last = (time.perf_counter(), time.thread_time(), time.process_time())
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        if self.trace is not None:
            faulthandler.cancel_dump_traceback_later()

    def _tick(self) -> None:
        if self.trace is not None:
            faulthandler.dump_traceback_later(self.trace_after, file=self.trace)
        now, gui, process = time.perf_counter(), time.thread_time(), time.process_time()
        last_now, last_gui, last_process = self._last
        gui_ms = 1000.0 * (gui - last_gui)
        self.gaps.append((now, 1000.0 * (now - last_now)))
        self.cpu.append((gui_ms, max(0.0, 1000.0 * (process - last_process) - gui_ms)))
        self._last = (now, gui, process)

    def worst(self) -> tuple[float, float, str]:
        """The longest stall (ms beyond the period), its process-attributed part (ms: the CPU time
        the window's thread and the background threads used in it, at most the stall) and its
        cause (``WINDOW``, ``LOCK`` or ``MACHINE``); (0, 0, "") without ticks."""
        if not self.gaps:
            return 0.0, 0.0, ""
        k = max(range(len(self.gaps)), key=lambda i: self.gaps[i][1])
        gap, (gui_ms, other_ms) = self.gaps[k][1], self.cpu[k]
        stall = max(0.0, gap - self.PERIOD_MS)
        return stall, min(stall, gui_ms + other_ms), self.cause(gap, gui_ms, other_ms)

    def worst_attributed(self) -> float:
        """The longest process-attributed stall (ms): machine noise left out."""
        return max(
            (
                min(max(0.0, g - self.PERIOD_MS), a + b)
                for (_, g), (a, b) in zip(self.gaps, self.cpu, strict=True)
            ),
            default=0.0,
        )

    @staticmethod
    def cause(gap_ms: float, gui_ms: float, other_ms: float) -> str:
        """Who kept the window from ticking for ``gap_ms``: its own thread, a background thread
        holding the interpreter lock, or neither (the machine)."""
        if gui_ms >= 0.5 * gap_ms or (gui_ms >= other_ms and gui_ms >= 0.25 * gap_ms):
            return WINDOW
        if other_ms >= 0.25 * gap_ms:
            return LOCK
        return MACHINE

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
    planned = BENCH_DIR / "planned"
    if not planned.exists():  # the screens show a plan's loads, placed people and warnings
        from planner.services import planning

        started = time.perf_counter()
        planning.run_plan(ctx, admin_actor(), settings, time_limit=PLAN_TIME_LIMIT)
        planned.touch()
        print(f"\nplanned the {PEOPLE:,} people in {time.perf_counter() - started:.1f} s")
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
    for (at, gap), (gui_ms, other_ms) in zip(meter.gaps, meter.cpu, strict=True):
        stall, start = gap - meter.PERIOD_MS, at - gap / 1000.0
        if stall <= over_ms:
            continue
        phase = next((m for t, _f, m in reversed(phases) if t <= start), "before the run")
        cause = meter.cause(gap, gui_ms, other_ms)
        print(
            f"  stall {stall:.0f} ms during: {phase} ({cause}: window thread {gui_ms:.0f} ms CPU, "
            f"others {other_ms:.0f} ms)"
        )


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


@dataclass(frozen=True)
class Switch:
    """One screen switch: the longest stall from the click until the screen settled (ms), its
    process-attributed part (ms), its cause, and how long the screen took to settle (s)."""

    screen: str
    visit: int
    stall: float
    attributed: float
    cause: str
    settled: float


def _settle(qtbot, dwell_ms: int = SWITCH_MIN_MS) -> float:
    """Wait at least ``dwell_ms``, until no operation is in flight, then ``SETTLE_MS`` more (what
    the results bring: painting, follow-up queries); returns the seconds until nothing was in flight."""
    started = time.perf_counter()
    qtbot.wait(dwell_ms)
    qtbot.waitUntil(lambda: not operations.busy(), timeout=120_000)
    settled = time.perf_counter() - started
    qtbot.wait(SETTLE_MS)
    return settled


def _switch_table(switches: list[Switch], titles: list[str]) -> list[str]:
    visits = max(s.visit for s in switches)
    head = " ".join(f"{'visit ' + str(v):>9}" for v in range(1, visits + 1))
    lines = [f"{'screen':<16} {head}   longest  (own ms, cause; settled s)"]
    for title in titles:
        mine = [s for s in switches if s.screen == title]
        worst = max(mine, key=lambda s: s.stall)
        cells = " ".join(f"{s.stall:9.0f}" for s in sorted(mine, key=lambda s: s.visit))
        lines.append(
            f"{title:<16} {cells}   {worst.stall:5.0f} ms ({worst.attributed:.0f}, {worst.cause}; "
            f"{max(s.settled for s in mine):.1f} s)"
        )
    return lines


def test_gui_stall_while_switching_screens(qtbot, window: MainWindow) -> None:
    """Every screen of the main window in navigation order, ``SWITCH_ROUNDS`` times (the first
    visit loads it, later visits refresh it): the longest tick gap from each click until the
    screen settled (its queries returned and were shown). Goal (issue 18): at most 50 ms each."""
    titles = [title for title in (s.title for s in SCREENS) if title in window.screens]
    meter = StallMeter()
    _settle(qtbot)  # the window's own first load (the Dashboard shown on opening)
    meter.start()
    qtbot.wait(IDLE_MS)
    meter.stop()
    floor = meter.worst()[0]
    switches: list[Switch] = []
    started = time.perf_counter()
    for visit in range(1, SWITCH_ROUNDS + 1):
        for title in titles:
            meter.start()
            window.show_screen(title)
            settled = _settle(qtbot)
            meter.stop()
            switches.append(Switch(title, visit, *meter.worst(), settled))
            if meter.worst()[0] > SWITCH_TARGET_MS:
                _attribute(meter, [(0.0, 0.0, f"{title} (visit {visit})")], SWITCH_TARGET_MS)
    worst = max(switches, key=lambda s: s.stall)
    own = max(switches, key=lambda s: s.attributed)
    print(
        f"\nswitching between {len(titles)} screens {SWITCH_ROUNDS} times on {PEOPLE:,} people "
        f"({time.perf_counter() - started:.0f} s); stall in ms per visit:"
    )
    for line in _switch_table(switches, titles):
        print("  " + line)
    print(
        f"  longest stall {worst.stall:.0f} ms ({worst.screen}, visit {worst.visit}: {worst.cause}); "
        f"longest process-attributed {own.attributed:.0f} ms ({own.screen}, visit {own.visit}); "
        f"idle floor {floor:.0f} ms; goal <= {SWITCH_TARGET_MS:.0f} ms: "
        f"{own.attributed / SWITCH_TARGET_MS:.2f} x goal"
    )
    assert worst.stall < 10 * TARGET_MS  # recorded, not gated: the figures are the result
