"""A flight with two pickups and two stops, for the route tests of manifests and departure day.

RF0100: pickup 0 IAH (USA) at ``DEPARTURE``, pickup 1 SAT (USA) two hours later, then stop 1 GUA
(Guatemala) and stop 2 SAL (El Salvador), both with scheduled arrivals. Legs: IAH → SAT (domestic),
SAT → GUA and GUA → SAL (international). People (:data:`JOURNEYS`): case -> (pickup, stop).
Plans are inserted directly with each person's ``pickup_sequence`` (the planner is not under test).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from planner.persistence.context import AppContext
from planner.persistence.models import Assignment, Flight, FlightStop, PlanRun
from planner.services.routes import write_pickups
from tests.integration.manifests import world as base
from tests.integration.manifests.world import DEPARTURE, T0, World

base.FAMILY.setdefault("SLV", ["Hernández", "Martínez", "Rivas"])
base.NATIVE.setdefault("SLV", [""])

CODE = "RF0100"
SAT_DEPARTURE = DEPARTURE + timedelta(hours=2)
GUA_ARRIVAL = DEPARTURE + timedelta(hours=5)
SAL_ARRIVAL = DEPARTURE + timedelta(hours=6, minutes=30)
#: case -> (pickup sequence, stop sequence)
JOURNEYS: dict[str, tuple[int, int]] = {
    "G0000001": (0, 1),
    "G0000002": (0, 1),
    "G0000003": (1, 1),
    "S0000001": (0, 2),
    "S0000002": (1, 2),
}
COUNTRY = {"G": "GTM", "S": "SLV"}

__all__ = ["CODE", "DEPARTURE", "JOURNEYS", "SAT_DEPARTURE", "T0", "route_world"]


def route_world(ctx: AppContext) -> World:
    """RF0100 with its pickups, stops and people, and a current plan placing :data:`JOURNEYS`."""
    world = World(ctx, flight_code=CODE)
    with ctx.uow() as uow:
        flight = Flight(
            code=CODE,
            carrier="Sky Charter",
            aircraft="B737-800",
            departure_airport="IAH",
            departure_utc=DEPARTURE,
            seats=120,
            escort_officers=40,
            medical_slots=2,
            wheelchair_slots=2,
        )
        uow.session.add(flight)
        uow.session.flush()
        world.flight_id = flight.id
        for seq, (iata, arrival) in {1: ("GUA", GUA_ARRIVAL), 2: ("SAL", SAL_ARRIVAL)}.items():
            stop = FlightStop(flight_id=flight.id, sequence=seq, airport=iata, arrival_utc=arrival)
            uow.session.add(stop)
            uow.session.flush()
            world.stop_ids[seq] = stop.id
        write_pickups(uow, flight.id, [("SAT", SAT_DEPARTURE)])
        uow.commit()
    for case in JOURNEYS:
        world.person(case, COUNTRY[case[0]])
    plan_route(world, JOURNEYS)
    return world


def plan_route(world: World, journeys: dict[str, tuple[int, int]]) -> int:
    """A new current plan placing ``journeys`` (case -> (pickup, stop)); returns its id."""
    with world.ctx.uow() as uow:
        session = uow.session
        session.execute(sa.update(PlanRun).where(PlanRun.status == "DRAFT").values(status="SUPERSEDED"))
        run = PlanRun(created_by="test", status="DRAFT")
        session.add(run)
        session.flush()
        for case, (pickup, stop) in journeys.items():
            session.add(
                Assignment(
                    plan_run_id=run.id,
                    person_id=world.person_ids[case],
                    flight_stop_id=world.stop_ids[stop],
                    pickup_sequence=pickup,
                )
            )
        uow.commit()
        return run.id
