"""The flights service on a real database (SQLite and PostgreSQL): listing with plan load, manifest
state and notice cut-offs; create / update with validation, optimistic locking and audit; cancel."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from planner.domain.enums import Role
from planner.domain.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StaleVersion,
)
from planner.persistence.context import AppContext
from planner.persistence.models import (
    Assignment,
    AuditEvent,
    Flight,
    FlightStop,
    Manifest,
    Person,
    PlanRun,
    utc_now,
)
from planner.services import flights
from planner.services.auth import Actor
from planner.services.flights import FlightInput
from tests.conftest import add_user

NOW = utc_now().replace(microsecond=0)


def _input(code: str = "RF0100", **changes) -> FlightInput:
    values = dict(
        code=code,
        carrier="GlobalX",
        aircraft="A320",
        departure_airport="IAH",
        departure_utc=NOW + timedelta(days=20),
        stops=("SAL", "GUA"),
        seats=100,
        escort_officers=40,
        medical_slots=2,
        wheelchair_slots=1,
    )
    values.update(changes)
    return FlightInput(**values)


def _save(ctx: AppContext, actor: Actor, data: FlightInput, version: int | None = None) -> flights.SaveResult:
    with ctx.uow() as uow:
        return flights.save_flight(uow, actor, data, expected_version=version, now=NOW)


def _get(ctx: AppContext, actor: Actor, code: str) -> flights.FlightRow:
    with ctx.uow(write=False) as uow:
        return flights.get_flight(uow, actor, code)


def _events(ctx: AppContext, code: str) -> list[tuple[str, str, dict]]:
    """(action, actor, changes) of the flight's audit events, oldest first."""
    with ctx.uow(write=False) as uow:
        return [
            (e.action, e.actor, json.loads(e.changes_json))
            for e in uow.session.execute(
                sa.select(AuditEvent)
                .where(AuditEvent.entity == "flight", AuditEvent.entity_id == code)
                .order_by(AuditEvent.id)
            ).scalars()
        ]


def _place(ctx: AppContext, code: str, count: int, *, frozen: bool = False) -> None:
    """A draft plan that puts ``count`` new people on the first stop of ``code``."""
    with ctx.uow() as uow:
        s = uow.session
        run = PlanRun(created_by="admin", status="DRAFT", counts_json=json.dumps({"placed": count}))
        s.add(run)
        s.flush()
        stop_id = s.execute(
            sa.select(FlightStop.id)
            .join(Flight, Flight.id == FlightStop.flight_id)
            .where(Flight.code == code)
            .order_by(FlightStop.sequence)
            .limit(1)
        ).scalar_one()
        start = s.execute(sa.select(sa.func.count()).select_from(Person)).scalar_one()
        people = [
            Person(
                case_number=f"A{start + i + 1:09d}",
                family_name="TEST",
                given_names="PERSON",
                sex="M",
                date_of_birth=date(1990, 1, 1),
                nationality="SLV",
                risk_level="LOW",
                medical_need="NONE",
                order_status="FINAL",
                custody_status="IN_CUSTODY",
            )
            for i in range(count)
        ]
        s.add_all(people)
        s.flush()
        s.add_all(
            Assignment(plan_run_id=run.id, person_id=p.id, flight_stop_id=stop_id, frozen=frozen)
            for p in people
        )
        uow.commit()


def _manifest(ctx: AppContext, code: str, status: str, revision: int = 1) -> None:
    with ctx.uow() as uow:
        flight_id = uow.session.execute(sa.select(Flight.id).where(Flight.code == code)).scalar_one()
        uow.session.add(
            Manifest(
                flight_id=flight_id, revision=revision, status=status, sha256="0" * 64, prepared_by="admin"
            )
        )
        uow.commit()


def test_create_lists_the_flight_with_zone_stops_and_cutoff(ctx: AppContext, admin: Actor) -> None:
    result = _save(ctx, admin, _input())
    assert result.created
    row = result.flight
    assert (row.code, row.version, row.status) == ("RF0100", 1, "PLANNED")
    assert [(s.airport, s.country) for s in row.stops] == [("SAL", "SLV"), ("GUA", "GTM")]
    assert row.stops_text == "SAL (SLV) → GUA (GTM)"
    assert row.timezone == "America/Chicago"
    assert row.departure_local.utcoffset() in (timedelta(hours=-5), timedelta(hours=-6))
    assert row.departure_local == row.departure_utc
    # Both countries need 3 days' notice.
    assert row.notice_cutoff == row.departure_utc - timedelta(days=3)
    assert (row.placed, row.load_factor, row.manifest_status) == (0, 0.0, None)

    events = _events(ctx, "RF0100")
    assert [e[0] for e in events] == ["flight.create"]
    changes = events[0][2]
    assert changes["stops"] == [None, "SAL;GUA"] and changes["seats"] == [None, 100]

    with ctx.uow(write=False) as uow:
        codes = [r.code for r in flights.list_flights(uow, admin)]
    assert "RF0100" in codes


