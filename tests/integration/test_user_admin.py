"""User management (admin only): edits with optimistic versions, the last admin kept, password
reset and unlock, and a user changing their own password — every change audited old -> new."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from planner.domain.enums import Role
from planner.domain.errors import (
    AuthenticationFailed,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StaleVersion,
)
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, User, utc_now
from planner.services import audit_log, users
from planner.services.auth import Actor
from planner.services.users import FAILURES_BEFORE_LOCK
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD, add_user, admin_actor

NEW_PASSWORD = "brand-new-password-9"


def _last_event(ctx: AppContext, action: str) -> tuple[str, str, dict]:
    with ctx.uow(write=False) as uow:
        row = uow.session.execute(
            sa.select(AuditEvent.actor, AuditEvent.entity_id, AuditEvent.changes_json)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id.desc())
            .limit(1)
        ).one()
    return row.actor, row.entity_id, json.loads(row.changes_json)


def _account(ctx: AppContext, username: str, actor: Actor | None = None) -> users.UserRow:
    with ctx.uow(write=False) as uow:
        return next(u for u in users.list_accounts(uow, actor or admin_actor()) if u.username == username)


def _update(ctx: AppContext, actor: Actor, username: str, **kwargs) -> users.UserRow:
    with ctx.uow() as uow:
        row = users.update_user(uow, actor, username, **kwargs)
    return row


def _lock(ctx: AppContext, username: str) -> None:
    with ctx.uow() as uow:
        uow.session.execute(
            sa.update(User)
            .where(User.username == username)
            .values(failed_logins=FAILURES_BEFORE_LOCK, locked_until=utc_now() + timedelta(hours=1))
        )
        uow.commit()


def _can_log_in(ctx: AppContext, username: str, password: str) -> bool:
    with ctx.uow() as uow:
        try:
            users.authenticate(uow, username, password)
        except AuthenticationFailed:
            return False
    return True


def test_list_accounts_carries_versions(ctx: AppContext) -> None:
    add_user(ctx, "olivia", Role.OFFICER)
    rows = {row.username: row for row in _list(ctx)}
    assert set(rows) == {"admin", "olivia"}
    assert rows["olivia"].role == "officer" and rows["olivia"].active and rows["olivia"].version == 1


def _list(ctx: AppContext) -> list[users.UserRow]:
    with ctx.uow(write=False) as uow:
        return users.list_accounts(uow, admin_actor())


def test_update_changes_fields_bumps_version_and_audits_old_and_new(ctx: AppContext) -> None:
    add_user(ctx, "olivia", Role.OFFICER)
    row = _update(
        ctx, admin_actor(), "olivia", display_name="Olivia Stone", role="supervisor", expected_version=1
    )
    assert (row.display_name, row.role, row.version) == ("Olivia Stone", "supervisor", 2)
    actor, entity_id, changes = _last_event(ctx, "user.update")
    assert (actor, entity_id) == ("admin", "olivia")
    assert changes == {"display_name": ["olivia", "Olivia Stone"], "role": ["officer", "supervisor"]}
    assert _account(ctx, "olivia") == row


def test_update_with_a_stale_version_is_refused_and_changes_nothing(ctx: AppContext) -> None:
    add_user(ctx, "olivia", Role.OFFICER)
    _update(ctx, admin_actor(), "olivia", display_name="First edit", expected_version=1)
    with pytest.raises(
        StaleVersion, match=r"changed by admin at \d{4}-\d\d-\d\d \d\d:\d\d UTC \(user.update\)"
    ):
        _update(ctx, admin_actor(), "olivia", role="admin", expected_version=1)
    assert _account(ctx, "olivia").role == "officer"
    with ctx.uow(write=False) as uow:  # what the editor's Reload reads
        assert users.get_account(uow, admin_actor(), "olivia") == _account(ctx, "olivia")
        with pytest.raises(NotFound):
            users.get_account(uow, admin_actor(), "nobody")


def test_update_without_a_difference_writes_nothing(ctx: AppContext) -> None:
    add_user(ctx, "olivia", Role.OFFICER)
    row = _update(ctx, admin_actor(), "olivia", role="officer", active=True, expected_version=1)
    assert row.version == 1
    with ctx.uow(write=False) as uow:
        assert not audit_log.list_events(uow, admin_actor(), action_prefix="user.update")


def test_update_validates_its_input(ctx: AppContext) -> None:
    add_user(ctx, "olivia", Role.OFFICER)
    with pytest.raises(InvalidInput) as info:
        _update(ctx, admin_actor(), "olivia", role="pilot", display_name="  ", expected_version=1)
    assert len(info.value.details) == 2
    with pytest.raises(NotFound):
        _update(ctx, admin_actor(), "nobody", role="officer", expected_version=1)


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(ctx: AppContext) -> None:
    with pytest.raises(InvalidInput, match="last active admin"):
        _update(ctx, admin_actor(), "admin", role="officer", expected_version=1)
    with pytest.raises(InvalidInput, match="last active admin"):
        _update(ctx, admin_actor(), "admin", active=False, expected_version=1)
    # with a second admin, the first may step down; then the second is the last one
    second = add_user(ctx, "ada", Role.ADMIN)
    _update(ctx, admin_actor(), "admin", role="supervisor", expected_version=1)
    assert _account(ctx, "admin", second).role == "supervisor"
    with pytest.raises(InvalidInput, match="last active admin"):
        _update(ctx, second, "ada", active=False, expected_version=1)
    # an inactive admin does not count
    _update(ctx, second, "admin", role="admin", active=False, expected_version=2)
    with pytest.raises(InvalidInput, match="last active admin"):
        _update(ctx, second, "ada", role="officer", expected_version=1)


def test_deactivated_users_lose_their_rights_at_once(ctx: AppContext) -> None:
    officer = add_user(ctx, "olivia", Role.OFFICER)
    _update(ctx, admin_actor(), "olivia", active=False, expected_version=1)
    with ctx.uow(write=False) as uow, pytest.raises(PermissionDenied):
        audit_log.list_events(uow, officer)
    assert not _can_log_in(ctx, "olivia", USER_PASSWORD)


def test_non_admins_may_not_manage_users(ctx: AppContext) -> None:
    supervisor = add_user(ctx, "sam", Role.SUPERVISOR)
    with pytest.raises(PermissionDenied):
        _update(ctx, supervisor, "sam", role="admin", expected_version=1)
    with ctx.uow() as uow, pytest.raises(PermissionDenied):
        users.reset_password(uow, supervisor, "admin", NEW_PASSWORD)
    with ctx.uow() as uow, pytest.raises(PermissionDenied):
        users.unlock_user(uow, supervisor, "admin")
    with ctx.uow(write=False) as uow, pytest.raises(PermissionDenied):
        users.list_accounts(uow, supervisor)
    with ctx.uow(write=False) as uow, pytest.raises(PermissionDenied):
        users.get_account(uow, supervisor, "sam")
    assert _account(ctx, "sam").role == "supervisor"


def test_reset_password_sets_argon2id_and_clears_the_lock(ctx: AppContext) -> None:
    add_user(ctx, "olivia", Role.OFFICER)
    _lock(ctx, "olivia")
    with ctx.uow() as uow:
        row = users.reset_password(uow, admin_actor(), "olivia", NEW_PASSWORD)
    assert (row.failed_logins, row.locked_until, row.version) == (0, None, 2)
    with ctx.uow(write=False) as uow:
        stored = uow.session.execute(sa.select(User.password_hash).where(User.username == "olivia")).scalar()
    assert stored.startswith("$argon2id$") and NEW_PASSWORD not in stored
    _actor, entity_id, changes = _last_event(ctx, "user.password_reset")
    assert entity_id == "olivia"
    assert changes["failed_logins"] == [FAILURES_BEFORE_LOCK, 0]
    assert changes["locked_until"][1] is None
    assert NEW_PASSWORD not in json.dumps(changes)
    assert _can_log_in(ctx, "olivia", NEW_PASSWORD)
    assert not _can_log_in(ctx, "olivia", USER_PASSWORD)


def test_reset_password_refuses_a_short_one(ctx: AppContext) -> None:
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="at least"):
        users.reset_password(uow, admin_actor(), "admin", "short")


def test_unlock_lets_the_user_sign_in_again(ctx: AppContext) -> None:
    add_user(ctx, "olivia", Role.OFFICER)
    _lock(ctx, "olivia")
    assert not _can_log_in(ctx, "olivia", USER_PASSWORD)
    with ctx.uow() as uow:
        row = users.unlock_user(uow, admin_actor(), "olivia")
    assert row.locked_until is None and row.failed_logins == 0
    assert _last_event(ctx, "user.unlock")[2]["failed_logins"] == [FAILURES_BEFORE_LOCK, 0]
    assert _can_log_in(ctx, "olivia", USER_PASSWORD)
    with ctx.uow() as uow:  # nothing to clear: no event, same version
        assert users.unlock_user(uow, admin_actor(), "olivia").version == row.version


def test_any_user_changes_their_own_password(ctx: AppContext) -> None:
    officer = add_user(ctx, "olivia", Role.OFFICER)
    with ctx.uow() as uow:
        users.change_own_password(uow, officer, USER_PASSWORD, NEW_PASSWORD)
    assert _last_event(ctx, "user.password_change")[:2] == ("olivia", "olivia")
    assert _can_log_in(ctx, "olivia", NEW_PASSWORD)
    assert not _can_log_in(ctx, "olivia", USER_PASSWORD)


def test_changing_own_password_checks_the_old_one_and_counts_failures(ctx: AppContext) -> None:
    officer = add_user(ctx, "olivia", Role.OFFICER)
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="differ"):
        users.change_own_password(uow, officer, USER_PASSWORD, USER_PASSWORD)
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="at least"):
        users.change_own_password(uow, officer, USER_PASSWORD, "short")
    now = utc_now()
    for _attempt in range(FAILURES_BEFORE_LOCK):
        with ctx.uow() as uow, pytest.raises(AuthenticationFailed, match="current password is wrong"):
            users.change_own_password(uow, officer, "wrong-password", NEW_PASSWORD, now=now)
    row = _account(ctx, "olivia")
    assert row.failed_logins == FAILURES_BEFORE_LOCK and row.locked_until is not None
    assert _last_event(ctx, "user.password_change_failed")[2]["locked_seconds"] == users.FIRST_LOCK.seconds
    with ctx.uow() as uow, pytest.raises(AuthenticationFailed, match="locked until"):
        users.change_own_password(uow, officer, USER_PASSWORD, NEW_PASSWORD, now=now)
    later = now + timedelta(minutes=5)
    with ctx.uow() as uow:
        users.change_own_password(uow, officer, USER_PASSWORD, NEW_PASSWORD, now=later)
    assert _account(ctx, "olivia").failed_logins == 0


def test_admin_changes_own_password(ctx: AppContext) -> None:
    with ctx.uow() as uow:
        users.change_own_password(uow, admin_actor(), ADMIN_PASSWORD, NEW_PASSWORD)
    assert _can_log_in(ctx, "admin", NEW_PASSWORD)


def test_list_events_filters_by_date_range(ctx: AppContext) -> None:
    add_user(ctx, "olivia", Role.OFFICER)
    with ctx.uow(write=False) as uow:
        every = audit_log.list_events(uow, admin_actor())
        newest = every[0].occurred_at
        assert audit_log.list_events(uow, admin_actor(), since=newest) == [
            e for e in every if e.occurred_at >= newest
        ]
        assert audit_log.list_events(uow, admin_actor(), until=newest) == [
            e for e in every if e.occurred_at < newest
        ]
        assert audit_log.list_events(uow, admin_actor(), since=newest + timedelta(seconds=1)) == []
        assert isinstance(newest, datetime)
        facets = audit_log.facets(uow, admin_actor())
    assert "admin" in facets.actors and "user" in facets.entities
    assert facets.entities == sorted(set(facets.entities))


def test_change_text_reads_old_and_new() -> None:
    text = '{"role":["officer","admin"],"active":[true,false],"required":"admin"}'
    assert audit_log.summarize_changes(text) == "role officer → admin; active yes → no; required: admin"
    assert audit_log.pretty_changes(text).splitlines()[0] == "role officer → admin"
    assert audit_log.pretty_changes("not json") == "details: not json"
    assert audit_log.summarize_changes('{"legal_hold_reason":[null,"court stay"]}') == (
        "legal hold reason empty → court stay"
    )
    assert audit_log.summarize_changes("{}") == ""
