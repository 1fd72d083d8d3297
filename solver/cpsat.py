"""CP-SAT model of one layout, solved lexicographically (primary, then moves, then earliness).

Structure follows the cpsat-primer: :class:`AssignmentModel` builds variables, then one constraint module
per rule (:mod:`solver.constraints`), then the objective; :meth:`AssignmentModel.solve` runs the stages,
each warm-started (hinted) with the previous stage's solution and constrained to keep its optimum.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from solver import constraints, objective
from solver.compile import Layout
from solver.problem import SolveOptions

log = logging.getLogger(__name__)

#: ``report(stage, objective or None, bound or None)`` – called from CP-SAT threads.
Reporter = Callable[[int, float | None, float | None], None]


@dataclass(slots=True)
class ComponentResult:
    """Column values and what was proven about one layout."""

    values: np.ndarray
    primary: int
    bound: int
    moves: int
    earliness: int
    primary_optimal: bool
    all_optimal: bool
    feasible: bool
    stopped: bool
    infeasible: bool = False


class _Callback(cp_model.CpSolverSolutionCallback):
    def __init__(self, stage: int, report: Reporter | None) -> None:
        super().__init__()
        self._stage = stage
        self._report = report

    def on_solution_callback(self) -> None:
        if self._report is not None:
            self._report(self._stage, self.objective_value, self.best_objective_bound)


class AssignmentModel:
    """CP-SAT model over the columns of ``layout``: variables ``x[j] ∈ [0, c_ub[j]]``."""

    def __init__(self, layout: Layout, options: SolveOptions) -> None:
        self.layout = layout
        self.options = options
        self.model = cp_model.CpModel()
        self.x: list[cp_model.IntVar] = []
        self.levels: list[tuple[int, cp_model.IntVar]] = []
        self._build_model()

    def _build_model(self) -> None:
        self._add_variables()
        self._add_constraints()
        self._add_objective()

    def _add_variables(self) -> None:
        new = self.model.new_int_var
        self.x = [new(0, ub, "") for ub in self.layout.c_ub.tolist()]

    def _add_constraints(self) -> None:
        for module in constraints.ALL:
            module.add(self.model, self.layout, self.x)

    def _add_levels(self) -> None:
        """Split units: people placed per weight level, Σ levels = items placed (the objective then
        prefers the highest weights; disaggregation deals out highest priorities first)."""
        lay = self.layout
        has_cols = np.zeros(lay.n_units, dtype=bool)
        has_cols[lay.c_unit] = True
        for u, a, b in constraints.assignment.unit_slices(lay):
            if not lay.u_split[u]:
                continue
            level_vars = []
            for weight in range(5, 0, -1):
                n = int(lay.u_levels[u, weight])
                if n:
                    v = self.model.new_int_var(0, n, "")
                    level_vars.append(v)
                    self.levels.append((weight, v))
            self.model.add(sum(level_vars) == sum(self.x[a:b]))

    def _add_objective(self) -> None:
        self._add_levels()
        self.primary = objective.primary(self.layout, self.x, self.levels)
        self.moves = objective.moves(self.layout, self.x)
        self.earliness = objective.earliness(self.layout, self.x)
        self.model.maximize(self.primary)

    def _hint(self, values: np.ndarray) -> None:
        """Hint column values (and the matching, highest-first priority levels)."""
        self.model.clear_hints()
        for var, v in zip(self.x, values.tolist(), strict=True):
            self.model.add_hint(var, v)
        lay = self.layout
        placed = np.bincount(lay.c_unit, weights=values, minlength=lay.n_units).astype(np.int64)
        k = 0
        for u, _, _ in constraints.assignment.unit_slices(lay):
            if not lay.u_split[u]:
                continue
            left = int(placed[u])
            for weight in range(5, 0, -1):
                n = int(lay.u_levels[u, weight])
                if n:
                    take = min(left, n)
                    self.model.add_hint(self.levels[k][1], take)
                    left -= take
                    k += 1

    def greedy(self) -> np.ndarray | None:
        """A feasible warm start: required units first, then units by best weight, each dealt to its
        columns in order (draft stop first, then earliest departure) while every capacity allows.
        ``None`` for layouts with links (the naive model)."""
        lay = self.layout
        if lay.links:
            return None
        inst = lay.inst
        seats, esc = inst.res_seats.copy(), inst.res_escort.copy()
        med, wc, cap = inst.res_medical.copy(), inst.res_wheelchair.copy(), inst.res_cap.copy()
        top = ((lay.u_levels > 0) * np.arange(6)).max(axis=1)
        per_seat = np.maximum(lay.u_weight, top) / np.maximum(lay.u_seats, 1)
        values = np.zeros(lay.n_columns, dtype=np.int64)
        slices = constraints.assignment.unit_slices(lay)
        slices.sort(key=lambda t: (not lay.u_required[t[0]], -per_seat[t[0]], t[0]))
        for u, a, b in slices:
            left = int(lay.u_mult[u])
            need = (
                int(lay.u_seats[u]),
                int(lay.u_escort[u]),
                int(lay.u_medical[u]),
                int(lay.u_wheelchair[u]),
            )
            cols = sorted(range(a, b), key=lambda j: (int(lay.c_moves[j]), j))
            for j in cols:
                if left == 0:
                    break
                f, g = int(lay.c_flight[j]), int(lay.c_group[j])
                n = left
                for res, k in (
                    (seats[f], need[0]),
                    (esc[f], need[1]),
                    (med[f], need[2]),
                    (wc[f], need[3]),
                    (cap[g], need[0]),
                ):
                    if k:
                        n = min(n, int(res) // k)
                if n <= 0:
                    continue
                values[j] = n
                left -= n
                seats[f] -= n * need[0]
                esc[f] -= n * need[1]
                med[f] -= n * need[2]
                wc[f] -= n * need[3]
                cap[g] -= n * need[0]
        return values

    def _draft_hint(self) -> np.ndarray | None:
        """Everybody at their draft stop where there is one (a warm start for re-planning)."""
        lay = self.layout
        at_draft = (lay.c_moves == 0) & (lay.u_drop[lay.c_unit] > 0)
        if not at_draft.any():
            return None
        return np.where(at_draft, np.minimum(lay.c_ub, lay.u_mult[lay.c_unit]), 0)

    def _solver(self, seconds: float) -> cp_model.CpSolver:
        solver = cp_model.CpSolver()
        p = solver.parameters
        p.max_time_in_seconds = max(seconds, 0.01)
        p.num_workers = self.options.num_workers
        p.random_seed = self.options.seed
        p.log_search_progress = self.options.log_search
        if self.options.deterministic and self.options.num_workers > 1:
            p.interleave_search = True
        return solver

    def _run(
        self,
        stage: int,
        deadline: float,
        report: Reporter | None,
        should_stop: Callable[[], bool] | None,
    ) -> tuple[cp_model.CpSolver, int, bool]:
        solver = self._solver(deadline - time.monotonic())
        if report is not None:
            solver.best_bound_callback = lambda b: report(stage, None, b)
        done = threading.Event()
        stopped = [False]

        def watch() -> None:
            while not done.wait(0.05):
                if should_stop():
                    stopped[0] = True
                    solver.stop_search()
                    return

        watcher = threading.Thread(target=watch, daemon=True) if should_stop is not None else None
        if watcher is not None:
            watcher.start()
        try:
            status = solver.solve(self.model, _Callback(stage, report))
        finally:
            done.set()
            if watcher is not None:
                watcher.join()
        log.debug("stage %d: %s in %.2fs", stage, solver.status_name(status), solver.wall_time)
        return solver, status, stopped[0]

    def _values(self, solver: cp_model.CpSolver) -> np.ndarray:
        return np.fromiter((solver.value(v) for v in self.x), dtype=np.int64, count=len(self.x))

    def solve(
        self,
        deadline: float,
        report: Reporter | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> ComponentResult:
        """Run the stages until ``deadline`` (``time.monotonic()``) or ``should_stop()``.

        Contract: the returned values always satisfy every constraint when ``feasible`` is true; when no
        solution was found and no unit is required, the empty plan (all zeros) is returned as feasible.
        ``bound`` is a proven upper bound of the primary objective of this layout."""
        lay = self.layout
        zeros = np.zeros(lay.n_columns, dtype=np.int64)
        trivial = lay.max_primary()
        greedy = self.greedy()
        hint = self._draft_hint()  # the greedy plan as a hint slowed CP-SAT down: fallback only
        if hint is not None:
            self._hint(hint)
        solver, status, stopped = self._run(1, deadline, report, should_stop)
        if status in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID):
            return ComponentResult(zeros, 0, 0, 0, 0, False, False, False, stopped, infeasible=True)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            # no solution in time: fall back on the greedy plan (feasible) or nobody; bound not proven
            use = greedy if greedy is not None else zeros
            feasible = greedy is not None or not lay.u_required.any()
            p, m, e = objective.evaluate(lay, use)
            return ComponentResult(use, p, trivial, m, e, False, False, feasible, stopped)
        values = self._values(solver)
        best = round(solver.objective_value)
        bound = min(trivial, math.floor(solver.best_objective_bound + 1e-6))
        primary_optimal = status == cp_model.OPTIMAL
        all_optimal = primary_optimal
        prev_best = 0
        if self.options.lexicographic and primary_optimal and not stopped:
            for stage, (expr, previous) in enumerate(
                ((self.moves, None), (self.earliness, self.moves)), start=2
            ):
                if time.monotonic() >= deadline - 0.01:
                    all_optimal = False
                    break
                if previous is None:
                    self.model.add(self.primary >= best)
                else:
                    self.model.add(previous <= prev_best)
                self.model.minimize(expr)
                self._hint(values)
                solver, status, stopped = self._run(stage, deadline, report, should_stop)
                if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                    values = self._values(solver)
                    prev_best = round(solver.objective_value)
                if status != cp_model.OPTIMAL:
                    all_optimal = False
                    break
                if stopped:
                    break
        p, m, e = objective.evaluate(lay, values)
        return ComponentResult(values, p, max(bound, p), m, e, primary_optimal, all_optimal, True, stopped)
