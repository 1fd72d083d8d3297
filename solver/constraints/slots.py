"""Medical and wheelchair slots: people needing one on a flight ≤ the flight's (residual) slots."""

from __future__ import annotations

from collections.abc import Sequence

from ortools.sat.python import cp_model

from solver.compile import Layout
from solver.constraints._capacity import add_capacity


def add(model: cp_model.CpModel, layout: Layout, x: Sequence[cp_model.IntVar]) -> None:
    """One constraint per flight and slot type that can bind."""
    inst = layout.inst
    add_capacity(
        model, x, layout.c_flight, layout.u_medical[layout.c_unit], layout.c_ub, inst.res_medical, "medical"
    )
    add_capacity(
        model,
        x,
        layout.c_flight,
        layout.u_wheelchair[layout.c_unit],
        layout.c_ub,
        inst.res_wheelchair,
        "wheelchair",
    )
