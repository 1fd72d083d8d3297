"""The dashboard snapshot on a real database (SQLite and PostgreSQL): people by status, the current
plan's counts and reasons, upcoming departures with load and cut-offs, and every kind of warning."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from planner.domain.errors import PermissionDenied
from planner.persistence.context import AppContext
from planner.persistence.models import (
    Assignment,
    FlightStop,
    NationalityVerification,
    Person,
    PlanExclusion,
    PlanRun,
    TravelDocument,
    utc_now,
)
from planner.services import dashboard, flights
from planner.services.auth import Actor
from planner.services.flights import FlightInput

NOW = utc_now().replace(microsecond=0)
TODAY = NOW.date()


def _flight(
    ctx: AppContext, actor: Actor, code: str, days: float, stops: tuple[str, ...], seats: int = 10
) -> int:
    with ctx.uow() as uow:
        result = flights.save_flight(
            uow,
            actor,
            FlightInput(code, "GlobalX", "A320", "IAH", NOW + timedelta(days=days), stops, seats, 5),
            now=NOW,
        )
    return result.flight.id


def _person(case: str, **changes) -> Person:
    values = dict(
        case_number=case,
        family_name="TEST",
        given_names="PERSON",
        sex="F",
        date_of_birth=date(1990, 1, 1),
        nationality="GTM",
        risk_level="LOW",
        medical_need="NONE",
        order_status="FINAL",
        custody_status="IN_CUSTODY",
    )
    values.update(changes)
    return Person(**values)


@pytest.fixture
def office(ctx: AppContext, admin: Actor) -> AppContext:
    """Four flights, ten people, a plan placing three of them on RF0002 (to GUA in 10 days)."""
    _flight(ctx, admin, "RF0001", 2, ("SAL",))  # SLV needs 3 days' notice: past the cut-off
    gua = _flight(ctx, admin, "RF0002", 10, ("GUA",))
    _flight(ctx, admin, "RF0003", 30, ("GUA",))  # beyond the 14 days
    _flight(ctx, admin, "RF0004", 5, ("GUA",))
    with ctx.uow() as uow:
        flights.cancel_flight(uow, admin, "RF0004", expected_version=1)
    with ctx.uow() as uow:
        s = uow.session
        people = {
            "expiring": _person("A000000001"),
            "fine": _person("A000000002"),
            "no_document": _person("A000000003"),
            "hold_soon": _person(
                "A000000004", legal_hold_reason="Court order", hold_until=TODAY + timedelta(days=5)
            ),
            "hold_later": _person(
                "A000000005", legal_hold_reason="Appeal", hold_until=TODAY + timedelta(days=40)
            ),
            "pending": _person("A000000006"),
            "confirmed": _person("A000000007"),
            "released": _person("A000000008", custody_status="RELEASED"),
            "removed": _person("A000000009", custody_status="REMOVED"),
            "order_pending": _person("A000000010", order_status="PENDING"),
        }
        s.add_all(people.values())
        s.flush()
        ids = {k: p.id for k, p in people.items()}
        departure = NOW + timedelta(days=10)
        s.add_all(
            [
                TravelDocument(
                    person_id=ids["expiring"],
                    doc_type="PASSPORT",
                    number="P1",
                    issuing_country="GTM",
                    expires_on=departure.date(),
                ),
                TravelDocument(
                    person_id=ids["fine"],
                    doc_type="PASSPORT",
                    number="P2",
                    issuing_country="GTM",
                    expires_on=departure.date() + timedelta(days=1),
                ),
                TravelDocument(  # revoked: does not count
                    person_id=ids["no_document"],
                    doc_type="PASSPORT",
                    number="P3",
                    issuing_country="GTM",
                    expires_on=departure.date() + timedelta(days=900),
                    status="REVOKED",
                ),
            ]
        )
        for key, results in (("pending", ["CONFIRMED", "PENDING"]), ("confirmed", ["PENDING", "CONFIRMED"])):
            for day, result in enumerate(results):
                s.add(
                    NationalityVerification(
                        person_id=ids[key],
                        country="GTM",
                        result=result,
                        verified_on=TODAY - timedelta(days=9 - day),
                    )
                )
        run = PlanRun(
            created_by="olivia",
            status="DRAFT",
            counts_json=json.dumps({"people_considered": 9, "eligible": 5, "placed": 3}),
        )
        s.add(run)
        s.flush()
        stop = s.execute(sa.select(FlightStop.id).where(FlightStop.flight_id == gua)).scalar_one()
        s.add_all(
            Assignment(plan_run_id=run.id, person_id=ids[k], flight_stop_id=stop)
            for k in ("expiring", "fine", "no_document")
        )
        s.add_all(
            PlanExclusion(plan_run_id=run.id, person_id=ids[k], reason=reason)
            for k, reason in (
                ("hold_soon", "LEGAL_HOLD"),
                ("hold_later", "LEGAL_HOLD"),
                ("pending", "NATIONALITY_NOT_VERIFIED"),
                ("confirmed", "CAPACITY"),
            )
        )
        uow.commit()
    return ctx


def test_dashboard_snapshot(office: AppContext, admin: Actor) -> None:
    with office.uow(write=False) as uow:
        d = dashboard.dashboard(uow, admin, now=NOW)
    assert {s.key: s.count for s in d.people_by_status} == {
        "in_custody_final": 7,
        "in_custody_pending": 1,
        "in_custody_no_order": 0,
        "released": 1,
        "removed": 1,
    }
    assert d.people_total == 10
    assert (d.plan_created_by, d.placed, d.eligible, d.considered, d.not_placed) == ("olivia", 3, 5, 9, 4)
    assert [(r.reason, r.count) for r in d.not_placed_by_reason] == [
        ("LEGAL_HOLD", 2),
        ("CAPACITY", 1),
        ("NATIONALITY_NOT_VERIFIED", 1),
    ]
    assert "full" in d.not_placed_by_reason[1].description
    # Upcoming: planned flights within 14 days (not the cancelled one, not the one in 30 days).
    assert [f.code for f in d.upcoming] == ["RF0001", "RF0002"]
    rf2 = d.upcoming[1]
    assert (rf2.placed, rf2.load_factor, rf2.manifest_status) == (3, 0.3, None)
    assert rf2.notice_cutoff == rf2.departure_utc - timedelta(days=3)
    assert d.average_load == pytest.approx(3 / 20)

    by_kind: dict[str, list[dashboard.DashboardWarning]] = {}
    for w in d.warnings:
        by_kind.setdefault(w.kind, []).append(w)
    assert [w.case_number for w in by_kind[dashboard.DOCUMENT_EXPIRES]] == ["A000000001", "A000000003"]
    assert "expires" in by_kind[dashboard.DOCUMENT_EXPIRES][0].message
    assert "no valid GTM document" in by_kind[dashboard.DOCUMENT_EXPIRES][1].message
    assert [w.case_number for w in by_kind[dashboard.HOLD_ENDING]] == ["A000000004"]
    assert [w.flight_code for w in by_kind[dashboard.FLIGHT_AFTER_CUTOFF]] == ["RF0001"]
    assert "A000000006" in by_kind[dashboard.VERIFICATION_PENDING][0].message
    assert d.warning_counts == {
        dashboard.FLIGHT_AFTER_CUTOFF: 1,
        dashboard.DOCUMENT_EXPIRES: 2,
        dashboard.HOLD_ENDING: 1,
        dashboard.VERIFICATION_PENDING: 1,
    }


def test_dashboard_without_a_plan_and_without_rights(ctx: AppContext, admin: Actor) -> None:
    with ctx.uow(write=False) as uow:
        d = dashboard.dashboard(uow, admin)
    assert d.plan_run_id is None and d.placed == 0 and d.not_placed_by_reason == ()
    assert d.upcoming == () and d.warnings == () and d.average_load is None
    with pytest.raises(PermissionDenied), ctx.uow() as uow:
        dashboard.dashboard(uow, Actor("ghost", admin.role))


def test_repeated_warnings_are_one_grouped_line_counted_once(office: AppContext, admin: Actor) -> None:
    """303 people awaiting verification are one line "303 × …", one warning on the tile (not 303)."""
    with office.uow() as uow:
        s = uow.session
        extra = [_person(f"A00000010{i}") for i in range(3)]
        s.add_all(extra)
        s.flush()
        s.add_all(
            NationalityVerification(person_id=p.id, country="GTM", result="PENDING", verified_on=TODAY)
            for p in extra
        )
        uow.commit()
    with office.uow(write=False) as uow:
        d = dashboard.dashboard(uow, admin, now=NOW)
    (pending,) = [w for w in d.warnings if w.kind == dashboard.VERIFICATION_PENDING]
    assert pending.message.startswith("4 × waiting for the receiving country's verification")
    assert pending.count == 4 and d.warning_counts[dashboard.VERIFICATION_PENDING] == 4
    others = sum(n for kind, n in d.warning_counts.items() if kind != dashboard.VERIFICATION_PENDING)
    assert d.warning_total == others + 1
    assert "verification pending: 4 people (one grouped line)" in d.warning_breakdown()
    cutoff = next(w for w in d.warnings if w.kind == dashboard.FLIGHT_AFTER_CUTOFF)
    assert "UTC\u2212" in cutoff.message and "CST" not in cutoff.message and "CDT" not in cutoff.message
