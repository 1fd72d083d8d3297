"""Issue 16, done when: "an end-to-end test (request a CHN batch, import a response CSV naming it
confirming some and not others, status shows them closed, the next plan places the confirmed
ones)". Six Chinese nationals in custody with Chinese passports, a facility that reaches Houston and
a flight from Houston to Beijing: a verification batch asks China about all six; the consulate's
answer (the request CSV filled in) confirms four and not two; the status shows no request open, four
confirmed and two not; the plan places the four and excludes the two as NATIONALITY_NOT_VERIFIED.
Once through the services, once through the command line. Both backends."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from planner.domain.enums import ReasonCode, RequestKind
from planner.entrypoints.cli import main as cli
from planner.persistence.context import AppContext
from planner.persistence.models import (
    Assignment,
    Facility,
    FacilityAirport,
    Flight,
    FlightStop,
    Person,
    PlanExclusion,
    TravelDocument,
    utc_now,
)
from planner.services import planning
from planner.services.auth import Actor
from planner.services.consular.batches import create_batch
from planner.services.consular.status import pipeline_status
from planner.services.imports import import_file
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD

NOW = utc_now().replace(microsecond=0)
#: The answer cannot be dated in the future, and the batch is sent today: it is answered the same day.
TODAY = date.today()
PEOPLE = 6
CONFIRMED = 4


def _china(ctx: AppContext) -> list[str]:
    """The world of the module docstring; the case numbers."""
    cases = []
    with ctx.uow() as uow:
        s = uow.session
        facility = Facility(code="HOU", name="Houston Processing Center", city="Houston")
        s.add(facility)
        s.flush()
        s.add(FacilityAirport(facility_id=facility.id, airport="IAH", transfer_hours=2))
        flight = Flight(
            code="RF0716",
            carrier="Test Air",
            aircraft="B777",
            departure_airport="IAH",
            departure_utc=NOW + timedelta(days=30),
            seats=20,
            escort_officers=20,
        )
        s.add(flight)
        s.flush()
        s.add(FlightStop(flight_id=flight.id, sequence=1, airport="PEK"))
        for n in range(1, PEOPLE + 1):
            person = Person(
                case_number=f"A4000000{n:02d}",
                family_name=f"WANG{n}",
                given_names="Wei",
                native_name="王伟",
                sex="M",
                date_of_birth=date(1985, 1, n),
                place_of_birth="Fuzhou, Fujian",
                nationality="CHN",
                facility_id=facility.id,
                order_status="FINAL",
                order_date=date(2026, 1, 1),
                custody_status="IN_CUSTODY",
                risk_level="LOW",
                medical_need="NONE",
            )
            s.add(person)
            s.flush()
            s.add(
                TravelDocument(
                    person_id=person.id,
                    doc_type="PASSPORT",
                    number=f"E{n:08d}",
                    issuing_country="CHN",
                    issued_on=date(2020, 1, 1),
                    expires_on=NOW.date() + timedelta(days=2000),
                )
            )
            cases.append(person.case_number)
        uow.commit()
    return cases


def _answer(request_csv: bytes, confirmed: set[str]) -> bytes:
    """The request list filled in the way a consulate returns it: result, date and authority."""
    rows = list(csv.DictReader(io.StringIO(request_csv.decode("utf-8-sig"))))
    assert rows and {"reference", "case_number", "result", "verified_on"} <= set(rows[0])
    for row in rows:
        row["result"] = "CONFIRMED" if row["case_number"] in confirmed else "NOT_CONFIRMED"
        row["verified_on"] = TODAY.isoformat()
        row["authority"] = "Consulate General of the PRC, Houston"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _placed_and_excluded(ctx: AppContext, plan_run_id: int) -> tuple[set[str], dict[str, str]]:
    with ctx.uow(write=False) as uow:
        s = uow.session
        placed = set(
            s.execute(
                sa.select(Person.case_number)
                .join(Assignment, Assignment.person_id == Person.id)
                .where(Assignment.plan_run_id == plan_run_id)
            ).scalars()
        )
        excluded = dict(
            s.execute(
                sa.select(Person.case_number, PlanExclusion.reason)
                .join(PlanExclusion, PlanExclusion.person_id == Person.id)
                .where(PlanExclusion.plan_run_id == plan_run_id)
            ).all()
        )
    return placed, excluded


def test_request_answer_status_and_plan(
    ctx: AppContext, admin: Actor, officer: Actor, tmp_path: Path
) -> None:
    cases = _china(ctx)
    out = tmp_path / "vr-chn.csv"
    with ctx.uow() as uow:
        created = create_batch(uow, officer, RequestKind.VERIFICATION, "CHN", out, today=TODAY)
    assert created is not None and created.people == PEOPLE
    reference = created.reference
    assert reference == f"VR-CHN-{TODAY.year}-0001"
    with ctx.uow(write=False) as uow:
        (before,) = pipeline_status(uow, officer, "CHN", today=TODAY)
    assert before.verification.requested_open == PEOPLE

    confirmed = set(cases[:CONFIRMED])
    with ctx.uow() as uow:
        report = import_file(
            uow, admin, "verification", _answer(out.read_bytes(), confirmed), name="answer.csv"
        )
    assert report.new == PEOPLE and not report.errors
    assert report.notes == (f"closed 6 requests ({reference}: 6 of 6 answered, batch closed)",)

    with ctx.uow(write=False) as uow:
        (status,) = pipeline_status(uow, officer, "CHN", today=TODAY)
    assert status.verification.requested_open == 0
    assert (status.verification.positive, status.verification.negative) == (CONFIRMED, PEOPLE - CONFIRMED)
    shown = status.as_json()
    assert (shown["requested_open"], shown["confirmed"], shown["not_confirmed"], shown["overdue"]) == (
        0,
        CONFIRMED,
        PEOPLE - CONFIRMED,
        0,
    )
    (batch,) = [b for b in status.batches if b.reference == reference]
    assert batch.closed and (batch.open, batch.answered) == (0, PEOPLE)

    summary = planning.run_plan(ctx, officer, ctx.settings, time_limit=10, now=NOW)
    placed, excluded = _placed_and_excluded(ctx, summary.plan_run_id)
    assert placed == confirmed
    assert excluded == dict.fromkeys(cases[CONFIRMED:], ReasonCode.NATIONALITY_NOT_VERIFIED.value)


@pytest.fixture
def cli_db(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CHARTER_DATA_DIR", str(ctx.settings.data_dir))
    return ctx.settings.database


def _run(monkeypatch: pytest.MonkeyPatch, db: str, user: str, *args: str) -> int:
    monkeypatch.setenv("CHARTER_USER", user)
    monkeypatch.setenv("CHARTER_PASSWORD", ADMIN_PASSWORD if user == "admin" else USER_PASSWORD)
    return cli.run(["--db", db, *args])


def test_the_same_through_the_command_line(
    ctx: AppContext,
    officer: Actor,
    cli_db: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    cases = _china(ctx)
    out = tmp_path / "vr-chn.csv"
    assert (
        _run(
            monkeypatch,
            cli_db,
            officer.username,
            "verification",
            "request",
            "--country",
            "CHN",
            "--out",
            str(out),
        )
        == 0
    )
    reference = f"VR-CHN-{TODAY.year}-0001"
    assert reference in capsys.readouterr().out
    assert out.with_suffix(".pdf").exists()

    answer = tmp_path / "answer.csv"
    answer.write_bytes(_answer(out.read_bytes(), set(cases[:CONFIRMED])))
    assert _run(monkeypatch, cli_db, "admin", "import", "verification", str(answer)) == 0
    printed = capsys.readouterr().out
    assert f"closed 6 requests ({reference}: 6 of 6 answered, batch closed)" in printed

    # The same file again: no errors, nothing written.
    assert _run(monkeypatch, cli_db, "admin", "import", "verification", str(answer)) == 0
    assert "nothing to change" in capsys.readouterr().out

    assert (
        _run(monkeypatch, cli_db, officer.username, "verification", "status", "--country", "CHN", "--json")
        == 0
    )
    shown = json.loads(capsys.readouterr().out)
    (china,) = shown if isinstance(shown, list) else [shown]
    assert (china["country"], china["requested_open"], china["confirmed"], china["not_confirmed"]) == (
        "CHN",
        0,
        CONFIRMED,
        PEOPLE - CONFIRMED,
    )
    assert [b["closed"] for b in china["batches"] if b["reference"] == reference] == [True]

    assert _run(monkeypatch, cli_db, officer.username, "plan", "--time-limit", "10", "--json") == 0
    plan = json.loads(capsys.readouterr().out)
    placed, excluded = _placed_and_excluded(ctx, plan["plan_run_id"])
    assert placed == set(cases[:CONFIRMED])
    assert excluded == dict.fromkeys(cases[CONFIRMED:], ReasonCode.NATIONALITY_NOT_VERIFIED.value)
