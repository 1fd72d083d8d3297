"""Reopening an approved flight for additions before the notice cut-off, on a real database: the
planner fills the free seats after a reopen (never before), the people of the sent manifest stay
frozen in place, the next revision is prepared and approved as usual; refusals are audited."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from planner.domain.enums import Role
from planner.domain.errors import InvalidInput, NotFound, PermissionDenied
from planner.persistence import audit
from planner.persistence.context import AppContext
from planner.persistence.models import (
    Assignment,
    AuditEvent,
    Facility,
    FacilityAirport,
    Flight,
    Manifest,
    PlanRun,
    User,
)
from planner.services import planning
from planner.services.auth import Actor
from planner.services.manifests import workflow as manifests
from planner.services.manifests.workflow import ManifestRefused
from tests.conftest import add_user
from tests.integration.manifests.world import DEPARTURE, T0, World

#: China (stop 1, PEK) has 14 notice days, Guatemala (stop 2, GUA) 3.
CHINA_CUTOFF = DEPARTURE - timedelta(days=14)
GUATEMALA_CUTOFF = DEPARTURE - timedelta(days=3)


def _events(ctx: AppContext, action: str) -> list[dict]:
    with ctx.uow(write=False) as uow:
        rows = (
            uow.session.execute(
                sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
            .scalars()
            .all()
        )
        return [
            json.loads(r.changes_json) | {"actor": r.actor, "entity": r.entity, "entity_id": r.entity_id}
            for r in rows
        ]


def _statuses(ctx: AppContext) -> dict[int, str]:
    with ctx.uow(write=False) as uow:
        return dict(uow.session.execute(sa.select(Manifest.revision, Manifest.status)).all())


def _world(ctx: AppContext) -> World:
    """RF0001 with four Chinese nationals and a Guatemalan family of two, planned directly."""
    world = World(ctx).setup()
    for i in range(4):
        world.person(f"A{10000001 + i}", "CHN")
    world.person("A20000001", "GTM", family="FAM1")
    world.person("A20000002", "GTM", family="FAM1")
    world.plan({c: (2 if c.startswith("A2") else 1) for c in world.person_ids})
    return world


def _approved(ctx: AppContext, officer: Actor, supervisor: Actor, *, signer: Actor | None = None) -> World:
    """RF0001 prepared by ``officer``, approved by ``supervisor`` and, given one, signed by ``signer``."""
    world = _world(ctx)
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
        if signer is not None:
            manifests.sign_manifest(uow, signer, "RF0001", now=T0)
    return world


def _reopen(ctx: AppContext, actor: Actor, *, reason: str = "free seats", now=T0) -> manifests.ManifestInfo:
    with ctx.uow() as uow:
        info = manifests.reopen_manifest(uow, actor, "RF0001", reason=reason, now=now)
    return info


# ---------------------------------------------------------------- end to end with the planner


def _facility(ctx: AppContext) -> int:
    with ctx.uow() as uow:
        facility = Facility(code="HOU", name="Houston Processing Center", city="Houston")
        uow.session.add(facility)
        uow.session.flush()
        uow.session.add(FacilityAirport(facility_id=facility.id, airport="IAH", transfer_hours=4))
        uow.commit()
        return facility.id


def _run_plan(ctx: AppContext, actor: Actor) -> planning.PlanSummary:
    return planning.run_plan(ctx, actor, ctx.settings, time_limit=10, now=T0)


def _placed(ctx: AppContext, world: World) -> dict[str, tuple[int, bool]]:
    """case number -> (stop sequence, frozen) in the current plan."""
    sequence = {sid: seq for seq, sid in world.stop_ids.items()}
    case = {pid: c for c, pid in world.person_ids.items()}
    with ctx.uow(write=False) as uow:
        rows = uow.session.execute(
            sa.select(Assignment.person_id, Assignment.flight_stop_id, Assignment.frozen)
            .join(PlanRun, PlanRun.id == Assignment.plan_run_id)
            .where(PlanRun.status == "DRAFT")
        ).all()
    return {case[pid]: (sequence[sid], bool(frozen)) for pid, sid, frozen in rows}


def test_reopen_lets_the_planner_fill_free_seats_then_the_next_revision_is_approved(
    ctx: AppContext, officer: Actor, supervisor: Actor
) -> None:
    world = World(ctx).setup()
    facility = _facility(ctx)
    for i in range(4):
        world.person(f"A{10000001 + i}", "CHN", facility_id=facility)
    world.person("A20000001", "GTM", family="FAM1", facility_id=facility)
    world.person("A20000002", "GTM", family="FAM1", facility_id=facility)
    first = _run_plan(ctx, officer)
    assert first.placed == 6
    with ctx.uow() as uow:
        rev1 = manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    sent = _placed(ctx, world)
    assert all(frozen for _, frozen in sent.values()) and len(sent) == 6

    # Somebody eligible turns up; the flight (120 seats, 6 taken) is frozen: the planner leaves them out.
    late = world.person("A10000099", "CHN", facility_id=facility)
    _run_plan(ctx, officer)
    assert late not in _placed(ctx, world)
    assert _placed(ctx, world) == sent

    # Reopened: a DRAFT with the in-force content; revision 1 stays in force (and is what was sent).
    draft = _reopen(ctx, officer, reason="flight under 80 % full")
    assert (draft.revision, draft.status, draft.person_count, draft.created) == (2, "DRAFT", 6, True)
    assert _statuses(ctx) == {1: "APPROVED", 2: "DRAFT"}
    with ctx.uow(write=False) as uow:
        assert manifests.frozen_flight_ids(uow) == set()
        assert manifests.sent_manifest_people(uow)[world.stop_ids[1]] == {
            world.person_ids[c] for c in ("A10000001", "A10000002", "A10000003", "A10000004")
        }
        in_force = manifests.check_manifest_hash(uow, officer, "RF0001", rev1.sha256)
        copied = manifests.manifest_content(uow, officer, "RF0001", revision=2)
        sent_content = manifests.manifest_content(uow, officer, "RF0001", revision=1)
    assert (in_force.verdict, in_force.revision) == ("current", 1) and "awaits approval" in in_force.message
    assert copied.stops == sent_content.stops and copied.approved_by is None

    # The planner now adds the person; those on the sent manifest stay frozen where they were.
    _run_plan(ctx, officer)
    after = _placed(ctx, world)
    assert after[late] == (1, False)
    assert {c: v for c, v in after.items() if c != late} == sent

    # Prepared and approved as usual: revision 3 in force, revisions 1 and 2 superseded.
    with ctx.uow() as uow:
        rev3 = manifests.prepare_manifest(uow, officer, "RF0001", now=T0 + timedelta(hours=1))
    assert (rev3.revision, rev3.status, rev3.person_count) == (3, "DRAFT", 7)
    assert _statuses(ctx) == {1: "APPROVED", 2: "SUPERSEDED", 3: "DRAFT"}
    with ctx.uow() as uow:
        approved = manifests.approve_manifest(uow, supervisor, "RF0001", now=T0 + timedelta(hours=2))
    assert (approved.revision, approved.status) == (3, "APPROVED")
    assert _statuses(ctx) == {1: "SUPERSEDED", 2: "SUPERSEDED", 3: "APPROVED"}
    assert _placed(ctx, world)[late] == (1, True)
    with ctx.uow(write=False) as uow:
        assert manifests.frozen_flight_ids(uow) == {world.flight_id}
        assert world.person_ids[late] in manifests.sent_manifest_people(uow)[world.stop_ids[1]]
        assert audit.verify_chain(uow).ok

    [event] = _events(ctx, "manifest.reopen")
    assert event["entity"] == "flight" and event["entity_id"] == "RF0001" and event["actor"] == "olivia"
    assert event["reason"] == "flight under 80 % full"
    assert (event["in_force_revision"], event["in_force_status"], event["draft_revision"]) == (
        1,
        "APPROVED",
        2,
    )
    assert [s["airport"] for s in event["open_stops"]] == ["PEK", "GUA"]
    prepared = [e for e in _events(ctx, "manifest.prepare") if e["revision"] == 2]
    assert prepared and prepared[0]["reopened_from"] == 1


# ---------------------------------------------------------------- service rules


def test_a_signed_flight_reopens_and_an_unchanged_draft_can_be_approved_again(
    ctx: AppContext, officer: Actor, supervisor: Actor, signer: Actor
) -> None:
    _approved(ctx, officer, supervisor, signer=signer)
    draft = _reopen(ctx, officer)
    assert (draft.revision, draft.status) == (2, "DRAFT")
    assert _statuses(ctx) == {1: "SIGNED", 2: "DRAFT"}
    # Nobody added: preparing returns the reopened draft; approving it closes the flight again.
    with ctx.uow() as uow:
        same = manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
    assert (same.revision, same.created, same.sha256) == (2, False, draft.sha256)
    with ctx.uow() as uow:
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    assert _statuses(ctx) == {1: "SUPERSEDED", 2: "APPROVED"}


def test_reopen_refused_unless_the_newest_revision_is_approved(
    ctx: AppContext, officer: Actor, supervisor: Actor
) -> None:
    _world(ctx)
    with pytest.raises(ManifestRefused, match="has no manifest"):
        _reopen(ctx, officer)
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
    with pytest.raises(ManifestRefused, match="already open: its newest revision 1 is DRAFT"):
        _reopen(ctx, officer)
    with ctx.uow() as uow:
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    _reopen(ctx, officer)
    with pytest.raises(ManifestRefused, match="already open: its newest revision 2 is DRAFT"):
        _reopen(ctx, officer)
    refused = _events(ctx, "manifest.reopen.refused")
    assert len(refused) == 3
    assert all(e["entity"] == "flight" and e["entity_id"] == "RF0001" for e in refused)
    assert "has no manifest" in refused[0]["reason"]
    assert _statuses(ctx) == {1: "APPROVED", 2: "DRAFT"}
    assert len(_events(ctx, "manifest.reopen")) == 1


def test_reopen_refused_for_a_flight_that_is_not_planned(
    ctx: AppContext, officer: Actor, supervisor: Actor
) -> None:
    _approved(ctx, officer, supervisor)
    with ctx.uow() as uow:
        uow.session.execute(sa.update(Flight).values(status="CANCELLED"))
        uow.commit()
    with pytest.raises(ManifestRefused, match="is CANCELLED"):
        _reopen(ctx, officer)
    assert len(_events(ctx, "manifest.reopen.refused")) == 1
    assert _statuses(ctx) == {1: "APPROVED"}


def test_reopen_refused_once_every_cutoff_has_passed_allowed_while_one_is_ahead(
    ctx: AppContext, officer: Actor, supervisor: Actor
) -> None:
    world = _approved(ctx, officer, supervisor)
    with pytest.raises(ManifestRefused, match="every stop of RF0001 has passed") as info:
        _reopen(ctx, officer, now=GUATEMALA_CUTOFF)
    assert info.value.details == [
        f"stop 1 PEK: cut-off {CHINA_CUTOFF:%Y-%m-%d %H:%M} UTC",
        f"stop 2 GUA: cut-off {GUATEMALA_CUTOFF:%Y-%m-%d %H:%M} UTC",
    ]
    [refused] = _events(ctx, "manifest.reopen.refused")
    assert "take people off instead" in refused["reason"] and refused["actor"] == "olivia"
    assert refused["details"] == info.value.details
    assert _statuses(ctx) == {1: "APPROVED"}

    # Between the two cut-offs: reopened for Guatemala only; a Chinese addition is still refused.
    between = CHINA_CUTOFF + timedelta(days=1)
    _reopen(ctx, officer, now=between)
    [event] = _events(ctx, "manifest.reopen")
    assert [s["airport"] for s in event["open_stops"]] == ["GUA"]
    world.person("A10000099", "CHN")
    world.plan({c: (2 if c.startswith("A2") else 1) for c in world.person_ids})
    with ctx.uow() as uow, pytest.raises(ManifestRefused, match="after the notice cut-off"):
        manifests.prepare_manifest(uow, officer, "RF0001", now=between)
    world.person("A20000099", "GTM")
    world.plan({c: (2 if c.startswith("A2") else 1) for c in world.person_ids if c != "A10000099"})
    with ctx.uow() as uow:
        rev3 = manifests.prepare_manifest(uow, officer, "RF0001", now=between)
        manifests.approve_manifest(uow, supervisor, "RF0001", now=between)
    assert (rev3.revision, rev3.person_count) == (3, 7)
    assert _statuses(ctx) == {1: "SUPERSEDED", 2: "SUPERSEDED", 3: "APPROVED"}


def test_reopen_needs_a_reason_and_a_known_flight(ctx: AppContext, officer: Actor, supervisor: Actor) -> None:
    _approved(ctx, officer, supervisor)
    with pytest.raises(InvalidInput, match="reason"):
        _reopen(ctx, officer, reason="   ")
    with ctx.uow() as uow, pytest.raises(NotFound, match="RF9999"):
        manifests.reopen_manifest(uow, officer, "RF9999", reason="free seats", now=T0)
    assert _statuses(ctx) == {1: "APPROVED"}
    assert _events(ctx, "manifest.reopen") == []


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR, Role.ADMIN])
def test_every_role_may_reopen_but_not_an_inactive_account(
    ctx: AppContext, officer: Actor, supervisor: Actor, role: Role
) -> None:
    _approved(ctx, officer, supervisor)
    gone = add_user(ctx, "former", Role.SUPERVISOR)
    with ctx.uow() as uow:
        uow.session.execute(sa.update(User).where(User.username == "former").values(active=False))
        uow.commit()
    with pytest.raises(PermissionDenied):
        _reopen(ctx, gone)
    [denied] = _events(ctx, "permission.denied")
    assert denied["entity_id"] == "reopen the manifest of RF0001"

    actor = add_user(ctx, f"user-{role.value}", role)
    info = _reopen(ctx, actor)
    assert (info.revision, info.status) == (2, "DRAFT")
    assert _events(ctx, "manifest.reopen")[0]["actor"] == actor.username
