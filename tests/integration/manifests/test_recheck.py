"""Issue #12, defect 2: ``sign`` and ``paxlst`` re-check eligibility after approval, on both
backends. A court stay imported for a listed passenger, or a release from custody, makes both
refuse (audited), naming each person and the failed rule in words and pointing to the strike-off;
rule 9 (the notice cut-off) never refuses people listed on the sent manifest."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent
from planner.services import people as people_service
from planner.services.auth import Actor
from planner.services.manifests import workflow as manifests
from planner.services.manifests.workflow import ManifestRefused
from tests.integration.manifests.world import DEPARTURE, T0, World


def _approved(ctx: AppContext, officer: Actor, supervisor: Actor) -> World:
    """RF0001 with two Chinese nationals (stop 1) and a Guatemalan family of two (stop 2), approved."""
    world = World(ctx).setup()
    world.person("A10000001", "CHN")
    world.person("A10000002", "CHN")
    world.person("A20000001", "GTM", family="FAM1")
    world.person("A20000002", "GTM", family="FAM1")
    world.plan({"A10000001": 1, "A10000002": 1, "A20000001": 2, "A20000002": 2})
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
    with ctx.uow() as uow:
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    return world


def _edit(ctx: AppContext, officer: Actor, case: str, changes: dict) -> None:
    with ctx.uow() as uow:
        version = people_service.get_person(uow, officer, case).version
        people_service.update_person(uow, officer, case, changes, expected_version=version)


def _refusals(ctx: AppContext, action: str) -> list[dict]:
    with ctx.uow(write=False) as uow:
        return [
            json.loads(c)
            for c in uow.session.execute(
                sa.select(AuditEvent.changes_json).where(AuditEvent.action == action).order_by(AuditEvent.id)
            ).scalars()
        ]


def test_a_court_stay_after_approval_makes_sign_and_paxlst_refuse(
    ctx: AppContext, officer: Actor, supervisor: Actor, signer: Actor
) -> None:
    _approved(ctx, officer, supervisor)
    until = (DEPARTURE + timedelta(days=60)).date()
    _edit(ctx, officer, "A10000002", {"legal_hold_reason": "stay of removal", "legal_hold_until": until})

    with ctx.uow() as uow, pytest.raises(ManifestRefused) as refused:  # signed before the fix
        manifests.sign_manifest(uow, signer, "RF0001", now=T0)
    assert "charter-planner strike RF0001" in str(refused.value)
    [line] = refused.value.details
    assert line.startswith("A10000002 (stop 1 PEK)") and "LEGAL_HOLD" in line
    assert "legal hold" in line.lower() and "--reason LEGAL_STAY" in line
    assert _refusals(ctx, "manifest.sign.refused")[-1]["details"] == [line]

    with ctx.uow() as uow, pytest.raises(ManifestRefused) as refused:  # exported before the fix
        manifests.export_paxlst(uow, officer, "RF0001", now=T0)
    assert refused.value.details == [line]
    assert len(_refusals(ctx, "manifest.paxlst.refused")) == 1
    assert _refusals(ctx, "manifest.paxlst") == []
    with ctx.uow(write=False) as uow:
        assert manifests.current_manifest(uow, officer, "RF0001").status == "APPROVED"


def test_a_release_from_custody_refuses_the_whole_family(
    ctx: AppContext, officer: Actor, supervisor: Actor, signer: Actor
) -> None:
    _approved(ctx, officer, supervisor)
    _edit(ctx, officer, "A20000001", {"custody_status": "RELEASED"})
    with ctx.uow() as uow, pytest.raises(ManifestRefused) as refused:  # signed before the fix
        manifests.sign_manifest(uow, signer, "RF0001", now=T0)
    details = refused.value.details
    assert len(details) == 2
    assert details[0].startswith("A20000001 (stop 2 GUA)") and "NOT_IN_CUSTODY" in details[0]
    assert details[1].startswith("A20000002 (stop 2 GUA)") and "FAMILY_MEMBER_INELIGIBLE" in details[1]
    with ctx.uow() as uow, pytest.raises(ManifestRefused):
        manifests.export_paxlst(uow, officer, "RF0001", now=T0)


def test_people_listed_on_the_sent_manifest_pass_after_the_cutoff(
    ctx: AppContext, officer: Actor, supervisor: Actor, signer: Actor
) -> None:
    _approved(ctx, officer, supervisor)
    after_cutoff = DEPARTURE - timedelta(days=1)  # both stops' notice cut-offs have passed
    with ctx.uow() as uow:
        manifests.export_paxlst(uow, officer, "RF0001", now=after_cutoff)
    with ctx.uow() as uow:
        info = manifests.sign_manifest(uow, signer, "RF0001", now=after_cutoff)
    assert info.status == "SIGNED"
    with ctx.uow() as uow:
        manifests.export_paxlst(uow, officer, "RF0001", now=after_cutoff)
