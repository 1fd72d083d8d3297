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
from dataclasses import dataclass, replace

import numpy as np
from ortools.sat.python import cp_model

from solver import constraints, objective
from solver.compile import Layout
from solver.lp import LPModel, LPResult, capacity_rows, fill, round_down, solve_lp
from solver.problem import SolveOptions

log = logging.getLogger(__name__)

#: Above this many columns a stage not settled by the LP and its neighbourhood is not retried on the whole
#: layout in CP-SAT: building that model alone takes seconds and the search rarely improves on the LP
#: plan (the plan is returned with its proven gap instead).
FULL_CPSAT_COLUMNS = 20000

#: Wall seconds the LP relaxation of a component always gets (without it only the trivial bound is known).
LP_MIN_SECONDS = 3.0

#: CP-SAT deterministic time (about seconds) per neighbourhood search, by stage: enough to settle the
#: few fractional flights of an LP solution, small enough that a hopeless neighbourhood costs little.
NEIGHBOURHOOD_WORK = {1: 3.0, 2: 2.0, 3: 1.0}

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
        self._built = False
        self._lp: LPModel | None = None
        self._relaxation: LPResult | None = None
        #: stop a search once best and bound are this close (neighbourhoods of the tie-breaker stage)
        self.absolute_gap: float | None = None
        #: work limit of a search (neighbourhoods: deterministic, unlike the wall-clock limit)
        self.deterministic_time: float | None = None

    def _build_model(self) -> None:
        """Build variables, constraints and objective once (lazily: the LP path may not need CP-SAT)."""
        if self._built:
            return
        self._built = True
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
        if self.absolute_gap is not None:
            p.absolute_gap_limit = self.absolute_gap
        if self.deterministic_time is not None:
            p.max_deterministic_time = self.deterministic_time
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
        lp_deadline: float | None = None,
    ) -> ComponentResult:
        """Run the stages until ``deadline`` (``time.monotonic()``) or ``should_stop()``; the LP
        relaxation may run until ``lp_deadline`` (default ``deadline``) as no bound is known without it.

        Stage 1 starts from the LP relaxation (:mod:`solver.lp`): its certified bound, and a plan rounded
        from its solution.  When that plan reaches the bound the primary objective is proven optimal
        without CP-SAT; otherwise CP-SAT searches from the rounded plan (hinted) with the LP bound as a
        cut, and the bound reported is the smaller of the LP's and CP-SAT's.  Stages 2 and 3 (moves,
        earliness) then run in CP-SAT with the primary objective fixed.

        Contract: the returned values always satisfy every constraint when ``feasible`` is true; when no
        solution was found and no unit is required, the empty plan (all zeros) is returned as feasible.
        ``bound`` is a proven upper bound of the primary objective of this layout."""
        lay = self.layout
        zeros = np.zeros(lay.n_columns, dtype=np.int64)
        trivial = lay.max_primary()
        if lay.links:  # the naive layout: CP-SAT only (LP rounding knows nothing of links)
            bound, values, feasible, best = trivial, zeros, False, -1
        else:
            if self._relaxation is None:
                self.relax(max(deadline, lp_deadline or deadline))
            assert self._relaxation is not None
            lp = self._relaxation
            rows = self._lp.rows if self._lp is not None else capacity_rows(lay)
            if lp.infeasible:
                return ComponentResult(zeros, 0, 0, 0, 0, False, False, False, False, infeasible=True)
            bound = min(lp.bound, trivial)
            values = fill(lay, round_down(lay, rows, lp.x))
            feasible = self._complete(values)
            best = objective.evaluate(lay, values)[0] if feasible else -1
            if report is not None:
                report(1, float(max(best, 0)), float(bound))
            log.debug("LP %.2fs: rounded %d, bound %d (LP %.2f)", lp.seconds, best, bound, lp.value)
        stopped = should_stop is not None and should_stop()
        primary_optimal = feasible and best >= bound
        if not lay.links and not primary_optimal and not stopped and time.monotonic() < deadline - 0.05:
            left = deadline - time.monotonic()
            found, _ = self._neighborhood(lp.x, 1, best, None, time.monotonic() + left / 2, should_stop)
            if found is not None and self._complete(found):
                value = objective.evaluate(lay, found)[0]
                if value > best:
                    values, best, feasible = found, value, True
                    primary_optimal = best >= bound
                    if report is not None:
                        report(1, float(best), float(bound))
            stopped = should_stop is not None and should_stop()
        small = lay.links or lay.n_columns <= FULL_CPSAT_COLUMNS
        if not primary_optimal and not stopped and small and time.monotonic() < deadline - 0.05:
            self._build_model()
            hint = values if feasible else self._draft_hint()
            if hint is not None:
                self._hint(hint)
            self.model.add(self.primary <= bound)  # the certified LP bound as a cut
            solver, status, stopped = self._run(1, deadline, report, should_stop)
            if status in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID):
                return ComponentResult(zeros, 0, 0, 0, 0, False, False, False, stopped, infeasible=True)
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                found = self._values(solver)
                value = objective.evaluate(lay, found)[0]
                if not feasible or value > best:
                    values, best, feasible = found, value, True
                bound = min(bound, math.floor(solver.best_objective_bound + 1e-6))
            primary_optimal = feasible and (status == cp_model.OPTIMAL or best >= bound)
            if primary_optimal:
                bound = best
        if not feasible:
            p, m, e = objective.evaluate(lay, zeros)
            return ComponentResult(zeros, p, trivial, m, e, False, False, not lay.u_required.any(), stopped)
        all_optimal = primary_optimal
        if self.options.lexicographic and primary_optimal and not stopped:
            values, all_optimal, stopped = self._lexicographic(values, best, deadline, report, should_stop)
        p, m, e = objective.evaluate(lay, values)
        return ComponentResult(values, p, max(bound, p), m, e, primary_optimal, all_optimal, True, stopped)

    def relax(self, deadline: float) -> LPResult:
        """Solve the LP relaxation (once) until ``deadline``, with at least ``LP_MIN_SECONDS`` (the bound
        needs it).  :func:`solver.solve.solve_layouts` relaxes every component before searching any."""
        if self._relaxation is None:
            left = max(deadline - time.monotonic(), LP_MIN_SECONDS)
            self._relaxation, self._lp = solve_lp(self.layout, capacity_rows(self.layout), time_limit=left)
        return self._relaxation

    def _complete(self, values: np.ndarray) -> bool:
        """Are all required units fully placed in ``values``?"""
        lay = self.layout
        if not lay.u_required.any():
            return True
        placed = np.bincount(lay.c_unit, weights=values, minlength=lay.n_units).astype(np.int64)
        return bool((placed[lay.u_required] == lay.u_mult[lay.u_required]).all())

    def _lexicographic(
        self,
        values: np.ndarray,
        best: int,
        deadline: float,
        report: Reporter | None,
        should_stop: Callable[[], bool] | None,
    ) -> tuple[np.ndarray, bool, bool]:
        """Stages 2 and 3 with the primary objective kept at ``best``: (values, all optimal, stopped).

        First in the LP (cheap, and exact whenever its vertex rounds to a plan of the same value), then,
        for the stages the LP did not settle, in CP-SAT from the best plan so far."""
        lay = self.layout
        has_drafts = bool((lay.u_drop > 0).any())
        if self._lp is not None:
            values, done = self._lp_stages(self._lp, values, best, has_drafts, deadline)
            if done or lay.n_columns > FULL_CPSAT_COLUMNS:
                return values, done, False
        self._build_model()
        self.model.add(self.primary >= best)
        stages = ((2, self.moves), (3, self.earliness)) if has_drafts else ((3, self.earliness),)
        stopped = False
        for stage, expr in stages:
            if time.monotonic() >= deadline - 0.01:
                return values, False, stopped
            self.model.minimize(expr)
            self._hint(values)
            solver, status, stopped = self._run(stage, deadline, report, should_stop)
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                found = self._values(solver)
                if objective.evaluate(lay, found)[0] >= best:
                    values = found
            if status != cp_model.OPTIMAL or stopped:
                return values, False, stopped
            if stage == 2:
                self.model.add(self.moves <= round(solver.objective_value))
        return values, True, stopped

    def _lp_stages(
        self, lpm: LPModel, values: np.ndarray, best: int, has_drafts: bool, deadline: float
    ) -> tuple[np.ndarray, bool]:
        """Stages 2 and 3 in the LP relaxation with ``primary ≥ best`` (then ``moves ≤`` its optimum):
        a stage is settled when the rounded LP solution keeps the earlier stages' values and reaches the
        LP optimum (rounded up).  Returns (values, both stages settled)."""
        lay = self.layout
        lpm.add_row(lpm.primary_coeffs(), best - 1e-6, math.inf)
        for stage in (2, 3) if has_drafts else (3,):
            left = deadline - time.monotonic()
            if left <= 0.05:
                return values, False
            coeffs = lpm.stage_coeffs(stage)
            status, x, value = lpm.optimize(coeffs, False, left)
            if status != "OPTIMAL":
                return values, False
            _, m0, _ = objective.evaluate(lay, values)
            const = int((lay.u_drop * lay.u_mult).sum())
            target = math.ceil(value - 1e-9 * abs(value) - 1e-6)
            if stage == 3:
                target += math.floor(self.options.earliness_gap * abs(value))

            def settles(
                candidate: np.ndarray | None,
                stage: int = stage,
                m0: int = m0,
                const: int = const,
                target: int = target,
                value: float = value,
            ) -> int | None:
                if candidate is None or not self._complete(candidate):
                    return None
                p, m, e = objective.evaluate(lay, candidate)
                got = m - const if stage == 2 else e
                ok = p >= best and not (stage == 3 and m > m0) and got <= target
                log.debug("LP stage %d: %.2f, rounded %d (primary %d / %d)", stage, value, got, p, best)
                return got if ok else None

            candidate = fill(lay, round_down(lay, lpm.rows, x))
            got = settles(candidate)
            if got is None:
                slack = float(target - math.ceil(value - 1e-6)) if stage == 3 else None
                candidate, _ = self._neighborhood(
                    x, stage, best, m0, time.monotonic() + (deadline - time.monotonic()) / 2, None, slack
                )
                got = settles(candidate)
            if got is None:
                return values, False
            values = candidate
            lpm.add_row(coeffs, -math.inf, got + 1e-6)
        return values, True

    def _neighborhood(
        self,
        x: np.ndarray,
        stage: int,
        best: int,
        moves_cap: int | None,
        deadline: float,
        should_stop: Callable[[], bool] | None,
        slack: float | None = None,
    ) -> tuple[np.ndarray | None, bool]:
        """Repair an LP solution ``x`` exactly around its fractional part: every column on a flight that
        carries a fractional column is free, every other column is fixed at its rounded-down value, and
        CP-SAT solves the small remaining problem for ``stage`` (1: maximise primary; 2 / 3: minimise
        moves / earliness with ``primary ≥ best`` and, in stage 3, ``moves ≤ moves_cap``).

        Returns (values of the whole layout or ``None`` if nothing feasible was found, proven optimal
        for the neighbourhood).  ``slack`` lets the search stop that close to its bound."""
        lay = self.layout
        base = round_down(lay, capacity_rows(lay), x)
        frac = np.abs(x - np.round(x)) > 1e-6
        touched = np.unique(lay.c_flight[frac | (base != np.round(x))])
        free = np.isin(lay.c_flight, touched)
        fixed = np.where(free, 0, base)
        sub, cols = lay.restricted(free, fixed)
        if sub.n_columns == 0:
            return None, False
        model = AssignmentModel(sub, replace(self.options, lexicographic=False))
        model.absolute_gap = slack
        model.deterministic_time = NEIGHBOURHOOD_WORK[stage]
        model._build_model()
        fixed_p = objective.evaluate(lay, fixed)[0]
        if stage == 1:
            start = fill(sub, np.zeros(sub.n_columns, dtype=np.int64))
        else:
            model.model.add(model.primary >= best - fixed_p)
            start = None
            moves_lin = lay.c_moves - lay.u_drop[lay.c_unit]
            fixed_m = int((lay.u_drop * lay.u_mult).sum()) + int((moves_lin * fixed).sum())
            sub_moves = cp_model.LinearExpr.weighted_sum(model.x, moves_lin[cols].tolist())
            if stage == 3 and moves_cap is not None:
                model.model.add(sub_moves <= moves_cap - fixed_m)
            model.model.minimize(sub_moves if stage == 2 else model.earliness)
        if start is not None:
            model._hint(start)
        solver, status, _ = model._run(stage, deadline, None, should_stop)
        log.debug(
            "neighbourhood stage %d: %d flights, %d columns: %s",
            stage,
            touched.size,
            sub.n_columns,
            solver.status_name(status),
        )
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, False
        values = fixed.copy()
        values[cols] = model._values(solver)
        return values, status == cp_model.OPTIMAL
