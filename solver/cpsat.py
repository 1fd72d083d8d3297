"""CP-SAT model of one layout, solved lexicographically (primary, then moves, then earliness).

Structure follows the cpsat-primer: :class:`AssignmentModel` builds variables, then one constraint module
per rule (:mod:`solver.constraints`), then the objective; :meth:`AssignmentModel.solve` runs the stages,
each warm-started (hinted) with the previous stage's solution and constrained to keep its optimum.  The
stages start from the LP relaxation (:mod:`solver.lp`) and repair its rounding in neighbourhoods: exact
MIPs (SCIP, the LP's rows made integral; :mod:`solver.neighbourhoods`) for the primary objective and the
moves, CP-SAT for the rest.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from ortools.sat.python import cp_model

from solver import constraints, objective
from solver.callbacks import ShouldStop, StopWatcher
from solver.compile import Layout
from solver.lp import CapacityRows, LPModel, LPResult, capacity_rows, fill, round_down, solve_lp
from solver.neighbourhoods import is_complete, mip_neighbourhoods, moved_flights, plan_key, repair
from solver.problem import SolveOptions

log = logging.getLogger(__name__)

#: Above this many columns a primary stage not within ``primary_gap`` after the LP and its MIP
#: neighbourhoods is not retried on the whole layout in CP-SAT: building that model alone takes seconds and
#: the search rarely improves on the LP plan (the plan is returned with its proven gap instead).
FULL_CPSAT_COLUMNS = 20000

#: Stages 2 / 3 not settled by the LP and its neighbourhood are retried on the whole layout in CP-SAT only
#: up to this many columns, with ``STAGE_WORK`` deterministic seconds (earliness is a tie-breaker: on
#: larger layouts the plan is kept with its gap to the LP bound).
STAGE_CPSAT_COLUMNS = 2000
STAGE_WORK = 1.0

#: Largest layouts whose stage 3 LP solution is repaired in CP-SAT around its fractional part (the
#: earliness neighbourhoods of larger layouts rarely find even a feasible plan within their work limit;
#: stage 2 is repaired in MIP neighbourhoods instead).
STAGE_NEIGHBOURHOOD_COLUMNS = STAGE_CPSAT_COLUMNS

#: Largest layouts whose stage 2 starts from its LP (larger ones: the lexicographic relaxation's bound and
#: MIP neighbourhoods only; that LP would take seconds to improve on them by a move or two).
STAGE_LP_COLUMNS = 30000

#: Wall seconds the LP relaxation of a component always gets (without it only the trivial bound is known).
LP_MIN_SECONDS = 3.0

#: CP-SAT deterministic time (about seconds) of a stage 3 neighbourhood search: enough to settle the few
#: fractional flights of an LP solution, small enough that a hopeless neighbourhood costs little.
NEIGHBOURHOOD_WORK = 0.25

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
    #: proven lower bounds of the moves and (model units, see :mod:`solver.objective`) of the earliness
    #: for plans at this primary objective; equal to ``moves`` / ``earliness`` once the stage is settled
    moves_bound: int = 0
    earliness_bound: int = 0


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
        #: wall seconds by phase: "relax" (LP relaxation), "primary" (rest of stage 1), "stages" (2 and 3)
        self.seconds: dict[str, float] = {"relax": 0.0, "primary": 0.0, "stages": 0.0}
        # the search state between :meth:`solve_primary` and :meth:`solve_stage` (see :meth:`result`)
        self._plan = np.zeros(layout.n_columns, dtype=np.int64)
        self._best = -1
        self._bound = layout.max_primary()
        self._feasible = self._infeasible = self._stopped = self._primary_optimal = False
        #: stages 2 / 3 still to run after the primary one (none unless the primary plan is good enough)
        self.stages: tuple[int, ...] = ()
        self._settled: dict[int, bool] = {}
        self._stage_lower: dict[int, int] = {}

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
        self.model.clear_hints()  # type: ignore[no-untyped-call]  # OR-Tools leaves it unannotated
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
        should_stop: ShouldStop | None,
    ) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus, bool]:
        solver = self._solver(deadline - time.monotonic())
        if report is not None:
            solver.best_bound_callback = lambda b: report(stage, None, b)
        with StopWatcher(should_stop, solver.stop_search) as watcher:
            status = solver.solve(self.model, _Callback(stage, report))
        log.debug("stage %d: %s in %.2fs", stage, solver.status_name(status), solver.wall_time)
        return solver, status, watcher.stopped

    def _values(self, solver: cp_model.CpSolver) -> np.ndarray:
        return np.fromiter((solver.value(v) for v in self.x), dtype=np.int64, count=len(self.x))

    def solve(
        self,
        deadline: float,
        report: Reporter | None = None,
        should_stop: ShouldStop | None = None,
        lp_deadline: float | None = None,
    ) -> ComponentResult:
        """All stages of this layout until ``deadline`` (``time.monotonic()``) or ``should_stop()``:
        :meth:`solve_primary`, then stages 2 and 3 (:meth:`solve_stage`) within ``stage_share`` of the
        time left.  (:func:`solver.solve.solve_layouts` instead runs the primary stage of every component
        before the later stages of any.)"""
        self.solve_primary(deadline, report, should_stop, lp_deadline)
        if self.stages:
            now = time.monotonic()
            stage_deadline = now + self.options.stage_share * max(deadline - now, 0.0)
            for stage in self.stages:
                self.solve_stage(stage, stage_deadline, report, should_stop)
        return self.result()

    def solve_primary(
        self,
        deadline: float,
        report: Reporter | None = None,
        should_stop: ShouldStop | None = None,
        lp_deadline: float | None = None,
    ) -> ComponentResult:
        """Stage 1 (primary objective) until ``deadline`` or ``should_stop()``; the LP relaxation may run
        until ``lp_deadline`` (default ``deadline``) as no bound is known without it.  Sets
        :attr:`stages` to the later stages to run (when ``lexicographic`` and the plan is within
        ``primary_gap`` of the bound).

        Stage 1 starts from the LP relaxation (:mod:`solver.lp`): its certified bound and its solution
        rounded down and refilled.  When re-planning the relaxation is lexicographic (the fewest moves
        among the primary optima), so that rounding keeps almost everybody at their draft stop.  Then,
        while below the bound, MIP neighbourhoods (:func:`solver.neighbourhoods.repair`: the flights
        where the LP solution is fractional or differs, solved exactly in SCIP, primary before moves)
        close the gap left by the rounding; the draft plan completed greedily is the fallback.  A plan
        still not within ``primary_gap`` of the bound is searched by CP-SAT on the whole model (small
        layouts), with the LP bound as a cut.

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
                self._infeasible = True
                return self.result()
            bound = min(lp.bound, trivial)
            # the LP solution rounded down and refilled (when re-planning, x is the lexicographic optimum,
            # fewest moves among the primary optima, so the rounding keeps almost everybody in place)
            values = fill(lay, round_down(lay, rows, lp.x))
            feasible = is_complete(self.layout, values)
            best = objective.evaluate(lay, values)[0] if feasible else -1
            if report is not None:
                report(1, float(max(best, 0)), float(bound))
            log.debug("LP %.2fs: start %d, bound %d (LP %.2f)", lp.seconds, best, bound, lp.value)
        stopped = should_stop is not None and should_stop()
        if lp is not None:
            if feasible and best < bound and not stopped:
                # close the gap exactly (MIP) around the LP's fractional part; when re-planning primary
                # before moves in one objective, so nobody moves who need not
                values = repair(self.layout, lp.x, values, deadline, should_stop)
            # the LP not solved in time (x = 0) or its rounding incomplete: the draft plan, refilled
            draft = self._draft_plan(rows) if not (lp.optimal and feasible) else None
            if (
                draft is not None
                and is_complete(self.layout, draft)
                and (not feasible or plan_key(self.layout, draft) > plan_key(self.layout, values))
            ):
                values, feasible = draft, True
            if feasible:
                best = objective.evaluate(lay, values)[0]
                if report is not None:
                    report(1, float(best), float(bound))
            stopped = should_stop is not None and should_stop()
        primary_optimal = feasible and best >= bound
        good = feasible and self._good(best, bound)
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
                self._infeasible, self._stopped = True, stopped
                return self.result()
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                found = self._values(solver)
                value = objective.evaluate(lay, found)[0]
                if not feasible or value > best:
                    values, best, feasible = found, value, True
                bound = min(bound, math.floor(solver.best_objective_bound + 1e-6))
            primary_optimal = feasible and best >= bound
            good = feasible and self._good(best, bound)
        self.seconds["primary"] = time.monotonic() - started
        self._stopped = stopped
        self._feasible = feasible
        if not feasible:
            self._bound = trivial
            return self.result()
        self._plan, self._best, self._bound = values, best, max(bound, best)
        self._primary_optimal = primary_optimal
        if opts.lexicographic and good and not stopped:
            self.stages = (2, 3) if bool((lay.u_drop > 0).any()) else (3,)
        return self.result()

    def result(self) -> ComponentResult:
        """What the stages run so far found and proved (see :class:`ComponentResult`): ``all_optimal``
        when the primary objective is proven optimal and every later stage in :attr:`stages` settled."""
        lay = self.layout
        if self._infeasible:
            zeros = np.zeros(lay.n_columns, dtype=np.int64)
            return ComponentResult(zeros, 0, 0, 0, 0, False, False, False, self._stopped, infeasible=True)
        values = self._plan if self._feasible else np.zeros(lay.n_columns, dtype=np.int64)
        p, m, e = objective.evaluate(lay, values)
        if not self._feasible:
            feasible = not lay.u_required.any()
            return ComponentResult(values, p, self._bound, m, e, False, False, feasible, self._stopped)
        settled = all(self._settled.get(stage, False) for stage in self.stages)
        moves_bound = m if self._settled.get(2) else max(self.moves_floor(), self._stage_lower.get(2, 0))
        early_bound = self._stage_lower.get(3, e if self._settled.get(3) else 0)
        return ComponentResult(
            values,
            p,
            max(self._bound, p),
            m,
            e,
            self._primary_optimal,
            self._primary_optimal and settled,
            True,
            self._stopped,
            moves_bound=min(moves_bound, m),
            earliness_bound=min(early_bound, e),
        )

    def _primary_at_least(self, lower: float) -> None:
        """Set the LP row ``primary ≥ lower`` (added once, then its bound is changed)."""
        lpm = self._lp
        assert lpm is not None
        if self._primary_row is None:
            self._primary_row = lpm.add_row(lpm.primary_coeffs(), lower, math.inf)
        else:
            lpm.set_row_bounds(self._primary_row, lower, math.inf)

    def _good(self, best: int, bound: int) -> bool:
        """Is ``best`` within ``primary_gap`` of ``bound``?"""
        return bound - best <= self.options.primary_gap * max(bound, 1)

    def _draft_plan(self, rows: CapacityRows) -> np.ndarray | None:
        """The draft plan (everybody at their draft stop as far as capacities allow) refilled greedily, or
        ``None`` when nobody has a draft stop."""
        draft = self._draft_hint()
        if draft is None:
            return None
        return fill(self.layout, round_down(self.layout, rows, draft.astype(np.float64)))

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

    def solve_stage(
        self,
        stage: int,
        deadline: float,
        report: Reporter | None = None,
        should_stop: ShouldStop | None = None,
    ) -> None:
        """Stage 2 (moves) or 3 (earliness) of :attr:`stages` until ``deadline``, with the primary objective
        kept at its best or above (and, in stage 3, the moves at the value stage 2 reached).  Stage 2 is
        settled outright when the plan's moves reach :meth:`moves_floor` (a re-plan that keeps everybody
        who can stay) or, at the LP optimum of the primary objective, the moves of the lexicographic
        relaxation; see :meth:`_stage` for the rest.  A stage that is not settled still keeps its best
        plan, and the next stage runs from it.  Call stage 2 before 3; see :meth:`result`."""
        if stage not in self.stages or stage in self._settled or self._stopped:
            return
        t0 = time.monotonic()
        lay = self.layout
        const = int((lay.u_drop * lay.u_mult).sum())
        if self._lp is not None and self._primary_row is None:
            self._primary_at_least(self._best - 1e-6)
        values = self._plan
        m0 = objective.evaluate(lay, values)[1]
        lex = self._relaxation
        if stage == 2 and lex is not None and math.isfinite(lex.moves) and self._best >= lex.value - 1e-6:
            # at the LP optimum of the primary objective, the lexicographic relaxation's moves are a bound
            lower = math.ceil(lex.moves - 1e-6 * max(lex.moves, 1.0))
            self._stage_lower[2] = max(self._stage_lower.get(2, 0), lower)
        if stage == 2 and m0 <= max(self.moves_floor(), self._stage_lower.get(2, 0)):
            settled, stopped = True, False
        else:
            values, settled, stopped = self._stage(
                stage, values, self._best, m0, deadline, report, should_stop
            )
        self._plan = values
        self._settled[stage] = settled and not stopped
        self._stopped = stopped
        if stage == 2:
            m = objective.evaluate(lay, values)[1]
            if self._lp is not None:
                self._lp.add_row(self._lp.stage_coeffs(2), -math.inf, m - const + 1e-6)
            if self._built:
                self.model.add(self.moves <= m)
            self._moves_cap = m
        self.seconds["stages"] += time.monotonic() - t0

    def _stage(
        self,
        stage: int,
        values: np.ndarray,
        best: int,
        m0: int,
        deadline: float,
        report: Reporter | None,
        should_stop: ShouldStop | None,
    ) -> tuple[np.ndarray, bool, bool]:
        """Minimise moves (``stage`` 2) or earliness (3) keeping ``primary ≥ best`` and ``moves ≤ m0``:
        the LP (stage 2: layouts up to ``STAGE_LP_COLUMNS`` columns; its optimum is the stage's lower
        bound and the rounded vertex often reaches it).  Stage 3: a rounding that lost primary is
        repaired in MIP neighbourhoods (:func:`solver.neighbourhoods.repair`), then CP-SAT searches the
        LP's fractional neighbourhood.  Stage 2: MIP neighbourhoods of the LP's fractional flights and of
        the flights where people are away from their draft stop
        (:func:`solver.neighbourhoods.moved_flights`).  Then, on layouts of at most
        ``STAGE_CPSAT_COLUMNS`` columns, CP-SAT on the whole layout.  Searches are bounded by
        deterministic work, so they return the same plan every time.  Settled: moves at the bound,
        earliness within ``earliness_gap`` of it.  Every lower bound proven is kept for :meth:`result`.
        Returns (best values, settled, stopped)."""
        lay = self.layout
        const = int((lay.u_drop * lay.u_mult).sum())

        def score(candidate: np.ndarray | None) -> int | None:
            if candidate is None or not is_complete(self.layout, candidate):
                return None
            p, m, e = objective.evaluate(lay, candidate)
            if p < best or m > m0:
                return None
            return m if stage == 2 else e

        start = score(values)
        assert start is not None
        current: int = start

        def take(candidate: np.ndarray | None) -> None:
            nonlocal values, current
            got = score(candidate)
            if candidate is not None and got is not None and got < current:
                values, current = candidate, got

        lpm = self._lp
        target: int | None = None
        fractional = np.zeros(0, dtype=np.int64)  # flights where the stage LP solution is fractional
        # the moves LP of a large layout takes seconds and hardly improves on its MIP neighbourhoods
        use_lp = stage == 3 or lay.n_columns <= STAGE_LP_COLUMNS
        if lpm is not None and use_lp and deadline - time.monotonic() > 0.05:
            coeffs = lpm.stage_coeffs(stage)
            lp_status, x, value = lpm.optimize(coeffs, False, deadline - time.monotonic())
            if lp_status == "OPTIMAL":
                if stage == 2:
                    value += const
                lower = math.ceil(value - 1e-9 * abs(value) - 1e-6)
                self._stage_lower[stage] = max(self._stage_lower.get(stage, 0), lower)
                target = lower + (math.floor(self.options.earliness_gap * abs(value)) if stage == 3 else 0)
                rounded = fill(lay, round_down(lay, lpm.rows, x))
                if stage == 3 and score(rounded) is None and is_complete(self.layout, rounded):
                    # the rounding lost some of the primary objective: win it back in MIP neighbourhoods of
                    # the LP's fractional flights, from the rounding (which keeps most of its earliness)
                    rounded = repair(self.layout, x, rounded, deadline, should_stop)
                take(rounded)
                log.debug("LP stage %d: bound %.2f, rounded %d", stage, value, current)
                fractional = np.unique(lay.c_flight[np.abs(x - np.round(x)) > 1e-6])
                if (
                    stage == 3
                    and current > target
                    and lay.n_columns <= STAGE_NEIGHBOURHOOD_COLUMNS
                    and deadline - time.monotonic() > 0.05
                ):
                    slack = float(target - lower)
                    found, _ = self._neighborhood(x, stage, best, m0, deadline, should_stop, slack)
                    take(found)
                if current <= target:
                    return values, True, False
        if stage == 2 and not lay.links and deadline - time.monotonic() > 0.05:
            # MIP neighbourhoods (primary before moves: never lower) of the LP's fractional flights, then of
            # the flights where people are away from their draft stop
            moved = moved_flights(lay, values)
            flights = np.concatenate([fractional, moved[~np.isin(moved, fractional)]])
            take(mip_neighbourhoods(lay, values, flights, deadline, should_stop))
            if current <= max(self._stage_lower.get(2, 0), self.moves_floor()):
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
            lower = math.ceil(solver.best_objective_bound - 1e-6)
            self._stage_lower[stage] = max(self._stage_lower.get(stage, 0), lower)
        settled = status == cp_model.OPTIMAL and not stopped
        return values, settled, stopped

    def _neighborhood(
        self,
        x: np.ndarray,
        stage: int,
        best: int,
        moves_cap: int | None,
        deadline: float,
        should_stop: ShouldStop | None,
        slack: float | None = None,
    ) -> tuple[np.ndarray | None, bool]:
        """Repair a stage 3 (or 2) LP solution ``x`` exactly around its fractional part: every column on a
        flight that carries a fractional column is free, every other column is fixed at its rounded-down
        value, and CP-SAT minimises earliness (``stage`` 3; 2: moves) in the small remaining problem with
        ``primary ≥ best`` and, in stage 3, ``moves ≤ moves_cap``.

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
        model.deterministic_time = NEIGHBOURHOOD_WORK
        model._build_model()
        fixed_p = objective.evaluate(lay, fixed)[0]
        moves_lin = lay.c_moves - lay.u_drop[lay.c_unit]
        sub_moves = cp_model.LinearExpr.weighted_sum(model.x, moves_lin[cols].tolist())
        model.model.add(model.primary >= best - fixed_p)
        fixed_m = int((lay.u_drop * lay.u_mult).sum()) + int((moves_lin * fixed).sum())
        if stage == 3 and moves_cap is not None:
            model.model.add(sub_moves <= moves_cap - fixed_m)
        model.model.minimize(sub_moves if stage == 2 else model.earliness)
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
