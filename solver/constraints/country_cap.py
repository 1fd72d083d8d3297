"""Country caps: people on a flight bound for a country (over its stops there) ≤ the cap (residual)."""

from __future__ import annotations

from collections.abc import Sequence

from ortools.sat.python import cp_model

from solver.compile import Layout
from solver.constraints._capacity import add_capacity


def add(model: cp_model.CpModel, layout: Layout, x: Sequence[cp_model.IntVar]) -> None:
    """Σ seats per item × x ≤ residual cap, per (flight, country) group; uncapped groups never bind."""
    add_capacity(
        model,
        x,
        layout.c_group,
        layout.u_seats[layout.c_unit],
        layout.c_ub,
        layout.inst.res_cap,
        "country_cap",
    )
