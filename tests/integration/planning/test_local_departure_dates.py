"""Issue 13, on both backends through the planner: legal holds and document validity are judged on
the departure's local date at the departure airport (conservatively where the UTC date differs),
and ``explain`` says why.

- A stay "until 2027-03-01" blocks RF1301, leaving Miami (America/New_York) at 20:00 on 2027-03-01,
  which is 2027-03-02 01:00 in UTC.
- RF1302 leaves Beijing (Asia/Shanghai) at 07:00 on 2027-03-02, still 2027-03-01 in UTC: a hold
  until the UTC day (the 1st) blocks it too (the earlier reading counts), and a passport must be
  valid past the local day (the later reading counts).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from planner.persistence.context import AppContext
from planner.persistence.models import (
    Assignment,
    Facility,
    FacilityAirport,
    Flight,
    FlightStop,
    NationalityVerification,
    Person,
    PlanExclusion,
    TravelDocument,
)
from planner.services import explain, planning
from planner.services.auth import Actor
from planner.services.eligibility_facts import stop_facts

NOW = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
MIAMI_DEPARTURE = datetime.combine(date(2027, 3, 1), time(20, 0), ZoneInfo("America/New_York"))
BEIJING_DEPARTURE = datetime.combine(date(2027, 3, 2), time(7, 0), ZoneInfo("Asia/Shanghai"))


def _flight(session, code: str, airport: str, departure: datetime) -> int:
    flight = Flight(
        code=code,
        carrier="Sky Charter",
        aircraft="B737-800",
        departure_airport=airport,
        departure_utc=departure.astimezone(UTC),
        seats=50,
        escort_officers=40,
        medical_slots=1,
        wheelchair_slots=1,
    )
    session.add(flight)
    session.flush()
    session.add(FlightStop(flight_id=flight.id, sequence=1, airport="GUA"))
    return flight.id


def _person(
    session, case: str, facility: int, *, hold_until: date | None = None, expires_on=date(2035, 1, 1)
) -> None:
    person = Person(
        case_number=case,
        family_name="PEREZ",
        given_names="LUCIA",
        sex="F",
        date_of_birth=date(1990, 1, 1),
        nationality="GTM",
        facility_id=facility,
        risk_level="LOW",
        medical_need="NONE",
        order_status="FINAL",
        custody_status="IN_CUSTODY",
        legal_hold_reason="court stay" if hold_until else None,
        hold_until=hold_until,
    )
    session.add(person)
    session.flush()
    session.add(
        TravelDocument(
            person_id=person.id,
            doc_type="PASSPORT",
            number=f"P{person.id:06d}",
            issuing_country="GTM",
            expires_on=expires_on,
        )
    )
    session.add(
        NationalityVerification(
            person_id=person.id, country="GTM", result="CONFIRMED", verified_on=date(2027, 1, 10)
        )
    )


def _world(ctx: AppContext, airport: str, departure: datetime, people: dict[str, dict]) -> None:
    """One flight from ``airport`` to Guatemala City and Guatemalan ``people`` (case -> overrides)
    held in a facility that reaches ``airport`` in 4 hours."""
    with ctx.uow() as uow:
        s = uow.session
        facility = Facility(code="FAC", name="Processing Center", city="City")
        s.add(facility)
        s.flush()
        s.add(FacilityAirport(facility_id=facility.id, airport=airport, transfer_hours=4))
        _flight(s, "RF1301", airport, departure)
        for case, overrides in people.items():
            _person(s, case, facility.id, **overrides)
        uow.commit()


def _outcome(ctx: AppContext, admin: Actor) -> tuple[set[str], dict[str, str]]:
    """Run the planner: (placed case numbers, case number -> reason of the others)."""
    planning.run_plan(ctx, admin, ctx.settings, time_limit=5, now=NOW)
    with ctx.uow(write=False) as uow:
        s = uow.session
        plan_id = planning.current_draft_plan_id(uow)
        placed = set(
            s.execute(
                sa.select(Person.case_number)
                .join(Assignment, Assignment.person_id == Person.id)
                .where(Assignment.plan_run_id == plan_id)
            ).scalars()
        )
        reasons = dict(
            s.execute(
                sa.select(Person.case_number, PlanExclusion.reason)
                .join(PlanExclusion, PlanExclusion.person_id == Person.id)
                .where(PlanExclusion.plan_run_id == plan_id)
            ).all()
        )
    return placed, reasons


def _explained(ctx: AppContext, admin: Actor, case: str) -> explain.Explanation:
    with ctx.uow(write=False) as uow:
        return explain.explain(uow, admin, case, now=NOW)


def test_the_loader_gives_stops_their_departure_airport_zone(ctx: AppContext) -> None:
    _world(ctx, "MIA", MIAMI_DEPARTURE, {})
    with ctx.uow(write=False) as uow:
        flight = uow.session.execute(sa.select(Flight)).scalar_one()
        assert stop_facts(flight, 1, "GTM").departure_timezone == "America/New_York"
        assert stop_facts(flight, 1, "GTM", timezone="Asia/Shanghai").departure_timezone == "Asia/Shanghai"
        uow.session.expunge(flight)
        # A row outside any session: its zone is unknown, which the rules read conservatively.
        assert stop_facts(flight, 1, "GTM").departure_timezone == ""


def test_issue_13_hold_until_the_local_departure_day_keeps_a_person_off_the_flight(
    ctx: AppContext, admin: Actor
) -> None:
    assert MIAMI_DEPARTURE.astimezone(UTC).date() == date(2027, 3, 2)
    _world(
        ctx,
        "MIA",
        MIAMI_DEPARTURE,
        {
            "A13000001": {"hold_until": date(2027, 3, 1)},  # in force on the local departure day
            "A13000002": {"hold_until": date(2027, 2, 28)},  # ended the day before
            "A13000003": {},
        },
    )
    placed, reasons = _outcome(ctx, admin)
    assert placed == {"A13000002", "A13000003"}
    assert reasons == {"A13000001": "LEGAL_HOLD"}
    explanation = _explained(ctx, admin, "A13000001")
    (verdict,) = explanation.stops
    assert verdict.reasons == ("LEGAL_HOLD",)
    text = explanation.text()
    assert "2027-03-01" in text and "legal hold" in text


def test_shanghai_morning_departure_hold_and_document_on_the_conservative_day(
    ctx: AppContext, admin: Actor
) -> None:
    assert BEIJING_DEPARTURE.astimezone(UTC).date() == date(2027, 3, 1)
    _world(
        ctx,
        "PEK",
        BEIJING_DEPARTURE,
        {
            "A13000011": {"hold_until": date(2027, 3, 1)},  # the UTC day: still in force
            "A13000012": {"hold_until": date(2027, 2, 28)},
            # Guatemala asks no extra validity: valid to the day after the local day (the 3rd).
            "A13000013": {"expires_on": date(2027, 3, 2)},
            "A13000014": {"expires_on": date(2027, 3, 3)},
        },
    )
    placed, reasons = _outcome(ctx, admin)
    assert placed == {"A13000012", "A13000014"}
    assert reasons == {"A13000011": "LEGAL_HOLD", "A13000013": "NO_VALID_DOCUMENT"}
    assert _explained(ctx, admin, "A13000011").stops[0].reasons == ("LEGAL_HOLD",)
    document = _explained(ctx, admin, "A13000013")
    assert document.stops[0].reasons == ("NO_VALID_DOCUMENT",)
    assert "2027-03-03" in document.text()  # the date it must be valid to


@pytest.mark.parametrize("hours", [-1, 1])
def test_the_hold_ends_exactly_at_local_midnight_in_new_york(
    ctx: AppContext, admin: Actor, hours: int
) -> None:
    """A departure an hour before / after local midnight between the 1st and the 2nd (both the 2nd in
    UTC): a hold until the 1st blocks the first and lets the second go."""
    midnight = datetime.combine(date(2027, 3, 2), time(0, 0), ZoneInfo("America/New_York"))
    _world(ctx, "MIA", midnight + timedelta(hours=hours), {"A13000021": {"hold_until": date(2027, 3, 1)}})
    placed, reasons = _outcome(ctx, admin)
    assert (placed, reasons) == (({"A13000021"}, {}) if hours > 0 else (set(), {"A13000021": "LEGAL_HOLD"}))


def test_dashboard_document_warning_counts_from_the_local_departure_day(
    ctx: AppContext, admin: Actor
) -> None:
    """Placed on the Shanghai 07:00 flight with a passport valid to the 3rd, then the passport is
    found to expire on the 2nd (the local departure day): the dashboard warns that it must be valid
    to the 3rd (it used to count from the UTC day, the 1st, and said nothing)."""
    from planner.services import dashboard

    _world(ctx, "PEK", BEIJING_DEPARTURE, {"A13000031": {"expires_on": date(2027, 3, 3)}})
    placed, _reasons = _outcome(ctx, admin)
    assert placed == {"A13000031"}
    with ctx.uow() as uow:
        uow.session.execute(sa.update(TravelDocument).values(expires_on=date(2027, 3, 2)))
        uow.commit()
    with ctx.uow(write=False) as uow:
        board = dashboard.dashboard(uow, admin, now=datetime(2027, 2, 25, 9, 0, tzinfo=UTC))
    (warning,) = [w for w in board.warnings if w.kind == dashboard.DOCUMENT_EXPIRES]
    assert warning.case_number == "A13000031"
    assert "must be valid to 2027-03-03" in warning.message
