"""Linear relaxation of a layout (GLOP), a certified upper bound, and an integer plan rounded from it.

The LP has the variables and rows of the CP-SAT model with integrality dropped: column variables
``x[j] ∈ [0, c_ub[j]]``, priority levels ``z[u, w]`` for split units, one row per unit and one per flight
resource / country group that can bind (see :func:`capacity_rows`).  Its optimum is an upper bound of
the primary objective, and on the demo-shaped instances its vertex solution is integral except on a
few columns, so rounding down and greedily refilling gives a plan at (or within a few people of) the
bound.

**Certified bound.**  The LP optimum itself is a floating-point number from a simplex with tolerances,
so it is not used as the bound.  Instead the row duals ``y`` are clipped to ``y ≥ 0`` and plugged into
the Lagrangian relaxation of the capacity rows: for *any* ``y ≥ 0``::

    primary ≤ Σ_rows cap_r · y_r + Σ_units max { Σ_k (w_k − p_k) }

where the inner maximum, per unit, pairs the unit's item weights (highest first) with its column slots
(cheapest price ``p_j = Σ_r y_r · a_rj`` first, ``c_ub[j]`` slots each, at most ``mult`` items, only
pairs with positive margin unless the unit is required).  That is exact to evaluate and valid whatever
the quality of ``y``; with the LP duals it equals the LP optimum up to rounding.  The bound returned is
``floor(value + tolerance)``, never below the true relaxation bound.

**Re-planning.**  When some people have a draft stop, the relaxation is *lexicographic*: it maximises
``K · primary − moves`` with ``K`` larger than any number of moves (:func:`moves_scale`), i.e. the
highest primary objective and, among its optima, the fewest moves from the draft plan.  Rounding that
solution keeps almost everybody at their draft stop, where rounding a plain primary optimum (any of
many equivalent vertices) moves thousands.  The bound then uses the duals divided by ``K``: still a
valid Lagrangian bound (any ``y ≥ 0`` is), off the primary optimum by less than ``1 / LEX_MARGIN``.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver.python import model_builder_helper as mbh

from solver.callbacks import ShouldStop, StopWatcher
from solver.compile import BIG, Layout

log = logging.getLogger(__name__)


@dataclass(slots=True)
class CapacityRows:
    """Capacity rows that can bind: row ``r`` limits ``Σ_j coeff[k] · x[col[k]]`` over the entries ``k``
    with ``row[k] == r`` to ``cap[r]``.  Entries are sorted by row."""

    cap: np.ndarray
    name: list[str]
    row: np.ndarray
    col: np.ndarray
    coeff: np.ndarray

    @property
    def n_rows(self) -> int:
        return int(self.cap.size)


def capacity_rows(lay: Layout) -> CapacityRows:
    """Seats, escort tenths, medical and wheelchair slots per flight and the seat cap per country group,
    skipping rows that cannot bind (``Σ coeff · c_ub ≤ cap``)."""
    inst = lay.inst
    cu = lay.c_unit
    specs = (
        ("seats", lay.c_flight, lay.u_seats[cu], inst.res_seats),
        ("escort", lay.c_flight, lay.u_escort[cu], inst.res_escort),
        ("medical", lay.c_flight, lay.u_medical[cu], inst.res_medical),
        ("wheelchair", lay.c_flight, lay.u_wheelchair[cu], inst.res_wheelchair),
        ("country_cap", lay.c_group, lay.u_seats[cu], inst.res_cap),
    )
    caps: list[np.ndarray] = []
    names: list[str] = []
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    coeffs: list[np.ndarray] = []
    base = 0
    for name, keys, coeff, cap in specs:
        mask = coeff > 0
        if not mask.any():
            continue
        js = np.flatnonzero(mask)
        k = keys[js]
        total = np.bincount(k, weights=(coeff[js] * lay.c_ub[js]).astype(np.float64), minlength=cap.size)
        binding = total > cap
        js = js[binding[k]]
        if js.size == 0:
            continue
        k = keys[js]
        used = np.unique(k)
        local = np.searchsorted(used, k)
        order = np.argsort(local, kind="stable")
        caps.append(cap[used])
        names.extend(f"{name}_{int(u)}" for u in used.tolist())
        rows.append(base + local[order])
        cols.append(js[order])
        coeffs.append(coeff[js[order]])
        base += used.size
    if not caps:
        z = np.zeros(0, dtype=np.int64)
        return CapacityRows(z, [], z, z, z)
    return CapacityRows(
        np.concatenate(caps), names, np.concatenate(rows), np.concatenate(cols), np.concatenate(coeffs)
    )


#: The lexicographic relaxation weighs the primary objective by ``LEX_MARGIN`` × (most moves possible + 1),
#: so that its bound (from the duals scaled back) exceeds the primary optimum by less than 1 / LEX_MARGIN.
LEX_MARGIN = 10


def moves_scale(lay: Layout) -> int:
    """``K`` of the lexicographic relaxation (see the module docstring): 0 when nobody has a draft stop."""
    most = int((lay.u_drop * lay.u_mult).sum())
    return LEX_MARGIN * (most + 1) if most else 0


@dataclass(slots=True)
class LPResult:
    """Relaxation outcome: column values ``x`` (floats), the certified integer ``bound`` of the primary
    objective (``-1`` when the relaxation is infeasible), the LP optimum of the primary objective, the
    seconds spent and, when re-planning (lexicographic relaxation), the fewest moves (fractional) of an
    LP solution at that optimum (``moves``, else ``nan``)."""

    x: np.ndarray
    bound: int
    value: float
    seconds: float
    optimal: bool
    infeasible: bool = False
    moves: float = math.nan


def _levels(lay: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unit, weight, count) of every priority level of the split units."""
    units, weights = np.nonzero(lay.u_levels[:, 1:] > 0)
    weights = weights + 1
    return units, weights, lay.u_levels[units, weights]


