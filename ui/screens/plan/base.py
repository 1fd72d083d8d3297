"""The Plan screen's shared state: constants, the widgets and fields every part of the screen
uses (declared once, so each part type-checks on its own), and the methods parts call on each other."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableView,
    QTabWidget,
)

from planner.entrypoints.jobs import PlanOutcome, PlanResults, plan_job
from planner.services.plan_results import (
    Consolidation,
    PlanDiff,
    PlanRunRow,
    UnplacedRow,
)
from planner.services.planning import PlanSummary
from ui.operations import Operation
from ui.record_model import RecordTableModel
from ui.screens.base import Screen
from ui.screens.plan.widgets import (
    ChangesModel,
    ExplanationDialog,
    FlightLoadsModel,
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


class PlanScreenBase(Screen):
    """What the parts of :class:`ui.screens.plan.PlanScreen` share (see ``screen.py``)."""

    title = "Plan"
    #: The job run in a child process: ``job(progress, should_stop, settings, actor, time_limit)``.
    plan_job = staticmethod(plan_job)
    _loaded: bool
    _plan_task: Operation[PlanOutcome | PlanSummary] | None
    _advice_task: Operation[Consolidation] | None
    _advice_generation: int
    _view_generation: int
    _runs: list[PlanRunRow]
    _time_limit_set: bool
    _current: PlanRunRow | None
    _diff: PlanDiff | None
    _diffs: dict[int, PlanDiff]
    _loading: set[str]
    _last_progress: float
    _unplaced_request: tuple[int, str | None] | None
    conflict_box: QMessageBox | None
    explanation: ExplanationDialog | None
    run_button: QPushButton
    time_limit: QSpinBox
    cancel_button: QPushButton
    progress: QProgressBar
    run_selector: QComboBox
    tabs: QTabWidget
    summary: dict[str, QLabel]
    reasons: RecordTableModel
    reasons_view: QTableView
    flights: FlightLoadsModel
    flights_view: QTableView
    flights_total: QLabel
    reason_filter: QComboBox
    unplaced_count: QLabel
    explain_button: QPushButton
    unplaced: RecordTableModel
    unplaced_view: QTableView
    change_filter: QComboBox
    changes_label: QLabel
    changes: ChangesModel
    changes_view: QTableView
    advice_button: QPushButton
    advice_limit: QDoubleSpinBox
    advice_cancel: QPushButton
    advice_progress: QProgressBar
    advice_total: QLabel
    advice: RecordTableModel
    advice_view: QTableView
    merges_label: QLabel
    merges: RecordTableModel
    merges_view: QTableView
    history: RecordTableModel
    history_view: QTableView

    # Implemented by the parts; declared here so each part can call the others.
    def _update_actions(self) -> None:
        raise NotImplementedError

    def run_plan(self) -> None:
        raise NotImplementedError

    def cancel(self) -> None:
        raise NotImplementedError

    def reload_runs(self, keep: int | None = None) -> None:
        raise NotImplementedError

    def _runs_shown(
        self, runs: list[PlanRunRow], keep: int | None, results: PlanResults | None = None
    ) -> None:
        raise NotImplementedError

    def show_run(self, run_id: int, results: PlanResults | None = None) -> None:
        raise NotImplementedError

    def _time_limit_chosen(self, _value: int) -> None:
        raise NotImplementedError

    def _selector_chosen(self, index: int) -> None:
        raise NotImplementedError

    def _reason_chosen(self, index: QModelIndex) -> None:
        raise NotImplementedError

    def _load_unplaced(self, rows: list[UnplacedRow] | None = None) -> None:
        raise NotImplementedError

    def _explain_selected(self) -> None:
        raise NotImplementedError

    def explain_row(self, row: int) -> None:
        raise NotImplementedError

    def _show_changes(self) -> None:
        raise NotImplementedError

    def find_cancellable(self) -> None:
        raise NotImplementedError

    def cancel_advice(self) -> None:
        raise NotImplementedError
