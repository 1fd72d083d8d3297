"""Manifests state the nationality the receiving country confirmed, not merely the claimed one
(issue 13): a person claiming NIC, refused by Nicaragua, confirmed by Honduras and holding a
Honduran passport is listed on the Honduras stop as HND, with "claimed NIC" only as a note."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader

from planner.domain.enums import Role
from planner.persistence.context import AppContext
from planner.persistence.models import (
    Assignment,
    Flight,
    FlightStop,
    Manifest,
    NationalityVerification,
    Person,
    PlanRun,
    TravelDocument,
)
from planner.services.auth import Actor
from planner.services.manifests import workflow as manifests
from planner.services.manifests.content import content_sha256
from planner.services.manifests.paxlst import parse_paxlst
from tests.conftest import add_user
from tests.unit.manifests.test_confirmed_nationality_content import OLD_CONTENT_JSON, OLD_SHA256

T0 = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)


def _verification(person_id: int, country: str, result: str, day: int) -> NationalityVerification:
    return NationalityVerification(
        person_id=person_id,
        country=country,
        result=result,
        authority="Consulate",
        verified_on=date(2030, 1, day),
        reference=f"{country}-REF-{person_id}",
    )


def _honduras_flight(ctx: AppContext) -> None:
    """RF0031 IAH -> SAP (Honduras) carrying C10000001 (claims NIC, confirmed by HND) and
    C10000002 (claims and confirmed HND)."""
    with ctx.uow() as uow:
        session = uow.session
        flight = Flight(
            code="RF0031",
            carrier="Sky Charter",
            aircraft="B737-800",
            departure_airport="IAH",
            departure_utc=T0 + timedelta(days=30),
            seats=120,
            escort_officers=40,
        )
        session.add(flight)
        session.flush()
        stop = FlightStop(flight_id=flight.id, sequence=1, airport="SAP")
        session.add(stop)
        run = PlanRun(created_by="test", status="DRAFT")
        session.add(run)
        session.flush()
        for case, claimed in (("C10000001", "NIC"), ("C10000002", "HND")):
            person = Person(
                case_number=case,
                family_name="Mejía",
                given_names="José",
                native_name="",
                sex="M",
                date_of_birth=date(1990, 4, 5),
                nationality=claimed,
                risk_level="LOW",
                medical_need="NONE",
                order_status="FINAL",
                custody_status="IN_CUSTODY",
            )
            session.add(person)
            session.flush()
            session.add(
                TravelDocument(
                    person_id=person.id,
                    doc_type="PASSPORT",
                    number=f"H{person.id:07d}",
                    issuing_country="HND",
                    issued_on=date(2029, 6, 1),
                    expires_on=date(2035, 1, 1),
                )
            )
            if claimed == "NIC":
                session.add(_verification(person.id, "NIC", "NOT_CONFIRMED", 5))
            session.add(_verification(person.id, "HND", "CONFIRMED", 15))
            session.add(Assignment(plan_run_id=run.id, person_id=person.id, flight_stop_id=stop.id))
        uow.commit()


@pytest.fixture
def users(ctx: AppContext) -> tuple[Actor, Actor]:
    return add_user(ctx, "olivia", Role.OFFICER), add_user(ctx, "sam", Role.SUPERVISOR)


def test_manifest_pdf_and_paxlst_carry_the_confirmed_nationality(
    ctx: AppContext, users: tuple[Actor, Actor]
) -> None:
    officer, supervisor = users
    _honduras_flight(ctx)
    with ctx.uow() as uow:
        draft = manifests.prepare_manifest(uow, officer, "RF0031", now=T0)
    assert draft.person_count == 2
    with ctx.uow(write=False) as uow:
        content = manifests.manifest_content(uow, officer, "RF0031")
    rows = {r.case_number: r for s in content.stops for r in s.rows}
    moved, native = rows["C10000001"], rows["C10000002"]
    assert (moved.nationality, moved.claimed_nationality) == ("HND", "NIC")
    assert (native.nationality, native.claimed_nationality) == ("HND", None)
    assert moved.document_issuing_country == "HND"
    assert moved.document_issued_on == date(2029, 6, 1)

    with ctx.uow() as uow:
        manifests.approve_manifest(uow, supervisor, "RF0031", now=T0 + timedelta(hours=1))
    with ctx.uow() as uow:
        edi = manifests.export_paxlst(uow, officer, "RF0031", now=T0 + timedelta(hours=2))
    nationalities = [s.element(1) for s in parse_paxlst(edi) if s.tag == "NAT"]
    assert nationalities == ["HND", "HND"]

    with ctx.uow(write=False) as uow:
        pdf = manifests.manifest_pdf(uow, officer, "RF0031")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "claimed" in text and "NIC" in text
    assert "issued 2029-06-01" in text


def test_a_revision_stored_before_the_change_loads_rehashes_and_prints(
    ctx: AppContext, users: tuple[Actor, Actor]
) -> None:
    officer, _supervisor = users
    with ctx.uow() as uow:
        flight = Flight(
            code="RF0101",
            carrier="Example Air",
            aircraft="B737",
            departure_airport="IAH",
            departure_utc=datetime(2026, 3, 1, 14, 0, tzinfo=UTC),
            seats=10,
            escort_officers=10,
            status="DEPARTED",
        )
        uow.session.add(flight)
        uow.session.flush()
        uow.session.add(
            Manifest(
                flight_id=flight.id,
                revision=2,
                status="SIGNED",
                sha256=OLD_SHA256,
                content_json=OLD_CONTENT_JSON,
                prepared_by="olivia",
                prepared_at=datetime(2026, 2, 20, 9, 0, tzinfo=UTC),
            )
        )
        uow.commit()
    with ctx.uow(write=False) as uow:
        content = manifests.manifest_content(uow, officer, "RF0101")
        pdf = manifests.manifest_pdf(uow, officer, "RF0101")
        check = manifests.check_manifest_hash(uow, officer, "RF0101", OLD_SHA256)
    assert content_sha256(content) == OLD_SHA256
    assert content.stops[0].rows[0].claimed_nationality is None
    assert check.verdict == "current"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert OLD_SHA256 in text and "claimed" not in text
