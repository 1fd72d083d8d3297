"""Assignment solver: plain data in, plan out. Imports neither Qt nor SQLModel.

Public interface::

    from solver import Person, Flight, Stop, Problem, SolveOptions, Plan, SolveStatus
    plan = solve(problem, SolveOptions(time_limit=10), progress=..., should_stop=...)
    errors = validate(problem, plan)                 # [] when valid
    reasons = explain_unplaced(problem, plan)        # person id -> [FlightBlock]
    plan.pickup                                      # person id -> pickup id (Problem.pickups)
    advice = consolidation_advice(problem, plan, cost_per_flight_hour=8500.0)

``progress`` and ``should_stop`` are the application's one pair of run-control callables
(:mod:`solver.callbacks`: ``Progress``, ``ShouldStop``).

The names above load on first use (PEP 562 ``__getattr__``): importing a submodule that needs no
solver (``solver.callbacks``, ``solver.schedule.problem`` …) loads neither OR-Tools nor NumPy, so
the window starts without them and only the process that plans loads them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from solver.consolidate import CancellableFlight, ConsolidationAdvice, consolidation_advice, load_factors
    from solver.explain import Resource, StopBlock, explain_unplaced
    from solver.pickups import choose_pickups
    from solver.problem import (
        ESCORT_SCALE,
        Flight,
        Person,
        Pickup,
        Plan,
        Problem,
        SolveOptions,
        SolveStatus,
        Stop,
        escort_tenths,
        weight_of,
    )
    from solver.solve import solve
    from solver.validate import validate

#: The submodule that defines each public name.
_SOURCES = {
    **dict.fromkeys(
        ("CancellableFlight", "ConsolidationAdvice", "consolidation_advice", "load_factors"),
        "solver.consolidate",
    ),
    **dict.fromkeys(("Resource", "StopBlock", "explain_unplaced"), "solver.explain"),
    "choose_pickups": "solver.pickups",
    **dict.fromkeys(
        (
            "ESCORT_SCALE",
            "Flight",
            "Person",
            "Pickup",
            "Plan",
            "Problem",
            "SolveOptions",
            "SolveStatus",
            "Stop",
            "escort_tenths",
            "weight_of",
        ),
        "solver.problem",
    ),
    "solve": "solver.solve",
    "validate": "solver.validate",
}

__all__ = [
    "ESCORT_SCALE",
    "CancellableFlight",
    "ConsolidationAdvice",
    "Flight",
    "Person",
    "Pickup",
    "Plan",
    "Problem",
    "Resource",
    "SolveOptions",
    "SolveStatus",
    "Stop",
    "StopBlock",
    "choose_pickups",
    "consolidation_advice",
    "escort_tenths",
    "explain_unplaced",
    "load_factors",
    "solve",
    "validate",
    "weight_of",
]


def __getattr__(name: str) -> Any:
    """The public ``name``, imported from its submodule on first use and kept here."""
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(source), name)
    globals()[name] = value
    return value
