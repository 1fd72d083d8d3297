"""Users: Argon2id password hashes, login with throttling, user management (admin only).

Every function takes a unit of work and runs on whatever thread owns it; results are plain data."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from planner.domain.enums import Role
from planner.domain.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    StaleVersion,
)
from planner.persistence import audit
from planner.persistence.models import User, utc_now
from planner.persistence.uow import UnitOfWork
from planner.services.auth import SYSTEM, Actor, authorize

log = logging.getLogger(__name__)

#: OWASP's minimum for Argon2id: 19 MiB memory, 2 iterations, 1 lane.
PASSWORD_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
MIN_PASSWORD_LENGTH = 8
FAILURES_BEFORE_LOCK = 5
FIRST_LOCK = timedelta(seconds=30)
LONGEST_LOCK = timedelta(hours=24)
USERNAME_PATTERN = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")


def lock_delay(failed_logins: int) -> timedelta:
    """How long an account stays locked after ``failed_logins`` consecutive failures."""
    if failed_logins < FAILURES_BEFORE_LOCK:
        return timedelta(0)
    doublings = min(failed_logins - FAILURES_BEFORE_LOCK, 32)  # 30 s * 2**32 is far past the cap
    return min(FIRST_LOCK * 2**doublings, LONGEST_LOCK)


def _validate_new_user(username: str, password: str, role: str) -> Role:
    errors = []
    if not USERNAME_PATTERN.match(username):
        errors.append(
            f"user name {username!r}: 2-64 characters, lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter"
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.append(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    try:
        parsed_role = Role(role)
    except ValueError:
        errors.append(f"role {role!r}: one of {', '.join(r.value for r in Role)}")
        parsed_role = Role.OFFICER
    if errors:
        raise InvalidInput("; ".join(errors), errors)
    return parsed_role


def _insert_user(
    uow: UnitOfWork,
    actor: Actor,
    username: str,
    display_name: str,
    role: Role,
    password: str,
) -> User:
    if uow.session.execute(sa.select(User.id).where(User.username == username)).first():
        raise InvalidInput(f"user {username!r} exists already")
    user = User(
        username=username,
        display_name=display_name or username,
        role=role.value,
        password_hash=PASSWORD_HASHER.hash(password),
    )
    uow.session.add(user)
    uow.session.flush()
    audit.record(
        uow,
        audit.AuditEntry(
            actor=actor.username,
            action="user.create",
            entity="user",
            entity_id=username,
            changes={
                "role": [None, role.value],
                "display_name": [None, user.display_name],
            },
        ),
    )
    return user


def create_user(
    uow: UnitOfWork,
    actor: Actor,
    *,
    username: str,
    role: str,
    password: str,
    display_name: str = "",
) -> Actor:
    """Admin only. Creates the account; commits."""
    authorize(uow, actor, Role.ADMIN, "user.add")
    parsed_role = _validate_new_user(username, password, role)
    user = _insert_user(uow, actor, username, display_name, parsed_role, password)
    uow.commit()
    return Actor(user.username, parsed_role, user.display_name)


def bootstrap_admin(uow: UnitOfWork, *, username: str, password: str) -> bool:
    """Create the first admin of an empty user table. Returns False when ``username`` is already
    an admin (nothing to do); refuses when other users exist (add users as an admin instead).
    Commits when it created the admin."""
    existing = uow.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
    if existing is not None and existing.role == Role.ADMIN.value:
        return False
    if uow.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one():
        raise Conflict("the database has users already; an admin adds more with 'user add'")
    parsed_role = _validate_new_user(username, password, Role.ADMIN.value)
    _insert_user(uow, SYSTEM, username, username, parsed_role, password)
    uow.commit()
    return True


def authenticate(uow: UnitOfWork, username: str, password: str, *, now: datetime | None = None) -> Actor:
    """Check a password. Every attempt is audited and committed in ``uow``; a failure goes through
    ``audit.refuse`` (anything pending is rolled back; the event and the failure count commit).

    After ``FAILURES_BEFORE_LOCK`` consecutive failures the account locks for a delay that
    doubles with each further failure; attempts while locked are refused unchecked.
    """
    now = now or utc_now()
    user = uow.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()

    def refuse(
        action: str, message: str, changes: dict | None = None, *, also: audit.AlsoWrite | None = None
    ) -> NoReturn:
        audit.refuse(
            uow,
            audit.AuditEntry(
                actor=username or "?",
                action=action,
                entity="user",
                entity_id=username,
                changes=changes or {},
            ),
            AuthenticationFailed(message),
            also=also,
        )

    if user is None or not user.active:
        # Spend the same time as a real check so user names cannot be probed by timing.
        _verify_quietly(_dummy_hash(), password)
        refuse("login.failure", "wrong user name or password", {"reason": "unknown user"})
    if user.locked_until is not None and user.locked_until > now:
        refuse(
            "login.locked",
            f"account {username} is locked until {user.locked_until:%Y-%m-%d %H:%M:%S} UTC "
            "after repeated failed logins",
        )
    if not _verify_quietly(user.password_hash, password):
        changes, count_failure = _failed_login(user, now)
        refuse("login.failure", "wrong user name or password", changes, also=count_failure)
    if PASSWORD_HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = PASSWORD_HASHER.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    audit.record(
        uow,
        audit.AuditEntry(actor=username, action="login.success", entity="user", entity_id=username),
    )
    uow.commit()
    return Actor(user.username, Role(user.role), user.display_name)


def _failed_login(user: User, now: datetime) -> tuple[dict, audit.AlsoWrite]:
    """The audit changes of one more failed login of ``user`` and the write that counts it (and
    locks the account once ``lock_delay`` says so), to run after ``audit.refuse``'s rollback."""
    failed_logins = user.failed_logins + 1
    delay = lock_delay(failed_logins)
    locked_until = now + delay if delay else None
    changes: dict = {"failed_logins": failed_logins}
    if delay:
        changes["locked_seconds"] = int(delay.total_seconds())

    def count_failure(_uow: UnitOfWork) -> None:
        user.failed_logins, user.locked_until = failed_logins, locked_until

    return changes, count_failure


