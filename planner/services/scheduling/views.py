"""What a schedule proposal looks like to its readers (the command line, the window), and the
problem as stored in ``schedule_proposal.parameters_json`` (every input the figures depend on, so
anyone can recompute them with ``solver.schedule.cost``; ``problem_from_json`` reads it back).

Plain frozen dataclasses, safe to hand from a worker thread to the GUI thread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import Any

from planner.services.scheduling.problem import ScheduleCosts
from solver.schedule import cost
from solver.schedule.problem import (
    AircraftType,
    CountryLimits,
    DemandGroup,
    Mission,
    Place,
    ScheduleProblem,
    Totals,
)

#: The keys of a totals object in ``schedule propose --json`` (issue 17), in order.
TOTALS_KEYS = (
    "cost",
    "flight_cost",
    "waiting_cost",
    "removed",
    "cost_per_removal",
    "mean_wait_days",
    "load_factor",
)


@dataclass(frozen=True)
class MissionView:
    """One mission: ``id`` ``M1`` (or, for a flight already scheduled, its code), departure date
    (local at the first pickup), route, people per receiving country, returnee seats and the cost
    model's block hours and cost; ``flight_code`` once accepted."""

    id: str
    number: int
    date: date
    aircraft: str
    pickups: list[str]
    stops: list[str]
    people: dict[str, int]
    seats: int
    block_hours: float
    cost: float
    flight_code: str | None = None

    @property
    def people_total(self) -> int:
        return sum(self.people.values())

    @property
    def load_factor(self) -> float | None:
        return self.people_total / self.seats if self.seats else None

    @property
    def cost_per_person(self) -> float | None:
        return self.cost / self.people_total if self.people_total else None

    def as_json(self) -> dict[str, Any]:
        """The mission as ``schedule propose --json`` prints it."""
        return {
            "id": self.id,
            "date": self.date.isoformat(),
            "aircraft": self.aircraft,
            "pickups": list(self.pickups),
            "stops": list(self.stops),
            "people": dict(self.people),
            "seats": self.seats,
            "block_hours": round(self.block_hours, 3),
            "cost": round(self.cost, 2),
        }


@dataclass(frozen=True)
class ProposalView:
    """A proposal (``id`` None: a what-if, not stored) beside the flights already scheduled over
    the same weeks (``current``, ``current_missions``)."""

    id: int | None
    from_date: date
    weeks: int
    bound: float | None
    gap: float | None
    seconds: float
    status: str
    totals: Totals
    current: Totals
    missions: list[MissionView]
    current_missions: list[MissionView]
    notes: list[str]
    costs: ScheduleCosts
    #: The solver's own status (``OPTIMAL`` / ``FEASIBLE`` / ``CANCELLED``).
    solver_status: str = ""
    accepted_by: str | None = None

    def as_json(self) -> dict[str, Any]:
        """Exactly the shape of ``schedule propose --json`` (issue 17)."""
        return {
            "proposal_id": self.id,
            "bound": self.bound,
            "gap": self.gap,
            "totals": totals_json(self.totals),
            "current": totals_json(self.current),
            "missions": [m.as_json() for m in self.missions],
        }


@dataclass(frozen=True)
class ProposalSummary:
    """One line of the list of stored proposals."""

    id: int
    created_at: Any
    created_by: str
    from_date: date
    weeks: int
    status: str
    missions: int
    accepted: int
    cost: float | None
    bound: float | None
    gap: float | None


def totals_json(totals: Totals) -> dict[str, Any]:
    """A ``Totals`` with the keys of ``TOTALS_KEYS`` only."""
    values = totals.as_dict()
    return {key: values[key] for key in TOTALS_KEYS}


def totals_from_json(values: Mapping[str, Any]) -> Totals:
    """``Totals`` from its ``as_dict`` (keys it does not know are ignored)."""
    names = {f.name for f in fields(Totals)}
    return Totals(**{k: v for k, v in values.items() if k in names})


