"""Why an eligible person was not placed: the binding resource on each compatible stop.

Computed from the final loads of the plan, independently of the models: on every stop the person (or
their whole family) is eligible for, a resource is *binding* when what is left of it on that flight is
less than what the person / family needs.  An empty ``binding`` tuple on every stop means the plan is
not optimal for this person (e.g. the run was stopped early) or the family's combined needs fit while
another rule blocked it (frozen members elsewhere)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

from solver.problem import ESCORT_SCALE, Plan, Problem, escort_tenths


class Resource(StrEnum):
    SEATS = "SEATS"
    ESCORTS = "ESCORTS"
    MEDICAL = "MEDICAL"
    WHEELCHAIR = "WHEELCHAIR"
    COUNTRY_CAP = "COUNTRY_CAP"


@dataclass(frozen=True, slots=True)
class StopBlock:
    """On ``stop`` of ``flight``, the resources too full for the person (or their family)."""

    stop: int
    flight: int
    binding: tuple[Resource, ...]


def explain_unplaced(problem: Problem, plan: Plan | dict[int, int]) -> dict[int, list[StopBlock]]:
    """For every unplaced, unfrozen person with at least one eligible stop: one :class:`StopBlock` per
    stop eligible for the person and all unfrozen members of their family, in stop-id order."""
    assignment = plan.assignment if isinstance(plan, Plan) else plan
    people = {p.id: p for p in problem.people}
    stops = {s.id: s for s in problem.stops}
    flights = {f.id: f for f in problem.flights}
    seats: dict[int, int] = defaultdict(int)
    escort: dict[int, int] = defaultdict(int)
    medical: dict[int, int] = defaultdict(int)
    wheelchair: dict[int, int] = defaultdict(int)
    country: dict[tuple[int, str], int] = defaultdict(int)
    for pid, sid in assignment.items():
        p, s = people[pid], stops[sid]
        seats[s.flight] += 1
        escort[s.flight] += escort_tenths(p.escort_load)
        medical[s.flight] += int(p.needs_medical)
        wheelchair[s.flight] += int(p.needs_wheelchair)
        country[(s.flight, s.country)] += 1
    caps: dict[tuple[int, str], int] = {}
    for s in problem.stops:
        if s.country_cap is not None:
            key = (s.flight, s.country)
            caps[key] = min(caps.get(key, s.country_cap), s.country_cap)
    families: dict[str, list[int]] = defaultdict(list)
    for p in problem.people:
        if p.family is not None and p.frozen_stop is None:
            families[p.family].append(p.id)
    out: dict[int, list[StopBlock]] = {}
    for p in problem.people:
        if p.id in assignment or p.frozen_stop is not None or not p.eligible_stops:
            continue
        group = [people[q] for q in families[p.family]] if p.family is not None else [p]
        eligible = set(p.eligible_stops)
        for q in group:
            eligible &= set(q.eligible_stops)
        need_seats = len(group)
        need_escort = sum(escort_tenths(q.escort_load) for q in group)
        need_med = sum(int(q.needs_medical) for q in group)
        need_wc = sum(int(q.needs_wheelchair) for q in group)
        blocks = []
        for sid in sorted(eligible):
            s = stops.get(sid)
            if s is None:
                continue
            f = flights[s.flight]
            binding = []
            if f.seats - seats[f.id] < need_seats:
                binding.append(Resource.SEATS)
            if f.escort_officers * ESCORT_SCALE - escort[f.id] < need_escort:
                binding.append(Resource.ESCORTS)
            if need_med and f.medical_slots - medical[f.id] < need_med:
                binding.append(Resource.MEDICAL)
            if need_wc and f.wheelchair_slots - wheelchair[f.id] < need_wc:
                binding.append(Resource.WHEELCHAIR)
            key = (f.id, s.country)
            if key in caps and caps[key] - country[key] < need_seats:
                binding.append(Resource.COUNTRY_CAP)
            blocks.append(StopBlock(sid, f.id, tuple(binding)))
        out[p.id] = blocks
    return out
