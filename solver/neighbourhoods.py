"""Complete plans of a layout compared, and improved in exact MIP neighbourhoods.

The LP-first search of :class:`solver.cpsat.AssignmentModel` rounds an LP solution into a complete plan,
then closes the gap left by the rounding here: a few flights at a time are freed, every other column
keeps its value, and the small remaining layout is solved exactly as a MIP (SCIP,
:func:`solver.lp.solve_mip`).  A neighbourhood's result replaces the plan only when it is better by
:func:`plan_key`, so the plan never gets worse.  Everything here is a function of the layout and column
values: no CP-SAT model is needed.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from solver import objective
from solver.callbacks import ShouldStop
from solver.compile import Layout
from solver.lp import solve_mip

log = logging.getLogger(__name__)

#: The MIP neighbourhoods (:func:`mip_neighbourhoods`) free flights up to about this many columns at a
#: time (SCIP solves one in well under a second; larger layouts take several).
MIP_COLUMNS = 1500


def is_complete(lay: Layout, values: np.ndarray) -> bool:
    """Are all required units of ``lay`` fully placed in the column values ``values``?"""
    if not lay.u_required.any():
        return True
    placed = np.bincount(lay.c_unit, weights=values, minlength=lay.n_units).astype(np.int64)
    return bool((placed[lay.u_required] == lay.u_mult[lay.u_required]).all())


def plan_key(lay: Layout, values: np.ndarray) -> tuple[bool, int, int, int]:
    """Lexicographic preference among plans (larger is better): complete, higher primary, fewer moves,
    less earliness."""
    p, m, e = objective.evaluate(lay, values)
    return (is_complete(lay, values), p, -m, -e)


def moved_flights(lay: Layout, values: np.ndarray) -> np.ndarray:
    """Flights where moves of ``values`` could be undone: where items placed away from their draft stop
    are and where such items (or items of their units not placed) have their draft stop, most such
    items first."""
    n_f = lay.inst.flight_id.size
    cu = lay.c_unit
    moved = (values > 0) & (lay.c_moves > 0)
    # columns where (some members of) the unit's items have their draft stop
    saving = lay.c_moves < lay.u_drop[cu]
    at_draft = np.bincount(cu, weights=np.where(saving, values, 0), minlength=lay.n_units)
    off = np.where(lay.u_drop > 0, lay.u_mult - at_draft, 0)  # items of a unit not at a draft column
    score = np.bincount(lay.c_flight[moved], weights=values[moved], minlength=n_f).astype(np.float64)
    back = saving & (off[cu] > 0)
    score += np.bincount(lay.c_flight[back], weights=off[cu[back]], minlength=n_f)
    flights = np.flatnonzero(score > 0)
    return flights[np.argsort(-score[flights], kind="stable")]


def repair(
    lay: Layout,
    x: np.ndarray,
    values: np.ndarray,
    deadline: float,
    should_stop: ShouldStop | None,
) -> np.ndarray:
    """Improve the complete plan ``values`` around the LP solution ``x``: MIP neighbourhoods
    (:func:`mip_neighbourhoods`) of the flights where ``x`` is fractional or differs from ``values``,
    largest primary deficit first."""
    n_f = lay.inst.flight_id.size
    diff = (np.abs(x - np.round(x)) > 1e-6) | (np.abs(x - values) > 1e-6)
    levels = (lay.u_levels * np.arange(6)).sum(axis=1) / np.maximum(lay.u_mult, 1)
    weight = np.where(lay.u_split, levels, lay.u_weight)[lay.c_unit]
    deficit = np.bincount(lay.c_flight, weights=weight * (x - values), minlength=n_f)
    flights = np.unique(lay.c_flight[diff])
    return mip_neighbourhoods(
        lay, values, flights[np.argsort(-deficit[flights], kind="stable")], deadline, should_stop
    )


def mip_neighbourhoods(
    lay: Layout,
    values: np.ndarray,
    flights: np.ndarray,
    deadline: float,
    should_stop: ShouldStop | None,
) -> np.ndarray:
    """Improve the complete plan ``values`` flights ``flights`` at a time: those flights are freed, every
    other column keeps its value, and the small remaining layout is solved exactly as a MIP
    (:func:`solver.lp.solve_mip`: primary, when re-planning primary before moves; hinted with ``values``,
    so never worse), in ``flights`` order, chunks of at most ``MIP_COLUMNS`` columns, until
    ``deadline`` (``time.monotonic()``) or ``should_stop()``."""
    if flights.size == 0:
        return values
    n_f = lay.inst.flight_id.size
    cu, cf = lay.c_unit, lay.c_flight
    order = np.argsort(cf, kind="stable")
    start = np.searchsorted(cf[order], np.arange(n_f + 1))
    placed = np.bincount(cu, weights=values, minlength=lay.n_units)
    k = 0
    while k < flights.size and deadline - time.monotonic() > 0.05:
        if should_stop is not None and should_stop():
            break
        # flights in order while the neighbourhood has at most MIP_COLUMNS columns: those on its flights
        # of the units placed there or not all placed (the units it frees)
        live = placed < lay.u_mult
        chunk: list[int] = []
        while k < flights.size:
            f = int(flights[k])
            trial = live.copy()
            on_f = order[start[f] : start[f + 1]]
            trial[cu[on_f[values[on_f] > 0]]] = True
            cols = np.concatenate([order[start[g] : start[g + 1]] for g in [*chunk, f]])
            if chunk and int(trial[cu[cols]].sum()) > MIP_COLUMNS:
                break
            live = trial
            chunk.append(f)
            k += 1
        free = np.isin(lay.c_flight, chunk)
        fixed = np.where(free, 0, values)
        sub, cols = lay.restricted(free, fixed)
        sub, keep = sub.fitted()
        cols = cols[keep]
        if sub.n_columns == 0:
            continue
        found = solve_mip(sub, values[cols], deadline - time.monotonic(), should_stop)
        if found is None:
            continue
        candidate = fixed.copy()
        candidate[cols] = found
        if is_complete(lay, candidate) and plan_key(lay, candidate) > plan_key(lay, values):
            values = candidate
            placed = np.bincount(cu, weights=values, minlength=lay.n_units)
        log.debug(
            "MIP neighbourhood: %d flights, %d columns: primary %d, moves %d",
            len(chunk),
            sub.n_columns,
            *objective.evaluate(lay, values)[:2],
        )
    return values
