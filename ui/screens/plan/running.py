"""Running the plan from the Plan screen: a child process, progress, Cancel, a conflict with another run."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QMessageBox,
)

from planner.domain.errors import Conflict
from planner.entrypoints.jobs import PlanOutcome
from planner.services.planning import PlanSummary
from ui.errors import show_error
from ui.operations import Change, Operation
from ui.screens.plan.base import PlanScreenBase


class RunningMixin(PlanScreenBase):
    """Starts, follows and stops a plan run."""

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
