"""Departure day on a route with two pickups (IAH, SAT) and two stops (GUA, SAL), on both backends:
each person boards at their own pickup (recorded there; refused elsewhere, naming the pickup), the
departure listing knows the pickups, and the as-flown manifest and handover receipt follow the route."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from planner.domain.errors import InvalidInput
from planner.persistence.context import AppContext
from planner.persistence.models import Boarding
from planner.services.auth import Actor
from planner.services.departure import boarding
from planner.services.departure.depart import depart
from planner.services.departure.listing import flight_named, in_force_revision, manifest_listing, plan_listing
from planner.services.manifests import flown
from planner.services.manifests import workflow as manifests
from tests.integration.manifests.route_world import CODE, DEPARTURE, JOURNEYS, SAT_DEPARTURE, T0, route_world

BOARDING = DEPARTURE - timedelta(hours=3)
IAH = ["G0000001", "G0000002", "S0000001"]
SAT = ["G0000003", "S0000002"]


def _approved(ctx: AppContext, officer: Actor, supervisor: Actor) -> None:
    route_world(ctx)
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, CODE, now=T0)
    with ctx.uow() as uow:
        manifests.approve_manifest(uow, supervisor, CODE, now=T0)


def _boardings(ctx: AppContext) -> dict[str, str]:
    from planner.persistence.models import Person

    with ctx.uow(write=False) as uow:
        rows = uow.session.execute(
            sa.select(Person.case_number, Boarding.airport).join(Person, Person.id == Boarding.person_id)
        ).all()
    return dict(rows)


def test_listing_knows_each_persons_pickup(ctx: AppContext, officer: Actor, supervisor: Actor) -> None:
    _approved(ctx, officer, supervisor)
    with ctx.uow(write=False) as uow:
        flight = flight_named(uow, CODE)
        manifest = in_force_revision(uow, flight.id)
        assert manifest is not None
        listed = {
            e.case_number: (e.pickup_airport, e.stop_sequence)
            for e in manifest_listing(uow, officer, flight, manifest).values()
        }
        planned = {
            e.case_number: (e.pickup_airport, e.stop_sequence) for e in plan_listing(uow, flight).values()
        }
    expected = {case: ("IAH" if pickup == 0 else "SAT", stop) for case, (pickup, stop) in JOURNEYS.items()}
    assert listed == expected and planned == expected


def test_boarding_is_recorded_at_the_pickup(ctx: AppContext, officer: Actor, supervisor: Actor) -> None:
    _approved(ctx, officer, supervisor)
    # Without an airport each person is recorded at their own pickup.
    with ctx.uow() as uow:
        result = boarding.board(uow, officer, CODE, IAH[:2] + SAT[:1], now=BOARDING)
    assert result.airport == "IAH, SAT"
    assert _boardings(ctx) == {"G0000001": "IAH", "G0000002": "IAH", "G0000003": "SAT"}
    # At an airport: somebody whose pickup is elsewhere is refused, naming it, and nothing is written.
    with ctx.uow() as uow, pytest.raises(InvalidInput) as refused:
        boarding.board(uow, officer, CODE, ["S0000001", "S0000002"], airport="IAH", now=BOARDING)
    assert "S0000002: boards at SAT (pickup 2), not IAH" in refused.value.details
    assert len(_boardings(ctx)) == 3
    with ctx.uow() as uow:
        boarding.board(uow, officer, CODE, ["S0000001"], airport="IAH", now=BOARDING)
    with ctx.uow() as uow:
        boarding.board(
            uow, officer, CODE, ["S0000002"], airport="sat", now=SAT_DEPARTURE - timedelta(hours=1)
        )
    assert _boardings(ctx) == {c: "IAH" for c in IAH} | {c: "SAT" for c in SAT}

    with ctx.uow() as uow:
        boarding.close(uow, supervisor, CODE, now=SAT_DEPARTURE - timedelta(minutes=20))
    with ctx.uow() as uow:
        depart(uow, supervisor, CODE, at=DEPARTURE, now=SAT_DEPARTURE)
    with ctx.uow() as uow:
        as_flown = flown.as_flown_manifest(uow, officer, CODE)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(as_flown.pdf)).pages)
    assert as_flown.persons == 5
    assert "Boarded per pickup: IAH (pickup 1): 3 · SAT (pickup 2): 2" in text
    assert "Boarded at IAH 2, SAT 1" in text  # stop 1 GUA
    assert "Boarded at IAH 1, SAT 1" in text  # stop 2 SAL
    assert text.count("Boarding at SAT") == 2
    with ctx.uow() as uow:
        receipt = flown.handover_receipt(uow, officer, CODE, "SAL")
    handed = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt.pdf)).pages)
    assert receipt.persons == 2 and "S0000001" in handed and "S0000002" in handed and "G0000001" not in handed


def test_a_reserve_moving_up_boards_at_a_pickup_their_facility_reaches(ctx: AppContext) -> None:
    """Review fix: on a route flight a reserve whose facility reaches only a later pickup is ranked
    (the quick filter knows every pickup airport) and, moving up, boards at that pickup — not at
    the first one, which rule 7 says they cannot reach."""
    from planner.persistence.models import Assignment, Facility, FacilityAirport, Person
    from planner.services.current_plan import current_draft_plan_id
    from planner.services.departure.strike import strike
    from planner.services.reserves import ranked_reserves
    from planner.services.routes import write_pickups
    from tests.integration.departure.world import add, approve, departure_world, staff

    world = departure_world(ctx, second_flight=False)
    with ctx.uow() as uow:
        write_pickups(uow, world.flight_id, [("SAT", DEPARTURE + timedelta(hours=2))])
        san = Facility(code="SAN", name="San Antonio Processing Center", city="San Antonio")
        uow.session.add(san)
        uow.session.flush()
        uow.session.add(FacilityAirport(facility_id=san.id, airport="SAT", transfer_hours=3))
        uow.commit()
        san_id = san.id
    for case in ("A10000001", "A10000002"):
        add(world, case)
    world.person("A10000003", "CHN", facility_id=san_id)
    world.plan({"A10000001": 1, "A10000002": 1})
    officer, supervisor = staff(ctx)
    approve(ctx, officer, supervisor)
    now = T0 + timedelta(days=1)
    with ctx.uow(write=False) as uow:
        reserves = ranked_reserves(uow, "RF0001", now=now)
    assert [c for u in reserves.units for c in u.case_numbers] == ["A10000003"]
    with ctx.uow() as uow:
        result = strike(uow, officer, "RF0001", "A10000001", "NO_SHOW", now=now)
    assert result.moved_up == ("A10000003 -> stop 1 PEK",)
    with ctx.uow(write=False) as uow:
        plan = current_draft_plan_id(uow)
        pickup = uow.session.execute(
            sa.select(Assignment.pickup_sequence)
            .join(Person, Person.id == Assignment.person_id)
            .where(Assignment.plan_run_id == plan, Person.case_number == "A10000003")
        ).scalar_one()
    assert pickup == 1
