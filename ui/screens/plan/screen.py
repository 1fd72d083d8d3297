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

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from planner.entrypoints.jobs import PlanOutcome
from planner.persistence.context import AppContext
from planner.services import office_settings
from planner.services.auth import Actor
from planner.services.plan_results import (
    Consolidation,
    PlanDiff,
    PlanRunRow,
)
from planner.services.planning import PlanSummary
from ui.operations import Change, Operation
from ui.screens.plan.advice import AdviceMixin
from ui.screens.plan.base import RUN_PLAN_KEYS, PlanScreenBase
from ui.screens.plan.results import ResultsMixin
from ui.screens.plan.running import RunningMixin
from ui.screens.plan.tabs import TabsMixin
from ui.screens.plan.widgets import (
    ExplanationDialog,
    time_limit_box,
)


class PlanScreen(TabsMixin, RunningMixin, ResultsMixin, AdviceMixin, PlanScreenBase):
    """The Plan screen: the run bar above six tabs; the parts live in this package's modules."""

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
