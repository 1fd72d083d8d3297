"""Random missions with several pickups for ``test_plan_invariants`` (solver-level problems, later
pickups added to the database worlds, the per-leg checks). Only helpers."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import sqlalchemy as sa
from hypothesis import event
from hypothesis import strategies as st

import solver
from planner.domain.route import Drop, Pickup, Route, leg_loads
from planner.persistence.models import Assignment, FacilityAirport, Flight, FlightStop, Person
from planner.services import office_settings, planning
from planner.services.routes import routes_of, write_pickups
from solver import ESCORT_SCALE, escort_tenths
from tests.integration.planning.invariant_worlds import (
    NOW,
)
from tests.integration.planning.local_dates import HUBS


@st.composite
def problems(draw: st.DrawFn) -> solver.Problem:
    """1–3 flights, each with 1–3 pickups and 1–3 stops (stop order not the id order), 0–3
    facilities reaching random pickups, people eligible only where their facility reaches a pickup."""
    n_facilities = draw(st.sampled_from([0, 1, 2, 2, 3, 3]))
    flights, stops, pickups = [], [], []
    for f in range(1, draw(st.integers(1, 3)) + 1):
        flights.append(
            solver.Flight(
                f,
                seats=draw(st.sampled_from([0, 1, 2, 3, 4, 6, 6])),
                escort_officers=draw(st.sampled_from([0, 2, 4, 8, 12, 12])),
                medical_slots=draw(st.integers(0, 1)),
                wheelchair_slots=draw(st.integers(0, 1)),
                departure=float(f),
            )
        )
        for k in range(draw(st.integers(1, 3))):
            reached: frozenset[int] = frozenset()
            if n_facilities:  # most pickups are reached by some facility
                reached = draw(
                    st.frozensets(st.integers(0, n_facilities - 1), min_size=draw(st.sampled_from([0, 1, 1])))
                )
            pickups.append(solver.Pickup(f * 100 + k, f, order=k, reached_by=reached))
        n_stops = draw(st.integers(1, 3))
        orders = draw(st.permutations(list(range(1, n_stops + 1))))
        stops += [solver.Stop(f * 100 + 50 + j, f, "GTM", order=orders[j]) for j in range(n_stops)]
    people = []
    for pid in range(1, draw(st.integers(1, 14)) + 1):
        facility = draw(st.sampled_from([None, *list(range(n_facilities)) * 3])) if n_facilities else None
        reachable = {p.flight for p in pickups if facility is not None and facility in p.reached_by}
        choices = [s.id for s in stops if s.flight in reachable]
        people.append(
            solver.Person(
                pid,
                priority=draw(st.integers(1, 5)),
                escort_load=draw(st.sampled_from([0.5, 1.0, 1.5, 2.0])),
                eligible_stops=tuple(draw(st.sets(st.sampled_from(choices), min_size=1))) if choices else (),
                needs_medical=draw(st.booleans()) and draw(st.booleans()),
                needs_wheelchair=draw(st.booleans()) and draw(st.booleans()),
                family=draw(st.sampled_from([None, None, "F1", "F2"])),
                facility=facility,
            )
        )
    return solver.Problem(tuple(people), tuple(flights), tuple(stops), tuple(pickups))


def route_of_flight(problem: solver.Problem, flight: int) -> Route:
    """The flight's route in ``planner.domain.route`` terms (pickup/stop sequence = solver id)."""
    pickups = sorted((p for p in problem.pickups if p.flight == flight), key=lambda p: (p.order, p.id))
    stops = sorted((s for s in problem.stops if s.flight == flight), key=lambda s: (s.order, s.id))
    return Route(
        tuple(Pickup(p.id, str(p.id), None) for p in pickups),  # type: ignore[arg-type]
        tuple(Drop(s.id, str(s.id)) for s in stops),
    )


def independent_problems(
    problem: solver.Problem, assignment: dict[int, int], pickup: dict[int, int]
) -> list[str]:
    """What is wrong with a plan, computed without ``solver.validate``: eligibility, families,
    pickups (of the flight, reached by the facility) and every leg's loads via ``leg_loads``."""
    wrong: list[str] = []
    people = {p.id: p for p in problem.people}
    flight_of = {s.id: s.flight for s in problem.stops}
    pickups = {p.id: p for p in problem.pickups}
    journeys: dict[int, list[tuple[solver.Person, int, int]]] = defaultdict(list)
    for pid, sid in assignment.items():
        person = people[pid]
        if sid not in person.eligible_stops:
            wrong.append(f"{pid} not eligible")
        at = pickups.get(pickup.get(pid, -1))
        if at is None or at.flight != flight_of[sid] or person.facility not in at.reached_by:
            wrong.append(f"{pid} pickup")
            continue
        journeys[flight_of[sid]].append((person, at.id, sid))
    by_family: dict[str, set[int | None]] = defaultdict(set)
    for p in problem.people:
        if p.family is not None:
            by_family[p.family].add(assignment.get(p.id))
    wrong += [f"family {f} split" for f, where in by_family.items() if len(where) > 1]
    for f in problem.flights:
        route = route_of_flight(problem, f.id)
        aboard = journeys.get(f.id, [])
        trips = [(pk, sid) for _, pk, sid in aboard]
        for what, weights, limit in (
            ("seats", None, f.seats),
            (
                "escort",
                [escort_tenths(p.escort_load) for p, _, _ in aboard],
                f.escort_officers * ESCORT_SCALE,
            ),
            ("medical", [int(p.needs_medical) for p, _, _ in aboard], f.medical_slots),
            ("wheelchair", [int(p.needs_wheelchair) for p, _, _ in aboard], f.wheelchair_slots),
        ):
            if any(load > limit for load in leg_loads(route, trips, weights)):
                wrong.append(f"flight {f.id} {what}")
    return wrong


