"""Complete API data on a real database (issue 13): the China flight's PAXLST, the escort list
import, the crew list PAXLST, the deadline clock, and the ``paxlst`` command."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from planner.domain.enums import Role
from planner.domain.errors import InvalidInput
from planner.entrypoints.cli import main as cli
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, Flight, FlightEscort
from planner.services.auth import Actor
from planner.services.imports import ImportRejected, import_file
from planner.services.manifests import workflow as manifests
from planner.services.manifests.deadlines import flight_api_deadlines, set_stop_arrival
from planner.services.manifests.paxlst import ReportingContact, parse_paxlst
from planner.services.manifests.paxlst_export import export_crew_paxlst
from tests.conftest import USER_PASSWORD, add_user, admin_actor
from tests.integration.manifests.world import DEPARTURE, T0, World

#: RF0001 leaves IAH at DEPARTURE (2030-03-31 09:00 UTC); 14 h 30 min later it lands in Beijing.
PEK_ARRIVAL = DEPARTURE + timedelta(hours=14, minutes=30)
HEADER = (
    "flight_id,role,family_name,given_names,sex,date_of_birth,nationality,document_type,"
    "document_number,document_expires,issuing_country\n"
)
ESCORTS = HEADER + (
    "RF0001,ESCORT,Smith,John,M,1980-05-01,USA,PASSPORT,x1234567,2033-01-01,USA\n"
    "RF0001,MEDICAL,Núñez,María,F,1985-02-03,USA,PASSPORT,X7654321,2034-06-30,USA\n"
    "RF0001,CREW,Lee,,X,1990-07-08,CAN,PASSPORT,GA998877,2032-12-31,CAN\n"
)


@pytest.fixture
def users(ctx: AppContext) -> tuple[Actor, Actor]:
    return add_user(ctx, "olivia", Role.OFFICER), add_user(ctx, "sam", Role.SUPERVISOR)


def _china_flight(ctx: AppContext, officer: Actor, supervisor: Actor) -> World:
    """RF0001 IAH -> PEK with three confirmed Chinese nationals (one with only a Han name), approved."""
    world = World(ctx).setup()
    world.person("A10000001", "CHN")
    world.person("A10000002", "CHN", family_name="王", given_names="秀英")
    world.person("A10000003", "CHN")
    world.plan({case: 1 for case in world.person_ids})
    with ctx.uow() as uow:
        set_stop_arrival(uow, supervisor, "RF0001", "PEK", PEK_ARRIVAL)
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, "RF0001", now=T0)  # four eyes: not the approver
    with ctx.uow() as uow:
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    return world


def _events(ctx: AppContext, action: str) -> list[dict]:
    with ctx.uow(write=False) as uow:
        rows = uow.session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)).scalars().all()
        return [json.loads(r.changes_json) | {"entity_id": r.entity_id, "actor": r.actor} for r in rows]


def test_china_flight_paxlst_has_pinyin_rff_tn_com_loc91_dtm182_and_confirmed_nationality(
    ctx: AppContext, users: tuple[Actor, Actor]
) -> None:
    officer, supervisor = users
    _china_flight(ctx, officer, supervisor)
    contact = ReportingContact(phone="+1 202 555 0100", email="api@example.org")
    with ctx.uow() as uow:
        text = manifests.export_paxlst(uow, officer, "RF0001", contact=contact, now=T0)
    segments = parse_paxlst(text)
    rff = [s for s in segments if s.tag == "RFF" and s.element(0) == "TN"]
    assert len(rff) == 1 and rff[0].element(0, 1).startswith("M")
    assert next(s for s in segments if s.tag == "COM").elements == (
        ("+1 202 555 0100", "TE"),
        ("api@example.org", "EM"),
    )
    names = [s.elements[3] for s in segments if s.tag == "NAD" and s.element(0) == "FL"]
    assert ("WANG", "XIUYING") in names or ("WANG", "XIU YING") in names
    assert [s.element(1) for s in segments if s.tag == "NAT"] == ["CHN"] * 3
    assert [s.element(1) for s in segments if s.tag == "LOC" and s.element(0) == "91"] == ["CHN"] * 3
    assert [s.element(0, 1) for s in segments if s.tag == "DTM" and s.element(0) == "182"] == ["250101"] * 3
    # the recorded arrival at PEK, in Beijing time (UTC+8): 2030-03-31 23:30 UTC -> 2030-04-01 07:30
    assert [s.elements[0] for s in segments if s.tag == "DTM" and s.element(0) == "232"] == [
        ("232", "3004010730", "201")
    ]


def test_escort_import_replaces_the_flight_list_and_is_audited(ctx: AppContext) -> None:
    world = World(ctx).setup()
    with ctx.uow() as uow:
        report = import_file(uow, admin_actor(), "escorts", ESCORTS.encode(), name="escorts.csv")
    assert (report.new, report.rows) == (3, 3)
    with ctx.uow(write=False) as uow:
        stored = uow.session.execute(sa.select(FlightEscort).order_by(FlightEscort.sequence)).scalars().all()
        assert [(e.sequence, e.role, e.family_name, e.document_number) for e in stored] == [
            (1, "ESCORT", "Smith", "X1234567"),
            (2, "MEDICAL", "Núñez", "X7654321"),
            (3, "CREW", "Lee", "GA998877"),
        ]
        assert all(e.flight_id == world.flight_id for e in stored) and stored[2].given_names == ""
    [event] = _events(ctx, "flight.escorts")
    assert event["entity_id"] == "RF0001" and event["escorts"] == [0, 3]

    with ctx.uow() as uow:  # the same file again: nothing changes
        again = import_file(uow, admin_actor(), "escorts", ESCORTS.encode(), name="escorts.csv")
    assert (again.new, again.updated, again.unchanged, again.written) == (0, 0, 3, False)

    shorter = HEADER + "RF0001,ESCORT,Smith,John,M,1980-05-01,USA,PASSPORT,X1234567,2033-01-01,USA\n"
    with ctx.uow() as uow:
        report = import_file(uow, admin_actor(), "escorts", shorter.encode(), name="escorts.csv")
    assert (report.updated, report.unchanged, report.details["escorts_removed"]) == (1, 0, 2)
    with ctx.uow(write=False) as uow:
        assert uow.session.execute(sa.select(sa.func.count()).select_from(FlightEscort)).scalar_one() == 1
    assert [e["escorts"] for e in _events(ctx, "flight.escorts")] == [[0, 3], [3, 1]]


def test_a_bad_escort_file_names_every_bad_line_and_writes_nothing(ctx: AppContext) -> None:
    World(ctx).setup()
    departs = DEPARTURE.date()
    bad = HEADER + (
        "RF0001,ESCORT,Smith,John,M,1980-05-01,USA,PASSPORT,X1234567,2033-01-01,USA\n"
        "RF9999,ESCORT,Doe,Jane,F,1980-05-01,USA,PASSPORT,X2,2033-01-01,USA\n"
        f"RF0001,ESCORT,Roe,Rick,M,1980-05-01,USA,PASSPORT,X3,{departs - timedelta(days=1)},USA\n"
        "RF0001,GUARD,Poe,Ed,M,1980-05-01,USA,PASSPORT,X4,2033-01-01,USA\n"
        "RF0001,ESCORT,สมชาย,Ed,M,1980-05-01,USA,PASSPORT,X5,2033-01-01,USA\n"
        "RF0001,ESCORT,Smith,John,M,1980-05-01,USA,PASSPORT,X1234567,2033-01-01,USA\n"
    )
    with ctx.uow() as uow, pytest.raises(ImportRejected) as caught:
        import_file(uow, admin_actor(), "escorts", bad.encode(), name="escorts.csv")
    errors = {(e.line, e.column): e.message for e in caught.value.report.errors}
    assert "no flight RF9999" in errors[(3, "flight_id")]
    assert "before the flight departs" in errors[(4, "document_expires")]
    assert "ESCORT, CREW, MEDICAL" in errors[(5, "role")]
    assert "UNOA" in errors[(6, "family_name")]
    assert errors[(7, "document_number")] == "duplicate of line 2"
    with ctx.uow(write=False) as uow:
        assert uow.session.execute(sa.select(sa.func.count()).select_from(FlightEscort)).scalar_one() == 0


def test_a_departed_flights_escort_list_cannot_change(ctx: AppContext) -> None:
    World(ctx).setup()
    with ctx.uow() as uow:
        uow.session.execute(sa.update(Flight).values(status="DEPARTED"))
        uow.commit()
    with ctx.uow() as uow, pytest.raises(ImportRejected) as caught:
        import_file(uow, admin_actor(), "escorts", ESCORTS.encode(), name="escorts.csv")
    assert "DEPARTED" in caught.value.report.errors[0].message


def test_crew_list_paxlst_of_the_escort_list(ctx: AppContext, users: tuple[Actor, Actor]) -> None:
    officer, _supervisor = users
    World(ctx).setup()
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="import escorts"):
        export_crew_paxlst(uow, officer, "RF0001", now=T0)
    with ctx.uow() as uow:
        import_file(uow, admin_actor(), "escorts", ESCORTS.encode(), name="escorts.csv")
    with ctx.uow() as uow:
        text = export_crew_paxlst(uow, officer, "RF0001", sender="OFFICE 42", now=T0)
    segments = parse_paxlst(text)
    assert next(s for s in segments if s.tag == "BGM").element(0) == "250"
    members = [s.elements[3] for s in segments if s.tag == "NAD" and s.element(0) == "FM"]
    assert members == [("SMITH", "JOHN"), ("NUNEZ", "MARIA"), ("LEE",)]
    assert [s.element(1) for s in segments if s.tag == "LOC" and s.element(0) in ("125", "87")] == [
        "IAH",
        "PEK",
        "PEK",
        "GUA",
    ]
    assert next(s for s in segments if s.tag == "CNT").elements == (("41", "3"),)
    [event] = _events(ctx, "flight.crew_paxlst")
    assert event["entity_id"] == "RF0001" and event["persons"] == 3 and event["actor"] == "olivia"


def test_deadline_clock_per_stop_from_the_country_rules(ctx: AppContext, users: tuple[Actor, Actor]) -> None:
    officer, _supervisor = users
    World(ctx).setup()
    now = DEPARTURE - timedelta(hours=5)
    with ctx.uow(write=False) as uow:
        pek, gua = flight_api_deadlines(uow, officer, "RF0001", now=now)
    # No arrival time is recorded for a stop: the clock counts back from the departure.
    assert (pek.country, pek.minutes_before, pek.before_arrival) == ("CHN", 120, False)
    assert pek.due_utc == DEPARTURE - timedelta(hours=2) and pek.remaining == timedelta(hours=3)
    assert (gua.country, gua.minutes_before) == ("GTM", 1440) and gua.overdue
    assert pek.describe().startswith("CHN data due ") and "(UTC+08:00)" in pek.describe()


def test_paxlst_command_writes_crew_list_and_shows_the_deadlines(
    ctx: AppContext, users: tuple[Actor, Actor], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    World(ctx).setup()
    with ctx.uow() as uow:
        import_file(uow, admin_actor(), "escorts", ESCORTS.encode(), name="escorts.csv")
    monkeypatch.setenv("CHARTER_DATA_DIR", str(ctx.settings.data_dir))
    monkeypatch.setenv("CHARTER_PASSWORD", USER_PASSWORD)
    monkeypatch.setenv("CHARTER_USER", "olivia")
    monkeypatch.setenv("CHARTER_REPORTING_PHONE", "+1 202 555 0100")
    monkeypatch.setenv("CHARTER_REPORTING_EMAIL", "api@example.org")
    db = ctx.settings.database
    assert cli.run(["--db", db, "paxlst", "RF0001"]) == 0
    printed = capsys.readouterr().out
    assert "CHN data due" in printed and "GTM data due" in printed
    assert cli.run(["--db", db, "paxlst", "RF0001", "--crew"]) == 2
    assert "--out" in capsys.readouterr().err
    out = tmp_path / "crew.edi"
    assert cli.run(["--db", db, "paxlst", "RF0001", "--crew", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"crew list for RF0001 -> {out}" in printed and "CHN data due" in printed
    segments = parse_paxlst(out.read_text(encoding="ascii"))
    assert next(s for s in segments if s.tag == "COM").elements == (
        ("+1 202 555 0100", "TE"),
        ("api@example.org", "EM"),
    )
    monkeypatch.setenv("CHARTER_REPORTING_EMAIL", "nobody")
    assert cli.run(["--db", db, "paxlst", "RF0001", "--crew", "--out", str(tmp_path / "bad.edi")]) == 2
    assert "reporting e-mail" in capsys.readouterr().err and not (tmp_path / "bad.edi").exists()


def test_recording_a_stops_arrival_is_checked_audited_and_moves_the_clock(
    ctx: AppContext, users: tuple[Actor, Actor]
) -> None:
    officer, _supervisor = users
    World(ctx).setup()
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="is not after"):
        set_stop_arrival(uow, officer, "RF0001", "PEK", DEPARTURE - timedelta(minutes=1))
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="not a stop of RF0001"):
        set_stop_arrival(uow, officer, "RF0001", "LAX", PEK_ARRIVAL)
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="UTC offset"):
        set_stop_arrival(uow, officer, "RF0001", "PEK", datetime(2030, 4, 1, 7, 30))
    with ctx.uow() as uow:
        set_stop_arrival(uow, officer, "RF0001", "gua", PEK_ARRIVAL + timedelta(hours=5))
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="not before a later stop"):
        set_stop_arrival(uow, officer, "RF0001", "PEK", PEK_ARRIVAL + timedelta(hours=6))
    with ctx.uow() as uow:
        set_stop_arrival(uow, officer, "RF0001", "PEK", PEK_ARRIVAL)
    with ctx.uow(write=False) as uow:
        pek, gua = flight_api_deadlines(uow, officer, "RF0001", now=PEK_ARRIVAL - timedelta(hours=3))
    assert pek.before_arrival and pek.due_utc == PEK_ARRIVAL - timedelta(hours=2)
    assert pek.remaining == timedelta(hours=1) and "2 h before arrival — in 1 h" in pek.describe()
    assert gua.due_utc == PEK_ARRIVAL + timedelta(hours=5) - timedelta(days=1) and gua.overdue
    with ctx.uow() as uow:
        set_stop_arrival(uow, officer, "RF0001", "PEK", None)
    events = _events(ctx, "flight.stop_arrival")
    assert [(e["stop"], e["arrival_utc"]) for e in events] == [
        ("GUA", [None, "2030-04-01T04:30Z"]),
        ("PEK", [None, "2030-03-31T23:30Z"]),
        ("PEK", ["2030-03-31T23:30Z", None]),
    ]
    assert all(e["actor"] == "olivia" and e["entity_id"] == "RF0001" for e in events)
    assert datetime(2030, 3, 31, 23, 30, tzinfo=UTC) == PEK_ARRIVAL


def test_arrival_command(
    ctx: AppContext, users: tuple[Actor, Actor], monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    World(ctx).setup()
    monkeypatch.setenv("CHARTER_DATA_DIR", str(ctx.settings.data_dir))
    monkeypatch.setenv("CHARTER_PASSWORD", USER_PASSWORD)
    monkeypatch.setenv("CHARTER_USER", "olivia")
    db = ctx.settings.database
    assert cli.run(["--db", db, "arrival", "RF0001", "--stop", "PEK", "--at", "2030-04-01T07:30+08:00"]) == 0
    printed = capsys.readouterr().out
    assert "RF0001 PEK: arrival 2030-04-01T07:30+08:00" in printed
    assert "CHN data due 2030-04-01 05:30 local time at PEK (UTC+08:00), 2 h before arrival" in printed
    assert cli.run(["--db", db, "arrival", "RF0001", "--stop", "PEK", "--at", "tomorrow"]) == 2
    assert "--at: 'tomorrow' is not a date and time" in capsys.readouterr().err
    assert cli.run(["--db", db, "arrival", "RF0001", "--stop", "PEK"]) == 2
    assert "--at TIME or --clear" in capsys.readouterr().err
    assert cli.run(["--db", db, "arrival", "RF0001", "--stop", "PEK", "--clear"]) == 0
    assert "arrival cleared" in capsys.readouterr().out
