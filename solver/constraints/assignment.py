"""Each person (each family) is placed at most once: Σ_stops x[unit, stop] ≤ mult[unit]."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
from ortools.sat.python import cp_model

from solver.compile import Layout


def unit_slices(layout: Layout) -> list[tuple[int, int, int]]:
    """(unit, first column, end column) for every unit that has columns (columns are contiguous)."""
    cu = layout.c_unit
    if cu.size == 0:
        return []
    bounds = np.flatnonzero(np.r_[True, cu[1:] != cu[:-1], True])
    return [(int(cu[a]), int(a), int(b)) for a, b in itertools.pairwise(bounds)]


def add(model: cp_model.CpModel, layout: Layout, x: Sequence[cp_model.IntVar]) -> None:
    """At most ``mult`` items of a unit are placed, over all its stops."""
    for u, a, b in unit_slices(layout):
        if b - a == 1 and int(layout.c_ub[a]) <= int(layout.u_mult[u]):
            continue  # the variable's own bound says it
        model.add(sum(x[a:b]) <= int(layout.u_mult[u])).with_name(f"once_{u}")
