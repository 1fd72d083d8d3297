"""Boarding, closing the doors and departure, with every refusal (both backends)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from planner.domain.eligibility import reason_label
from planner.domain.enums import ReasonCode
from planner.domain.errors import InvalidInput, PermissionDenied
from planner.persistence.context import AppContext
from planner.persistence.models import Assignment, AuditEvent, Boarding, CustodyEvent, Flight, Person
from planner.services.current_plan import current_draft_plan_id
from planner.services.departure.boarding import board, close, read_scans
from planner.services.departure.depart import depart
from planner.services.departure.listing import DepartureRefused
from planner.services.departure.strike import strike
from tests.integration.departure.world import (
    BOARDING,
    CLOSING,
    DEPARTURE,
    add,
    approve,
    departure_world,
    staff,
    writes,
)

LISTED = ("A10000001", "A10000002", "A20000001", "A20000002")


def _world(ctx: AppContext, *, approved: bool = True):  # type: ignore[no-untyped-def]
    world = departure_world(ctx)
    for case in ("A10000001", "A10000002", "A10000003"):
        add(world, case)
    add(world, "A20000001", "GTM", family="FAM1")
    add(world, "A20000002", "GTM", family="FAM1")
    world.plan({"A10000001": 1, "A10000002": 1, "A20000001": 2, "A20000002": 2})
    officer, supervisor = staff(ctx)
    if approved:
        approve(ctx, officer, supervisor)
    return world, officer, supervisor


def _boarding_rows(ctx: AppContext) -> int:
    with ctx.uow(write=False) as uow:
        return uow.session.execute(sa.select(sa.func.count()).select_from(Boarding)).scalar_one()


def test_read_scans_ignores_blank_lines_and_whitespace() -> None:
    assert read_scans("A10000001\r\n\n  a10000002 \n\t\n") == ["A10000001", "A10000002"]


def test_board_records_who_boarded_where_and_reports_a_second_scan(ctx: AppContext) -> None:
    _, officer, _ = _world(ctx)
    with ctx.uow() as uow:
        result = board(uow, officer, "RF0001", ["A10000001", " a10000002 "], now=BOARDING)
    assert (result.airport, result.boarded, result.already) == ("IAH", ("A10000001", "A10000002"), ())
    with ctx.uow() as uow:
        again = board(uow, officer, "RF0001", ["A10000002", "A20000001"], now=BOARDING)
    assert (again.boarded, again.already) == (("A20000001",), ("A10000002",))
    with ctx.uow() as uow:
        twice = board(uow, officer, "RF0001", ["A10000002"], now=BOARDING)
    assert (twice.boarded, twice.already) == ((), ("A10000002",))
    assert _boarding_rows(ctx) == 3
    with ctx.uow(write=False) as uow:
        changes = [
            json.loads(e.changes_json)
            for e in uow.session.execute(
                sa.select(AuditEvent).where(AuditEvent.action == "departure.board").order_by(AuditEvent.id)
            ).scalars()
        ]
        airports = set(uow.session.execute(sa.select(Boarding.airport)).scalars())
    assert len(changes) == 2 and changes[1]["already"] == ["A10000002"]
    assert airports == {"IAH"}


@pytest.mark.parametrize(
    ("cases", "airport", "message"),
    [
        (["A99999999"], None, "A99999999: no such case number"),
        (["A10000003"], None, "not listed on revision 1"),
        (["A10000001", "A99999999", "A10000003"], None, "2 case numbers cannot board"),
        (["A10000001"], "JFK", "JFK is not an airport of RF0001"),
        ([" "], None, "no case numbers"),
    ],
)
def test_bad_boarding_writes_nothing(ctx: AppContext, cases: list[str], airport, message: str) -> None:  # type: ignore[no-untyped-def]
    _, officer, _ = _world(ctx)
    before = writes(ctx)
    with ctx.uow() as uow, pytest.raises(InvalidInput, match=message):
        board(uow, officer, "RF0001", cases, airport=airport, now=BOARDING)
    assert writes(ctx) == before and _boarding_rows(ctx) == 0


def test_nobody_boards_before_approval_nor_after_being_struck(ctx: AppContext) -> None:
    _, officer, supervisor = _world(ctx, approved=False)
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="not approved yet"):
        board(uow, officer, "RF0001", ["A10000001"], now=BOARDING)
    approve(ctx, officer, supervisor)
    with ctx.uow() as uow:
        strike(uow, officer, "RF0001", "A10000001", "NO_SHOW", now=BOARDING)
    with ctx.uow() as uow, pytest.raises(InvalidInput, match=r"A10000001: struck off RF0001 \(NO_SHOW\)"):
        board(uow, officer, "RF0001", ["A10000001"], now=BOARDING)
    assert _boarding_rows(ctx) == 0


def test_close_refuses_naming_each_open_case_and_each_ineligible_boarded_person(ctx: AppContext) -> None:
    _, officer, supervisor = _world(ctx)
    with ctx.uow() as uow:
        board(uow, officer, "RF0001", ["A10000001", "A20000001", "A20000002"], now=BOARDING)
    with ctx.uow() as uow:  # a court stay arrives for a boarded person
        uow.session.execute(
            sa.update(Person)
            .where(Person.case_number == "A10000001")
            .values(legal_hold_reason="court stay", hold_until=date(2031, 1, 1))
        )
        uow.commit()
    with ctx.uow() as uow, pytest.raises(DepartureRefused) as refused:
        close(uow, supervisor, "RF0001", now=CLOSING)
    assert refused.value.exit_code == 2
    details = refused.value.details
    assert any(d.startswith("A10000002: neither boarded nor struck off") for d in details)
    [stay] = [d for d in details if d.startswith("A10000001")]
    assert reason_label(ReasonCode.LEGAL_HOLD) in stay and "strike RF0001 A10000001" in stay
    with ctx.uow(write=False) as uow:
        assert (
            uow.session.execute(sa.select(Flight.closed_at).where(Flight.code == "RF0001")).scalar() is None
        )
        assert uow.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "departure.close.refused")
        ).scalar_one()
    with ctx.uow() as uow, pytest.raises(PermissionDenied):
        close(uow, officer, "RF0001", now=CLOSING)


def _boarded_and_closed(ctx: AppContext):  # type: ignore[no-untyped-def]
    world, officer, supervisor = _world(ctx)
    with ctx.uow() as uow:
        board(uow, officer, "RF0001", ["A10000001", "A20000001", "A20000002"], now=BOARDING)
    with ctx.uow() as uow:
        strike(uow, officer, "RF0001", "A10000002", "NO_SHOW", now=BOARDING)
    with ctx.uow() as uow:
        result = close(uow, supervisor, "RF0001", now=CLOSING)
    assert (result.boarded, result.struck) == (3, 1)
    return world, officer, supervisor


def test_depart_removes_who_boarded_and_returns_the_rest_to_planning(ctx: AppContext) -> None:
    world, officer, supervisor = _boarded_and_closed(ctx)
    with ctx.uow() as uow:
        result = depart(uow, supervisor, "RF0001", now=DEPARTURE + timedelta(minutes=5))
    assert result.removed == ("A10000001", "A20000001", "A20000002")
    with ctx.uow(write=False) as uow:
        flight = uow.session.execute(sa.select(Flight).where(Flight.code == "RF0001")).scalar_one()
        assert (flight.status, flight.departed_at) == ("DEPARTED", DEPARTURE + timedelta(minutes=5))
        custody = dict(uow.session.execute(sa.select(Person.case_number, Person.custody_status)).all())
        assert {c for c, s in custody.items() if s == "REMOVED"} == set(result.removed)
        assert custody["A10000002"] == "IN_CUSTODY"
        events = uow.session.execute(sa.select(CustodyEvent)).scalars().all()
        assert {(e.from_status, e.to_status, e.flight_id) for e in events} == {
            ("IN_CUSTODY", "REMOVED", world.flight_id)
        }
        assert len(events) == 3
        plan = current_draft_plan_id(uow)
        on_flight = (
            uow.session.execute(
                sa.select(Assignment.person_id).where(
                    Assignment.plan_run_id == plan,
                    Assignment.flight_stop_id.in_(list(world.stop_ids.values())),
                )
            )
            .scalars()
            .all()
        )
        assert world.person_ids["A10000002"] not in on_flight
    before = writes(ctx)
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="is DEPARTED"):
        board(uow, officer, "RF0001", ["A10000001"], now=DEPARTURE)
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="is DEPARTED"):
        depart(uow, supervisor, "RF0001", now=DEPARTURE)
    assert writes(ctx) == before


def test_depart_refusals_write_nothing(ctx: AppContext) -> None:
    _, officer, supervisor = _world(ctx)
    before = writes(ctx)
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="is not closed: close it first"):
        depart(uow, supervisor, "RF0001", now=DEPARTURE)
    assert writes(ctx) == before
    with ctx.uow() as uow:
        board(uow, officer, "RF0001", list(LISTED), now=BOARDING)
    with ctx.uow() as uow:
        close(uow, supervisor, "RF0001", now=BOARDING)
    before = writes(ctx)
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="cannot depart before"):
        depart(uow, supervisor, "RF0001", now=DEPARTURE - timedelta(minutes=61))
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="in the future"):
        depart(uow, supervisor, "RF0001", at=DEPARTURE + timedelta(hours=1), now=DEPARTURE)
    with ctx.uow() as uow, pytest.raises(PermissionDenied):
        depart(uow, officer, "RF0001", now=DEPARTURE)
    assert writes(ctx)[1] == before[1]
    with ctx.uow() as uow:  # within the margin, at a given time
        result = depart(uow, supervisor, "RF0001", at=DEPARTURE - timedelta(minutes=20), now=DEPARTURE)
    assert result.departed_at == DEPARTURE - timedelta(minutes=20)
