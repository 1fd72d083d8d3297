"""``explain`` says the facts, not codes, on both backends: the facility and the airports it
reaches in hours, the departure airport and its local time with the UTC offset (never "CST"),
the document's expiry and the date it must be valid to, the hold's end date, the cut-off, the
verification state and the family member who blocks; the plan's capacity reason names the full
stop and what ran out. The person detail shows the same words and no internal values."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from planner.entrypoints.cli import main as cli
from planner.persistence import audit
from planner.persistence.audit import AuditEntry
from planner.persistence.context import AppContext
from planner.persistence.models import (
    Facility,
    FacilityAirport,
    NationalityVerification,
    Person,
    PlanExclusion,
    PlanRun,
    TravelDocument,
)
from planner.services import audit_log, explain, flights, people
from planner.services.auth import Actor
from planner.services.flights import FlightInput
from tests.conftest import ADMIN_PASSWORD

NOW = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)
#: 2027-03-01 20:00 in Houston (UTC−06:00) is already 2027-03-02 in UTC.
DEPARTURE = datetime(2027, 3, 2, 2, 0, tzinfo=UTC)
CASE, MEMBER = "A100000001", "A100000002"


def _person(case: str, **changes: object) -> Person:
    values: dict[str, object] = dict(
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
        family_group="FG0100",
    )
    values.update(changes)
    return Person(**values)


@pytest.fixture
def office(ctx: AppContext, admin: Actor) -> AppContext:
    """RF0100 IAH → PEK; a person held until 2027-03-05, with a passport expiring too early, a
    facility that reaches AEX and ELP but not IAH, and a released family member; a plan run
    that left the person out for want of escort officers."""
    with ctx.uow() as uow:
        flights.save_flight(
            uow, admin, FlightInput("RF0100", "GlobalX", "B767", "IAH", DEPARTURE, ("PEK",), 100, 50), now=NOW
        )
    with ctx.uow() as uow:
        s = uow.session
        facility = Facility(code="FAC9", name="Test Processing Center", city="Houston, TX")
        s.add(facility)
        s.flush()
        s.add_all(
            [
                FacilityAirport(facility_id=facility.id, airport="AEX", transfer_hours=4.0),
                FacilityAirport(facility_id=facility.id, airport="ELP", transfer_hours=6.0),
            ]
        )
        me = _person(
            CASE, facility_id=facility.id, legal_hold_reason="court stay", hold_until=date(2027, 3, 5)
        )
        member = _person(MEMBER, given_names="MEI", custody_status="RELEASED", facility_id=facility.id)
        s.add_all([me, member])
        s.flush()
        s.add(
            TravelDocument(
                person_id=me.id,
                doc_type="PASSPORT",
                number="E1234567",
                issuing_country="CHN",
                expires_on=date(2027, 3, 20),
            )
        )
        s.add(
            NationalityVerification(
                person_id=me.id, country="CHN", result="CONFIRMED", verified_on=date(2026, 9, 1)
            )
        )
        run = PlanRun(created_by="olivia", status="DRAFT", counts_json="{}")
        s.add(run)
        s.flush()
        s.add(
            PlanExclusion(
                plan_run_id=run.id,
                person_id=me.id,
                reason="CAPACITY",
                detail_json=json.dumps({"stops": [{"stop": "RF0100/PEK", "binding": ["ESCORTS"]}]}),
            )
        )
        audit.record_many(uow, [AuditEntry("wang", "person.update", "person", CASE, {"priority": [5, 2]})])
        uow.commit()
    return ctx


def test_explain_says_the_facts(office: AppContext, admin: Actor) -> None:
    with office.uow(write=False) as uow:
        shown = explain.explain(uow, admin, CASE, now=NOW)
    text = shown.text()
    assert shown.plan_reason == "CAPACITY"
    assert "not placed by plan" in text and "every compatible flight is full" in text
    assert "RF0100 to PEK is full: no escort officers left" in text
    # The departure airport and its local time with the UTC offset, not an abbreviation.
    assert "RF0100 to PEK (CHN), departs IAH 2027-03-01 20:00 UTC\u221206:00 (America/Chicago)" in text
    assert "CST" not in text
    # The facility and the airports it reaches in hours.
    assert "facility FAC9 (Test Processing Center, Houston, TX) reaches AEX in 4 h and ELP in 6 h" in text
    # The hold's end date; the document's expiry and the date it must be valid to.
    assert "legal hold (court stay) in force until 2027-03-05" in text
    assert "expiring 2027-03-20 expires before 2027-04-02" in text
    # The verification state and the family member who blocks.
    assert "verification: CHN confirmed 2026-09-01" in text
    assert f"{MEMBER} may not (not in custody" in text
    # Facts, not codes.
    for code in (
        "LEGAL_HOLD",
        "NO_VALID_DOCUMENT",
        "FACILITY_CANNOT_REACH",
        "FAMILY_MEMBER_INELIGIBLE",
        "CAPACITY",
    ):
        assert code not in text
    (stop,) = shown.stops
    assert len(stop.sentences) == len(stop.reasons) == 4


def test_person_detail_and_audit_rows_show_no_internal_values(office: AppContext, admin: Actor) -> None:
    with office.uow(write=False) as uow:
        person_id = uow.session.execute(sa.select(Person.id).where(Person.case_number == CASE)).scalar_one()
        detail = people.person_detail(uow, admin, person_id)
        rows = audit_log.list_events(uow, admin, entity="person")
    assert detail.facility_label == "FAC9 (Test Processing Center, Houston, TX)"
    assert "RF0100 to PEK" in detail.explanation
    changes = [entry["changes"] for entry in detail.audit]
    assert "priority 5 → 2" in changes
    assert all("None" not in text and "{" not in text for text in changes)
    row = next(r for r in rows if r.entity_id == CASE)
    assert row.details == "priority 5 → 2" and row.entity_label == CASE
    assert audit_log.event_line(row).endswith(f"user wang: person update on person {CASE} — priority 5 → 2")


def test_cli_explain_and_audit_list_print_words(office: AppContext, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CHARTER_USER", "admin")
    monkeypatch.setenv("CHARTER_PASSWORD", ADMIN_PASSWORD)
    db = office.settings.database
    assert cli.run(["--db", db, "explain", CASE]) == 0
    out = capsys.readouterr().out
    assert "legal hold (court stay) in force until 2027-03-05" in out and "LEGAL_HOLD" not in out
    assert cli.run(["--db", db, "audit", "list", "--entity", "person", "--limit", "5"]) == 0
    out = capsys.readouterr().out
    assert f"user wang: person update on person {CASE} — priority 5 → 2" in out
    assert "None" not in out and '{"' not in out
