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
"""

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