class LPModel:
    """The LP relaxation of a layout in GLOP, built once and re-solved with extra rows / objectives
    (the lexicographic stages).  Variables: the columns ``x`` then the levels ``z`` (see
    :func:`_levels`)."""

    def __init__(self, lay: Layout, rows: CapacityRows | None = None, integral: bool = False) -> None:
        self.lay = lay
        self.rows = rows if rows is not None else capacity_rows(lay)
        n = lay.n_columns
        self.lv_unit, self.lv_weight, lv_count = _levels(lay)
        self.n_vars = n + self.lv_unit.size
        #: values of every variable from the last :meth:`optimize` (zeros when it found no optimum)
        self.values: np.ndarray = np.zeros(0)
        helper = self.helper = mbh.ModelBuilderHelper()
        # OR-Tools' generated stubs spell the arrays ``numpy.ndarray[numpy.float64]`` (dtype in the shape
        # slot), which no real array matches
        helper.add_var_array_with_bounds(
            np.zeros(self.n_vars),  # type: ignore[arg-type]
            np.concatenate([lay.c_ub, lv_count]).astype(np.float64),  # type: ignore[arg-type]
            np.full(self.n_vars, integral, dtype=bool),  # type: ignore[arg-type]
            "",
        )
        var = self.var = [mbh.Variable(helper, i) for i in range(self.n_vars)]
        cu = lay.c_unit
        starts = np.flatnonzero(np.r_[True, cu[1:] != cu[:-1], True]) if n else np.zeros(1, dtype=np.int64)
        lv_starts = np.searchsorted(self.lv_unit, np.arange(lay.n_units + 1))
        split = lay.u_split
        for a, b in zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True):
            u = int(cu[a])
            r = helper.add_linear_constraint()
            terms = var[a:b]
            coeffs = [1.0] * (b - a)
            if split[u]:
                la, lb = int(lv_starts[u]), int(lv_starts[u + 1])
                terms = terms + var[n + la : n + lb]
                coeffs = coeffs + [-1.0] * (lb - la)
                helper.set_constraint_lower_bound(r, 0.0)
                helper.set_constraint_upper_bound(r, 0.0)
            else:
                mult = float(lay.u_mult[u])
                helper.set_constraint_lower_bound(r, mult if lay.u_required[u] else -math.inf)
                helper.set_constraint_upper_bound(r, mult)
            helper.add_terms_to_constraint(r, terms, coeffs)
        self.n_unit_rows = len(starts) - 1
        rows = self.rows
        rb = np.flatnonzero(np.r_[True, rows.row[1:] != rows.row[:-1], True]) if rows.row.size else [0]
        for r_local, (a, b) in enumerate(itertools.pairwise(rb)):
            r = helper.add_linear_constraint()
            helper.set_constraint_lower_bound(r, -math.inf)
            helper.set_constraint_upper_bound(r, float(rows.cap[r_local]))
            helper.add_terms_to_constraint(
                r, [var[j] for j in rows.col[a:b].tolist()], rows.coeff[a:b].astype(np.float64).tolist()
            )

    def objective_coeffs(self) -> np.ndarray:
        """The relaxation's objective over all variables: the primary objective, or when re-planning
        ``K · primary − moves`` (module docstring)."""
        scale = moves_scale(self.lay)
        primary = self.primary_coeffs()
        return primary if not scale else scale * primary - self.stage_coeffs(2)

    def level_values(self, values: np.ndarray) -> np.ndarray:
        """Values of the level variables matching integer column ``values`` (highest weights first)."""
        lay = self.lay
        placed = np.bincount(lay.c_unit, weights=values, minlength=lay.n_units).astype(np.int64)
        count = lay.u_levels[self.lv_unit, self.lv_weight]
        out = np.zeros(self.lv_unit.size, dtype=np.int64)
        # a unit's levels are stored by increasing weight: deal its items from the highest level down
        for k in range(self.lv_unit.size - 1, -1, -1):
            u = int(self.lv_unit[k])
            out[k] = min(int(placed[u]), int(count[k]))
            placed[u] -= out[k]
        return out

    def primary_coeffs(self) -> np.ndarray:
        """Primary objective coefficients of all variables."""
        return np.concatenate([self.lay.u_weight[self.lay.c_unit], self.lv_weight]).astype(np.float64)

    def stage_coeffs(self, stage: int) -> np.ndarray:
        """Coefficients of stage 2 (moves, without its constant) or 3 (earliness) over all variables."""
        lay = self.lay
        cols = lay.c_moves - lay.u_drop[lay.c_unit] if stage == 2 else lay.c_early
        return np.concatenate([cols, np.zeros(self.lv_unit.size, dtype=np.int64)]).astype(np.float64)

    def add_row(self, coeffs: np.ndarray, lower: float, upper: float) -> int:
        """``lower ≤ Σ coeffs · vars ≤ upper``; returns the row's index (see :meth:`set_row_bounds`)."""
        r = self.helper.add_linear_constraint()
        self.helper.set_constraint_lower_bound(r, lower)
        self.helper.set_constraint_upper_bound(r, upper)
        nz = np.flatnonzero(coeffs)
        self.helper.add_terms_to_constraint(r, [self.var[j] for j in nz.tolist()], coeffs[nz].tolist())
        return r

    def set_row_bounds(self, row: int, lower: float, upper: float) -> None:
        """Change the bounds of a row added by :meth:`add_row`."""
        self.helper.set_constraint_lower_bound(row, lower)
        self.helper.set_constraint_upper_bound(row, upper)

    def optimize(
        self, coeffs: np.ndarray, maximize: bool, time_limit: float
    ) -> tuple[str, np.ndarray, float]:
        """Solve with objective ``coeffs``: (status name, column values, objective value)."""
        self.helper.clear_objective()
        nz = np.flatnonzero(coeffs)
        self.helper.set_objective_coefficients(nz.tolist(), coeffs[nz].tolist())
        self.helper.set_maximize(maximize)
        solver = self.solver = mbh.ModelSolverHelper("glop")
        solver.set_time_limit_in_seconds(max(time_limit, 0.01))
        solver.solve(self.helper)
        status = solver.status()
        if status != mbh.SolveStatus.OPTIMAL:
            self.values = np.zeros(self.n_vars)
            return status.name, np.zeros(self.lay.n_columns), math.nan
        self.values = solver.variable_values()  # type: ignore[assignment]  # OR-Tools' stub: see __init__
        return status.name, self.values[: self.lay.n_columns], solver.objective_value()

    def capacity_duals(self) -> np.ndarray:
        """Duals of the capacity rows from the last solve."""
        return self.solver.dual_values()[self.n_unit_rows : self.n_unit_rows + self.rows.n_rows]


