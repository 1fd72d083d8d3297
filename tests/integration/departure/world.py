"""The departure tests' world: the manifest tests' RF0001 (IAH -> PEK, 14 notice days -> GUA, 3),
made small (``seats`` seats) so that its ranked reserves matter, plus RF0002 a week later, and
people who all reach IAH from one facility in 4 hours.

Times: ``T0`` plans and approves (before every cut-off); ``BOARDING`` is departure day, after
every cut-off; ``DEPARTURE`` is the scheduled time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from planner.domain.enums import Role
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, Facility, FacilityAirport, Flight, FlightStop, StrikeOff
from planner.services.auth import Actor
from planner.services.manifests import workflow as manifests
from tests.conftest import add_user
from tests.integration.manifests.world import DEPARTURE, T0, World

LATER = DEPARTURE + timedelta(days=7)
BOARDING = DEPARTURE - timedelta(hours=3)
CLOSING = DEPARTURE - timedelta(minutes=30)

__all__ = ["BOARDING", "CLOSING", "DEPARTURE", "LATER", "T0", "World", "departure_world", "staff", "writes"]


def departure_world(
    ctx: AppContext, *, seats: int = 4, second_flight: bool = True, later: datetime = LATER
) -> World:
    """The world with RF0001 of ``seats`` seats, RF0002 (120 seats) at ``later``, a facility."""
    world = World(ctx).setup()
    with ctx.uow() as uow:
        uow.session.execute(sa.update(Flight).where(Flight.id == world.flight_id).values(seats=seats))
        facility = Facility(code="HOU", name="Houston Processing Center", city="Houston")
        uow.session.add(facility)
        uow.session.flush()
        uow.session.add(FacilityAirport(facility_id=facility.id, airport="IAH", transfer_hours=4))
        if second_flight:
            later = Flight(
                code="RF0002",
                carrier="Sky Charter",
                aircraft="B737-800",
                departure_airport="IAH",
                departure_utc=later,
                seats=120,
                escort_officers=40,
                medical_slots=2,
                wheelchair_slots=2,
            )
            uow.session.add(later)
            uow.session.flush()
            for seq, airport in ((1, "PEK"), (2, "GUA")):
                uow.session.add(FlightStop(flight_id=later.id, sequence=seq, airport=airport))
        uow.commit()
        world.facility_id = facility.id  # type: ignore[attr-defined]
    return world


def add(world: World, case: str, country: str = "CHN", **overrides: object) -> str:
    """An eligible person who reaches IAH from the world's facility."""
    return world.person(case, country, facility_id=world.facility_id, **overrides)  # type: ignore[attr-defined]


def staff(ctx: AppContext) -> tuple[Actor, Actor]:
    """(officer olivia, supervisor sam)."""
    return add_user(ctx, "olivia", Role.OFFICER), add_user(ctx, "sam", Role.SUPERVISOR)


def approve(ctx: AppContext, officer: Actor, supervisor: Actor, flight: str = "RF0001", *, now=T0):  # type: ignore[no-untyped-def]
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, flight, now=now)
    with ctx.uow() as uow:
        return manifests.approve_manifest(uow, supervisor, flight, now=now)


def writes(ctx: AppContext) -> tuple[int, int]:
    """(audit events, strike-off rows): to show that a refusal wrote nothing."""
    with ctx.uow(write=False) as uow:
        return (
            uow.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one(),
            uow.session.execute(sa.select(sa.func.count()).select_from(StrikeOff)).scalar_one(),
        )
