"""Manifest workflow on a real database: prepare -> approve -> sign, revisions, refusals (audited)."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from planner.domain.eligibility import reason_label
from planner.domain.enums import ReasonCode, Role
from planner.domain.errors import InvalidInput, PermissionDenied
from planner.persistence import audit
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, Manifest, Person
from planner.services.auth import Actor
from planner.services.manifests import workflow as manifests
from planner.services.manifests.content import content_sha256
from planner.services.manifests.paxlst import parse_paxlst
from planner.services.manifests.workflow import ManifestRefused
from tests.conftest import add_user
from tests.integration.manifests.world import DEPARTURE, T0, World


def _actions(ctx: AppContext) -> list[str]:
    with ctx.uow(write=False) as uow:
        return list(uow.session.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


def _events(ctx: AppContext, action: str) -> list[dict]:
    with ctx.uow(write=False) as uow:
        rows = uow.session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)).scalars().all()
        return [json.loads(r.changes_json) | {"actor": r.actor, "entity_id": r.entity_id} for r in rows]


def _world(ctx: AppContext, people: int = 4) -> World:
    world = World(ctx).setup()
    for i in range(people):
        world.person(f"A{10000001 + i}", "CHN")
    world.person("A20000001", "GTM", family="FAM1")
    world.person("A20000002", "GTM", family="FAM1")
    placement = {c: 1 for c in list(world.person_ids)[:people]}
    placement |= {"A20000001": 2, "A20000002": 2}
    world.plan(placement)
    return world


@pytest.fixture
def users(ctx: AppContext) -> tuple[Actor, Actor]:
    return add_user(ctx, "olivia", Role.OFFICER), add_user(ctx, "sam", Role.SUPERVISOR)


def test_happy_path_prepare_approve_sign_on_both_backends(
    ctx: AppContext, users: tuple[Actor, Actor], signer: Actor
) -> None:
    officer, supervisor = users
    world = _world(ctx)
    with ctx.uow() as uow:
        draft = manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
    assert (draft.revision, draft.status, draft.person_count, draft.created) == (1, "DRAFT", 6, True)
    with ctx.uow() as uow:
        again = manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
    assert (again.revision, again.created, again.sha256) == (1, False, draft.sha256)

    with ctx.uow() as uow:
        content = manifests.manifest_content(uow, officer, "RF0001")
    assert content_sha256(content) == draft.sha256
    assert content.departure_timezone == "America/Chicago"
    row = next(r for s in content.stops for r in s.rows if r.case_number == "A10000001")
    assert row.document_type == "PASSPORT" and row.verification_reference == "REF-A10000001"
    assert [len(s.rows) for s in content.stops] == [4, 2]

    with ctx.uow() as uow:
        approved = manifests.approve_manifest(uow, supervisor, "RF0001", now=T0 + timedelta(hours=1))
    assert (approved.status, approved.approved_by, approved.sha256) == ("APPROVED", "sam", draft.sha256)
    assert world.frozen_cases() == set(world.person_ids)
    with ctx.uow(write=False) as uow:
        sent = manifests.sent_manifest_people(uow)
    assert sent[world.stop_ids[1]] == {world.person_ids[c] for c in list(world.person_ids)[:4]}

    with ctx.uow() as uow:
        signed = manifests.sign_manifest(uow, signer, "RF0001", now=T0 + timedelta(hours=2))
    assert (signed.status, signed.signed_by, signed.pades_signed) == ("SIGNED", "sue", False)

    actions = _actions(ctx)
    for action in ("manifest.prepare", "manifest.approve", "manifest.sign"):
        assert actions.count(action) == 1, action
    with ctx.uow(write=False) as uow:
        assert audit.verify_chain(uow).ok

    # PDF: every person, Hanzi included; PAXLST: CNT = people.
    with ctx.uow(write=False) as uow:
        pdf = manifests.manifest_pdf(uow, officer, "RF0001")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    with ctx.uow(write=False) as uow:
        people = uow.session.execute(sa.select(Person)).scalars().all()
        for p in people:
            assert p.case_number in text
            assert p.family_name in text
            if p.native_name:
                assert p.native_name in text
    assert draft.sha256 in text
    with ctx.uow() as uow:
        edi = manifests.export_paxlst(uow, officer, "RF0001", now=T0)
    segments = parse_paxlst(edi)
    cnt = next(s for s in segments if s.tag == "CNT")
    assert cnt.element(0, 1) == "6"
    assert sum(1 for s in segments if s.tag == "NAD" and s.element(0) == "FL") == 6


def test_officer_approving_is_refused_and_audited(ctx: AppContext, officer: Actor) -> None:
    _world(ctx)
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
    with ctx.uow() as uow, pytest.raises(PermissionDenied):
        manifests.approve_manifest(uow, officer, "RF0001", now=T0)
    with ctx.uow() as uow, pytest.raises(PermissionDenied):
        manifests.sign_manifest(uow, officer, "RF0001", now=T0)
    denied = _events(ctx, "permission.denied")
    assert [d["entity_id"] for d in denied] == [
        "approve the manifest of RF0001",
        "sign the manifest of RF0001",
    ]
    with ctx.uow(write=False) as uow:
        assert uow.session.execute(sa.select(Manifest.status)).scalar_one() == "DRAFT"


def test_approve_refused_when_the_plan_changed_since_the_draft(
    ctx: AppContext, officer: Actor, supervisor: Actor
) -> None:
    world = _world(ctx)
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
    world.person("A10000099")
    world.plan({c: (2 if c.startswith("A2") else 1) for c in world.person_ids})
    with ctx.uow() as uow, pytest.raises(ManifestRefused, match="changed since revision 1"):
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    refused = _events(ctx, "manifest.approve.refused")
    assert len(refused) == 1 and refused[0]["actor"] == "sam"
    with ctx.uow(write=False) as uow:
        assert uow.session.execute(sa.select(Manifest.status)).scalar_one() == "DRAFT"
    # Prepared again, the new draft replaces the old one and can be approved.
    with ctx.uow() as uow:
        rev2 = manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
    with ctx.uow() as uow:
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    with ctx.uow(write=False) as uow:
        statuses = dict(uow.session.execute(sa.select(Manifest.revision, Manifest.status)).all())
    assert rev2.revision == 2 and statuses == {1: "SUPERSEDED", 2: "APPROVED"}


def test_addition_after_the_cutoff_is_refused_but_removal_allowed(
    ctx: AppContext, officer: Actor, supervisor: Actor
) -> None:
    world = _world(ctx)
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    after_china_cutoff = DEPARTURE - timedelta(days=10)  # China: 14 notice days; Guatemala: 3
    world.person("A10000099")
    world.plan({c: (2 if c.startswith("A2") else 1) for c in world.person_ids})
    with ctx.uow() as uow, pytest.raises(ManifestRefused, match="after the notice cut-off") as info:
        manifests.prepare_manifest(uow, officer, "RF0001", now=after_china_cutoff)
    assert any("A10000099" in d for d in info.value.details)
    refused = _events(ctx, "manifest.prepare.refused")
    assert len(refused) == 1 and "A10000099" in refused[0]["details"][0]
    with ctx.uow(write=False) as uow:
        assert uow.session.execute(sa.select(sa.func.count()).select_from(Manifest)).scalar_one() == 1

    # Removal after the cut-off: a new revision without the person; approving supersedes revision 1.
    world.plan({c: (2 if c.startswith("A2") else 1) for c in world.person_ids if c != "A10000099"})
    with ctx.uow() as uow:
        rev2 = manifests.remove_from_manifest(
            uow, officer, "RF0001", ["A10000002"], reason="court stay", now=after_china_cutoff
        )
    assert (rev2.revision, rev2.status, rev2.person_count) == (2, "DRAFT", 5)
    with ctx.uow() as uow:
        manifests.approve_manifest(uow, supervisor, "RF0001", now=after_china_cutoff)
    with ctx.uow(write=False) as uow:
        statuses = dict(uow.session.execute(sa.select(Manifest.revision, Manifest.status)).all())
    assert statuses == {1: "SUPERSEDED", 2: "APPROVED"}
    assert "manifest.remove_people" in _actions(ctx)
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="families travel together"):
        manifests.remove_from_manifest(
            uow, officer, "RF0001", ["A20000001"], reason="x", now=after_china_cutoff
        )


def test_nobody_may_be_approved_after_the_cutoff_of_a_never_sent_manifest(
    ctx: AppContext, officer: Actor, supervisor: Actor
) -> None:
    _world(ctx)
    late = DEPARTURE - timedelta(days=2)
    with ctx.uow() as uow, pytest.raises(ManifestRefused, match="after the notice cut-off"):
        manifests.prepare_manifest(uow, officer, "RF0001", now=late)
    assert len(_events(ctx, "manifest.prepare.refused")) == 1


def test_change_to_a_frozen_flight_without_a_new_revision_is_refused(
    ctx: AppContext, officer: Actor, supervisor: Actor, signer: Actor
) -> None:
    world = _world(ctx)
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    # Someone drops a frozen person from the plan behind the manifest's back.
    plan = world.plan({c: (2 if c.startswith("A2") else 1) for c in world.person_ids if c != "A10000003"})
    with (
        ctx.uow() as uow,
        pytest.raises(ManifestRefused, match="changed since revision 1 was approved") as info,
    ):
        manifests.sign_manifest(uow, signer, "RF0001", now=T0)
    assert info.value.details == ["A10000003: taken off stop 1 without a new revision"]
    with ctx.uow() as uow, pytest.raises(ManifestRefused, match="without a new revision"):
        manifests.check_frozen_flights(uow, officer, plan_run_id=plan)
    assert len(_events(ctx, "manifest.sign.refused")) == 1
    assert len(_events(ctx, "manifest.change.refused")) == 1
    with ctx.uow(write=False) as uow:
        assert uow.session.execute(sa.select(Manifest.status)).scalar_one() == "APPROVED"


def test_prepare_refuses_people_the_manifest_may_not_carry(ctx: AppContext, officer: Actor) -> None:
    world = _world(ctx)
    with ctx.uow() as uow:
        person = uow.session.get(Person, world.person_ids["A10000001"])
        person.legal_hold_reason = "court stay"
        uow.commit()
    with ctx.uow() as uow, pytest.raises(ManifestRefused) as info:
        manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
    assert info.value.details == [f"A10000001 (stop 1 PEK): {reason_label(ReasonCode.LEGAL_HOLD)}"]
    # A family split across the plan is refused too.
    world.plan(
        {c: (2 if c.startswith("A2") else 1) for c in world.person_ids if c not in {"A10000001", "A20000002"}}
    )
    with ctx.uow() as uow, pytest.raises(ManifestRefused) as info:
        manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
    assert any("family group FAM1" in d for d in info.value.details)


def test_hash_check_current_superseded_unknown(ctx: AppContext, officer: Actor, supervisor: Actor) -> None:
    world = _world(ctx)
    with ctx.uow() as uow:
        rev1 = manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    world.plan({c: (2 if c.startswith("A2") else 1) for c in world.person_ids})

    def check(digest: str) -> manifests.HashCheck:
        with ctx.uow(write=False) as uow:
            return manifests.check_manifest_hash(uow, officer, "RF0001", digest)

    assert check(rev1.sha256.upper()).verdict == "current"
    with ctx.uow() as uow:
        rev2 = manifests.remove_from_manifest(uow, officer, "RF0001", ["A10000004"], reason="stay", now=T0)
    in_force = check(rev1.sha256)
    assert (in_force.verdict, in_force.revision) == ("current", 1)
    assert "awaits approval" in in_force.message
    with ctx.uow() as uow:
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    old = check(rev1.sha256)
    assert (old.verdict, old.revision, old.status) == ("superseded", 1, "SUPERSEDED")
    assert check(rev2.sha256).verdict == "current"
    assert check("0" * 64).verdict == "unknown"
    with ctx.uow(write=False) as uow, pytest.raises(InvalidInput):
        manifests.check_manifest_hash(uow, officer, "RF0001", "xyz")
    # The superseded revision stays readable, with its watermark.
    with ctx.uow(write=False) as uow:
        pdf = manifests.manifest_pdf(uow, officer, "RF0001", revision=1)
    assert "SUPERSEDED" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