#: SCIP branch-and-bound nodes per MIP solve, in all and since the last improvement (work limits, so that a
#: MIP stopped by one returns the same plan every time; the MIPs of LP neighbourhoods mostly close at the
#: root or within a few hundred nodes).
MIP_NODES = 500
MIP_STALL_NODES = 100
#: A re-planning MIP (``K · primary − moves``) stops once its objective is within this of its bound: the
#: primary objective is then optimal (``K`` is far larger) and the moves within this many of their optimum
#: (proving the last few moves of a neighbourhood can take seconds).
MIP_MOVES_SLACK = 2.5
#: No restarts and few cut rounds at the root: the neighbourhoods' LP is nearly integral already.
MIP_PARAMS = ("presolving/maxrestarts = 0", "separating/maxroundsroot = 5")


@functools.cache
def _scip_available() -> bool:
    available = mbh.ModelSolverHelper("scip").solver_is_supported()
    if not available:
        log.warning("OR-Tools without SCIP: LP roundings are not repaired in MIP neighbourhoods")
    return available


def solve_mip(
    lay: Layout,
    hint: np.ndarray,
    time_limit: float,
    should_stop: ShouldStop | None = None,
) -> np.ndarray | None:
    """Solve ``lay`` exactly (the relaxation's rows and objective, integral: SCIP) from the feasible
    integer column values ``hint``, for at most ``time_limit`` seconds and ``MIP_NODES`` nodes.
    Returns the best integer column values found (checked against every row), or ``None`` (also when
    this OR-Tools build has no SCIP)."""
    if not _scip_available():
        return None
    model = LPModel(lay, integral=True)
    helper = model.helper
    coeffs = model.objective_coeffs()
    nz = np.flatnonzero(coeffs)
    helper.set_objective_coefficients(nz.tolist(), coeffs[nz].tolist())
    helper.set_maximize(True)
    full = np.concatenate([hint, model.level_values(hint)])
    for i, v in enumerate(full.tolist()):
        helper.add_hint(i, float(v))
    solver = mbh.ModelSolverHelper("scip")
    solver.set_time_limit_in_seconds(max(time_limit, 0.01))
    params = [f"limits/nodes = {MIP_NODES}", f"limits/stallnodes = {MIP_STALL_NODES}", *MIP_PARAMS]
    if moves_scale(lay):  # primary before moves: stop once the primary is optimal and the moves nearly so
        params.append(f"limits/absgap = {MIP_MOVES_SLACK}")
    solver.set_solver_specific_parameters("\n".join(params))
    with StopWatcher(should_stop, solver.interrupt_solve):
        solver.solve(helper)
    if not solver.has_solution():
        return None
    values: np.ndarray = np.rint(solver.variable_values()[: lay.n_columns]).astype(np.int64)
    placed = np.bincount(lay.c_unit, weights=values, minlength=lay.n_units)
    rows = model.rows
    if (
        (values < 0).any()
        or (values > lay.c_ub).any()
        or (placed > lay.u_mult).any()
        or (placed[lay.u_required] < lay.u_mult[lay.u_required]).any()
        or (row_usage(lay, rows, values) > rows.cap).any()
    ):
        log.warning("MIP solution rejected: it violates a row after rounding")
        return None
    return values


