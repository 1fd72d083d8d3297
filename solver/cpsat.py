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
from solver.lp import CapacityRows, LPModel, LPResult, capacity_rows, fill, round_down, solve_lp
from solver.problem import SolveOptions

log = logging.getLogger(__name__)

#: Above this many columns a stage not settled by the LP and its neighbourhood is not retried on the whole
#: layout in CP-SAT: building that model alone takes seconds and the search rarely improves on the LP
#: plan (the plan is returned with its proven gap instead).
FULL_CPSAT_COLUMNS = 20000

#: Layouts up to this many columns whose primary gap is already within ``SolveOptions.primary_gap`` still
#: get one work-bounded neighbourhood search to close it (10k-people instances end proven optimal).
CLOSE_COLUMNS = 10000
CLOSE_WORK = 1.0

#: Stages 2 / 3 not settled by the LP and its neighbourhood are retried on the whole layout in CP-SAT only
#: up to this many columns, with ``STAGE_WORK`` deterministic seconds (earliness is a tie-breaker: on
#: larger layouts the plan is kept with its gap to the LP bound).
STAGE_CPSAT_COLUMNS = 2000
STAGE_WORK = 1.0

#: Largest layouts whose stage 2 / 3 LP solution is repaired in CP-SAT around its fractional part (the
#: earliness neighbourhoods of larger layouts rarely find even a feasible plan within their work limit).
STAGE_NEIGHBOURHOOD_COLUMNS = {2: 10000, 3: STAGE_CPSAT_COLUMNS}

#: A re-planning neighbourhood (see :meth:`AssignmentModel._neighborhood` with a reference plan) frees
#: whole flights up to this many columns, beyond that only the columns of the units that change.
REF_FLIGHT_COLUMNS = 300
#: CP-SAT deterministic time of that neighbourhood search (it starts from the draft-preserving plan).
REF_WORK = 0.2

#: Wall seconds the LP relaxation of a component always gets (without it only the trivial bound is known).
LP_MIN_SECONDS = 3.0

