"""Users: Argon2id hashes, throttled logins (every attempt audited), and the role gate."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from planner.domain.enums import Role
from planner.domain.errors import AuthenticationFailed, Conflict, InvalidInput, PermissionDenied
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, User, utc_now
from planner.services import users
from planner.services.auth import Actor, authorize
from planner.services.users import FAILURES_BEFORE_LOCK, lock_delay
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD, add_user


def _events(ctx: AppContext, action: str) -> list[tuple[str, str, str]]:
    with ctx.uow(write=False) as uow:
        return uow.session.execute(
            sa.select(AuditEvent.actor, AuditEvent.entity_id, AuditEvent.changes_json)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id)
        ).all()


def test_password_is_stored_as_argon2id_with_owasp_parameters(ctx: AppContext) -> None:
    with ctx.uow(write=False) as uow:
        stored = uow.session.execute(
            sa.select(User.password_hash).where(User.username == "admin")
        ).scalar_one()
    assert stored.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in stored
    assert ADMIN_PASSWORD not in stored


def test_login_succeeds_and_is_audited(ctx: AppContext) -> None:
    with ctx.uow() as uow:
        actor = users.authenticate(uow, "admin", ADMIN_PASSWORD)
    assert actor == Actor("admin", Role.ADMIN, "admin")
    assert _events(ctx, "login.success")[-1][1] == "admin"


def test_wrong_password_and_unknown_user_give_the_same_message(ctx: AppContext) -> None:
    messages = []
    for name, password in [("admin", "wrong-password"), ("nobody", "whatever-pass")]:
        with ctx.uow() as uow, pytest.raises(AuthenticationFailed) as info:
            users.authenticate(uow, name, password)
        messages.append(str(info.value))
    assert messages[0] == messages[1] == users.SIGN_IN_FAILED
    assert [e[1] for e in _events(ctx, "login.failure")] == ["admin", "nobody"]


def test_account_waits_after_five_failures_with_a_growing_delay(ctx: AppContext) -> None:
    now = utc_now()
    for _attempt in range(FAILURES_BEFORE_LOCK):
        with ctx.uow() as uow, pytest.raises(AuthenticationFailed):
            users.authenticate(uow, "admin", "wrong-password", now=now)
    # Waiting now: even the right password is refused, unchecked, and that is audited.
    with ctx.uow() as uow, pytest.raises(AuthenticationFailed) as refused:
        users.authenticate(uow, "admin", ADMIN_PASSWORD, now=now + timedelta(seconds=1))
    assert str(refused.value) == users.SIGN_IN_FAILED
    assert '"reason":"throttled"' in _events(ctx, "login.failure")[-1][2]
    # After the delay a wrong password makes the next attempt wait twice as long.
    later = now + lock_delay(FAILURES_BEFORE_LOCK) + timedelta(seconds=1)
    with ctx.uow() as uow, pytest.raises(AuthenticationFailed):
        users.authenticate(uow, "admin", "wrong-password", now=later)
    with ctx.uow(write=False) as uow:
        user = uow.session.execute(sa.select(User).where(User.username == "admin")).scalar_one()
        assert user.failed_logins == FAILURES_BEFORE_LOCK + 1
        assert user.locked_until == later + lock_delay(FAILURES_BEFORE_LOCK + 1)
    # After that delay the right password works and resets the counter.
    with ctx.uow() as uow:
        users.authenticate(uow, "admin", ADMIN_PASSWORD, now=later + lock_delay(FAILURES_BEFORE_LOCK + 1))
    with ctx.uow(write=False) as uow:
        assert (
            uow.session.execute(sa.select(User.failed_logins).where(User.username == "admin")).scalar_one()
            == 0
        )


def test_lock_delay_doubles_and_is_capped() -> None:
    assert lock_delay(FAILURES_BEFORE_LOCK - 1) == timedelta(0)
    assert lock_delay(FAILURES_BEFORE_LOCK + 1) == 2 * lock_delay(FAILURES_BEFORE_LOCK)
    assert lock_delay(100) == users.LONGEST_LOCK


def test_officer_calling_an_admin_service_is_refused_and_audited(ctx: AppContext) -> None:
    officer = add_user(ctx, "olivia", Role.OFFICER)
    with ctx.uow() as uow, pytest.raises(PermissionDenied, match="needs admin"):
        users.create_user(uow, officer, username="eve", role="admin", password=USER_PASSWORD)
    refusals = _events(ctx, "permission.denied")
    assert refusals[-1][:2] == ("olivia", "user.add")
    with ctx.uow(write=False) as uow:
        assert uow.session.execute(sa.select(User).where(User.username == "eve")).first() is None


@pytest.mark.parametrize(
    ("held", "required", "allowed"),
    [
        (Role.OFFICER, Role.OFFICER, True),
        (Role.OFFICER, Role.SUPERVISOR, False),
        (Role.OFFICER, Role.ADMIN, False),
        (Role.SUPERVISOR, Role.OFFICER, True),
        (Role.SUPERVISOR, Role.SUPERVISOR, True),
        (Role.SUPERVISOR, Role.ADMIN, False),
        (Role.ADMIN, Role.OFFICER, True),
        (Role.ADMIN, Role.SUPERVISOR, False),  # an admin is no supervisor: no approve, sign, close, depart
        (Role.ADMIN, Role.ADMIN, True),
    ],
)
def test_role_gate_matrix(ctx: AppContext, held: Role, required: Role, allowed: bool) -> None:
    actor = add_user(ctx, f"user-{held.value}", held)
    with ctx.uow() as uow:
        if allowed:
            authorize(uow, actor, required, "test.action")
        else:
            with pytest.raises(PermissionDenied):
                authorize(uow, actor, required, "test.action")


def test_gate_reads_the_current_role_not_the_claimed_one(ctx: AppContext) -> None:
    add_user(ctx, "olivia", Role.OFFICER)
    forged = Actor("olivia", Role.ADMIN)
    with ctx.uow() as uow, pytest.raises(PermissionDenied):
        authorize(uow, forged, Role.ADMIN, "user.add")
    with ctx.uow() as uow:
        uow.session.execute(sa.update(User).where(User.username == "olivia").values(active=False))
        uow.commit()
    with ctx.uow() as uow, pytest.raises(PermissionDenied, match="no active account"):
        authorize(uow, Actor("olivia", Role.OFFICER), Role.OFFICER, "audit.read")


@pytest.mark.parametrize(
    ("username", "role", "password"),
    [("Bad Name", "officer", USER_PASSWORD), ("bob", "pilot", USER_PASSWORD), ("bob", "officer", "short")],
)
def test_invalid_new_user_is_refused_and_nothing_written(
    ctx: AppContext, admin: Actor, username: str, role: str, password: str
) -> None:
    with ctx.uow() as uow, pytest.raises(InvalidInput):
        users.create_user(uow, admin, username=username, role=role, password=password)
    with ctx.uow(write=False) as uow:
        assert uow.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == 1


def test_duplicate_user_is_refused(ctx: AppContext, admin: Actor) -> None:
    add_user(ctx, "olivia", Role.OFFICER)
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="exists already"):
        users.create_user(uow, admin, username="olivia", role="officer", password=USER_PASSWORD)


def test_bootstrap_admin_only_on_an_empty_user_table(ctx: AppContext) -> None:
    with ctx.uow() as uow:
        assert users.bootstrap_admin(uow, username="admin", password=ADMIN_PASSWORD) is False
    with ctx.uow() as uow, pytest.raises(Conflict):
        users.bootstrap_admin(uow, username="intruder", password="intruder-password")