def solve_lp(
    lay: Layout, rows: CapacityRows | None = None, time_limit: float = 60.0
) -> tuple[LPResult, LPModel]:
    """Solve the LP relaxation of ``lay`` (maximise the primary objective) with GLOP.

    When people have draft stops the relaxation is lexicographic (module docstring): ``x`` then has the
    fewest moves among the LP optima of the primary objective, and ``moves`` is their number.

    Contract: ``bound`` is a valid upper bound of the primary objective of every integer solution of
    ``lay`` (the trivial bound when the LP did not finish); ``x`` satisfies the rows up to GLOP's
    tolerances and may be fractional."""
    t0 = time.monotonic()
    model = LPModel(lay, rows)
    rows = model.rows
    scale = moves_scale(lay)
    primary = model.primary_coeffs()
    status, x, _ = model.optimize(model.objective_coeffs(), True, time_limit)
    trivial = lay.max_primary()
    if status == "INFEASIBLE":
        return LPResult(x, -1, -math.inf, time.monotonic() - t0, True, infeasible=True), model
    if status != "OPTIMAL":
        log.info("LP relaxation: %s", status)
        return LPResult(x, trivial, math.inf, time.monotonic() - t0, False), model
    value = float(primary @ model.values)
    moves = math.nan
    if scale:
        moves = float(model.stage_coeffs(2) @ model.values) + int((lay.u_drop * lay.u_mult).sum())
    duals = model.capacity_duals() / max(scale, 1)
    bound = min(lagrangian_bound(lay, rows, np.maximum(d, 0.0)) for d in (duals, -duals))
    bound = min(bound, trivial)
    log.debug(
        "LP: %d cols, %d rows, value %.3f, moves %.2f, bound %d in %.2fs",
        lay.n_columns,
        model.n_unit_rows + rows.n_rows,
        value,
        moves,
        bound,
        time.monotonic() - t0,
    )
    return LPResult(x, bound, value, time.monotonic() - t0, True, moves=moves), model