def _verify_quietly(password_hash: str, password: str) -> bool:
    try:
        return PASSWORD_HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against for unknown users, so their refusal takes as long as a real one."""
    return PASSWORD_HASHER.hash("not a real password, used for timing only")


def list_users(uow: UnitOfWork, actor: Actor) -> list[dict]:
    """Admin only: every account as plain data."""
    authorize(uow, actor, Role.ADMIN, "user.list")
    users = uow.session.execute(sa.select(User).order_by(User.username)).scalars().all()
    return [
        {
            "username": u.username,
            "display_name": u.display_name,
            "role": u.role,
            "active": u.active,
            "failed_logins": u.failed_logins,
            "locked_until": u.locked_until,
        }
        for u in users
    ]


# ---------------------------------------------------------------- user management (admin)


@dataclass(frozen=True)
class UserRow:
    """One account as plain data (safe to pass between threads); ``version`` feeds
    ``update_user``'s optimistic check."""

    username: str
    display_name: str
    role: str
    active: bool
    failed_logins: int
    locked_until: datetime | None
    version: int


def _row(user: User) -> UserRow:
    return UserRow(
        user.username,
        user.display_name,
        user.role,
        user.active,
        user.failed_logins,
        user.locked_until,
        user.version,
    )


def list_accounts(uow: UnitOfWork, actor: Actor) -> list[UserRow]:
    """Admin only: every account, with its version, ordered by user name."""
    authorize(uow, actor, Role.ADMIN, "user.list")
    return [_row(u) for u in uow.session.execute(sa.select(User).order_by(User.username)).scalars()]


def get_account(uow: UnitOfWork, actor: Actor, username: str) -> UserRow:
    """Admin only: one account with its version (what the editor reloads); ``NotFound`` when there
    is none."""
    authorize(uow, actor, Role.ADMIN, "user.list")
    user = uow.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"there is no user {username!r}")
    return _row(user)


def _locked_user(uow: UnitOfWork, username: str) -> User:
    user = uow.session.execute(
        sa.select(User).where(User.username == username).with_for_update()
    ).scalar_one_or_none()
    if user is None:
        raise NotFound(f"there is no user {username!r}")
    return user


def _other_active_admins(uow: UnitOfWork, username: str) -> int:
    """Active admins besides ``username``; their rows stay locked to the end of the transaction
    (PostgreSQL; SQLite writers are serialised anyway), so two admins demoting each other at
    once cannot both succeed."""
    others = uow.session.execute(
        sa.select(User.id)
        .where(User.role == Role.ADMIN.value, User.active.is_(True), User.username != username)
        .with_for_update()
    ).all()
    return len(others)


def _audit_user_change(uow: UnitOfWork, actor: Actor, action: str, username: str, changes: dict) -> None:
    audit.record(
        uow,
        audit.AuditEntry(
            actor=actor.username, action=action, entity="user", entity_id=username, changes=changes
        ),
    )


