"""The three lexicographic objectives as CP-SAT expressions over column variables, and plain evaluators.

1. **primary** (maximise): Σ weight × people placed, weight = 6 − priority (priority 1 → 5 … 5 → 1).
2. **moves** (minimise): people with a draft stop who end up elsewhere or unplaced.
3. **earliness** (minimise): Σ weight × departure rank of the flight, over people placed – higher
   priorities on earlier flights.  In the model a split unit's columns use its mean weight (tenths);
   within the unit the highest priorities get the earliest flights (exact by rearrangement), so the
   tertiary objective is exact within groups of interchangeable people and approximate across them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from ortools.sat.python import cp_model

from solver.compile import Instance, Layout


def primary(
    layout: Layout, x: Sequence[cp_model.IntVar], levels: Sequence[tuple[int, cp_model.IntVar]] = ()
) -> cp_model.LinearExprT:
    """Priority-weighted people placed (frozen people excluded: they are a constant).  ``levels`` are
    (weight, count variable) pairs of split units (see :func:`solver.cpsat.AssignmentModel`)."""
    vars_ = list(x) + [v for _, v in levels]
    coeffs = layout.u_weight[layout.c_unit].tolist() + [w for w, _ in levels]
    return cp_model.LinearExpr.weighted_sum(vars_, coeffs)


def moves(layout: Layout, x: Sequence[cp_model.IntVar]) -> cp_model.LinearExprT:
    """Moves from the draft: Σ drop × mult + Σ (moves at column − drop) × x."""
    const = int((layout.u_drop * layout.u_mult).sum())
    coeffs = layout.c_moves - layout.u_drop[layout.c_unit]
    return cp_model.LinearExpr.weighted_sum(list(x), coeffs.tolist()) + const


def earliness(layout: Layout, x: Sequence[cp_model.IntVar]) -> cp_model.LinearExprT:
    """Σ weight × departure rank over the items placed."""
    return cp_model.LinearExpr.weighted_sum(list(x), layout.c_early.tolist())


def evaluate(layout: Layout, values: np.ndarray) -> tuple[int, int, int]:
    """(primary, moves, earliness) of column values ``values`` (same definitions as above; split units
    place their highest priorities first)."""
    w = layout.u_weight[layout.c_unit]
    placed = np.bincount(layout.c_unit, weights=values, minlength=layout.n_units).astype(np.int64)
    top = 0
    for u in np.flatnonzero(layout.u_split & (placed > 0)).tolist():
        k = int(placed[u])
        for weight in range(5, 0, -1):
            take = min(k, int(layout.u_levels[u, weight]))
            top += take * weight
            k -= take
    const = int((layout.u_drop * layout.u_mult).sum())
    mv = const + int(((layout.c_moves - layout.u_drop[layout.c_unit]) * values).sum())
    return int((w * values).sum()) + top, mv, int((layout.c_early * values).sum())


def plan_metrics(inst: Instance, stop_of: np.ndarray) -> tuple[int, int, int]:
    """(primary, moves, earliness) of a full assignment: ``stop_of[p]`` stop index or −1."""
    placed = stop_of >= 0
    prim = int(inst.weight[placed].sum())
    has_draft = inst.draft >= 0
    mv = int((has_draft & (stop_of != inst.draft)).sum())
    early = int((inst.weight[placed] * inst.rank[inst.stop_flight[stop_of[placed]]]).sum())
    return prim, mv, early
