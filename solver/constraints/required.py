"""Frozen people stay where they are.

Frozen people are not variables at all: they are placed at their frozen stop and their needs are taken
off the residual capacities when the problem is compiled.  The unfrozen members of a family with frozen
members form a *required* unit, allowed only at the frozen stop, which must be placed entirely."""

from __future__ import annotations

from collections.abc import Sequence

from ortools.sat.python import cp_model

from solver.compile import Layout


def add(model: cp_model.CpModel, layout: Layout, x: Sequence[cp_model.IntVar]) -> None:
    """Σ_stops x[unit, stop] == mult[unit] for required units (infeasible if one has no column)."""
    for u in layout.u_required.nonzero()[0].tolist():
        cols = (layout.c_unit == u).nonzero()[0].tolist()
        model.add(sum(x[j] for j in cols) == int(layout.u_mult[u])).with_name(f"required_{u}")
