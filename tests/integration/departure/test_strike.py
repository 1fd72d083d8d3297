"""Strike-off with a coded reason: whole families, the reason kept, reserves moving up within the
rules, the next DRAFT revision; every refusal writes nothing (both backends)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from planner.domain.errors import InvalidInput, PermissionDenied
from planner.persistence.context import AppContext
from planner.persistence.models import Assignment, AuditEvent, Person, PlanExclusion, StrikeOff
from planner.services.current_plan import current_draft_plan_id
from planner.services.departure.strike import STRUCK_OFF, strike
from planner.services.manifests import workflow as manifests
from tests.integration.departure.world import DEPARTURE, T0, add, approve, departure_world, staff, writes


def _world(ctx: AppContext):  # type: ignore[no-untyped-def]
    """Two Chinese nationals on stop 1, the García family (two) on stop 2, a third Chinese national
    not placed: the flight's one reserve."""
    world = departure_world(ctx)
    for case in ("A10000001", "A10000002", "A10000003"):
        add(world, case)
    add(world, "A20000001", "GTM", family="FAM1")
    add(world, "A20000002", "GTM", family="FAM1")
    world.plan({"A10000001": 1, "A10000002": 1, "A20000001": 2, "A20000002": 2})
    return world


def _placed(ctx: AppContext, world) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """case -> stop sequence in the current plan (RF0001 only)."""
    seq_of = {sid: seq for seq, sid in world.stop_ids.items()}
    with ctx.uow(write=False) as uow:
        plan = current_draft_plan_id(uow)
        rows = uow.session.execute(
            sa.select(Person.case_number, Assignment.flight_stop_id)
            .join(Assignment, Assignment.person_id == Person.id)
            .where(Assignment.plan_run_id == plan)
        ).all()
    return {case: seq_of[sid] for case, sid in rows if sid in seq_of}


def test_strike_takes_the_person_off_keeps_the_reason_and_moves_the_reserve_up(ctx: AppContext) -> None:
    world = _world(ctx)
    officer, supervisor = staff(ctx)
    approve(ctx, officer, supervisor)
    with ctx.uow() as uow:
        result = strike(
            uow, officer, "RF0001", "a10000001", "MEDICAL_UNFIT", "fever", now=T0 + timedelta(days=1)
        )
    assert result.struck == ("A10000001",)
    assert result.moved_up == ("A10000003 -> stop 1 PEK",)
    assert result.manifest is not None and (result.manifest.revision, result.manifest.status) == (2, "DRAFT")
    assert _placed(ctx, world) == {"A10000002": 1, "A10000003": 1, "A20000001": 2, "A20000002": 2}
    with ctx.uow(write=False) as uow:
        [row] = uow.session.execute(sa.select(StrikeOff)).scalars().all()
        assert (row.reason, row.note, row.struck_by, row.stop_sequence, row.manifest_revision) == (
            "MEDICAL_UNFIT",
            "fever",
            "olivia",
            1,
            1,
        )
        exclusion = uow.session.execute(
            sa.select(PlanExclusion).where(PlanExclusion.person_id == world.person_ids["A10000001"])
        ).scalar_one()
        assert exclusion.reason == STRUCK_OFF
        assert json.loads(exclusion.detail_json)["strike_reason"] == "MEDICAL_UNFIT"
        event = uow.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "departure.strike")
        ).scalar_one()
        changes = json.loads(event.changes_json)
        assert (changes["reason"], changes["note"], changes["struck"]) == (
            "MEDICAL_UNFIT",
            "fever",
            ["A10000001"],
        )
        assert changes["moved_up"] == ["A10000003 -> stop 1 PEK"]
    # The new revision, once approved, lists the reserve and not the struck person.
    with ctx.uow() as uow:
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0 + timedelta(days=1))
    with ctx.uow(write=False) as uow:
        content = manifests.manifest_content(uow, officer, "RF0001")
    listed = {r.case_number for s in content.stops for r in s.rows}
    assert "A10000003" in listed and "A10000001" not in listed


def test_a_family_comes_off_together(ctx: AppContext) -> None:
    world = _world(ctx)
    officer, supervisor = staff(ctx)
    approve(ctx, officer, supervisor)
    with ctx.uow() as uow:
        result = strike(uow, officer, "RF0001", "A20000002", "DOCUMENT_PROBLEM", now=T0 + timedelta(days=1))
    assert result.struck == ("A20000001", "A20000002")
    placed = _placed(ctx, world)
    assert "A20000001" not in placed and "A20000002" not in placed
    with ctx.uow(write=False) as uow:
        assert uow.session.execute(sa.select(sa.func.count()).select_from(StrikeOff)).scalar_one() == 2


def test_strike_before_any_manifest_works_on_the_plan(ctx: AppContext) -> None:
    world = _world(ctx)
    officer, _ = staff(ctx)
    with ctx.uow() as uow:
        result = strike(uow, officer, "RF0001", "A10000002", "LEGAL_STAY", now=T0)
    assert result.manifest is None and result.struck == ("A10000002",)
    assert "A10000002" not in _placed(ctx, world)