#: CP-SAT deterministic time (about seconds) per neighbourhood search, by stage: enough to settle the
#: few fractional flights of an LP solution, small enough that a hopeless neighbourhood costs little.
NEIGHBOURHOOD_WORK = {1: 3.0, 2: 0.5, 3: 0.25}

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
        #: stop a search once best and bound are this close, relatively (stage 1 of the whole layout)
        self.relative_gap: float | None = None
        self._stage_rows = False  # stage 2 / 3 rows (primary ≥ best, moves ≤ cap) added to the CP-SAT model
        self._moves_cap: int | None = None
        self._primary_row: int | None = None  # LP row "primary ≥ …" of the moves / earliness stages
        #: the draft-preserving start plan (see :meth:`_draft_residual`), when re-planning
        self._kept: np.ndarray | None = None
        #: wall seconds by phase: "relax" (LP relaxation), "primary" (rest of stage 1), "stages" (2 and 3)
        self.seconds: dict[str, float] = {"relax": 0.0, "primary": 0.0, "stages": 0.0}

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
        if self.relative_gap is not None:
            p.relative_gap_limit = self.relative_gap
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

        Stage 1 starts from the LP relaxation (:mod:`solver.lp`): its certified bound, and the better of
        a plan rounded from its solution and (when re-planning) the draft plan completed greedily.  When
        that plan is within ``primary_gap`` of the bound the primary search stops (layouts of at most
        ``CLOSE_COLUMNS`` columns first get a work-bounded neighbourhood search to close the gap);
        otherwise CP-SAT searches around the LP's fractional part, then (small layouts) the whole model
        with the LP bound as a cut.  Stages 2 and 3 (moves, earliness) then run with ``primary ≥ best``,
        within ``stage_share`` of the remaining time.

        Contract: the returned values always satisfy every constraint when ``feasible`` is true; when no
        solution was found and no unit is required, the empty plan (all zeros) is returned as feasible.
        ``bound`` is a proven upper bound of the primary objective of this layout."""
        started = time.monotonic()
        lay = self.layout
        opts = self.options
        zeros = np.zeros(lay.n_columns, dtype=np.int64)
        trivial = lay.max_primary()
        lp: LPResult | None = None
        if lay.links:  # the naive layout: CP-SAT only (LP rounding knows nothing of links)
            bound, values, feasible, best = trivial, zeros, False, -1
        else:
            if self._relaxation is None:
                self.relax(max(deadline, lp_deadline or deadline))
                started += self.seconds["relax"]
            assert self._relaxation is not None
            lp = self._relaxation
            rows = self._lp.rows if self._lp is not None else capacity_rows(lay)
            if lp.infeasible:
                return ComponentResult(zeros, 0, 0, 0, 0, False, False, False, False, infeasible=True)
            bound = min(lp.bound, trivial)
            values, feasible = self._start(lp.x, rows, bound, started + (deadline - started) / 2)
            best = objective.evaluate(lay, values)[0] if feasible else -1
            if report is not None:
                report(1, float(max(best, 0)), float(bound))
            log.debug("LP %.2fs: start %d, bound %d (LP %.2f)", lp.seconds, best, bound, lp.value)
        stopped = should_stop is not None and should_stop()
        primary_optimal = feasible and best >= bound
        good = feasible and self._good(best, bound)
        close = not good or lay.n_columns <= CLOSE_COLUMNS
        # re-planning: the draft-preserving plan is below the bound, so moves may gain primary (searched
        # when it is not good enough, or on small layouts, as the close search above)
        kept_p = objective.evaluate(lay, self._kept)[0] if self._kept is not None else bound
        kept_open = kept_p < bound and (not self._good(kept_p, bound) or lay.n_columns <= CLOSE_COLUMNS)
        if (
            lp is not None
            and ((not primary_optimal and close) or kept_open)
            and not stopped
            and time.monotonic() < deadline - 0.05
        ):
            left = deadline - time.monotonic()
            work = CLOSE_WORK if good else None
            x, ref = lp.x, None
            if feasible and self._kept is not None:
                # re-planning: search around the draft-preserving plan towards the LP optimum with the
                # fewest moves, so that whatever primary is gained costs few moves
                x = self._moves_lp(lp.value, deadline)
                ref = self._kept if x is not None else None
                work = REF_WORK if x is not None else work
                x = lp.x if x is None else x
            found, _ = self._neighborhood(
                x, 1, best, None, time.monotonic() + left / 2, should_stop, work=work, ref=ref
            )
            if found is not None and self._complete(found):
                value = objective.evaluate(lay, found)[0]
                now_key = self._key(values, bound)
                if value > best or self._key(found, bound) > now_key:
                    values, best, feasible = found, value, True
                    primary_optimal = best >= bound
                    good = self._good(best, bound)
                    if report is not None:
                        report(1, float(best), float(bound))
            stopped = should_stop is not None and should_stop()
        small = lay.links or lay.n_columns <= FULL_CPSAT_COLUMNS
        if not good and not stopped and small and time.monotonic() < deadline - 0.05:
            self._build_model()
            hint = values if feasible else self._draft_hint()
            if hint is not None:
                self._hint(hint)
            self.model.add(self.primary <= bound)  # the certified LP bound as a cut
            self.relative_gap = opts.primary_gap
            solver, status, stopped = self._run(1, deadline, report, should_stop)
            self.relative_gap = None
            if status in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID):
                return ComponentResult(zeros, 0, 0, 0, 0, False, False, False, stopped, infeasible=True)
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                found = self._values(solver)
                value = objective.evaluate(lay, found)[0]
                if not feasible or value > best:
                    values, best, feasible = found, value, True
                bound = min(bound, math.floor(solver.best_objective_bound + 1e-6))
            primary_optimal = feasible and best >= bound
            good = feasible and self._good(best, bound)
        if not feasible:
            p, m, e = objective.evaluate(lay, zeros)
            return ComponentResult(zeros, p, trivial, m, e, False, False, not lay.u_required.any(), stopped)
        bound = max(bound, best)
        all_optimal = primary_optimal
        self.seconds["primary"] = time.monotonic() - started
        if opts.lexicographic and good and not stopped:
            now = time.monotonic()
            stage_deadline = now + opts.stage_share * max(deadline - now, 0.0)
            values, settled, stopped = self._lexicographic(values, best, stage_deadline, report, should_stop)
            all_optimal = primary_optimal and settled
            self.seconds["stages"] = time.monotonic() - now
        p, m, e = objective.evaluate(lay, values)
        return ComponentResult(values, p, max(bound, p), m, e, primary_optimal, all_optimal, True, stopped)

    def _primary_at_least(self, lower: float) -> None:
        """Set the LP row ``primary ≥ lower`` (added once, then its bound is changed)."""
        lpm = self._lp
        assert lpm is not None
        if self._primary_row is None:
            self._primary_row = lpm.add_row(lpm.primary_coeffs(), lower, math.inf)
        else:
            lpm.set_row_bounds(self._primary_row, lower, math.inf)

    def _moves_lp(self, value: float, deadline: float) -> np.ndarray | None:
        """An LP solution with primary objective at ``value`` (the LP optimum) and the fewest moves,
        or ``None`` (LP not solved in time)."""
        if self._lp is None or deadline - time.monotonic() <= 0.05:
            return None
        self._primary_at_least(value - 1e-9 * abs(value) - 1e-6)
        status, x, _ = self._lp.optimize(self._lp.stage_coeffs(2), False, deadline - time.monotonic())
        return x if status == "OPTIMAL" else None

    def _good(self, best: int, bound: int) -> bool:
        """Is ``best`` within ``primary_gap`` of ``bound``?"""
        return bound - best <= self.options.primary_gap * max(bound, 1)

    def _start(
        self, x: np.ndarray, rows: CapacityRows, bound: int, deadline: float
    ) -> tuple[np.ndarray, bool]:
        """The best complete plan among the LP solution ``x`` rounded and refilled, the draft plan
        (everybody at their draft stop as far as capacities allow) refilled, and (when re-planning) the
        draft-preserving plan of :meth:`_draft_residual`: among plans within ``primary_gap`` of ``bound``
        the fewest moves (a re-plan stays put instead of moving thousands of people for the last few
        units of a gap that is good enough), otherwise the highest primary; then least earliness.
        Returns (values, complete)."""
        lay = self.layout
        candidates = [fill(lay, round_down(lay, rows, x))]
        draft = self._draft_hint()
        if draft is not None:
            candidates.append(fill(lay, round_down(lay, rows, draft.astype(np.float64))))
            kept = self._draft_residual(rows, deadline)
            if kept is not None and self._complete(kept):
                self._kept = kept
                candidates.append(kept)
        k = max(range(len(candidates)), key=lambda i: self._key(candidates[i], bound))
        return candidates[k], self._complete(candidates[k])

    def _key(self, values: np.ndarray, bound: int) -> tuple:
        """Preference among plans (larger is better): complete; within ``primary_gap`` of ``bound``; if
        not, the higher primary; then fewer moves, higher primary, less earliness."""
        p, m, e = objective.evaluate(self.layout, values)
        good = self._good(p, bound)
        return (self._complete(values), good, 0 if good else p, -m, p, -e)

    def _draft_residual(self, rows: CapacityRows, deadline: float) -> np.ndarray | None:
        """The draft-preserving plan: everybody whose draft stop is still a column of theirs stays
        there (as far as the capacities allow), and the rest – people without a draft stop, those who
        lost it, seats freed – is solved as its own, much smaller layout (LP, rounding, neighbourhood;
        its moves are constant) within ``deadline``.  ``None`` when there is no draft or no plan."""
        lay = self.layout
        draft = self._draft_hint()
        if draft is None or lay.links:
            return None
        at = draft > 0
        fixed = round_down(lay, rows, draft.astype(np.float64))
        sub, cols = lay.restricted(~at, fixed)
        sub, keep = sub.fitted()
        values = fixed.copy()
        if sub.n_columns:
            model = AssignmentModel(sub, replace(self.options, lexicographic=False))
            res = model.solve(max(deadline, time.monotonic() + 0.1))
            if not res.feasible:
                return None
            values[cols[keep]] = res.values
        log.debug(
            "draft-preserving plan: %d columns kept, residual %d columns: primary %d, moves %d",
            int(at.sum()),
            sub.n_columns,
            *objective.evaluate(lay, values)[:2],
        )
        return values

    def moves_floor(self) -> int:
        """A lower bound of the moves of any plan of this layout: every item at its cheapest column
        (fewest moves, within the column's bound), capacities shared between units ignored."""
        lay = self.layout
        const = int((lay.u_drop * lay.u_mult).sum())
        saving = lay.u_drop[lay.c_unit] - lay.c_moves
        js = np.flatnonzero(saving > 0)
        if js.size == 0:
            return const
        js = js[np.lexsort((-saving[js], lay.c_unit[js]))]
        left = lay.u_mult.copy()
        total = 0
        for j in js.tolist():
            u = int(lay.c_unit[j])
            take = min(int(left[u]), int(lay.c_ub[j]))
            total += take * int(saving[j])
            left[u] -= take
        return const - total

    def relax(self, deadline: float) -> LPResult:
        """Solve the LP relaxation (once) until ``deadline``, with at least ``LP_MIN_SECONDS`` (the bound
        needs it).  :func:`solver.solve.solve_layouts` relaxes every component before searching any."""
        if self._relaxation is None:
            t0 = time.monotonic()
            left = max(deadline - t0, LP_MIN_SECONDS)
            self._relaxation, self._lp = solve_lp(self.layout, capacity_rows(self.layout), time_limit=left)
            self.seconds["relax"] = time.monotonic() - t0
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
        """Stages 2 and 3 with the primary objective kept at ``best`` or above (and, in stage 3, the moves
        at the value stage 2 reached): (values, both settled, stopped).  Stage 2 is settled outright when
        the plan's moves reach :meth:`moves_floor` (a re-plan that keeps everybody who can stay); see
        :meth:`_stage` for the rest.  A stage that is not settled still keeps its best plan, and the next
        stage runs from it."""
        lay = self.layout
        const = int((lay.u_drop * lay.u_mult).sum())
        stages = (2, 3) if bool((lay.u_drop > 0).any()) else (3,)
        if self._lp is not None:
            self._primary_at_least(best - 1e-6)
        all_settled = True
        for stage in stages:
            m0 = objective.evaluate(lay, values)[1]
            if stage == 2 and m0 <= self.moves_floor():
                settled, stopped = True, False
            else:
                values, settled, stopped = self._stage(stage, values, best, m0, deadline, report, should_stop)
            all_settled = all_settled and settled
            if stopped:
                return values, False, True
            if stage == 2:
                m = objective.evaluate(lay, values)[1]
                if self._lp is not None:
                    self._lp.add_row(self._lp.stage_coeffs(2), -math.inf, m - const + 1e-6)
                if self._built:
                    self.model.add(self.moves <= m)
                self._moves_cap = m
        return values, all_settled, False

    def _stage(
        self,
        stage: int,
        values: np.ndarray,
        best: int,
        m0: int,
        deadline: float,
        report: Reporter | None,
        should_stop: Callable[[], bool] | None,
    ) -> tuple[np.ndarray, bool, bool]:
        """Minimise moves (``stage`` 2) or earliness (3) keeping ``primary ≥ best`` and ``moves ≤ m0``:
        the LP (its optimum is the stage's lower bound; the rounded vertex often reaches it), then CP-SAT
        on the LP's fractional neighbourhood, then, on layouts of at most ``STAGE_CPSAT_COLUMNS`` columns,
        CP-SAT on the whole layout.  Searches are bounded by deterministic work, so they return the same
        plan every time.  Settled: moves at the bound, earliness within ``earliness_gap`` of it.
        Returns (best values, settled, stopped)."""
        lay = self.layout
        const = int((lay.u_drop * lay.u_mult).sum())

        def score(candidate: np.ndarray | None) -> int | None:
            if candidate is None or not self._complete(candidate):
                return None
            p, m, e = objective.evaluate(lay, candidate)
            if p < best or m > m0:
                return None
            return m if stage == 2 else e

        current = score(values)
        assert current is not None

        def take(candidate: np.ndarray | None) -> None:
            nonlocal values, current
            got = score(candidate)
            if got is not None and got < current:
                values, current = candidate, got

        lpm = self._lp
        target: int | None = None
        if lpm is not None and deadline - time.monotonic() > 0.05:
            coeffs = lpm.stage_coeffs(stage)
            status, x, value = lpm.optimize(coeffs, False, deadline - time.monotonic())
            if status == "OPTIMAL":
                if stage == 2:
                    value += const
                lower = math.ceil(value - 1e-9 * abs(value) - 1e-6)
                target = lower + (math.floor(self.options.earliness_gap * abs(value)) if stage == 3 else 0)
                take(fill(lay, round_down(lay, lpm.rows, x)))
                log.debug("LP stage %d: bound %.2f, rounded %d", stage, value, current)
                if (
                    current > target
                    and lay.n_columns <= STAGE_NEIGHBOURHOOD_COLUMNS[stage]
                    and deadline - time.monotonic() > 0.05
                ):
                    slack = float(target - lower) if stage == 3 else None
                    found, _ = self._neighborhood(x, stage, best, m0, deadline, should_stop, slack)
                    take(found)
                if current <= target:
                    return values, True, False
        small = lay.links or lay.n_columns <= STAGE_CPSAT_COLUMNS
        if not small or deadline - time.monotonic() <= 0.05:
            return values, False, False
        self._build_model()
        if not self._stage_rows:
            self._stage_rows = True
            self.model.add(self.primary >= best)
            if self._moves_cap is not None:
                self.model.add(self.moves <= self._moves_cap)
        self.model.minimize(self.moves if stage == 2 else self.earliness)
        self._hint(values)
        if not lay.links:
            self.deterministic_time = STAGE_WORK
            if target is not None and stage == 3:
                self.absolute_gap = float(math.floor(self.options.earliness_gap * abs(target)))
        solver, status, stopped = self._run(stage, deadline, report, should_stop)
        self.deterministic_time = self.absolute_gap = None
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            take(self._values(solver))
        settled = status == cp_model.OPTIMAL and not stopped
        return values, settled, stopped

    def _neighborhood(
        self,
        x: np.ndarray,
        stage: int,
        best: int,
        moves_cap: int | None,
        deadline: float,
        should_stop: Callable[[], bool] | None,
        slack: float | None = None,
        work: float | None = None,
        ref: np.ndarray | None = None,
        max_columns: int | None = None,
    ) -> tuple[np.ndarray | None, bool]:
        """Repair an LP solution ``x`` exactly around its fractional part: every column on a flight that
        carries a fractional column is free, every other column is fixed at its rounded-down value, and
        CP-SAT solves the small remaining problem for ``stage`` (1: maximise primary; 2 / 3: minimise
        moves / earliness with ``primary ≥ best`` and, in stage 3, ``moves ≤ moves_cap``).

        With a reference plan ``ref`` (complete, feasible) the neighbourhood is instead the flights
        where ``x`` differs from ``ref`` – only the columns there of the units where it differs when that
        is more than ``REF_FLIGHT_COLUMNS`` columns (``x`` is a solution of either relaxation); the rest stays as in ``ref``, which is the
        search's hint (so the result is never worse than ``ref``), and stage 1 maximises the primary
        objective, then minimises moves (one weighted objective).  Neighbourhoods of more than
        ``max_columns`` columns are not searched.

        Returns (values of the whole layout or ``None`` if nothing feasible was found, proven optimal
        for the neighbourhood).  ``slack`` lets the search stop that close to its bound."""
        lay = self.layout
        if ref is None:
            base = round_down(lay, capacity_rows(lay), x)
            frac = np.abs(x - np.round(x)) > 1e-6
            touched = np.unique(lay.c_flight[frac | (base != np.round(x))])
            free = np.isin(lay.c_flight, touched)
        else:
            base = ref
            diff = np.abs(x - ref) > 1e-6
            touched = np.unique(lay.c_flight[diff])
            free = np.isin(lay.c_flight, touched)
            if int(free.sum()) > REF_FLIGHT_COLUMNS:
                involved = np.zeros(lay.n_units, dtype=bool)
                involved[lay.c_unit[diff]] = True
                free &= involved[lay.c_unit]
        fixed = np.where(free, 0, base)
        sub, cols = lay.restricted(free, fixed)
        if sub.n_columns == 0 or (max_columns is not None and sub.n_columns > max_columns):
            log.debug("neighbourhood stage %d: %d columns, not searched", stage, sub.n_columns)
            return None, False
        model = AssignmentModel(sub, replace(self.options, lexicographic=False))
        model.absolute_gap = slack
        model.deterministic_time = NEIGHBOURHOOD_WORK[stage] if work is None else work
        model._build_model()
        fixed_p = objective.evaluate(lay, fixed)[0]
        moves_lin = lay.c_moves - lay.u_drop[lay.c_unit]
        sub_moves = cp_model.LinearExpr.weighted_sum(model.x, moves_lin[cols].tolist())
        if stage == 1:
            start = fill(sub, np.zeros(sub.n_columns, dtype=np.int64)) if ref is None else ref[cols]
            if ref is not None and bool((sub.u_drop > 0).any()):
                # lexicographic in one objective: a unit of primary outweighs every possible move
                k = int((sub.u_drop * sub.u_mult).sum()) + 1
                model.model.maximize(k * model.primary - sub_moves)
        else:
            model.model.add(model.primary >= best - fixed_p)
            start = None if ref is None else ref[cols]
            fixed_m = int((lay.u_drop * lay.u_mult).sum()) + int((moves_lin * fixed).sum())
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
