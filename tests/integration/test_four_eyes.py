"""Four eyes on a manifest revision (both backends): the preparer never approves, the approver signs
only when the office setting allows it, an admin is no supervisor, and the PDF's signature blocks
show the display name and the role held when approving / signing."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from planner.domain.enums import Role
from planner.domain.errors import InvalidInput, PermissionDenied
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, Manifest, User
from planner.services import office_settings, users
from planner.services.auth import Actor
from planner.services.manifests import workflow as manifests
from planner.services.manifests.workflow import ManifestRefused
from tests.conftest import USER_PASSWORD, ContextMaker, add_user, admin_actor
from tests.integration.manifests.world import T0, World


def _world(ctx: AppContext) -> World:
    world = World(ctx).setup()
    world.person("A10000001", "CHN")
    world.person("A10000002", "CHN")
    world.plan({"A10000001": 1, "A10000002": 1})
    return world


def _person(ctx: AppContext, username: str, display_name: str, role: Role) -> Actor:
    with ctx.uow() as uow:
        return users.create_user(
            uow,
            admin_actor(),
            username=username,
            role=role.value,
            password=USER_PASSWORD,
            display_name=display_name,
        )


def _refusals(ctx: AppContext, action: str) -> list[dict]:
    with ctx.uow(write=False) as uow:
        rows = uow.session.execute(
            sa.select(AuditEvent.actor, AuditEvent.changes_json).where(AuditEvent.action == action)
        ).all()
    return [{"actor": actor, **json.loads(changes)} for actor, changes in rows]


def _status(ctx: AppContext) -> str:
    with ctx.uow(write=False) as uow:
        return (
            uow.session.execute(sa.select(Manifest.status).order_by(Manifest.revision.desc()))
            .scalars()
            .first()
        )


def _set(ctx: AppContext, **changes: object) -> None:
    with ctx.uow() as uow:
        office_settings.update(uow, admin_actor(), changes, office_settings.load(uow).version)


def test_the_preparer_may_not_approve_their_own_revision(ctx: AppContext, supervisor: Actor) -> None:
    _world(ctx)
    other = add_user(ctx, "sue", Role.SUPERVISOR)
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, supervisor, "RF0001", now=T0)
    with ctx.uow() as uow, pytest.raises(ManifestRefused) as refused:
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    assert str(refused.value) == "you prepared revision 1; another supervisor must approve it"
    assert "\n" not in str(refused.value)
    [event] = _refusals(ctx, "manifest.approve.refused")
    assert event["actor"] == "sam" and event["reason"] == str(refused.value)
    assert _status(ctx) == "DRAFT"
    # Not even with four_eyes_sign off: the preparer never approves.
    _set(ctx, four_eyes_sign=False)
    with ctx.uow() as uow, pytest.raises(ManifestRefused):
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    with ctx.uow() as uow:
        assert manifests.approve_manifest(uow, other, "RF0001", now=T0).approved_by == "sue"


def test_the_approver_may_not_sign_while_the_setting_is_on_and_may_when_it_is_off(
    ctx: AppContext, officer: Actor, supervisor: Actor, signer: Actor
) -> None:
    _world(ctx)
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
    with ctx.uow() as uow:
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    with (
        ctx.uow() as uow,
        pytest.raises(ManifestRefused, match=r"^you approved revision 1; another supervisor"),
    ):
        manifests.sign_manifest(uow, supervisor, "RF0001", now=T0)
    assert [e["actor"] for e in _refusals(ctx, "manifest.sign.refused")] == ["sam"]
    assert _status(ctx) == "APPROVED"

    _set(ctx, four_eyes_sign=False)
    with ctx.uow() as uow:
        signed = manifests.sign_manifest(uow, supervisor, "RF0001", now=T0)
    assert (signed.status, signed.approved_by, signed.signed_by) == ("SIGNED", "sam", "sam")


def test_a_different_supervisor_signs_with_the_setting_on(
    ctx: AppContext, officer: Actor, supervisor: Actor, signer: Actor
) -> None:
    _world(ctx)
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
    with ctx.uow() as uow:
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    with ctx.uow() as uow:
        signed = manifests.sign_manifest(uow, signer, "RF0001", now=T0)
    assert (signed.approved_by, signed.signed_by) == ("sam", "sue")
    assert _refusals(ctx, "manifest.sign.refused") == []


def test_an_admin_is_no_supervisor(ctx: AppContext, officer: Actor, supervisor: Actor) -> None:
    from planner.services.departure.boarding import close
    from planner.services.departure.depart import depart

    _world(ctx)
    admin = admin_actor()
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, admin, "RF0001", now=T0)  # an admin is an officer
    with ctx.uow() as uow, pytest.raises(PermissionDenied, match="needs supervisor"):
        manifests.approve_manifest(uow, admin, "RF0001", now=T0)
    with ctx.uow() as uow:
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    with ctx.uow() as uow, pytest.raises(PermissionDenied, match="needs supervisor"):
        manifests.sign_manifest(uow, admin, "RF0001", now=T0)
    with ctx.uow() as uow, pytest.raises(PermissionDenied, match="needs supervisor"):
        close(uow, admin, "RF0001", now=T0)
    with ctx.uow() as uow, pytest.raises(PermissionDenied, match="needs supervisor"):
        depart(uow, admin, "RF0001", now=T0)
    with ctx.uow(write=False) as uow:
        denied = uow.session.execute(
            sa.select(AuditEvent.entity_id).where(
                AuditEvent.action == "permission.denied", AuditEvent.actor == "admin"
            )
        ).scalars()
        assert list(denied) == [
            "approve the manifest of RF0001",
            "sign the manifest of RF0001",
            "close RF0001",
            "mark RF0001 departed",
        ]
    assert _status(ctx) == "APPROVED"


def test_signature_blocks_show_the_display_name_and_the_role_held_then(
    ctx: AppContext, officer: Actor
) -> None:
    _world(ctx)
    sofia = _person(ctx, "sofia", "Sofia Ruiz", Role.SUPERVISOR)
    marek = _person(ctx, "marek", "Marek Nowak", Role.SUPERVISOR)
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
    with ctx.uow() as uow:
        manifests.approve_manifest(uow, marek, "RF0001", now=T0)
    with ctx.uow() as uow:
        manifests.sign_manifest(uow, sofia, "RF0001", now=T0)
    with ctx.uow() as uow:  # promoted later: the PDF keeps the role she held when she signed
        uow.session.execute(sa.update(User).where(User.username == "sofia").values(role=Role.ADMIN.value))
        uow.commit()
    with ctx.uow(write=False) as uow:
        content = manifests.manifest_content(uow, officer, "RF0001")
        pdf = manifests.manifest_pdf(uow, officer, "RF0001")
    assert (content.approved_role, content.signed_role) == ("supervisor", "supervisor")
    text = " ".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Approved by Signed by" in text  # the blocks' titles, once filled in
    assert "Name: Marek Nowak (supervisor)" in text and "Name: Sofia Ruiz (supervisor)" in text
    assert "Sofia Ruiz (admin)" not in text


# ---------------------------------------------------------------- property: any order of attempts

_STEP = st.tuples(
    st.sampled_from(["olivia", "sam", "sue", "ada"]), st.sampled_from(["prepare", "approve", "sign"])
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(_STEP, min_size=1, max_size=7), four_eyes_sign=st.booleans())
def test_no_order_of_attempts_breaks_four_eyes(
    contexts: ContextMaker, backend: str, steps: list[tuple[str, str]], four_eyes_sign: bool
) -> None:
    """Whoever tries to prepare, approve and sign, in whatever order: no revision is approved by its
    preparer, signed by its approver while four_eyes_sign is on, or approved/signed by anyone but a
    supervisor; every refused attempt changes nothing."""
    ctx = contexts.make(backend)
    _world(ctx)
    people = {
        "olivia": add_user(ctx, "olivia", Role.OFFICER),
        "sam": add_user(ctx, "sam", Role.SUPERVISOR),
        "sue": add_user(ctx, "sue", Role.SUPERVISOR),
        "ada": admin_actor(),
    }
    _set(ctx, four_eyes_sign=four_eyes_sign)
    services = {
        "prepare": manifests.prepare_manifest,
        "approve": manifests.approve_manifest,
        "sign": manifests.sign_manifest,
    }
    for who, step in steps:
        with ctx.uow(write=False) as uow:
            before = uow.session.execute(sa.select(Manifest.id, Manifest.status, Manifest.version)).all()
        try:
            with ctx.uow() as uow:
                services[step](uow, people[who], "RF0001", now=T0)
        except (ManifestRefused, PermissionDenied, InvalidInput):
            with ctx.uow(write=False) as uow:
                after = uow.session.execute(sa.select(Manifest.id, Manifest.status, Manifest.version)).all()
            assert after == before, (who, step)
    with ctx.uow(write=False) as uow:
        rows = uow.session.execute(
            sa.select(Manifest.prepared_by, Manifest.approved_by, Manifest.signed_by)
        ).all()
        roles = dict(uow.session.execute(sa.select(User.username, User.role)).all())
    for row in rows:
        assert row.approved_by is None or (
            row.approved_by != row.prepared_by and roles[row.approved_by] == "supervisor"
        )
        assert row.signed_by is None or roles[row.signed_by] == "supervisor"
        if four_eyes_sign:
            assert row.signed_by is None or row.signed_by != row.approved_by
