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

import numpy as np

from solver.problem import ESCORT_SCALE, Plan, Problem


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
    stop eligible for the person and all unfrozen members of their family, in stop-id order.

    Loads per flight and country group are ``np.bincount`` over the assignment; the blocks of a stop
    set and a need are computed once (people of the same eligibility class and needs share them)."""
    assignment = plan.assignment if isinstance(plan, Plan) else plan
    people, stops, flights = problem.people, problem.stops, problem.flights
    f_index = {f.id: i for i, f in enumerate(flights)}
    s_index = {s.id: k for k, s in enumerate(stops)}
    stop_flight = np.array([f_index[s.flight] for s in stops], dtype=np.int64)
    groups: dict[tuple[int, str], int] = {}
    stop_group = np.array(
        [groups.setdefault((s.flight, s.country), len(groups)) for s in stops], dtype=np.int64
    )
    cap = np.full(len(groups), np.iinfo(np.int64).max, dtype=np.int64)
    for k, s in enumerate(stops):
        if s.country_cap is not None:
            cap[stop_group[k]] = min(int(cap[stop_group[k]]), s.country_cap)
    capped = cap < np.iinfo(np.int64).max
    p_index = {p.id: i for i, p in enumerate(people)}
    tenths = np.rint(np.array([p.escort_load for p in people], dtype=np.float64) * ESCORT_SCALE).astype(
        np.int64
    )
    medical = np.array([p.needs_medical for p in people], dtype=np.int64)
    wheelchair = np.array([p.needs_wheelchair for p in people], dtype=np.int64)
    pairs = [(p_index[pid], s_index[sid]) for pid, sid in assignment.items()]
    pi = np.array([a for a, _ in pairs], dtype=np.int64)
    si = np.array([b for _, b in pairs], dtype=np.int64)
    n_f = len(flights)
    fl = stop_flight[si]
    left_seats = np.array([f.seats for f in flights], dtype=np.int64) - np.bincount(fl, minlength=n_f)
    left_escort = np.array([f.escort_officers * ESCORT_SCALE for f in flights], dtype=np.int64) - np.bincount(
        fl, weights=tenths[pi], minlength=n_f
    ).astype(np.int64)
    left_medical = np.array([f.medical_slots for f in flights], dtype=np.int64) - np.bincount(
        fl, weights=medical[pi], minlength=n_f
    ).astype(np.int64)
    left_wheelchair = np.array([f.wheelchair_slots for f in flights], dtype=np.int64) - np.bincount(
        fl, weights=wheelchair[pi], minlength=n_f
    ).astype(np.int64)
    left_cap = cap - np.bincount(stop_group[si], minlength=len(groups))
    flight_ids = [f.id for f in flights]
    resources = (
        Resource.SEATS,
        Resource.ESCORTS,
        Resource.MEDICAL,
        Resource.WHEELCHAIR,
        Resource.COUNTRY_CAP,
    )
    combos = [tuple(r for b, r in enumerate(resources) if mask >> b & 1) for mask in range(32)]

    def blocks_for(
        eligible: frozenset[int] | tuple[int, ...], need: tuple[int, int, int, int]
    ) -> list[StopBlock]:
        sids = sorted(s for s in set(eligible) if s in s_index)
        if not sids:
            return []
        ks = np.array([s_index[s] for s in sids], dtype=np.int64)
        f, g = stop_flight[ks], stop_group[ks]
        seats, esc, med, wc = need
        mask = (
            (left_seats[f] < seats).astype(np.int64)
            | (left_escort[f] < esc) << 1
            | ((med > 0) & (left_medical[f] < med)) << 2
            | ((wc > 0) & (left_wheelchair[f] < wc)) << 3
            | (capped[g] & (left_cap[g] < seats)) << 4
        )
        return [
            StopBlock(sid, flight_ids[fi], combos[m])
            for sid, fi, m in zip(sids, f.tolist(), mask.tolist(), strict=True)
        ]

    families: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(people):
        if p.family is not None and p.frozen_stop is None:
            families[p.family].append(i)
    #: (eligible stops, seats, escort tenths, medical, wheelchair) -> the blocks of that demand
    cache: dict[tuple[tuple[int, ...], int, int, int, int], list[StopBlock]] = {}
    out: dict[int, list[StopBlock]] = {}
    for i, p in enumerate(people):
        if p.id in assignment or p.frozen_stop is not None or not p.eligible_stops:
            continue
        if p.family is None:
            key = (p.eligible_stops, 1, int(tenths[i]), int(medical[i]), int(wheelchair[i]))
            blocks = cache.get(key)
            if blocks is None:
                blocks = cache[key] = blocks_for(p.eligible_stops, key[1:])
            out[p.id] = list(blocks)
            continue
        group = families[p.family]
        eligible = frozenset(p.eligible_stops)
        for q in group:
            eligible &= frozenset(people[q].eligible_stops)
        need = (
            len(group),
            int(tenths[group].sum()),
            int(medical[group].sum()),
            int(wheelchair[group].sum()),
        )
        out[p.id] = blocks_for(eligible, need)
    return out
