"""Sign-in throttling per account and per source: growing delays capped at minutes (never a
lockout), one message and one Argon2 verification for every failure, every attempt audited with
its true reason."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.domain.enums import Role
from planner.domain.errors import AuthenticationFailed
from planner.entrypoints.cli import main as cli
from planner.persistence import audit, throttle
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, SignInThrottle, User, utc_now
from planner.services import users
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD, add_user, admin_actor

DESK = "host desk-1"


def _fail(ctx: AppContext, username: str, password: str, when: datetime, source: str = DESK) -> str:
    with ctx.uow() as uow, pytest.raises(AuthenticationFailed) as refused:
        users.authenticate(uow, username, password, now=when, source=source)
    return str(refused.value)


def _sign_in(ctx: AppContext, username: str, password: str, when: datetime, source: str = DESK) -> None:
    with ctx.uow() as uow:
        users.authenticate(uow, username, password, now=when, source=source)


def _failures(ctx: AppContext) -> list[tuple[str, str, dict]]:
    with ctx.uow(write=False) as uow:
        rows = uow.session.execute(
            sa.select(AuditEvent.actor, AuditEvent.entity_id, AuditEvent.changes_json)
            .where(AuditEvent.action == "login.failure")
            .order_by(AuditEvent.id)
        ).all()
    return [(actor, entity_id, json.loads(changes)) for actor, entity_id, changes in rows]


def _admin_wait(ctx: AppContext) -> datetime | None:
    with ctx.uow(write=False) as uow:
        return uow.session.execute(sa.select(User.locked_until).where(User.username == "admin")).scalar_one()


def test_delays_double_from_the_sixth_failure_and_stop_at_the_cap(ctx: AppContext) -> None:
    now = utc_now()
    waits = []
    for _attempt in range(users.FAILURES_BEFORE_LOCK + 10):
        _fail(ctx, "admin", "wrong-password", now, source=f"host desk-{_attempt}")
        waits.append(_failures(ctx)[-1][2].get("locked_seconds", 0))
        now = _admin_wait(ctx) or now
    first = int(users.FIRST_LOCK.total_seconds())
    cap = int(users.LONGEST_LOCK.total_seconds())
    assert waits == [0] * (users.FAILURES_BEFORE_LOCK - 1) + [min(first * 2**n, cap) for n in range(11)]
    assert waits[-1] == cap == 300


def test_no_lockout_after_100_failures_the_admin_signs_in_once_the_delay_passed(ctx: AppContext) -> None:
    now = utc_now()
    for _attempt in range(100):
        _fail(ctx, "admin", "wrong-password", now)
        now += users.LONGEST_LOCK  # every wait is over by then
    changes = _failures(ctx)[-1][2]
    assert changes["failed_logins"] == 100 and changes["locked_seconds"] <= 300
    assert changes["source_wait_seconds"] <= 300
    # Within the delay the right password is refused unchecked; after it, it works.
    assert _fail(ctx, "admin", ADMIN_PASSWORD, now - users.LONGEST_LOCK + timedelta(seconds=1)) == (
        users.SIGN_IN_FAILED
    )
    _sign_in(ctx, "admin", ADMIN_PASSWORD, now)
    assert _admin_wait(ctx) is None


def test_attempts_during_the_wait_do_not_lengthen_it(ctx: AppContext) -> None:
    now = utc_now()
    for _attempt in range(users.FAILURES_BEFORE_LOCK):
        _fail(ctx, "admin", "wrong-password", now)
    until = _admin_wait(ctx)
    assert until == now + users.FIRST_LOCK
    for second in range(1, 50):  # an attacker hammering during the wait
        _fail(ctx, "admin", "wrong-password", now + timedelta(milliseconds=second * 30))
    assert _admin_wait(ctx) == until
    _sign_in(ctx, "admin", ADMIN_PASSWORD, until)


def test_one_source_is_throttled_across_user_names(ctx: AppContext) -> None:
    now = utc_now()
    for number in range(users.SOURCE_FAILURES_BEFORE_LOCK):  # one failure per name: no account waits
        _fail(ctx, f"ghost-{number}", "wrong-password", now)
    assert _failures(ctx)[-1][2]["source_wait_seconds"] == users.FIRST_LOCK.seconds
    # The desk waits, whatever name it tries; another desk does not.
    assert _fail(ctx, "admin", ADMIN_PASSWORD, now) == users.SIGN_IN_FAILED
    assert _failures(ctx)[-1][2]["reason"] == "throttled"
    _sign_in(ctx, "admin", ADMIN_PASSWORD, now, source="host desk-2")
    # After the wait the desk signs in, which clears its count.
    _sign_in(ctx, "admin", ADMIN_PASSWORD, now + users.FIRST_LOCK)
    with ctx.uow(write=False) as uow:
        assert throttle.read(uow, throttle.SOURCE, DESK) == throttle.Count()


def test_unknown_user_names_are_throttled_like_accounts(ctx: AppContext) -> None:
    now = utc_now()
    for _attempt in range(users.FAILURES_BEFORE_LOCK):
        _fail(ctx, "ghost", "wrong-password", now, source="host somewhere")
    _fail(ctx, "ghost", "wrong-password", now, source="host elsewhere")
    reasons = [changes["reason"] for _actor, _id, changes in _failures(ctx)]
    assert reasons == ["unknown user"] * users.FAILURES_BEFORE_LOCK + ["throttled"]
    with ctx.uow(write=False) as uow:
        assert throttle.read(uow, throttle.NAME, "ghost").failures == users.FAILURES_BEFORE_LOCK


def test_every_failure_has_the_same_message_one_verification_and_its_true_reason(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(ctx, "olivia", Role.OFFICER)
    with ctx.uow() as uow:
        users.update_user(uow, admin_actor(), "olivia", active=False, expected_version=1)
    now = utc_now()
    for _attempt in range(users.FAILURES_BEFORE_LOCK):
        _fail(ctx, "admin", "wrong-password", now, source="host attacker")
    verifications: list[str] = []
    real = users.PASSWORD_HASHER

    class CountingHasher:
        def verify(self, stored: str, password: str) -> bool:
            verifications.append(stored)
            return real.verify(stored, password)

        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

    monkeypatch.setattr(users, "PASSWORD_HASHER", CountingHasher())
    cases = [
        ("nobody", "whatever-password", "unknown user"),
        ("olivia", USER_PASSWORD, "inactive"),
        ("admin", ADMIN_PASSWORD, "throttled"),
        ("admin", "wrong-password", "throttled"),
    ]
    messages = [_fail(ctx, name, password, now, source=f"host {name}") for name, password, _reason in cases]
    assert set(messages) == {users.SIGN_IN_FAILED}
    assert len(verifications) == len(cases)
    assert [changes["reason"] for _a, _i, changes in _failures(ctx)[-len(cases) :]] == [c[2] for c in cases]
    verifications.clear()
    assert _fail(ctx, "admin", "wrong-password", now + users.FIRST_LOCK) == users.SIGN_IN_FAILED
    assert len(verifications) == 1 and _failures(ctx)[-1][2]["reason"] == "wrong password"


def test_an_over_long_user_name_is_refused_in_one_line_and_audited(ctx: AppContext) -> None:
    name = "x" * 200
    assert _fail(ctx, name, "whatever-password", utc_now()) == users.SIGN_IN_FAILED
    actor, entity_id, changes = _failures(ctx)[-1]
    assert actor == entity_id == "x" * (audit.ENTITY_ID_LENGTH - 1) + "…"
    assert changes["reason"] == "unknown user" and changes["user_name_length"] == 200
    with ctx.uow(write=False) as uow:  # throttled by a digest of the name
        keys = uow.session.execute(
            sa.select(SignInThrottle.key).where(SignInThrottle.kind == "name")
        ).scalars()
        assert [key.startswith("sha256:") for key in keys] == [True]


def test_the_command_line_says_one_line_for_an_over_long_user_name(
    ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("CHARTER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHARTER_USER", "é" * 200)
    monkeypatch.setenv("CHARTER_PASSWORD", ADMIN_PASSWORD)
    assert cli.run(["--db", ctx.settings.db, "audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert err == f"charter-planner: {users.SIGN_IN_FAILED}\n"
    assert _failures(ctx)[-1][2]["user_name_length"] == 200


def test_unlock_clears_the_wait(ctx: AppContext) -> None:
    now = utc_now()
    for _attempt in range(users.FAILURES_BEFORE_LOCK):
        _fail(ctx, "admin", "wrong-password", now)
    with ctx.uow() as uow:
        users.unlock_user(uow, admin_actor(), "admin")
    _sign_in(ctx, "admin", ADMIN_PASSWORD, now, source="host desk-2")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    attempts=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=400), st.sampled_from(["admin", "ghost"]), st.booleans()
        ),
        min_size=1,
        max_size=12,
    )
)
def test_whatever_the_failures_the_wait_stays_under_the_cap_and_then_the_password_works(
    ctx: AppContext, attempts: list[tuple[int, str, bool]]
) -> None:
    """``attempts``: (seconds since the previous one, user name, from the second desk?)."""
    with ctx.uow() as uow:  # each example starts from no failures
        uow.session.execute(sa.delete(SignInThrottle))
        uow.session.execute(sa.update(User).values(failed_logins=0, locked_until=None))
        uow.commit()
    now = utc_now()
    for gap, name, second_desk in attempts:
        now += timedelta(seconds=gap)
        _fail(ctx, name, "wrong-password", now, source="host desk-2" if second_desk else DESK)
    with ctx.uow(write=False) as uow:
        waits = [
            throttle.read(uow, kind, key).next_attempt_at
            for kind, key in (
                (throttle.SOURCE, DESK),
                (throttle.SOURCE, "host desk-2"),
                (throttle.NAME, "ghost"),
            )
        ]
    waits.append(_admin_wait(ctx))
    assert all(wait <= now + users.LONGEST_LOCK for wait in waits if wait is not None)
    _sign_in(ctx, "admin", ADMIN_PASSWORD, now + users.LONGEST_LOCK)
