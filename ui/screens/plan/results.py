"""Showing a stored run on the Plan screen: history, summary, flight loads, the people not placed
(and why), the changes from the previous run."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt

from planner.domain.reasons import short_label
from planner.domain.wording import plural
from planner.entrypoints.jobs import PlanResults
from planner.services import explain, office_settings, plan_legs, plan_results
from planner.services.plan_legs import FlightLegs
from planner.services.plan_results import (
    FlightLoad,
    PlanDiff,
    PlanRunRow,
    UnplacedRow,
    reason_text,
)
from ui.operations import Operation
from ui.screens.plan.base import CHANGES_LIMIT, DIFF_CACHE_SIZE, RUN_PLAN_KEYS, UNPLACED_LIMIT, PlanScreenBase
from ui.screens.plan.widgets import (
    ExplanationDialog,
    number_text,
)


class ResultsMixin(PlanScreenBase):
    """Loads and shows stored runs."""

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
        for model in (self.reasons, self.flights, self.unplaced, self.changes, self.advice, self.merges):
            model.set_records([])
        self.flights.set_legs({})
        self.changes.set_boarding({})
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
            self.flights.set_legs({})
            self.flights.set_records(loads)
            self._load_legs(run_id, [f.flight_id for f in loads], generation)
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
        shown = [c for c in diff.changes if not kind or c.kind == kind]
        self.changes.set_records(shown)
        self._load_boarding(diff.plan_run_id, [c.person_id for c in shown if c.kind != "dropped"])
        listed = "" if diff.complete else f" (listing at most the first {CHANGES_LIMIT:,} of each)"
        self.changes_label.setText(
            f"Compared with plan {diff.previous_run_id}: {diff.count('moved'):,} moved, "
            f"{diff.count('added'):,} added, {diff.count('dropped'):,} dropped{listed}"
        )

    # ------------------------------------------------------------ legs and pickups

    def _load_legs(self, run_id: int, flight_ids: list[int], generation: int) -> None:
        """Read (background) the seats run ``run_id`` uses on each leg of ``flight_ids``."""
        self._loading.add("legs")

        def shown(legs: dict[int, FlightLegs]) -> None:
            if generation != self._view_generation:
                return
            self._loading.discard("legs")
            self.flights.set_legs(legs)

        Operation(self, "Could not load the seats per leg").success(shown).run_in_uow(
            self.ctx, lambda uow: plan_legs.run_leg_loads(uow, self.actor, run_id, flight_ids)
        )

    def _load_boarding(self, run_id: int, person_ids: list[int]) -> None:
        """Read (background) where the listed placed people board in run ``run_id``."""
        self.changes.set_boarding({})
        if not person_ids:
            return
        generation = self._view_generation
        self._loading.add("boarding")

        def shown(boarding: dict[int, str]) -> None:
            if generation != self._view_generation:
                return
            self._loading.discard("boarding")
            self.changes.set_boarding(boarding)

        Operation(self, "Could not load the pickups").success(shown).run_in_uow(
            self.ctx, lambda uow: plan_legs.boarding_airports(uow, self.actor, run_id, person_ids)
        )