def lagrangian_bound(lay: Layout, rows: CapacityRows, y: np.ndarray) -> int:
    """Integer upper bound of the primary objective from row prices ``y ≥ 0`` (module docstring).
    Returns ``-1`` when a required unit has fewer slots than items (the layout is infeasible)."""
    price = np.zeros(lay.n_columns)
    if rows.row.size:
        np.add.at(price, rows.col, y[rows.row] * rows.coeff)
    total = float((rows.cap * y).sum())
    scale = abs(total)
    cu = lay.c_unit
    starts = np.flatnonzero(np.r_[True, cu[1:] != cu[:-1], True]) if lay.n_columns else np.zeros(1, dtype=int)
    split = lay.u_split
    for a, b in zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True):
        u = int(cu[a])
        mult = int(lay.u_mult[u])
        order = np.argsort(price[a:b], kind="stable")
        slots = np.minimum(lay.c_ub[a:b][order], mult)
        cut = int(np.searchsorted(np.cumsum(slots), mult)) + 1
        p = np.repeat(price[a:b][order][:cut], slots[:cut])
        if split[u]:
            w = np.repeat(np.arange(5, 0, -1), lay.u_levels[u, 5:0:-1])
        else:
            w = np.full(mult, float(lay.u_weight[u]))
        k = min(mult, p.size)
        margin = w[:k] - p[:k]
        if lay.u_required[u]:
            if p.size < mult:
                return -1
            value = float(margin.sum())
        else:
            value = float(np.maximum(margin, 0.0).sum())
        total += value
        scale += float(np.abs(margin).sum())
    has_cols = np.zeros(lay.n_units, dtype=bool)
    has_cols[cu] = True
    if (lay.u_required & ~has_cols & (lay.u_mult > 0)).any():
        return -1
    return math.floor(total + 1e-9 * scale + 1e-6)


def row_usage(lay: Layout, rows: CapacityRows, values: np.ndarray) -> np.ndarray:
    """Integer left-hand side of every capacity row for integer column ``values``."""
    return np.bincount(rows.row, weights=rows.coeff * values[rows.col], minlength=rows.n_rows).astype(
        np.int64
    )


