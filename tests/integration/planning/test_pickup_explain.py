"""A flight with two pickups (IAH, then SAT) end to end, on both backends: a person whose facility
reaches only the later pickup is planned there (``Assignment.pickup_sequence``), ``explain`` says
where they board, the plan summary counts seats per leg; a person whose facility reaches neither
pickup in time is left out, and ``explain`` names both pickups with their local times."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from planner.persistence.context import AppContext
from planner.persistence.models import (
    Assignment,
    Facility,
    FacilityAirport,
    Flight,
    NationalityVerification,
    Person,
    TravelDocument,
)
from planner.services import explain, flights, planning
from planner.services.auth import Actor
from planner.services.flights import FlightInput
from planner.services.routes import write_pickups

NOW = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)
#: IAH 2027-03-01 20:00 local (UTC−06:00); SAT two hours later.
IAH_DEPARTURE = datetime(2027, 3, 2, 2, 0, tzinfo=UTC)
SAT_DEPARTURE = IAH_DEPARTURE + timedelta(hours=2)


def _person(uow, case: str, facility_id: int) -> int:
    s = uow.session
    person = Person(
        case_number=case,
        family_name="WANG",
        given_names="LI",
        sex="F",
        date_of_birth=date(1990, 1, 1),
        nationality="CHN",
        risk_level="LOW",
        medical_need="NONE",
        order_status="FINAL",
        custody_status="IN_CUSTODY",
        facility_id=facility_id,
    )
    s.add(person)
    s.flush()
    s.add(
        TravelDocument(
            person_id=person.id,
            doc_type="PASSPORT",
            number=f"E{case}",
            issuing_country="CHN",
            expires_on=date(2030, 1, 1),
        )
    )
    s.add(
        NationalityVerification(
            person_id=person.id, country="CHN", result="CONFIRMED", verified_on=date(2026, 9, 1)
        )
    )
    return person.id


def test_people_board_where_their_facility_reaches_and_explain_says_so(ctx: AppContext, admin: Actor) -> None:
    with ctx.uow() as uow:
        flights.save_flight(
            uow,
            admin,
            FlightInput("RF0200", "GlobalX", "B767", "IAH", IAH_DEPARTURE, ("PEK",), 100, 50),
            now=NOW,
        )
    with ctx.uow() as uow:
        s = uow.session
        flight_id = s.execute(sa.select(Flight.id).where(Flight.code == "RF0200")).scalar_one()
        write_pickups(uow, flight_id, [("SAT", SAT_DEPARTURE)])
        near_sat = Facility(code="FSA", name="San Antonio Center", city="San Antonio, TX")
        far = Facility(code="FFA", name="Far Center", city="Far, TX")
        s.add_all([near_sat, far])
        s.flush()
        s.add_all(
            [
                FacilityAirport(facility_id=near_sat.id, airport="SAT", transfer_hours=3.0),
                FacilityAirport(facility_id=far.id, airport="IAH", transfer_hours=900.0),
                FacilityAirport(facility_id=far.id, airport="SAT", transfer_hours=900.0),
            ]
        )
        boards_at_sat = _person(uow, "A200000001", near_sat.id)
        _person(uow, "A200000002", far.id)
        uow.commit()

    summary = planning.run_plan(ctx, admin, ctx.settings, time_limit=5, now=NOW)
    assert summary.placed == 1
    legs = summary.leg_loads["RF0200"]
    assert legs == {"pickups": ["IAH", "SAT"], "stops": ["PEK"], "seats": [0, 1]}
    assert "RF0200: IAH→SAT 0, SAT→PEK 1" in summary.text()
    with ctx.uow(write=False) as uow:
        plan_id = planning.current_draft_plan_id(uow)
        sequence = uow.session.execute(
            sa.select(Assignment.pickup_sequence).where(
                Assignment.plan_run_id == plan_id, Assignment.person_id == boards_at_sat
            )
        ).scalar_one()
        placed = explain.explain(uow, admin, "A200000001", now=NOW).text()
        left_out = explain.explain(uow, admin, "A200000002", now=NOW).text()
    assert sequence == 1
    assert "boards at SAT 2027-03-01 22:00 UTC\u221206:00" in placed
    assert "then picks up at SAT 2027-03-01 22:00 UTC\u221206:00" in placed
    assert (
        "facility FFA (Far Center, Far, TX) cannot bring the person to any pickup in time "
        "(IAH 2027-03-01 20:00 UTC\u221206:00, SAT 2027-03-01 22:00 UTC\u221206:00)"
    ) in left_out
