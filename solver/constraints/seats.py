"""Seats: people on a flight (all its stops) ≤ residual seats."""

from __future__ import annotations

from collections.abc import Sequence

from ortools.sat.python import cp_model

from solver.compile import Layout
from solver.constraints._capacity import add_capacity


def add(model: cp_model.CpModel, layout: Layout, x: Sequence[cp_model.IntVar]) -> None:
    """Σ seats per item × x ≤ residual seats, per flight."""
    add_capacity(
        model, x, layout.c_flight, layout.u_seats[layout.c_unit], layout.c_ub, layout.inst.res_seats, "seats"
    )
