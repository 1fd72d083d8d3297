"""The routes side of a plan run: the solver's pickups (rule 7 per pickup, vectorised), the pickup a
frozen person keeps, the pickup sequence each stored assignment gets, the audit of pickup-only
changes and the seats used per leg of every flight (``PlanSummary.leg_loads``). Split out of
:mod:`planner.services.planning`, which uses it.

Pickups happen before drop-offs, so the solver counts seats per flight (see :mod:`solver.problem`
for why that is every leg's count) and chooses each person's pickup after their stop
(:func:`solver.pickups.choose_pickups`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import numpy as np

import solver
from planner.domain.eligibility import reach_by_pickup
from planner.domain.eligibility.encoding import epoch_us
from planner.domain.route import Route, leg_loads
from planner.persistence import audit
from planner.services.plan_input import PlanningInput, pickup_id, pickup_of


def solver_pickups(data: PlanningInput) -> tuple[solver.Pickup, ...]:
    """Every planned flight's pickups for the solver, each with the facilities (rows of the
    eligibility tables, as ``solver.Person.facility``) whose transfer reaches it in time: rule 7's
    per-pickup reach, vectorised over (stop, pickup, facility) and read at each flight's first stop."""
    reach = reach_by_pickup(data.tables, epoch_us(data.now))  # [S, P, F + 1]
    n_facilities = reach.shape[2] - 1
    first_row: dict[int, int] = {}
    for row, st in enumerate(data.stops):
        first_row.setdefault(st.flight_id, row)
    out = []
    for fid, row in first_row.items():
        route = data.routes.get(fid)
        if route is None:
            continue
        for k, pickup in enumerate(route.pickups):
            reached = np.flatnonzero(reach[row, k, :n_facilities]) if k < reach.shape[1] else ()
            out.append(
                solver.Pickup(
                    id=pickup_id(fid, pickup.sequence),
                    flight=fid,
                    order=k,
                    reached_by=frozenset(int(f) for f in reached),
                )
            )
    return tuple(out)


def frozen_pickups(data: PlanningInput) -> dict[int, int]:
    """frozen person id -> the solver pickup they keep: their assignment's pickup when their
    flight's route still has it, else the flight's first pickup (frozen people on a stop the run
    does not plan are left out)."""
    flight_of = {st.stop_id: st.flight_id for st in data.stops}
    out = {}
    for pid, stop in data.frozen.items():
        flight = flight_of.get(stop)
        if flight is None:
            continue
        sequence = data.pickup_sequence.get(pid, 0)
        route = data.routes.get(flight)
        if route is None or all(p.sequence != sequence for p in route.pickups):
            sequence = 0
        out[pid] = pickup_id(flight, sequence)
    return out


def facility_of(data: PlanningInput, row: int) -> int | None:
    """The facility (row of the eligibility tables' ``facility_hours``) of person row ``row``, the
    id ``solver.Person.facility`` and ``solver.Pickup.reached_by`` speak of; None = none."""
    facility = int(data.tables.people.facility[row])
    return facility if facility >= 0 else None


def pickup_sequences(data: PlanningInput, plan: solver.Plan) -> dict[int, int]:
    """person id -> pickup sequence for everybody the plan stores: the solver's choice
    (``plan.pickup``), the held people's own; 0 (the departure) otherwise."""
    out = {pid: pickup_of(pickup)[1] for pid, pickup in plan.pickup.items()}
    out.update((pid, data.pickup_sequence.get(pid, 0)) for pid in data.held)
    return out


def flight_leg_loads(
    data: PlanningInput, assignment: dict[int, int], sequences: dict[int, int]
) -> dict[str, dict[str, list[Any]]]:
    """Seats used per leg of every planned flight (see ``PlanSummary.leg_loads``)."""
    stop_at = {st.stop_id: (st.flight_id, st.sequence) for st in data.stops}
    journeys: Counter[tuple[int, int, int]] = Counter()
    for pid, sid in assignment.items():
        where = stop_at.get(sid)
        if where is not None:
            journeys[(where[0], sequences.get(pid, 0), where[1])] += 1
    per_flight: dict[int, list[tuple[tuple[int, int], int]]] = defaultdict(list)
    for (fid, pickup, stop), n in journeys.items():
        per_flight[fid].append(((pickup, stop), n))
    code_of = {st.flight_id: st.flight_code for st in data.stops}
    out: dict[str, dict[str, list[Any]]] = {}
    for fid, route in data.routes.items():
        if fid not in code_of or not route.drops:
            continue
        pairs = per_flight.get(fid, [])
        known = [(j, n) for j, n in pairs if _on_route(route, j)]
        out[code_of[fid]] = {
            "pickups": [p.airport for p in route.pickups],
            "stops": [d.airport for d in route.drops],
            "seats": leg_loads(route, [j for j, _ in known], [n for _, n in known]),
        }
    return out


def _on_route(route: Route, journey: tuple[int, int]) -> bool:
    pickup, stop = journey
    return any(p.sequence == pickup for p in route.pickups) and any(d.sequence == stop for d in route.drops)


def pickup_airports(data: PlanningInput, flight_id: int | None) -> dict[int, str]:
    """pickup sequence -> airport of ``flight_id``'s route (empty when unknown)."""
    route = data.routes.get(flight_id) if flight_id is not None else None
    return {p.sequence: p.airport for p in route.pickups} if route is not None else {}


def pickup_changes(
    data: PlanningInput,
    actor: str,
    assignment: dict[int, int],
    previous: dict[int, int],
    sequences: dict[int, int],
) -> list[audit.AuditEntry]:
    """One ``assignment.change`` event per person who stays on the same stop but boards at another
    pickup (``{"pickup": [old airport, new airport]}``)."""
    flight_of_stop = {st.stop_id: st.flight_id for st in data.stops}
    entries = []
    for pid, stop in sorted(assignment.items()):
        if previous.get(pid) != stop:
            continue
        old_seq, new_seq = data.pickup_sequence.get(pid, 0), sequences.get(pid, 0)
        if old_seq == new_seq:
            continue
        airports = pickup_airports(data, flight_of_stop.get(stop))
        entries.append(
            audit.AuditEntry(
                actor,
                "assignment.change",
                "person",
                str(pid),
                {"pickup": [airports.get(old_seq, str(old_seq)), airports.get(new_seq, str(new_seq))]},
            )
        )
    return entries


def leg_lines(loads: dict[str, dict[str, list[Any]]], limit: int = 10) -> list[str]:
    """Seats used per leg of the flights with several pickups (at most ``limit`` lines)."""
    several = [code for code, legs in loads.items() if len(legs["pickups"]) > 1]
    if not several:
        return []
    lines = ["seats used per leg (flights with several pickups):"]
    for code in several[:limit]:
        legs = loads[code]
        points = [*legs["pickups"], *legs["stops"]]
        lines.append(
            f"  {code}: "
            + ", ".join(f"{a}→{b} {n}" for a, b, n in zip(points, points[1:], legs["seats"], strict=False))
        )
    if len(several) > limit:
        lines.append(f"  … and {len(several) - limit:,} more (plan --json lists every flight)")
    return lines


__all__ = [
    "facility_of",
    "flight_leg_loads",
    "frozen_pickups",
    "leg_lines",
    "pickup_airports",
    "pickup_changes",
    "pickup_sequences",
    "solver_pickups",
]
