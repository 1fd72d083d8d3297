"""Solver-independent check of a plan against every rule and capacity (plain Python over the Problem).

Besides the flight-wide counts it checks every **leg** of every flight with listed pickups on its
own (people aboard a leg counted by pickup order and stop order), without relying on the argument
in :mod:`solver.problem` that the flight-wide counts bound every leg."""

from __future__ import annotations

from collections import defaultdict

from solver.pickups import pickups_by_flight
from solver.problem import ESCORT_SCALE, Flight, Person, Plan, Problem, Stop, escort_tenths


def validate(
    problem: Problem, plan: Plan | dict[int, int], pickup: dict[int, int] | None = None
) -> list[str]:
    """Every violated rule as a message; an empty list means the plan is valid.

    Checks: known people and stops; frozen people at their frozen stop; everybody else only on an
    eligible stop; families whole on one stop or not at all; per flight seats, escort load (in tenths,
    ≤ officers × 10), medical and wheelchair slots; per (flight, country) the smallest country cap;
    on flights with listed pickups: everybody placed boards at a pickup of their flight (``pickup``,
    by default ``plan.pickup``; frozen people at their ``frozen_pickup`` when it has one) that their
    facility reaches (frozen people excepted), and per leg the seats, escort tenths, medical and
    wheelchair slots."""
    assignment = plan.assignment if isinstance(plan, Plan) else plan
    if pickup is None:
        pickup = plan.pickup if isinstance(plan, Plan) else {}
    errors: list[str] = []
    people = {p.id: p for p in problem.people}
    stops = {s.id: s for s in problem.stops}
    flights = {f.id: f for f in problem.flights}
    for pid, sid in assignment.items():
        if pid not in people:
            errors.append(f"unknown person {pid}")
        elif sid not in stops:
            errors.append(f"person {pid}: unknown stop {sid}")
    for p in problem.people:
        got = assignment.get(p.id)
        if p.frozen_stop is not None:
            if got != p.frozen_stop:
                errors.append(f"person {p.id}: frozen at stop {p.frozen_stop} but assigned {got}")
        elif got is not None and got not in p.eligible_stops:
            errors.append(f"person {p.id}: not eligible for stop {got}")
    families: dict[str, list[int]] = defaultdict(list)
    for p in problem.people:
        if p.family is not None:
            families[p.family].append(p.id)
    for fam, members in families.items():
        where = {assignment.get(pid) for pid in members}
        if len(where) > 1:
            errors.append(f"family {fam} split over {sorted(where, key=str)}")
    seats: dict[int, int] = defaultdict(int)
    escort: dict[int, int] = defaultdict(int)
    medical: dict[int, int] = defaultdict(int)
    wheelchair: dict[int, int] = defaultdict(int)
    country: dict[tuple[int, str], int] = defaultdict(int)
    for pid, sid in assignment.items():
        placed, stop = people.get(pid), stops.get(sid)
        if placed is None or stop is None:
            continue
        seats[stop.flight] += 1
        escort[stop.flight] += escort_tenths(placed.escort_load)
        medical[stop.flight] += int(placed.needs_medical)
        wheelchair[stop.flight] += int(placed.needs_wheelchair)
        country[(stop.flight, stop.country)] += 1
    for fid, n in seats.items():
        f = flights.get(fid)
        if f is None:
            errors.append(f"stop on unknown flight {fid}")
            continue
        if n > f.seats:
            errors.append(f"flight {fid}: {n} people > {f.seats} seats")
        if escort[fid] > f.escort_officers * ESCORT_SCALE:
            errors.append(
                f"flight {fid}: escort load {escort[fid] / ESCORT_SCALE} > {f.escort_officers} officers"
            )
        if medical[fid] > f.medical_slots:
            errors.append(f"flight {fid}: {medical[fid]} medical > {f.medical_slots} slots")
        if wheelchair[fid] > f.wheelchair_slots:
            errors.append(f"flight {fid}: {wheelchair[fid]} wheelchair > {f.wheelchair_slots} slots")
    caps: dict[tuple[int, str], int] = {}
    for s in problem.stops:
        if s.country_cap is not None:
            key = (s.flight, s.country)
            caps[key] = min(caps.get(key, s.country_cap), s.country_cap)
    for key, cap in caps.items():
        if country.get(key, 0) > cap:
            errors.append(f"flight {key[0]}: {country[key]} people to {key[1]} > cap {cap}")
    errors += _leg_errors(problem, assignment, pickup, people, stops, flights)
    return errors


def _leg_errors(
    problem: Problem,
    assignment: dict[int, int],
    pickup: dict[int, int],
    people: dict[int, Person],
    stops: dict[int, Stop],
    flights: dict[int, Flight],
) -> list[str]:
    """Pickup reach and per-leg capacities of the flights with listed pickups."""
    by_flight = pickups_by_flight(problem)
    if not by_flight:
        return []
    errors: list[str] = []
    pickups = {p.id: p for p in problem.pickups}
    stop_index: dict[int, int] = {}
    stops_of: dict[int, list[Stop]] = defaultdict(list)
    for s in problem.stops:
        stops_of[s.flight].append(s)
    for ordered in stops_of.values():
        ordered.sort(key=lambda s: (s.order, s.id))
        stop_index.update((s.id, j) for j, s in enumerate(ordered))
    pickup_index = {p.id: i for ordered in by_flight.values() for i, p in enumerate(ordered)}
    # per flight, per point: people boarding (+) and leaving (−), in seats / tenths / slots
    delta: dict[int, list[list[int]]] = {}
    for pid, sid in assignment.items():
        person, stop = people.get(pid), stops.get(sid)
        if person is None or stop is None or stop.flight not in by_flight:
            continue
        flight = stop.flight
        chosen = pickup.get(pid)
        if chosen is None:
            errors.append(f"person {pid}: no pickup on flight {flight}")
            continue
        at = pickups.get(chosen)
        if at is None or at.flight != flight:
            errors.append(f"person {pid}: pickup {chosen} is not a pickup of flight {flight}")
            continue
        if person.frozen_stop is not None:
            if person.frozen_pickup is not None and chosen != person.frozen_pickup:
                errors.append(f"person {pid}: frozen at pickup {person.frozen_pickup} but boards at {chosen}")
        elif person.facility is None or person.facility not in at.reached_by:
            errors.append(f"person {pid}: facility {person.facility} does not reach pickup {chosen} in time")
        n_pickups = len(by_flight[flight])
        rows = delta.setdefault(flight, [[0] * (n_pickups + len(stops_of[flight])) for _ in range(4)])
        board, leave = pickup_index[chosen], n_pickups + stop_index[sid]
        for row, amount in zip(
            rows,
            (1, escort_tenths(person.escort_load), int(person.needs_medical), int(person.needs_wheelchair)),
            strict=True,
        ):
            row[board] += amount
            row[leave] -= amount
    for flight, rows in sorted(delta.items()):
        f = flights.get(flight)
        if f is None:
            continue
        limits = (
            (f.seats, "people", f"{f.seats} seats"),
            (f.escort_officers * ESCORT_SCALE, "escort tenths", f"{f.escort_officers} officers"),
            (f.medical_slots, "medical", f"{f.medical_slots} slots"),
            (f.wheelchair_slots, "wheelchair", f"{f.wheelchair_slots} slots"),
        )
        for row, (limit, what, words) in zip(rows, limits, strict=True):
            load = 0
            for leg, change in enumerate(row[:-1]):
                load += change
                if load > limit:
                    errors.append(f"flight {flight} leg {leg}: {load} {what} > {words}")
    return errors