def mission_views(
    problem: ScheduleProblem,
    missions: Sequence[Mission],
    *,
    seats: Sequence[int] | None = None,
    codes: Sequence[str] | None = None,
) -> list[MissionView]:
    """Views of ``missions`` in their order: ``M1``, ``M2`` … or, with ``codes``, the flights'
    codes (``seats`` then overrides the aircraft's seats)."""
    out = []
    for index, m in enumerate(missions):
        aircraft = problem.aircraft_named(m.aircraft)
        hours = cost.block_hours(problem.places, aircraft, m.pickups, m.stops)
        code = codes[index] if codes is not None else None
        out.append(
            MissionView(
                id=code or f"M{index + 1}",
                number=index + 1,
                date=problem.start + timedelta(days=m.day),
                aircraft=m.aircraft,
                pickups=list(m.pickups),
                stops=list(m.stops),
                people=dict(sorted(m.people_by_country(problem).items())),
                seats=seats[index] if seats is not None else aircraft.seats,
                block_hours=hours,
                cost=hours * aircraft.cost_per_block_hour,
                flight_code=code,
            )
        )
    return out


def in_day_order(missions: Sequence[Mission]) -> list[Mission]:
    """Missions numbered 1..n in day order; missions of one day keep the solver's order (a stable
    sort), so a solver's notes that name ``M{i}`` in its own (day) order name the same missions."""
    return sorted(missions, key=lambda m: m.day)


# ---------------------------------------------------------------- the problem as stored


@dataclass(frozen=True)
class StoredInputs:
    """What a proposal was computed from besides the problem."""

    weeks: int
    time_limit: float
    costs: ScheduleCosts
    notes: list[str] = field(default_factory=list)


def problem_json(problem: ScheduleProblem, inputs: StoredInputs) -> dict[str, Any]:
    """Every input of ``problem`` (the airports named anywhere, with their positions and zones)
    plus ``inputs``, as JSON-able data."""
    named = set(problem.hubs) | {a for c in problem.countries.values() for a in c.airports}
    return {
        "start": problem.start.isoformat(),
        "days": problem.days,
        "weeks": inputs.weeks,
        "time_limit": inputs.time_limit,
        "costs": inputs.costs.as_dict(),
        "unserved_penalty": problem.unserved_penalty,
        "hubs": list(problem.hubs),
        "places": {
            code: [p.latitude, p.longitude, p.timezone]
            for code, p in sorted(problem.places.items())
            if code in named
        },
        "aircraft": [
            {
                "name": a.name,
                "seats": a.seats,
                "cost_per_block_hour": a.cost_per_block_hour,
                "cruise_kmh": a.cruise_kmh,
                "available_per_week": a.available_per_week,
            }
            for a in problem.aircraft
        ],
        "countries": {
            c.country: {
                "airports": list(c.airports),
                "region": c.region,
                "max_per_mission": c.max_per_mission,
                "max_missions_per_week": c.max_missions_per_week,
                "arrival_weekdays": sorted(c.arrival_weekdays),
                "first_day": c.first_day,
            }
            for c in problem.countries.values()
        },
        "demand": [
            {
                "country": g.country,
                "hub": g.hub,
                "ready_day": g.ready_day,
                "size": g.size,
                "units": g.units,
                "cost_per_day": g.cost_per_day,
            }
            for g in problem.demand
        ],
        "notes": list(inputs.notes),
    }


def problem_from_json(values: Mapping[str, Any]) -> ScheduleProblem:
    """The problem ``problem_json`` stored (the places it kept)."""
    return ScheduleProblem(
        start=date.fromisoformat(values["start"]),
        days=int(values["days"]),
        places={code: Place(code, lat, lon, zone) for code, (lat, lon, zone) in values["places"].items()},
        hubs=tuple(values["hubs"]),
        aircraft=tuple(AircraftType(**a) for a in values["aircraft"]),
        countries={
            country: CountryLimits(
                country=country,
                airports=tuple(c["airports"]),
                region=c["region"],
                max_per_mission=c["max_per_mission"],
                max_missions_per_week=c["max_missions_per_week"],
                arrival_weekdays=frozenset(c["arrival_weekdays"]),
                first_day=c["first_day"],
            )
            for country, c in values["countries"].items()
        },
        demand=tuple(DemandGroup(**g) for g in values["demand"]),
        unserved_penalty=float(values["unserved_penalty"]),
    )
