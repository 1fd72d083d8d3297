"""Plain input and output data of the assignment solver.

Everything here is a frozen dataclass of numbers, strings and tuples, so the planning service can
build a :class:`Problem` from database rows without the solver knowing anything about the database.

Units and conventions
---------------------
* ``priority`` is 1 (most urgent) … 5.  The **weight** of a person is ``6 - priority`` (5 … 1); the
  primary objective is the sum of the weights of everybody placed (frozen people included).
* Escort loads are officers per person (e.g. LOW 1.0, MEDIUM 1.5, HIGH 2.0).  Inside the models and the
  validator they are rounded to integer **tenths** (:data:`ESCORT_SCALE`); a flight's escort capacity
  is ``escort_officers * 10`` tenths.
* ``departure`` is any sortable number (e.g. POSIX seconds); only its order matters.
* A stop's ``country_cap`` limits the number of people on its flight bound for its country, summed over
  all stops of that flight to that country (if several stops carry a cap, the smallest applies).

Pickups and legs
----------------
A flight flies a route: its pickups (:class:`Pickup`, in ``order``; a flight without any listed
pickup has one implicit pickup), then its stops (in :attr:`Stop.order`, then id). A person boards
at one pickup that their facility reaches in time (``Pickup.reached_by``) and leaves at their stop;
they are aboard every leg in between. Seats, escort tenths, medical and wheelchair slots are
capacities **per leg**, the same aircraft (the flight's capacities) on every leg.

Why the model only counts per flight: every pickup comes before every stop, so the leg from the
last pickup to the first stop is flown by everybody placed on the flight (each boarded at or
before the last pickup and leaves at or after the first stop). Its load is therefore the
flight-wide count, and every other leg carries a subset of those people, so no leg carries more.
Hence "flight-wide count ≤ capacity" is exactly "every leg's count ≤ capacity", and the CP-SAT/LP
models keep their flight-wide constraints unchanged. Which pickup a person boards at then only
matters for rule 7, and is chosen after the stop (:func:`solver.pickups.choose_pickups`); the
eligible stops already require that the person's facility reaches at least one pickup of the
flight. A transfer leg (a stop before a pickup) would break this argument and need per-leg rows.
:func:`solver.validate.validate` checks every leg independently of this argument.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

#: Escort loads are compared in integer tenths of an officer.
ESCORT_SCALE = 10


def weight_of(priority: int) -> int:
    """Objective weight of a person of ``priority`` (1 → 5, …, 5 → 1)."""
    return 6 - priority


def escort_tenths(load: float) -> int:
    """Escort load in integer tenths of an officer (``round(load * 10)``)."""
    return round(load * ESCORT_SCALE)


@dataclass(frozen=True, slots=True)
class Person:
    """A returnee to be placed.

    ``eligible_stops`` are stop ids this person may be placed on (eligibility and the family rule are
    applied upstream; the solver still uses the intersection over a family).  ``frozen_stop`` pins a
    person on an approved manifest: they stay there whatever their eligibility and consume capacity.
    """

    id: int
    priority: int
    escort_load: float
    eligible_stops: tuple[int, ...] = ()
    needs_medical: bool = False
    needs_wheelchair: bool = False
    family: str | None = None
    draft_stop: int | None = None
    frozen_stop: int | None = None
    #: The person's facility (matched against ``Pickup.reached_by``); None = none recorded.
    facility: int | None = None
    #: The pickup a frozen person boards at (kept as is); None = chosen like anybody's.
    frozen_pickup: int | None = None


@dataclass(frozen=True, slots=True)
class Flight:
    """A flight's capacities, departure (sortable number) and duration in hours."""

    id: int
    seats: int
    escort_officers: int
    medical_slots: int = 0
    wheelchair_slots: int = 0
    departure: float = 0.0
    hours: float = 0.0


@dataclass(frozen=True, slots=True)
class Stop:
    """A stop of ``flight`` in ``country``; ``country_cap`` limits that flight's people to that country.
    ``order`` is the stop's place on the route (stops fly in ``(order, id)`` order; all 0 = by id)."""

    id: int
    flight: int
    country: str
    country_cap: int | None = None
    order: int = 0


