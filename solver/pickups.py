"""Which pickup each placed person boards at, chosen after their stop (see the proof in
:mod:`solver.problem`: with every pickup before every stop the choice does not change any leg's
feasibility, only rule 7).

Rules, per flight with listed pickups:

* a frozen person keeps their ``frozen_pickup`` (when it is a pickup of their flight);
* a family is boarded together at one pickup reached by every (non-frozen) member's facility when
  there is one — the frozen members' pickup when it is such a pickup, else the latest;
* everybody else boards at the **latest** pickup of their flight their facility reaches in time
  (the least time aboard);
* nobody reached (only a plan that breaks rule 7, or a frozen person without a pickup): the first
  pickup, which :func:`solver.validate.validate` then reports unless the person is frozen.

Cost: one pass over (pickup, reaching facility) pairs, then one dictionary look-up per person.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from solver.problem import Person, Pickup, Problem


def pickups_by_flight(problem: Problem) -> dict[int, list[Pickup]]:
    """flight id -> its listed pickups in flying order ``(order, id)``."""
    out: dict[int, list[Pickup]] = defaultdict(list)
    for pickup in problem.pickups:
        out[pickup.flight].append(pickup)
    for pickups in out.values():
        pickups.sort(key=lambda p: (p.order, p.id))
    return dict(out)


def _latest_reached(pickups: Mapping[int, list[Pickup]]) -> dict[tuple[int, int], int]:
    """(flight, facility) -> the latest pickup of the flight that facility reaches."""
    latest: dict[tuple[int, int], int] = {}
    for flight, ordered in pickups.items():
        for pickup in ordered:  # in flying order: later pickups overwrite earlier ones
            for facility in pickup.reached_by:
                latest[(flight, facility)] = pickup.id
    return latest


def choose_pickups(problem: Problem, assignment: Mapping[int, int]) -> dict[int, int]:
    """person id -> pickup id for everybody in ``assignment`` (person id -> stop id) whose stop's
    flight has listed pickups (see the module docstring for the choice)."""
    by_flight = pickups_by_flight(problem)
    if not by_flight:
        return {}
    flight_of_stop = {s.id: s.flight for s in problem.stops}
    pickup_flight = {p.id: p.flight for p in problem.pickups}
    latest = _latest_reached(by_flight)
    people = {p.id: p for p in problem.people}
    chosen: dict[int, int] = {}
    families: dict[tuple[str, int], list[Person]] = defaultdict(list)
    frozen_at: dict[tuple[str, int], set[int]] = defaultdict(set)
    for pid, sid in assignment.items():
        flight = flight_of_stop.get(sid)
        person = people.get(pid)
        if flight is None or person is None or flight not in by_flight:
            continue
        if person.frozen_pickup is not None and pickup_flight.get(person.frozen_pickup) == flight:
            chosen[pid] = person.frozen_pickup
            if person.family is not None:
                frozen_at[(person.family, flight)].add(person.frozen_pickup)
            continue
        if person.family is not None:
            families[(person.family, flight)].append(person)
        pickup = latest.get((flight, person.facility)) if person.facility is not None else None
        chosen[pid] = pickup if pickup is not None else by_flight[flight][0].id
    for key, members in families.items():
        if len(members) + len(frozen_at.get(key, ())) < 2:
            continue  # alone on the flight: their own latest pickup
        common = _common_pickup(by_flight[key[1]], members, frozen_at.get(key, set()))
        if common is not None:
            for m in members:
                chosen[m.id] = common
    return chosen


def _common_pickup(ordered: list[Pickup], members: Iterable[Person], frozen_at: set[int]) -> int | None:
    """A pickup of ``ordered`` reached by every member's facility: one where frozen members board
    when possible, else the latest; None when there is none."""
    facilities = {m.facility for m in members}
    if None in facilities:
        return None
    common = [p.id for p in ordered if facilities <= p.reached_by]
    if not common:
        return None
    for pickup in reversed(common):
        if pickup in frozen_at:
            return pickup
    return common[-1]
