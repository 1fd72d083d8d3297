"""Consolidation advice on the Plan screen: a bounded background search, cancellable."""

from __future__ import annotations

from planner.domain.wording import plural
from planner.services import plan_results
from planner.services.plan_results import (
    Consolidation,
)
from ui.errors import show_error
from ui.operations import Operation, TaskControl
from ui.screens.plan.base import PlanScreenBase
from ui.screens.plan.widgets import (
    money_text,
)


class AdviceMixin(PlanScreenBase):
    """Searches for flights that could be cancelled and shows the advice."""

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
            self.merges.set_records(result.merges)
            self.merges_label.setText(
                f"Merging {plural(len(result.merges), 'pair')} of under-full missions to the same stops into "
                f"one mission with more pickups saves {money_text(result.merge_saved, result.currency)} more; "
                "every pickup keeps its airport and time, so everybody still reaches theirs."
                if result.merges
                else "No two under-full missions to the same stops can fly as one with more pickups."
            )
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
