"""Shared helper: Σ coefficient × x ≤ capacity, one constraint per key (flight or country group)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from ortools.sat.python import cp_model


def add_capacity(
    model: cp_model.CpModel,
    x: Sequence[cp_model.IntVar],
    keys: np.ndarray,
    coeffs: np.ndarray,
    ub: np.ndarray,
    caps: np.ndarray,
    name: str,
) -> int:
    """For every key ``k``: ``Σ_{j: keys[j]=k} coeffs[j]·x[j] ≤ caps[k]``.  Constraints that cannot bind
    (``Σ coeffs·ub ≤ cap``) are skipped.  Returns the number of constraints added."""
    mask = coeffs > 0
    if not mask.any():
        return 0
    cols = np.flatnonzero(mask)
    order = cols[np.argsort(keys[cols], kind="stable")]
    k_sorted = keys[order]
    bounds = np.flatnonzero(np.r_[True, k_sorted[1:] != k_sorted[:-1], True])
    added = 0
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        js = order[a:b]
        key = int(k_sorted[a])
        cap = int(caps[key])
        if int((coeffs[js] * ub[js]).sum()) <= cap:
            continue
        expr = cp_model.LinearExpr.weighted_sum([x[j] for j in js.tolist()], coeffs[js].tolist())
        model.add(expr <= cap).with_name(f"{name}_{key}")
        added += 1
    return added