@dataclass(frozen=True, slots=True)
class Pickup:
    """Pickup ``id`` of ``flight``, ``order``-th on its route (pickups fly in ``(order, id)`` order,
    all before the flight's stops); ``reached_by`` are the facility ids whose transfer reaches it in
    time."""

    id: int
    flight: int
    order: int = 0
    reached_by: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Problem:
    """The whole input.  Ids must be unique within people, flights and stops."""

    people: tuple[Person, ...]
    flights: tuple[Flight, ...]
    stops: tuple[Stop, ...]
    #: Listed pickups; a flight with none has one implicit pickup (no reach check, one leg per stop).
    pickups: tuple[Pickup, ...] = ()


class SolveStatus(StrEnum):
    """Outcome of a solve.  ``OPTIMAL``: the primary objective (priority-weighted people placed) equals
    its proven bound (``gap == 0``): nobody more could be placed.  ``FEASIBLE``: a valid plan whose
    primary objective is within ``gap`` of the bound (or the run was stopped).  The tie-breakers are
    reported apart, in ``Plan.stats``: ``moves_bound`` (fewest moves any plan with this primary
    objective needs, as far as proven) and ``earliness_gap`` (relative gap of the earliness to its
    proven bound).  ``INFEASIBLE`` / ``UNKNOWN``: see :func:`solver.solve`."""

    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    INFEASIBLE = "INFEASIBLE"
    UNKNOWN = "UNKNOWN"
    MODEL_INVALID = "MODEL_INVALID"


@dataclass(frozen=True, slots=True)
class SolveOptions:
    """Run control.

    ``time_limit`` (wall seconds, whole solve) ; ``num_workers`` CP-SAT threads (≤ 2 on this machine);
    ``seed`` CP-SAT random seed.  With ``deterministic`` the CP-SAT search is interleaved so that, for
    the same input, seed and number of workers, a solve that finishes within its time limit returns
    the same plan (the MIP neighbourhoods are bounded by branch-and-bound nodes, not time, likewise).
    ``aggregate`` selects the class-aggregated model (default) or the naive model with one Boolean per
    (person, stop) pair.  ``earliness_gap`` is the relative gap at which the tertiary
    objective (earliness, a tie-breaker) counts as settled: its integer optimum is usually a few units
    above the LP bound, and proving it exactly would take the whole time limit (0.0 = exact).

    ``primary_gap`` is the relative gap of the primary objective that counts as good enough: a plan within
    it of the proven bound is not searched further by CP-SAT on the whole model (the LP rounding is
    still repaired in MIP neighbourhoods, which usually closes the gap), and the moves / earliness stages
    run from it, in at most ``stage_share`` of the time left after the primary stage of every component.
    The status is ``OPTIMAL`` only when the primary gap is actually 0 (see :class:`SolveStatus`).
    """

    time_limit: float = 10.0
    num_workers: int = 2
    seed: int = 0
    deterministic: bool = True
    aggregate: bool = True
    lexicographic: bool = True
    log_search: bool = False
    earliness_gap: float = 1e-3
    primary_gap: float = 1e-3
    stage_share: float = 0.5


@dataclass(slots=True)
class Plan:
    """A solution.

    ``assignment`` maps person id → stop id for everybody placed (frozen people included).
    ``objective`` is the primary objective (priority-weighted people placed), ``bound`` its proven
    upper bound and ``gap = (bound - objective) / max(bound, 1)``.  ``moves`` counts people with a
    draft stop who are now elsewhere or not placed; ``earliness`` is Σ weight × departure rank of the
    flight (lower = higher priorities on earlier flights).  ``stopped`` is true when the run was
    cancelled by ``should_stop``; ``messages`` carries warnings (e.g. frozen people over capacity).
    ``stats`` holds timings and sizes, and what was proven about the tie-breakers: ``moves_bound`` (a
    lower bound of the moves of any plan with this primary objective: ``moves == moves_bound`` means the
    moves are minimal) and ``earliness_gap`` (relative gap of the earliness to its lower bound, in the
    model's units; 0 when settled, up to 1 where no bound was computed in time). ``pickup`` maps
    person id → pickup id (flights with listed pickups only).
    """

    assignment: dict[int, int]
    status: SolveStatus
    objective: int
    bound: int
    gap: float
    moves: int
    earliness: int
    seconds: float
    stopped: bool = False
    messages: list[str] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)
    #: person id -> pickup id for everybody placed on a flight with listed pickups
    #: (:func:`solver.pickups.choose_pickups`).
    pickup: dict[int, int] = field(default_factory=dict)

    @property
    def placed(self) -> int:
        """Number of people placed."""
        return len(self.assignment)
