"""Regression tests of issue #12's planning defects, on both backends:

1. a departed (or cancelled, or past) flight with an approved or signed manifest never stalls the
   planner, and the flights import may cancel it (DEPARTED is refused with a pointer to ``depart``);
3. a new member of a family frozen on an approved flight never wipes the plan: the newcomer gets
   ``FAMILY_ON_FROZEN_FLIGHT`` and ``sign`` refuses the split family; an infeasible plan is never
   stored;
4. a plan computed from data that changed while it was solving is re-solved or refused.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

import solver
from planner.domain.enums import Role
from planner.domain.errors import Conflict, InvalidInput
from planner.persistence import audit
from planner.persistence.context import AppContext
from planner.persistence.models import (
    Assignment,
    AuditEvent,
    Facility,
    FacilityAirport,
    Flight,
    FlightStop,
    Person,
    PlanExclusion,
    PlanRun,
)
from planner.services import people as people_service
from planner.services import planning
from planner.services.auth import Actor
from planner.services.manifests import workflow as manifests
from planner.services.manifests.workflow import ManifestRefused
from tests.conftest import add_user, admin_actor
from tests.integration.imports.conftest import do_import
from tests.integration.imports.synth import FLIGHTS_HEADER
from tests.integration.manifests.world import DEPARTURE, T0, World

LATER = DEPARTURE + timedelta(days=30)  # after China's 14 notice days, counted from RF0001's departure


def _flight_row(code: str, departure, status: str) -> str:
    return f"{code},Sky Charter,B737-800,IAH,{departure.isoformat()},120,40,2,2,PEK;GUA,{status}"


def _world(ctx: AppContext, *, second_flight: bool = True) -> World:
    """RF0001 (and RF0002 a month later) from IAH to PEK then GUA; four Chinese nationals and a
    Guatemalan family of two, all reaching IAH from one facility."""
    world = World(ctx).setup()
    with ctx.uow() as uow:
        facility = Facility(code="HOU", name="Houston Processing Center", city="Houston")
        uow.session.add(facility)
        uow.session.flush()
        uow.session.add(FacilityAirport(facility_id=facility.id, airport="IAH", transfer_hours=4))
        if second_flight:
            flight = Flight(
                code="RF0002",
                carrier="Sky Charter",
                aircraft="B737-800",
                departure_airport="IAH",
                departure_utc=LATER,
                seats=120,
                escort_officers=40,
                medical_slots=2,
                wheelchair_slots=2,
            )
            uow.session.add(flight)
            uow.session.flush()
            for seq, airport in ((1, "PEK"), (2, "GUA")):
                uow.session.add(FlightStop(flight_id=flight.id, sequence=seq, airport=airport))
        uow.commit()
        world.facility_id = facility.id  # type: ignore[attr-defined]
    for i in range(4):
        world.person(f"A{10000001 + i}", "CHN", facility_id=facility.id)
    world.person("A20000001", "GTM", family="FAM1", facility_id=facility.id)
    world.person("A20000002", "GTM", family="FAM1", facility_id=facility.id)
    return world


def _plan(ctx: AppContext, actor: Actor, *, now=T0, **kw) -> planning.PlanSummary:
    return planning.run_plan(ctx, actor, ctx.settings, time_limit=10, now=now, **kw)


def _signed(ctx: AppContext, officer: Actor, supervisor: Actor, *, sign: bool = True) -> None:
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    if sign:  # four eyes: a second supervisor signs
        signer = add_user(ctx, "sue", Role.SUPERVISOR)
        with ctx.uow() as uow:
            manifests.sign_manifest(uow, signer, "RF0001", now=T0)


def _placed(ctx: AppContext, world: World) -> dict[str, tuple[str, bool]]:
    """case number -> (flight code, frozen) in the current plan."""
    case = {pid: c for c, pid in world.person_ids.items()}
    with ctx.uow(write=False) as uow:
        rows = uow.session.execute(
            sa.select(Assignment.person_id, Flight.code, Assignment.frozen)
            .join(PlanRun, PlanRun.id == Assignment.plan_run_id)
            .join(FlightStop, FlightStop.id == Assignment.flight_stop_id)
            .join(Flight, Flight.id == FlightStop.flight_id)
            .where(PlanRun.status == "DRAFT")
        ).all()
    return {case[pid]: (code, bool(frozen)) for pid, code, frozen in rows if pid in case}


def _exclusions(ctx: AppContext, world: World) -> dict[str, tuple[str, dict]]:
    case = {pid: c for c, pid in world.person_ids.items()}
    with ctx.uow(write=False) as uow:
        rows = uow.session.execute(
            sa.select(PlanExclusion.person_id, PlanExclusion.reason, PlanExclusion.detail_json)
            .join(PlanRun, PlanRun.id == PlanExclusion.plan_run_id)
            .where(PlanRun.status == "DRAFT")
        ).all()
    return {case[pid]: (reason, json.loads(detail)) for pid, reason, detail in rows if pid in case}


# ---------------------------------------------------------------- defect 1: departed flights


def _approve_rf0001_alone(ctx: AppContext, world: World, officer: Actor, supervisor: Actor) -> None:
    """Plan with RF0002 cancelled-for-now (zero seats), sign RF0001, then give RF0002 its seats."""
    with ctx.uow() as uow:
        uow.session.execute(sa.update(Flight).where(Flight.code == "RF0002").values(seats=0))
        uow.commit()
    first = _plan(ctx, officer)
    assert first.placed == 6
    _signed(ctx, officer, supervisor)
    with ctx.uow() as uow:
        uow.session.execute(sa.update(Flight).where(Flight.code == "RF0002").values(seats=120))
        uow.commit()
    assert {code for code, _ in _placed(ctx, world).values()} == {"RF0001"}


def test_a_departed_signed_flight_leaves_planning(ctx: AppContext, officer: Actor, supervisor: Actor) -> None:
    world = _world(ctx)
    _approve_rf0001_alone(ctx, world, officer, supervisor)
    # RF0001 departs: everybody boarded but A10000004 (the departure records it this way).
    with ctx.uow() as uow:
        uow.session.execute(sa.update(Flight).where(Flight.code == "RF0001").values(status="DEPARTED"))
        uow.session.execute(
            sa.update(Person)
            .where(Person.case_number != "A10000004", Person.id.in_(list(world.person_ids.values())))
            .values(custody_status="REMOVED")
        )
        uow.commit()
    newcomer = world.person("A10000099", "CHN", facility_id=world.facility_id)  # type: ignore[attr-defined]
    summary = _plan(ctx, officer, now=DEPARTURE + timedelta(hours=2))  # refused before the fix
    placed = _placed(ctx, world)
    assert placed == {"A10000004": ("RF0002", False), newcomer: ("RF0002", False)}
    assert summary.placed == 2
    with ctx.uow(write=False) as uow:
        assert audit.verify_chain(uow).ok


def test_a_signed_flight_past_its_departure_time_holds_its_people(
    ctx: AppContext, officer: Actor, supervisor: Actor
) -> None:
    world = _world(ctx)
    _approve_rf0001_alone(ctx, world, officer, supervisor)
    before = _placed(ctx, world)
    # The departure time passes and nobody has recorded the departure yet.
    summary = _plan(ctx, officer, now=DEPARTURE + timedelta(hours=2))  # refused before the fix
    assert _placed(ctx, world) == before  # held on RF0001, never placed twice
    assert any("RF0001" in m and "depart" in m for m in summary.messages)


def test_flights_import_cancels_a_signed_flight_and_refuses_departed(
    ctx: AppContext, officer: Actor, supervisor: Actor
) -> None:
    world = _world(ctx)
    _approve_rf0001_alone(ctx, world, officer, supervisor)
    admin = admin_actor()
    departed = (FLIGHTS_HEADER + "\n" + _flight_row("RF0001", DEPARTURE, "DEPARTED") + "\n").encode()
    with pytest.raises(InvalidInput) as refused:  # refused before the fix too, but without the pointer
        do_import(ctx, admin, "flights", departed)
    text = str(refused.value) + " ".join(getattr(refused.value, "details", []) or [])
    assert "charter-planner depart RF0001" in text

    cancelled = (FLIGHTS_HEADER + "\n" + _flight_row("RF0001", DEPARTURE, "CANCELLED") + "\n").encode()
    do_import(ctx, admin, "flights", cancelled)  # refused before the fix
    with ctx.uow(write=False) as uow:
        status = uow.session.execute(sa.select(Flight.status).where(Flight.code == "RF0001")).scalar_one()
        changes = (
            uow.session.execute(
                sa.select(AuditEvent.changes_json)
                .where(AuditEvent.action == "flight.update", AuditEvent.entity_id == "RF0001")
                .order_by(AuditEvent.id.desc())
            )
            .scalars()
            .first()
        )
    assert status == "CANCELLED"
    assert changes is not None and json.loads(changes)["status"] == ["PLANNED", "CANCELLED"]
    _plan(ctx, officer)
    assert {code for code, _ in _placed(ctx, world).values()} == {"RF0002"}  # back to planning

    # A flight that already departed: re-importing DEPARTED changes nothing.
    with ctx.uow() as uow:
        uow.session.execute(sa.update(Flight).where(Flight.code == "RF0002").values(status="DEPARTED"))
        uow.commit()
    again = (FLIGHTS_HEADER + "\n" + _flight_row("RF0002", LATER, "DEPARTED") + "\n").encode()
    do_import(ctx, admin, "flights", again)


# ---------------------------------------------------------------- defect 3: frozen families


def test_a_new_member_of_a_frozen_family_never_wipes_the_plan(
    ctx: AppContext, officer: Actor, supervisor: Actor, signer: Actor
) -> None:
    world = _world(ctx, second_flight=False)
    for i in range(3):
        world.person(f"A1100000{i}", "CHN", facility_id=world.facility_id)  # type: ignore[attr-defined]
    first = _plan(ctx, officer)
    assert first.placed == 9
    _signed(ctx, officer, supervisor, sign=False)
    before = _placed(ctx, world)
    world.person("A20000003", "GTM", family="FAM1", facility_id=world.facility_id)  # type: ignore[attr-defined]
    extra = world.person("A10000050", "CHN", facility_id=world.facility_id)  # type: ignore[attr-defined]

    summary = _plan(ctx, officer)  # INFEASIBLE before the fix, everybody else dropped
    assert summary.status != "INFEASIBLE"
    placed = _placed(ctx, world)
    assert {c: v for c, v in placed.items() if c in before} == before  # the frozen family as it is
    assert "A20000003" not in placed and extra not in placed  # the flight is frozen: nobody new
    reason, detail = _exclusions(ctx, world)["A20000003"]
    assert reason == "FAMILY_ON_FROZEN_FLIGHT" and detail["flight"] == "RF0001"
    assert "reopen the flight for additions or strike the family off" in planning.reason_text(reason)
    assert any("FAM1" in m and "RF0001" in m and "reopen" in m and "strike" in m for m in summary.messages)

    with ctx.uow() as uow, pytest.raises(ManifestRefused) as refused:  # signed before the fix
        manifests.sign_manifest(uow, signer, "RF0001", now=T0)
    assert any("A20000003" in d and "FAM1" in d for d in refused.value.details)


def test_an_infeasible_plan_is_never_stored(
    ctx: AppContext, officer: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = _world(ctx, second_flight=False)
    first = _plan(ctx, officer)
    assert first.placed == 6
    before = _placed(ctx, world)

    def infeasible(problem: solver.Problem, *args, **kwargs) -> solver.Plan:
        return solver.Plan(
            assignment={},
            status=solver.SolveStatus.INFEASIBLE,
            objective=0,
            bound=0,
            gap=0.0,
            moves=6,
            earliness=0,
            seconds=0.0,
        )

    monkeypatch.setattr(solver, "solve", infeasible)
    with pytest.raises(Conflict, match="INFEASIBLE"):
        _plan(ctx, officer)
    assert _placed(ctx, world) == before  # the previous draft stays
    with ctx.uow(write=False) as uow:
        assert (
            uow.session.execute(
                sa.select(sa.func.count()).select_from(PlanRun).where(PlanRun.status == "DRAFT")
            ).scalar_one()
            == 1
        )
        assert (
            uow.session.execute(
                sa.select(sa.func.count()).where(AuditEvent.action == "plan.store.refused")
            ).scalar_one()
            == 1
        )


# ---------------------------------------------------------------- defect 4: stale inputs


def _court_stay(ctx: AppContext, officer: Actor, case: str) -> None:
    with ctx.uow() as uow:
        version = people_service.get_person(uow, officer, case).version
        people_service.update_person(
            uow,
            officer,
            case,
            {"legal_hold_reason": "court stay", "legal_hold_until": (DEPARTURE + timedelta(days=90)).date()},
            expected_version=version,
        )


def test_a_change_while_solving_is_noticed_and_re_solved(ctx: AppContext, officer: Actor) -> None:
    world = _world(ctx, second_flight=False)
    done: list[bool] = []

    def progress(fraction: float, message: str) -> None:
        if message.endswith("; solving") and not done:  # between the load and the store of the first solve
            done.append(True)
            _court_stay(ctx, officer, "A10000001")

    summary = _plan(ctx, officer, progress=progress)
    assert done
    placed = _placed(ctx, world)
    assert "A10000001" not in placed  # stored from stale data before the fix
    assert _exclusions(ctx, world)["A10000001"][0] == "LEGAL_HOLD"
    assert summary.placed == 5


def test_changes_during_every_solve_refuse_the_plan_naming_them(ctx: AppContext, officer: Actor) -> None:
    world = _world(ctx, second_flight=False)
    cases = iter(["A10000001", "A10000002", "A10000003", "A10000004"])

    def progress(fraction: float, message: str) -> None:
        if message.endswith("; solving"):
            _court_stay(ctx, officer, next(cases))

    with pytest.raises(Conflict) as refused:
        _plan(ctx, officer, progress=progress)
    assert "person.update" in str(refused.value) and officer.username in str(refused.value)
    assert _placed(ctx, world) == {}


def test_a_change_that_keeps_the_plan_valid_is_checked_and_stored(ctx: AppContext, officer: Actor) -> None:
    world = _world(ctx, second_flight=False)
    done: list[bool] = []

    def progress(fraction: float, message: str) -> None:
        if message.endswith("; solving") and not done:
            done.append(True)
            with ctx.uow() as uow:
                version = people_service.get_person(uow, officer, "A10000003").version
                people_service.update_person(
                    uow, officer, "A10000003", {"priority": 2}, expected_version=version
                )

    summary = _plan(ctx, officer, progress=progress)
    assert done and summary.placed == 6 and len(_placed(ctx, world)) == 6
    assert any("checked against the current data and still holds" in m for m in summary.messages)
    with ctx.uow(write=False) as uow:
        refused = uow.session.execute(
            sa.select(sa.func.count()).where(AuditEvent.action == "plan.store.refused")
        ).scalar_one()
    assert refused == 0