def test_after_the_cutoff_only_reserves_the_country_received_move_up(ctx: AppContext) -> None:
    world = _world(ctx)
    officer, supervisor = staff(ctx)
    approve(ctx, officer, supervisor)  # sent with A10000003 as the reserve for PEK
    add(world, "A10000009", priority=1)  # more urgent, but never sent to China
    after_pek_cutoff = DEPARTURE - timedelta(days=2)
    with ctx.uow() as uow:
        result = strike(uow, officer, "RF0001", "A10000001", "NO_SHOW", now=after_pek_cutoff)
    assert result.moved_up == ("A10000003 -> stop 1 PEK",)
    assert "A10000009" not in _placed(ctx, world)


def test_no_reserve_moves_up_when_none_fits(ctx: AppContext) -> None:
    world = _world(ctx)
    officer, supervisor = staff(ctx)
    with ctx.uow() as uow:  # the reserve needs a wheelchair slot the flight has no more of
        uow.session.execute(
            sa.update(Person).where(Person.case_number == "A10000003").values(medical_need="WHEELCHAIR")
        )
        uow.session.execute(
            sa.update(Person)
            .where(Person.case_number.in_(["A10000001", "A10000002"]))
            .values(medical_need="WHEELCHAIR")
        )
        uow.commit()
    approve(ctx, officer, supervisor)
    with ctx.uow() as uow:  # a struck GTM member frees a seat but no wheelchair slot
        result = strike(uow, officer, "RF0001", "A20000001", "DISRUPTIVE", now=T0 + timedelta(days=1))
    assert result.moved_up == ()
    assert "A10000003" not in _placed(ctx, world)


@pytest.mark.parametrize(
    ("flight", "case", "reason", "note", "message"),
    [
        ("RF0001", "A10000001", "BORED", None, "unknown reason"),
        ("RF0001", "A10000001", "OTHER", "  ", "needs a note"),
        ("RF9999", "A10000001", "NO_SHOW", None, "no flight RF9999"),
        ("RF0001", "A99999999", "NO_SHOW", None, "no person with case number A99999999"),
        ("RF0001", "A10000003", "NO_SHOW", None, "is not listed on RF0001"),
    ],
)
def test_bad_strikes_write_nothing(
    ctx: AppContext, flight: str, case: str, reason: str, note, message: str
) -> None:  # type: ignore[no-untyped-def]
    _world(ctx)
    officer, supervisor = staff(ctx)
    approve(ctx, officer, supervisor)
    before = writes(ctx)
    with ctx.uow() as uow, pytest.raises(InvalidInput, match=message):
        strike(uow, officer, flight, case, reason, note, now=T0)
    assert writes(ctx) == before


def test_a_second_strike_and_an_unknown_user_are_refused(ctx: AppContext) -> None:
    _world(ctx)
    officer, supervisor = staff(ctx)
    approve(ctx, officer, supervisor)
    with ctx.uow() as uow:
        strike(uow, officer, "RF0001", "A10000001", "OTHER", "deported by another route", now=T0)
    before = writes(ctx)
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="already struck off"):
        strike(uow, officer, "RF0001", "A10000001", "NO_SHOW", now=T0)
    assert writes(ctx) == before
    from planner.domain.enums import Role
    from planner.services.auth import Actor

    with ctx.uow() as uow, pytest.raises(PermissionDenied):
        strike(uow, Actor("mallory", Role.OFFICER), "RF0001", "A10000002", "NO_SHOW", now=T0)


def test_the_next_plan_never_puts_a_struck_person_back_and_says_why(ctx: AppContext) -> None:
    from planner.services import planning

    world = departure_world(ctx, second_flight=False)
    add(world, "A10000001")
    add(world, "A10000002")
    officer, _ = staff(ctx)
    planning.run_plan(ctx, officer, ctx.settings, time_limit=5, now=T0)
    with ctx.uow() as uow:
        strike(uow, officer, "RF0001", "A10000001", "NO_SHOW", now=T0)
    summary = planning.run_plan(ctx, officer, ctx.settings, time_limit=5, now=T0)
    assert _placed(ctx, world) == {"A10000002": 1}
    assert summary.not_placed_by_reason == {planning.STRUCK_OFF: 1}
    with ctx.uow(write=False) as uow:
        plan = current_draft_plan_id(uow)
        detail = uow.session.execute(
            sa.select(PlanExclusion.detail_json).where(
                PlanExclusion.plan_run_id == plan, PlanExclusion.person_id == world.person_ids["A10000001"]
            )
        ).scalar_one()
    assert json.loads(detail) == {"flights": ["RF0001"]}
    assert "struck off" in planning.reason_text(planning.STRUCK_OFF)
