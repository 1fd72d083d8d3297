"""Plan: run the planner (progress with the solver's best-so-far and bound, Cancel keeps the best
plan found) and review a stored run — summary, per-flight loads, the people not placed and why,
the changes from the previous run, consolidation advice, and the history of runs.

Keys: Ctrl+R runs the plan, F5 (the window's "refresh") only reloads the stored runs, Esc cancels
what is running (claimed while something runs and focus is inside this screen).

Threading: every method runs on the GUI thread. The solver runs in a child process
(``planner.entrypoints.jobs.plan_job``), which also reads what the screen shows first after a run (history,
loads, the first unplaced, the changes), so a finished run needs no heavy query in this process.
Other queries run on the thread pool (``ui.operations.Operation``); only ids and plain
dataclasses come back. Results that arrive after a newer request was made are dropped
(generation counters).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from planner.domain.errors import Conflict
from planner.domain.reasons import short_label
from planner.domain.wording import plural
from planner.entrypoints.jobs import PlanOutcome, PlanResults, plan_job
from planner.persistence.context import AppContext
from planner.services import explain, office_settings, plan_results
from planner.services.auth import Actor
from planner.services.plan_results import (
    Consolidation,
    FlightLoad,
    PlanDiff,
    PlanRunRow,
    UnplacedRow,
    reason_text,
)
from planner.services.planning import PlanSummary
from ui.errors import show_error
from ui.operations import Change, Operation, TaskControl
from ui.screens.base import Screen
from ui.screens.plan_widgets import (
    ExplanationDialog,
    LoadFactorDelegate,
    advice_model,
    changes_model,
    flight_loads_model,
    history_model,
    money_text,
    number_text,
    plan_table,
    reasons_model,
    set_widths,
    time_limit_box,
    unplaced_model,
)

#: Most unplaced people listed at once (filter by reason to see the rest of a large list).
UNPLACED_LIMIT = 5000
#: Most changes of each kind (moved, added, dropped) listed; the counts are always complete.
CHANGES_LIMIT = 5000
#: Changes of this many runs are kept (a stored run's changes from its predecessor never change).
DIFF_CACHE_SIZE = 20
#: Progress updates per second passed on from the solver (it may report far more often).
PROGRESS_HZ = 20.0
#: Runs the plan while focus is in this screen (F5 is the window's refresh).
RUN_PLAN_KEYS = "Ctrl+R"


class PlanScreen(Screen):
    title = "Plan"
    #: The job run in a child process: ``job(progress, should_stop, settings, actor, time_limit)``.
    plan_job = staticmethod(plan_job)

    def __init__(self, ctx: AppContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(ctx, actor, parent)
        self._loaded = False
        self._plan_task: Operation[PlanOutcome | PlanSummary] | None = None
        self._advice_task: Operation[Consolidation] | None = None
        self._advice_generation = 0
        self._view_generation = 0
        self._runs: list[PlanRunRow] = []
        self._time_limit_set = False  # the time limit box holds the office setting or the user's choice
        self._current: PlanRunRow | None = None
        self._diff: PlanDiff | None = None
        self._diffs: dict[int, PlanDiff] = {}
        self._loading: set[str] = set()
        self._last_progress = 0.0
        self._unplaced_request: tuple[int, str | None] | None = None
        self.conflict_box: QMessageBox | None = None
        self.explanation: ExplanationDialog | None = None

        # ---- run bar
        self.run_button = QPushButton("Run plan", self)
        self.run_button.setObjectName("runPlan")
        self.time_limit = time_limit_box(self, office_settings.DEFAULTS.time_limit)
        self.time_limit.valueChanged.connect(self._time_limit_chosen)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelPlan")
        self.progress = QProgressBar(self)
        self.progress.setObjectName("planProgress")
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("Ready")
        self.progress.setValue(0)
        self.run_selector = QComboBox(self)
        self.run_selector.setObjectName("runSelector")
        self.run_selector.setMinimumContentsLength(36)
        self.run_selector.setToolTip("The stored plan run shown below")
        bar = QHBoxLayout()
        bar.addWidget(self.run_button)
        bar.addWidget(QLabel("Time limit:", self))
        bar.addWidget(self.time_limit)
        bar.addWidget(self.cancel_button)
        bar.addWidget(self.progress, 1)
        bar.addSpacing(12)
        bar.addWidget(QLabel("Showing:", self))
        bar.addWidget(self.run_selector)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("planTabs")
        self.tabs.addTab(self._build_summary(), "Summary")
        self.tabs.addTab(self._build_flights(), "Flights")
        self.tabs.addTab(self._build_unplaced(), "Not placed")
        self.tabs.addTab(self._build_changes(), "Changes")
        self.tabs.addTab(self._build_advice(), "Consolidation")
        self.tabs.addTab(self._build_history(), "History")

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.tabs, 1)

        self.run_shortcut = self._connect_run()
        self.cancel_button.clicked.connect(self.cancel)
        self.run_selector.activated.connect(self._selector_chosen)
        self._update_actions()

    def _connect_run(self) -> QShortcut:
        """The Run plan button and its key (``RUN_PLAN_KEYS``, while focus is in this screen)."""
        self.run_button.clicked.connect(self.run_plan)
        shortcut = QShortcut(QKeySequence(RUN_PLAN_KEYS), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.run_plan)
        return shortcut

    # ------------------------------------------------------------ building the tabs

    def _build_summary(self) -> QWidget:
        page = QWidget()
        form = QFormLayout()
        self.summary: dict[str, QLabel] = {}
        for key, label in [
            ("run", "Plan run"),
            ("considered", "People considered"),
            ("eligible", "Eligible for a flight"),
            ("placed", "Placed"),
            ("not_placed", "Not placed"),
            ("objective", "Objective (priority-weighted)"),
            ("bound", "Proven bound"),
            ("gap", "Gap"),
            ("seconds", "Solve time"),
            ("safety", "Safety settings used"),
        ]:
            value = QLabel("—")
            value.setObjectName(f"summary_{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(key == "safety")
            self.summary[key] = value
            form.addRow(f"{label}:", value)
        self.reasons = reasons_model(self)
        self.reasons_view = plan_table(self.reasons, "reasonsTable")
        set_widths(self.reasons_view, (80,))
        self.reasons_view.setToolTip("Double-click a reason to list those people")
        self.reasons_view.doubleClicked.connect(self._reason_chosen)
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addWidget(QLabel("Not placed, by reason (double-click to list the people):"))
        layout.addWidget(self.reasons_view, 1)
        return page

    def _build_flights(self) -> QWidget:
        page = QWidget()
        self.flights = flight_loads_model(self)
        self.flights_view = plan_table(self.flights, "flightsTable")
        self.flights_view.setItemDelegateForColumn(5, LoadFactorDelegate(self.flights_view))
        set_widths(self.flights_view, (80, 160, 110, 55, 60, 150, 160, 110, 100, 70, 115, 85))
        self.flights_total = QLabel("")
        self.flights_total.setObjectName("flightsTotal")
        layout = QVBoxLayout(page)
        layout.addWidget(self.flights_total)
        layout.addWidget(self.flights_view, 1)
        return page

    def _build_unplaced(self) -> QWidget:
        page = QWidget()
        self.reason_filter = QComboBox()
        self.reason_filter.setObjectName("reasonFilter")
        self.reason_filter.addItem("All reasons", "")
        self.unplaced_count = QLabel("")
        self.unplaced_count.setObjectName("unplacedCount")
        self.explain_button = QPushButton("Explain…")
        self.explain_button.setObjectName("explainPerson")
        self.unplaced = unplaced_model(self)
        self.unplaced_view = plan_table(self.unplaced, "unplacedTable")
        set_widths(self.unplaced_view, (110, 260, 90, 65, 280))
        self.unplaced_view.setToolTip("Double-click (or Enter) to see why the person was not placed")
        self.unplaced_view.doubleClicked.connect(lambda index: self.explain_row(index.row()))
        self.unplaced_view.activated.connect(lambda index: self.explain_row(index.row()))
        self.unplaced_view.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.explain_button.clicked.connect(self._explain_selected)
        self.reason_filter.currentIndexChanged.connect(lambda _i: self._load_unplaced())
        top = QHBoxLayout()
        top.addWidget(QLabel("Reason:"))
        top.addWidget(self.reason_filter, 1)
        top.addWidget(self.unplaced_count, 1)
        top.addWidget(self.explain_button)
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(self.unplaced_view, 1)
        return page

    def _build_changes(self) -> QWidget:
        page = QWidget()
        self.change_filter = QComboBox()
        self.change_filter.setObjectName("changeFilter")
        for label, kind in [
            ("All changes", ""),
            ("Moved", "moved"),
            ("Added", "added"),
            ("Dropped", "dropped"),
        ]:
            self.change_filter.addItem(label, kind)
        self.changes_label = QLabel("")
        self.changes_label.setObjectName("changesLabel")
        self.changes = changes_model(self)
        self.changes_view = plan_table(self.changes, "changesTable")
        set_widths(self.changes_view, (80, 110, 260, 130, 130))
        self.change_filter.currentIndexChanged.connect(lambda _i: self._show_changes())
        top = QHBoxLayout()
        top.addWidget(QLabel("Show:"))
        top.addWidget(self.change_filter)
        top.addWidget(self.changes_label, 1)
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(self.changes_view, 1)
        return page

    def _build_advice(self) -> QWidget:
        page = QWidget()
        self.advice_button = QPushButton("Find flights to cancel")
        self.advice_button.setObjectName("findCancellable")
        self.advice_limit = QDoubleSpinBox()
        self.advice_limit.setObjectName("adviceTimeLimit")
        self.advice_limit.setRange(1, 600)
        self.advice_limit.setDecimals(0)
        self.advice_limit.setSuffix(" s")
        self.advice_limit.setValue(10)
        self.advice_limit.setToolTip("How long the search may take")
        self.advice_cancel = QPushButton("Cancel")
        self.advice_cancel.setObjectName("cancelAdvice")
        self.advice_progress = QProgressBar()
        self.advice_progress.setObjectName("adviceProgress")
        self.advice_progress.setRange(0, 1000)
        self.advice_progress.setFormat("")
        self.advice_total = QLabel(
            "Which flights of the current plan could be cancelled with every placed person still placed?"
        )
        self.advice_total.setObjectName("adviceTotal")
        self.advice_total.setWordWrap(True)
        self.advice = advice_model(self, self.ctx.settings.currency)
        self.advice_view = plan_table(self.advice, "adviceTable")
        set_widths(self.advice_view, (90, 150, 100, 110))
        self.advice_button.clicked.connect(self.find_cancellable)
        self.advice_cancel.clicked.connect(self.cancel_advice)
        top = QHBoxLayout()
        top.addWidget(self.advice_button)
        top.addWidget(QLabel("Search for:"))
        top.addWidget(self.advice_limit)
        top.addWidget(self.advice_cancel)
        top.addWidget(self.advice_progress, 1)
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(self.advice_total)
        layout.addWidget(self.advice_view, 1)
        return page

    def _build_history(self) -> QWidget:
        page = QWidget()
        self.history = history_model(self)
        self.history_view = plan_table(self.history, "historyTable")
        set_widths(self.history_view, (60, 150, 110, 100, 80, 90, 90, 80))
        self.history_view.setToolTip("Double-click a run to show it")
        self.history_view.doubleClicked.connect(
            lambda index: self.show_run(self.history.record(index.row()).id)
        )
        layout = QVBoxLayout(page)
        layout.addWidget(self.history_view)
        return page

    # ------------------------------------------------------------ screen contract

    def activate(self) -> None:
        if not self._loaded:
            self._loaded = True
            self.reload_runs()

    def refresh(self) -> None:
        """F5: reload the stored runs and show the one shown now (never starts a run)."""
        self._loaded = True
        self.reload_runs(keep=self._current.id if self._current else None)

    def on_data_changed(self, change: Change) -> None:
        # PLAN comes from this screen, which has shown the new run already.
        if change & (Change.PEOPLE | Change.FLIGHTS) and self._loaded:
            self.reload_runs(keep=self._current.id if self._current else None)

    @property
    def running(self) -> bool:
        return self._plan_task is not None

    @property
    def results_loading(self) -> bool:
        """Whether the run history or a part of the shown run is still being read."""
        return bool(self._loading)

    def _update_actions(self) -> None:
        running = self._plan_task is not None
        self.run_button.setEnabled(not running)
        self.run_button.setToolTip(
            "A plan is being computed; wait for it or press Cancel"
            if running
            else f"Solve and store a new draft plan ({RUN_PLAN_KEYS})"
        )
        self.time_limit.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.cancel_button.setToolTip(
            "Stop the search and store the best plan found so far (Esc)" if running else "Nothing is running"
        )
        has_plan = bool(self._runs)
        advising = self._advice_task is not None
        self.advice_button.setEnabled(has_plan and not advising and not running)
        self.advice_button.setToolTip(
            "Run a plan first"
            if not has_plan
            else "Wait for the plan run to finish"
            if running
            else "The search is running"
            if advising
            else "Search for flights of the current plan that could be cancelled"
        )
        self.advice_cancel.setEnabled(advising)
        self.advice_cancel.setToolTip(
            "Stop waiting for the result (Esc)" if advising else "No search is running"
        )
        selected = bool(self.unplaced_view.selectionModel().selectedRows())
        self.explain_button.setEnabled(selected)
        self.explain_button.setToolTip(
            "Why was this person not placed? (Enter or double-click)" if selected else "Select a person first"
        )

    # ------------------------------------------------------------ keyboard

    def event(self, event: QEvent) -> bool:
        # Claim Esc while something runs, before the window's shortcuts see it.
        if event.type() == QEvent.Type.ShortcutOverride and self._claims(event):  # type: ignore[arg-type]
            event.accept()
            return True
        return super().event(event)

    def _claims(self, event: QKeyEvent) -> bool:
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        return event.key() == Qt.Key.Key_Escape and (
            self._plan_task is not None or self._advice_task is not None
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if self._claims(event):
            if self._plan_task is not None:
                self.cancel()
            else:
                self.cancel_advice()
            event.accept()
            return
        super().keyPressEvent(event)

    # ------------------------------------------------------------ running the plan

    def run_plan(self) -> None:
        """Start a plan run on the thread pool (no-op while one is running)."""
        if self._plan_task is not None:
            return
        limit = float(self.time_limit.value())
        ctx, actor = self.ctx, self.actor
        self._last_progress = 0.0
        self.progress.setValue(0)
        self.progress.setFormat("Starting…")

        # A child process: the solver and the bulk database work never hold this window's GIL.
        self._plan_task = (
            Operation[PlanOutcome | PlanSummary](self)
            .success(self._plan_done)
            .failure(self._plan_failed)
            .progress(self._plan_progress)
            .changes(Change.PLAN)
            .run_in_process(self.plan_job, (ctx.settings, actor, limit))
        )
        self.status_message.emit(f"Planning (at most {limit:.0f} s)…")
        self._update_actions()

    def cancel(self) -> None:
        """Ask the running plan to stop; the best plan found so far is stored."""
        if self._plan_task is None:
            return
        self._plan_task.cancel()
        self.progress.setFormat("Stopping — storing the best plan found so far…")
        self.cancel_button.setEnabled(False)

    def _plan_progress(self, fraction: float, message: str) -> None:
        if self._plan_task is None:
            return
        if not self._plan_task.cancel_requested:
            self.progress.setFormat(f"{message} — %p%" if message else "%p%")
        self.progress.setValue(round(1000 * max(fraction, self._last_progress)))
        self._last_progress = max(fraction, self._last_progress)

    def _plan_done(self, outcome: PlanOutcome | PlanSummary) -> None:
        summary, results = (
            (outcome.summary, outcome.results) if isinstance(outcome, PlanOutcome) else (outcome, None)
        )
        self._plan_task = None
        self.progress.setValue(1000)
        stopped = " (stopped early: best plan found)" if summary.stopped else ""
        self.progress.setFormat(
            f"Plan {summary.plan_run_id} stored{stopped}: {summary.placed:,} placed of {summary.eligible:,} eligible"
        )
        self.status_message.emit(f"Plan {summary.plan_run_id} stored: {summary.placed:,} placed")
        self._update_actions()
        if results is not None:  # read by the child process: nothing to query here
            self._runs_shown(results.runs, summary.plan_run_id, results)
        else:
            self.reload_runs(keep=summary.plan_run_id)

    def _plan_failed(self, exc: BaseException, details: str) -> None:
        self._plan_task = None
        self.progress.setValue(0)
        self._update_actions()
        if isinstance(exc, Conflict):
            self.progress.setFormat("Not stored: another plan was stored meanwhile")
            box = QMessageBox(
                QMessageBox.Icon.Question,
                "Another plan was stored",
                "Another officer stored a plan while this one was being computed, so this result was "
                "not stored (it would have overwritten theirs unseen).\n\nRun the plan again on the "
                "current data?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                self,
            )
            box.setObjectName("conflictBox")
            box.setDefaultButton(QMessageBox.StandardButton.Yes)
            box.finished.connect(lambda result: self._conflict_answered(box, result))
            self.conflict_box = box
            self.reload_runs()
            self.announce_change(Change.PLAN)
            box.open()
            return
        self.progress.setFormat("The plan run failed")
        show_error(self, "The plan could not be computed", exc, details)

    def _conflict_answered(self, box: QMessageBox, _result: int) -> None:
        again = box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)
        self.conflict_box = None
        box.deleteLater()
        if again:
            self.run_plan()

    # ------------------------------------------------------------ choosing and showing a run

    def _time_limit_chosen(self, _value: int) -> None:
        self._time_limit_set = True  # never replaced by the office setting any more

    def reload_runs(self, keep: int | None = None) -> None:
        """Reload the run history (background) and show ``keep`` (default: the newest run)."""
        self._loading.add("runs")

        def shown(loaded: tuple[list[PlanRunRow], float]) -> None:
            runs, limit = loaded
            self._loading.discard("runs")
            if not self._time_limit_set and self._plan_task is None:  # the office's, once
                self.time_limit.setValue(max(1, min(3600, round(limit))))
            self._runs_shown(runs, keep)

        Operation(self, "Could not load plans").success(shown).run_in_uow(
            self.ctx,
            lambda uow: (plan_results.plan_runs(uow, self.actor), office_settings.load(uow).time_limit),
        )

    def _runs_shown(
        self, runs: list[PlanRunRow], keep: int | None, results: PlanResults | None = None
    ) -> None:
        """Show the run history ``runs`` and the run ``keep`` (default: the newest); ``results``
        are that run's results when they were read already."""
        self._runs = runs
        self.history.set_records(runs)
        self.run_selector.blockSignals(True)
        self.run_selector.clear()
        for run in runs:
            self.run_selector.addItem(
                f"Plan {run.id} ({run.status.lower()}) — {run.started_at:%Y-%m-%d %H:%M} by {run.created_by}",
                run.id,
            )
        self.run_selector.blockSignals(False)
        self._update_actions()
        wanted = keep if any(r.id == keep for r in runs) else (runs[0].id if runs else None)
        if wanted is None:
            self._show_nothing()
        else:
            self.show_run(wanted, results if wanted == keep else None)

    def _selector_chosen(self, index: int) -> None:
        run_id = self.run_selector.itemData(index)
        if run_id is not None:
            self.show_run(int(run_id))

    def _show_nothing(self) -> None:
        self._current = None
        self._loading.clear()
        for label in self.summary.values():
            label.setText("—")
        self.summary["run"].setText(f"No plan has been run yet. Press Run plan ({RUN_PLAN_KEYS}).")
        for model in (self.reasons, self.flights, self.unplaced, self.changes, self.advice):
            model.set_records([])
        self.flights_total.setText("")
        self.unplaced_count.setText("")
        self.changes_label.setText("")

    def show_run(self, run_id: int, results: PlanResults | None = None) -> None:
        """Show the stored run ``run_id`` in every tab: from ``results`` when given (read with the
        run), otherwise with queries in the background."""
        run = next((r for r in self._runs if r.id == run_id), None)
        if run is None:
            return
        self._current = run
        self._view_generation += 1
        generation = self._view_generation
        self._loading -= {"flights", "changes", "unplaced"}
        self.run_selector.setCurrentIndex(self.run_selector.findData(run_id))
        self._show_summary(run)
        self.reason_filter.blockSignals(True)
        self.reason_filter.clear()
        self.reason_filter.addItem(f"All reasons ({run.not_placed:,})", "")
        for reason, n in sorted(run.not_placed_by_reason.items(), key=lambda kv: -kv[1]):
            self.reason_filter.addItem(f"{short_label(reason)} ({n:,})", reason)
        self.reason_filter.blockSignals(False)

        def flights_shown(loads: list[FlightLoad]) -> None:
            if generation != self._view_generation:
                return
            self._loading.discard("flights")
            self.flights.set_records(loads)
            seats = sum(f.seats for f in loads)
            placed = sum(f.placed for f in loads)
            under = sum(1 for f in loads if f.load_factor < 0.8)
            self.flights_total.setText(
                f"{plural(len(loads), 'flight')}, {plural(seats, 'seat')}, {placed:,} placed — overall load "
                f"{(placed / seats if seats else 0):.0%}; {plural(under, 'flight')} under 80 % full"
            )

        def diff_shown(diff: PlanDiff) -> None:
            self._remember_diff(diff)
            if generation != self._view_generation:
                return
            self._loading.discard("changes")
            self._diff = diff
            self._show_changes()

        self._loading |= {"flights", "changes"}
        if results is not None:
            flights_shown(results.loads)
        else:
            Operation(self).success(flights_shown).run_in_uow(
                self.ctx, lambda uow: plan_results.flight_loads(uow, self.actor, run_id)
            )
        if results is not None:
            diff_shown(results.diff)
        elif run_id in self._diffs:
            diff_shown(self._diffs[run_id])
        else:
            Operation(self).success(diff_shown).run_in_uow(
                self.ctx, lambda uow: plan_results.plan_diff(uow, self.actor, run_id, limit=CHANGES_LIMIT)
            )
        if results is not None and results.unplaced_limit >= min(UNPLACED_LIMIT, run.not_placed):
            self._load_unplaced(results.unplaced[:UNPLACED_LIMIT])
        else:
            self._load_unplaced()

    def _remember_diff(self, diff: PlanDiff) -> None:
        self._diffs[diff.plan_run_id] = diff
        while len(self._diffs) > DIFF_CACHE_SIZE:
            del self._diffs[next(iter(self._diffs))]

    def _show_summary(self, run: PlanRunRow) -> None:
        s = self.summary
        s["run"].setText(
            f"{run.id} — {run.status.lower()}, run by {run.created_by} on {run.started_at:%Y-%m-%d %H:%M} UTC"
        )
        s["considered"].setText(f"{run.people_considered:,}")
        s["eligible"].setText(f"{run.eligible:,}")
        share = f" ({run.placed / run.eligible:.1%} of the eligible)" if run.eligible else ""
        s["placed"].setText(f"{run.placed:,}{share}")
        s["not_placed"].setText(f"{run.not_placed:,}")
        s["objective"].setText(number_text(run.objective))
        s["bound"].setText(number_text(run.bound))
        gap = "" if run.gap is None else f"{100 * run.gap:.3f} %"
        s["gap"].setText(gap + (" (proven optimal)" if run.gap == 0 else ""))
        limit = f" of {run.time_limit:.0f} s allowed" if run.time_limit else ""
        s["seconds"].setText("" if run.seconds is None else f"{run.seconds:.1f} s{limit}")
        s["safety"].setText(run.safety_settings or "not recorded")
        self.reasons.set_records(
            [
                {"reason": reason, "people": n, "meaning": reason_text(reason)}
                for reason, n in sorted(run.not_placed_by_reason.items(), key=lambda kv: -kv[1])
            ]
        )

    def _reason_chosen(self, index: QModelIndex) -> None:
        reason = self.reasons.record(index.row())["reason"]
        self.reason_filter.setCurrentIndex(max(0, self.reason_filter.findData(reason)))
        self.tabs.setCurrentIndex(2)

    # ------------------------------------------------------------ not placed

    def _load_unplaced(self, rows: list[UnplacedRow] | None = None) -> None:
        """List the current run's unplaced people for the chosen reason: ``rows`` when they were
        read already (all reasons), otherwise with a query in the background."""
        run = self._current
        if run is None:
            return
        reason = self.reason_filter.currentData() or None
        generation = self._view_generation
        self.unplaced_count.setText("Loading…")
        total = run.not_placed_by_reason.get(reason, 0) if reason else run.not_placed
        request = (run.id, reason)
        self._unplaced_request = request
        self._loading.add("unplaced")

        def shown(rows: list[UnplacedRow]) -> None:
            if generation != self._view_generation or request != self._unplaced_request:
                return
            self._loading.discard("unplaced")
            self.unplaced.set_records(rows)
            more = (
                f" (the {len(rows):,} most urgent of {total:,}; filter by reason)"
                if len(rows) < total
                else ""
            )
            self.unplaced_count.setText(f"{plural(len(rows), 'person')}{more}")
            self._update_actions()

        if rows is not None and reason is None:
            shown(rows)
            return
        Operation(self, "Could not load the people not placed").success(shown).run_in_uow(
            self.ctx,
            lambda uow: plan_results.unplaced(uow, self.actor, run.id, reason=reason, limit=UNPLACED_LIMIT),
        )

    def _explain_selected(self) -> None:
        rows = self.unplaced_view.selectionModel().selectedRows()
        if rows:
            self.explain_row(rows[0].row())

    def explain_row(self, row: int) -> None:
        """Open the explanation of the unplaced person in ``row`` (computed in the background)."""
        record: UnplacedRow = self.unplaced.record(row)
        self.status_message.emit(f"Explaining {record.case_number}…")

        def shown(explanation: explain.Explanation) -> None:
            dialog = ExplanationDialog(f"Why {record.case_number} was not placed", explanation.text(), self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.explanation = dialog
            dialog.finished.connect(lambda _r: setattr(self, "explanation", None))
            dialog.open()

        Operation(self, "Could not explain").success(shown).run_in_uow(
            self.ctx, lambda uow: explain.explain(uow, self.actor, record.case_number)
        )

    # ------------------------------------------------------------ changes

    def _show_changes(self) -> None:
        diff = self._diff
        if diff is None:
            return
        if diff.previous_run_id is None:
            self.changes_label.setText("This is the first plan run: there is nothing to compare with.")
            self.changes.set_records([])
            return
        kind = self.change_filter.currentData() or ""
        self.changes.set_records([c for c in diff.changes if not kind or c.kind == kind])
        listed = "" if diff.complete else f" (listing at most the first {CHANGES_LIMIT:,} of each)"
        self.changes_label.setText(
            f"Compared with plan {diff.previous_run_id}: {diff.count('moved'):,} moved, "
            f"{diff.count('added'):,} added, {diff.count('dropped'):,} dropped{listed}"
        )

    # ------------------------------------------------------------ consolidation advice

    def find_cancellable(self) -> None:
        """Search (background) for flights of the current plan that could be cancelled."""
        if self._advice_task is not None or not self._runs:
            return
        ctx, actor, limit = self.ctx, self.actor, float(self.advice_limit.value())
        self._advice_generation += 1
        generation = self._advice_generation
        self.advice_progress.setRange(0, 1000)
        self.advice_progress.setValue(0)
        self.advice_progress.setFormat("Starting…")

        def work(task: TaskControl) -> Consolidation:
            return plan_results.consolidation(
                ctx, actor, ctx.settings, time_limit=limit, progress=task.report_progress
            )

        def progress(fraction: float, message: str) -> None:
            if generation != self._advice_generation:
                return
            if 0.3 <= fraction < 1.0:
                self.advice_progress.setRange(0, 0)  # busy: the search reports no fractions
            self.advice_progress.setValue(round(1000 * fraction))
            self.advice_progress.setFormat(message)

        def done(result: Consolidation) -> None:
            if generation != self._advice_generation:
                return
            self._advice_task = None
            self.advice_progress.setRange(0, 1000)
            self.advice_progress.setValue(1000)
            self.advice_progress.setFormat(f"Searched for {result.seconds:.1f} s")
            self.advice.set_records(result.cancellable)
            if result.cancellable:
                text = (
                    f"Cancelling {plural(len(result.cancellable), 'flight')} of plan {result.plan_run_id} "
                    f"saves {money_text(result.total_saved, result.currency)} (at "
                    f"{money_text(result.cost_per_flight_hour, result.currency)} per flight hour); "
                    "everybody placed stays placed on the remaining flights."
                )
            else:
                text = f"No flight of plan {result.plan_run_id} can be cancelled without leaving somebody behind."
            if not result.complete:
                text += (
                    " The time limit ended the search before every flight was tried; more may be possible."
                )
            self.advice_total.setText(text)
            self._update_actions()

        def failed(exc: BaseException, details: str) -> None:
            if generation != self._advice_generation:
                return
            self._advice_task = None
            self.advice_progress.setRange(0, 1000)
            self.advice_progress.setValue(0)
            self.advice_progress.setFormat("Failed")
            self._update_actions()
            show_error(self, "Could not find flights to cancel", exc, details)

        self._advice_task = (
            Operation[Consolidation](self)
            .success(done)
            .failure(failed)
            .progress(progress)
            .run_in_thread(work)
        )
        self._update_actions()

    def cancel_advice(self) -> None:
        """Stop waiting for the consolidation search (it ends by its own time limit; the result
        is discarded)."""
        if self._advice_task is None:
            return
        self._advice_task.cancel()
        self._advice_task = None
        self._advice_generation += 1
        self.advice_progress.setRange(0, 1000)
        self.advice_progress.setValue(0)
        self.advice_progress.setFormat("Cancelled")
        self._update_actions()


__all__ = ["ExplanationDialog", "LoadFactorDelegate", "PlanScreen"]