def _add_pickups_and_transfers(ctx, data: st.DataObject) -> None:
    """Later pickups (0–2, at other hubs, 1–6 h apart) on every flight; random transfer hours from
    each facility to each hub (some missing)."""
    with ctx.uow() as uow:
        s = uow.session
        for flight in s.execute(sa.select(Flight)).scalars().all():
            later = data.draw(
                st.lists(
                    st.sampled_from([h for h in HUBS if h != flight.departure_airport]),
                    max_size=2,
                    unique=True,
                )
            )
            when, pickups = flight.departure_utc, []
            for airport in later:
                when += timedelta(hours=data.draw(st.sampled_from([1, 2.5, 6])))
                pickups.append((airport, when))
            write_pickups(uow, flight.id, pickups)
        s.execute(sa.delete(FacilityAirport))
        for facility in {f for f in s.execute(sa.select(Person.facility_id)).scalars() if f is not None}:
            for hub in HUBS:
                hours = data.draw(st.sampled_from([None, 1.0, 20.0, 40.0, 60.0, 200.0]))
                if hours is not None:
                    s.add(FacilityAirport(facility_id=facility, airport=hub, transfer_hours=hours))
        uow.commit()


def _check_legs_and_pickups(ctx, summary: planning.PlanSummary) -> None:
    with ctx.uow(write=False) as uow:
        s = uow.session
        plan_id = planning.current_draft_plan_id(uow)
        rows = s.execute(
            sa.select(
                Assignment.person_id,
                Assignment.frozen,
                Assignment.pickup_sequence,
                FlightStop.flight_id,
                FlightStop.sequence,
                Person.facility_id,
                Person.risk_level,
                Person.medical_need,
                Person.family_group,
            )
            .join(FlightStop, FlightStop.id == Assignment.flight_stop_id)
            .join(Person, Person.id == Assignment.person_id)
            .where(Assignment.plan_run_id == plan_id)
        ).all()
        flights = {
            f.id: solver.Flight(f.id, f.seats, f.escort_officers, f.medical_slots, f.wheelchair_slots)
            for f in s.execute(sa.select(Flight)).scalars()
        }
        code_of = dict(s.execute(sa.select(Flight.id, Flight.code)).all())
        routes = routes_of(uow, flights)
        hours = {
            (f, a): h
            for f, a, h in s.execute(
                sa.select(
                    FacilityAirport.facility_id, FacilityAirport.airport, FacilityAirport.transfer_hours
                )
            )
        }
        escort = office_settings.load(uow).escort_load()
    aboard: dict[int, list] = defaultdict(list)
    for pid, frozen, pickup_seq, fid, stop_seq, facility, risk, medical, _family in rows:
        pickup = routes[fid].pickup(pickup_seq)  # KeyError: a pickup the route does not have
        if not frozen:
            need = hours.get((facility, pickup.airport))
            assert need is not None and NOW + timedelta(hours=need) <= pickup.departure_utc, (
                f"person {pid} boards at {pickup.airport} which facility {facility} does not reach in time"
            )
        aboard[fid].append(((pickup_seq, stop_seq), risk, medical))
    for fid, trips in aboard.items():
        route, f = routes[fid], flights[fid]
        journeys = [j for j, _, _ in trips]
        seats = leg_loads(route, journeys)
        assert max(seats) <= f.seats
        assert summary.leg_loads[code_of[fid]]["seats"] == seats
        tenths = leg_loads(route, journeys, [escort_tenths(escort[r]) for _, r, _ in trips])
        assert max(tenths) <= f.escort_officers * ESCORT_SCALE
        assert (
            max(leg_loads(route, journeys, [int(m == "MEDICAL_ESCORT") for _, _, m in trips]))
            <= f.medical_slots
        )
        assert (
            max(leg_loads(route, journeys, [int(m == "WHEELCHAIR") for _, _, m in trips]))
            <= f.wheelchair_slots
        )
        event(f"legs: {'several pickups' if len(route.pickups) > 1 else 'one pickup'}")