def test_strictest_notice_rule_sets_the_cutoff(ctx: AppContext, admin: Actor) -> None:
    row = _save(ctx, admin, _input(stops=("SAL", "PEK"))).flight  # SLV 3 days, CHN 14 days
    assert row.notice_cutoff == row.departure_utc - timedelta(days=14)


def test_invalid_input_lists_every_problem_and_writes_nothing(ctx: AppContext, admin: Actor) -> None:
    _save(ctx, admin, _input())
    bad = _input(
        code="RF0100",  # exists already
        carrier="",
        departure_airport="ZZZ",
        departure_utc=NOW - timedelta(hours=1),
        stops=("SAL", "SAL", "ELP", "QQQ"),
        seats=5,
        escort_officers=-1,
        medical_slots=9,
    )
    with pytest.raises(InvalidInput) as caught:
        _save(ctx, admin, bad)
    details = "\n".join(caught.value.details)
    for expected in [
        "code: flight RF0100 exists already",
        "carrier: required",
        "departure_airport: airport ZZZ is not known",
        "not in the future",
        "stop 2: SAL is listed twice",
        "stop 4: airport QQQ is not known; closest known: ",
        "escort_officers: -1 is outside 0–2000",
        "medical_slots: 9 exceeds the 5 seats",
    ]:
        assert expected in details
    with pytest.raises(InvalidInput, match="not saved") as caught:
        _save(ctx, admin, _input(code="RF0101", stops=()))
    assert caught.value.details == ["stops: at least one stop is required"]
    assert len(_events(ctx, "RF0100")) == 1


def test_update_bumps_version_and_audits_old_and_new(ctx: AppContext, admin: Actor) -> None:
    created = _save(ctx, admin, _input()).flight
    with ctx.uow(write=False) as uow:
        stop_ids = dict(
            uow.session.execute(
                sa.select(FlightStop.airport, FlightStop.id).where(FlightStop.flight_id == created.id)
            ).all()
        )
    result = _save(ctx, admin, _input(seats=120, stops=("GUA", "SAL", "SAP")), version=1)
    assert not result.created
    assert result.flight.version == 2
    assert result.changes == {"seats": [100, 120], "stops": ["SAL;GUA", "GUA;SAL;SAP"]}
    assert [s.airport for s in result.flight.stops] == ["GUA", "SAL", "SAP"]
    with ctx.uow(write=False) as uow:
        after = dict(
            uow.session.execute(
                sa.select(FlightStop.airport, FlightStop.id).where(FlightStop.flight_id == created.id)
            ).all()
        )
    assert after["SAL"] == stop_ids["SAL"] and after["GUA"] == stop_ids["GUA"]  # reordered, same rows
    assert _events(ctx, "RF0100")[-1] == ("flight.update", "admin", result.changes)
    # Saving the same values again changes nothing.
    again = _save(ctx, admin, _input(seats=120, stops=("GUA", "SAL", "SAP")), version=2)
    assert again.changes == {} and again.flight.version == 2


def test_stale_version_names_who_changed_it(ctx: AppContext, admin: Actor) -> None:
    officer = add_user(ctx, "olivia", Role.OFFICER)
    _save(ctx, admin, _input())
    _save(ctx, officer, _input(carrier="Avelo Airlines"), version=1)
    with pytest.raises(
        StaleVersion, match=r"changed by olivia at .* UTC \(flight.update\).*version 2, yours 1"
    ):
        _save(ctx, admin, _input(seats=90), version=1)
    with pytest.raises(StaleVersion, match="changed by olivia"), ctx.uow() as uow:
        flights.cancel_flight(uow, admin, "RF0100", expected_version=1)
    assert _get(ctx, admin, "RF0100").seats == 100


def test_approved_or_signed_manifest_freezes_the_flight(ctx: AppContext, admin: Actor) -> None:
    _save(ctx, admin, _input())
    _manifest(ctx, "RF0100", "SIGNED", 1)
    _manifest(ctx, "RF0100", "DRAFT", 2)
    row = _get(ctx, admin, "RF0100")
    assert (row.manifest_status, row.manifest_revision, row.manifest_in_force) == ("DRAFT", 2, "SIGNED")
    assert "new manifest revision" in row.locked_reason
    with pytest.raises(Conflict, match=r"manifest is signed, .* new manifest revision is needed") as refused:
        _save(ctx, admin, _input(seats=120), version=1)
    assert not isinstance(refused.value, StaleVersion)  # reloading would not help
    with pytest.raises(Conflict, match="manifest is signed"), ctx.uow() as uow:
        flights.cancel_flight(uow, admin, "RF0100", expected_version=1)
    assert _get(ctx, admin, "RF0100").status == "PLANNED"