def round_down(lay: Layout, rows: CapacityRows, x: np.ndarray) -> np.ndarray:
    """Integer column values ≤ ``x`` that satisfy every row exactly (required units excepted, see
    :func:`fill`): floor with a small tolerance, then drop items from over-full rows (lowest weight
    per seat first) and over-full units."""
    values = np.floor(x + 1e-6).astype(np.int64)
    values = np.clip(values, 0, lay.c_ub)
    placed = np.bincount(lay.c_unit, weights=values, minlength=lay.n_units).astype(np.int64)
    over_units = np.flatnonzero(placed > lay.u_mult)
    for u in over_units.tolist():
        for j in reversed(np.flatnonzero(lay.c_unit == u).tolist()):
            extra = int(placed[u] - lay.u_mult[u])
            if extra <= 0:
                break
            take = min(extra, int(values[j]))
            values[j] -= take
            placed[u] -= take
    usage = row_usage(lay, rows, values)
    over = np.flatnonzero(usage > rows.cap)
    if over.size:
        per_seat = lay.u_weight[lay.c_unit] / np.maximum(lay.u_seats[lay.c_unit], 1)
        by_col = np.argsort(rows.col, kind="stable")  # entries of each column, to update its rows
        col_start = np.searchsorted(rows.col[by_col], np.arange(lay.n_columns + 1))
        row_start = np.searchsorted(rows.row, np.arange(rows.n_rows + 1))
        for r in over.tolist():
            ks = np.arange(row_start[r], row_start[r + 1])
            ks = ks[np.argsort(per_seat[rows.col[ks]], kind="stable")]
            for k in ks.tolist():
                excess = int(usage[r] - rows.cap[r])
                if excess <= 0:
                    break
                j, a = int(rows.col[k]), int(rows.coeff[k])
                take = min(int(values[j]), -(-excess // a))
                if take <= 0:
                    continue
                values[j] -= take
                mine = by_col[col_start[j] : col_start[j + 1]]
                usage[rows.row[mine]] -= take * rows.coeff[mine]
        log.debug("LP rounding: %d over-full rows repaired", over.size)
    return values


def fill(lay: Layout, values: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """Greedily add items to ``values`` (a feasible partial plan) while every capacity allows: units in
    ``order`` (default: required first, then by best remaining weight per seat), each dealt to its columns
    by fewest moves then earliest departure.  Returns the completed values (a new array)."""
    inst = lay.inst
    values = values.copy()
    seats, esc = inst.res_seats.copy(), inst.res_escort.copy()
    med, wc, cap = inst.res_medical.copy(), inst.res_wheelchair.copy(), inst.res_cap.copy()
    cu = lay.c_unit
    for res, need, key in (
        (seats, lay.u_seats, lay.c_flight),
        (esc, lay.u_escort, lay.c_flight),
        (med, lay.u_medical, lay.c_flight),
        (wc, lay.u_wheelchair, lay.c_flight),
        (cap, lay.u_seats, lay.c_group),
    ):
        np.subtract.at(res, key, need[cu] * values)
    placed = np.bincount(cu, weights=values, minlength=lay.n_units).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, cu[1:] != cu[:-1], True]) if lay.n_columns else np.zeros(1, dtype=int)
    slices = {int(cu[a]): (a, b) for a, b in zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True)}
    if order is None:
        nxt = np.zeros(lay.n_units)
        for u in slices:
            if lay.u_split[u]:
                cum = np.cumsum(lay.u_levels[u, 5:0:-1])
                k = int(np.searchsorted(cum, placed[u], side="right"))
                nxt[u] = 5 - k if k < 5 else 0
            else:
                nxt[u] = lay.u_weight[u] / max(int(lay.u_seats[u]), 1)
        keys = sorted(slices, key=lambda u: (not lay.u_required[u], -nxt[u], u))
    else:
        keys = [int(u) for u in order.tolist() if int(u) in slices]
    for u in keys:
        left = int(lay.u_mult[u] - placed[u])
        if left <= 0:
            continue
        a, b = slices[u]
        demand = (int(lay.u_seats[u]), int(lay.u_escort[u]), int(lay.u_medical[u]), int(lay.u_wheelchair[u]))
        for j in sorted(range(a, b), key=lambda j: (int(lay.c_moves[j]), j)):
            if left == 0:
                break
            f, g = int(lay.c_flight[j]), int(lay.c_group[j])
            n = min(left, int(lay.c_ub[j] - values[j]))
            for res, k in (
                (seats[f], demand[0]),
                (esc[f], demand[1]),
                (med[f], demand[2]),
                (wc[f], demand[3]),
            ):
                if k:
                    n = min(n, int(res) // k)
            if demand[0] and cap[g] < BIG:
                n = min(n, int(cap[g]) // demand[0])
            if n <= 0:
                continue
            values[j] += n
            left -= n
            seats[f] -= n * demand[0]
            esc[f] -= n * demand[1]
            med[f] -= n * demand[2]
            wc[f] -= n * demand[3]
            cap[g] -= n * demand[0]
        placed[u] = lay.u_mult[u] - left
    return values
