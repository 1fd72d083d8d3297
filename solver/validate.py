"""Solver-independent check of a plan against every rule and capacity (plain Python over the Problem)."""

from __future__ import annotations

from collections import defaultdict

from solver.problem import ESCORT_SCALE, Plan, Problem, escort_tenths


def validate(problem: Problem, plan: Plan | dict[int, int]) -> list[str]:
    """Every violated rule as a message; an empty list means the plan is valid.

    Checks: known people and stops; frozen people at their frozen stop; everybody else only on an
    eligible stop; families whole on one stop or not at all; per flight seats, escort load (in tenths,
    ≤ officers × 10), medical and wheelchair slots; per (flight, country) the smallest country cap."""
    assignment = plan.assignment if isinstance(plan, Plan) else plan
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
    return errors