def test_placed_load_factor_and_frozen_seats(ctx: AppContext, admin: Actor) -> None:
    _save(ctx, admin, _input(seats=10))
    _place(ctx, "RF0100", 8, frozen=True)
    row = _get(ctx, admin, "RF0100")
    assert (row.placed, row.frozen, row.load_factor) == (8, 8, 0.8)
    with pytest.raises(InvalidInput) as caught:
        _save(ctx, admin, _input(seats=7), version=1)
    assert caught.value.details == ["seats: 7 is fewer than the 8 people frozen on the flight"]
    with pytest.raises(InvalidInput) as caught:
        _save(ctx, admin, _input(seats=10, stops=("GUA",)), version=1)
    assert "stop SAL has people assigned by a plan" in caught.value.details[0]


def test_cancel_marks_audits_and_then_refuses_edits(ctx: AppContext, admin: Actor) -> None:
    officer = add_user(ctx, "olivia", Role.OFFICER)
    _save(ctx, admin, _input())
    _place(ctx, "RF0100", 3)
    with ctx.uow() as uow:
        row = flights.cancel_flight(uow, officer, "RF0100", expected_version=1)
    assert (row.status, row.version) == ("CANCELLED", 2)
    assert _events(ctx, "RF0100")[-1] == (
        "flight.cancel",
        "olivia",
        {"status": ["PLANNED", "CANCELLED"], "placed_people": 3},
    )
    with pytest.raises(Conflict, match="is CANCELLED") as refused:
        _save(ctx, admin, _input(seats=90), version=2)
    assert not isinstance(refused.value, StaleVersion)
    with pytest.raises(NotFound), ctx.uow() as uow:
        flights.cancel_flight(uow, admin, "RF9999", expected_version=1)


def test_past_flights_only_on_request(ctx: AppContext, admin: Actor) -> None:
    _save(ctx, admin, _input())
    with ctx.uow() as uow:  # a flight that departed yesterday (as the import would store it)
        uow.session.add(
            Flight(
                code="RF0001",
                carrier="X",
                aircraft="Y",
                departure_airport="IAH",
                departure_utc=NOW - timedelta(days=1),
                seats=10,
                escort_officers=5,
                status="DEPARTED",
            )
        )
        uow.commit()
    with ctx.uow(write=False) as uow:
        assert [r.code for r in flights.list_flights(uow, admin, now=NOW)] == ["RF0100"]
        listed = flights.list_flights(uow, admin, include_past=True, now=NOW)
    assert [r.code for r in listed] == ["RF0001", "RF0100"]
    assert listed[0].locked_reason == "flight RF0001 is DEPARTED"


def test_roles_and_airport_choices(ctx: AppContext, admin: Actor) -> None:
    with ctx.uow(write=False) as uow:
        choices = {a.iata: a for a in flights.airport_choices(uow, admin)}
    assert choices["SAL"].receiving and not choices["IAH"].receiving
    assert choices["IAH"].timezone == "America/Chicago"
    nobody = Actor("nobody", Role.OFFICER)
    with pytest.raises(PermissionDenied):
        _save(ctx, nobody, _input())


def test_two_concurrent_editors_one_wins_the_other_is_told_who(ctx: AppContext, admin: Actor) -> None:
    """Two real sessions edit the same version at the same moment: exactly one change lands, the
    other is refused naming the winner — never a lost update."""
    import threading

    officer = add_user(ctx, "olivia", Role.OFFICER)
    _save(ctx, admin, _input())
    version = _get(ctx, admin, "RF0100").version
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def edit(actor: Actor, change: dict) -> None:
        barrier.wait()
        try:
            outcomes[actor.username] = _save(ctx, actor, _input(**change), version=version)
        except Conflict as exc:
            outcomes[actor.username] = exc

    threads = [
        threading.Thread(target=edit, args=(admin, {"seats": 90})),
        threading.Thread(target=edit, args=(officer, {"carrier": "Avelo Airlines"})),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    refused = [name for name, result in outcomes.items() if isinstance(result, Conflict)]
    assert len(outcomes) == 2 and len(refused) == 1, outcomes
    winner = ({"admin", "olivia"} - set(refused)).pop()
    assert f"changed by {winner}" in str(outcomes[refused[0]])
    final = _get(ctx, admin, "RF0100")
    assert final.version == version + 1
    assert (final.seats, final.carrier) == ((90, "GlobalX") if winner == "admin" else (100, "Avelo Airlines"))