def update_user(
    uow: UnitOfWork,
    actor: Actor,
    username: str,
    *,
    display_name: str | None = None,
    role: str | None = None,
    active: bool | None = None,
    expected_version: int,
) -> UserRow:
    """Admin only. Change display name, role and/or active flag (``None`` = leave as is).

    Refuses (``StaleVersion``, a ``Conflict`` naming who changed it and when) when the account
    changed since ``expected_version`` was read, and (``InvalidInput``) demoting or deactivating
    the last active admin. Audited as ``user.update`` with ``{field: [old, new]}``; the version
    goes up by one; commits. Nothing changes (no event, same version) when every value equals the
    current one.
    """
    authorize(uow, actor, Role.ADMIN, "user.update")
    errors = []
    if display_name is not None:
        display_name = display_name.strip()
        if not display_name or len(display_name) > 200:
            errors.append("display name: 1-200 characters")
    if role is not None:
        try:
            role = Role(role).value
        except ValueError:
            errors.append(f"role {role!r}: one of {', '.join(r.value for r in Role)}")
    if errors:
        raise InvalidInput("; ".join(errors), errors)
    user = _locked_user(uow, username)
    if user.version != expected_version:
        raise StaleVersion(
            f"user {username} was changed by {audit.last_change(uow, 'user', username)} "
            f"(version {user.version}, you edited version {expected_version}); reload and try again"
        )
    new_name = user.display_name if display_name is None else display_name
    new_role = user.role if role is None else role
    new_active = user.active if active is None else bool(active)
    old = {"display_name": user.display_name, "role": user.role, "active": user.active}
    new = {"display_name": new_name, "role": new_role, "active": new_active}
    changes = audit.changed_fields(old, new)
    if not changes:
        return _row(user)
    was_active_admin = old["role"] == Role.ADMIN.value and old["active"]
    stays_active_admin = new["role"] == Role.ADMIN.value and new["active"]
    if was_active_admin and not stays_active_admin and _other_active_admins(uow, username) == 0:
        raise InvalidInput(
            f"{username} is the last active admin; make another user an admin first, "
            "or nobody could manage users any more"
        )
    user.display_name, user.role, user.active = new_name, new_role, new_active
    user.version += 1
    uow.session.flush()
    _audit_user_change(uow, actor, "user.update", username, changes)
    uow.commit()
    return _row(user)


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        message = f"password: at least {MIN_PASSWORD_LENGTH} characters"
        raise InvalidInput(message, [message])


def _clear_lock(user: User) -> dict:
    changes = audit.changed_fields(
        {"failed_logins": user.failed_logins, "locked_until": user.locked_until},
        {"failed_logins": 0, "locked_until": None},
    )
    user.failed_logins, user.locked_until = 0, None
    return changes


def reset_password(uow: UnitOfWork, actor: Actor, username: str, new_password: str) -> UserRow:
    """Admin only. Sets a new password (Argon2id) and clears failed logins and any lock.
    Audited as ``user.password_reset`` (never the password or its hash); commits."""
    authorize(uow, actor, Role.ADMIN, "user.reset_password")
    _check_new_password(new_password)
    password_hash = PASSWORD_HASHER.hash(new_password)
    user = _locked_user(uow, username)
    user.password_hash = password_hash
    changes = {"password": ["(old)", "(new)"], **_clear_lock(user)}
    user.version += 1
    uow.session.flush()
    _audit_user_change(uow, actor, "user.password_reset", username, changes)
    uow.commit()
    return _row(user)


def unlock_user(uow: UnitOfWork, actor: Actor, username: str) -> UserRow:
    """Admin only. Clears failed logins and any lock; audited as ``user.unlock`` (no event when
    there was nothing to clear); commits."""
    authorize(uow, actor, Role.ADMIN, "user.unlock")
    user = _locked_user(uow, username)
    changes = _clear_lock(user)
    if changes:
        user.version += 1
        uow.session.flush()
        _audit_user_change(uow, actor, "user.unlock", username, changes)
        uow.commit()
    return _row(user)


def change_own_password(
    uow: UnitOfWork, actor: Actor, old_password: str, new_password: str, *, now: datetime | None = None
) -> None:
    """Any signed-in user changes their own password; commits.

    A wrong current password counts as a failed login (same lock rules as ``authenticate``): it
    goes through ``audit.refuse`` (the count and the event are committed, nothing else) and
    ``AuthenticationFailed`` is raised.
    """
    authorize(uow, actor, Role.OFFICER, "user.change_own_password")
    now = now or utc_now()
    _check_new_password(new_password)
    if new_password == old_password:
        message = "new password: must differ from the current one"
        raise InvalidInput(message, [message])
    user = _locked_user(uow, actor.username)
    if user.locked_until is not None and user.locked_until > now:
        raise AuthenticationFailed(
            f"account {user.username} is locked until {user.locked_until:%Y-%m-%d %H:%M:%S} UTC "
            "after repeated failed logins"
        )
    if not _verify_quietly(user.password_hash, old_password):
        failure, count_failure = _failed_login(user, now)
        audit.refuse(
            uow,
            audit.AuditEntry(actor.username, "user.password_change_failed", "user", user.username, failure),
            AuthenticationFailed("the current password is wrong"),
            also=count_failure,
        )
    user.password_hash = PASSWORD_HASHER.hash(new_password)
    changes = {"password": ["(old)", "(new)"], **_clear_lock(user)}
    user.version += 1
    uow.session.flush()
    _audit_user_change(uow, actor, "user.password_change", user.username, changes)
    uow.commit()
