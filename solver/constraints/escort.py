"""Escort capacity: Σ escort loads (tenths) on a flight ≤ escort officers × 10 (residual)."""

from __future__ import annotations

from collections.abc import Sequence

from ortools.sat.python import cp_model

from solver.compile import Layout
from solver.constraints._capacity import add_capacity


def add(model: cp_model.CpModel, layout: Layout, x: Sequence[cp_model.IntVar]) -> None:
    """Σ escort tenths per item × x ≤ residual escort tenths, per flight."""
    add_capacity(
        model,
        x,
        layout.c_flight,
        layout.u_escort[layout.c_unit],
        layout.c_ub,
        layout.inst.res_escort,
        "escort",
    )
