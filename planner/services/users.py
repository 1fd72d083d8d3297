"""Users: Argon2id password hashes, login with throttling, user management (admin only)."""

from __future__ import annotations

import functools
import logging
import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from planner.auth import SYSTEM, Actor, authorize
from planner.domain import Role
from planner.errors import AuthenticationFailed, Conflict, InvalidInput
from planner.models import User, utc_now
from planner.services import audit
from planner.uow import UnitOfWork

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
    """Admin only. Creates the account; the caller commits."""
    authorize(uow, actor, Role.ADMIN, "user.add")
    parsed_role = _validate_new_user(username, password, role)
    user = _insert_user(uow, actor, username, display_name, parsed_role, password)
    return Actor(user.username, parsed_role, user.display_name)


def bootstrap_admin(uow: UnitOfWork, *, username: str, password: str) -> bool:
    """Create the first admin of an empty user table. Returns False when ``username`` is already
    an admin (nothing to do); refuses when other users exist (add users as an admin instead)."""
    existing = uow.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
    if existing is not None and existing.role == Role.ADMIN.value:
        return False
    if uow.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one():
        raise Conflict("the database has users already; an admin adds more with 'user add'")
    parsed_role = _validate_new_user(username, password, Role.ADMIN.value)
    _insert_user(uow, SYSTEM, username, username, parsed_role, password)
    return True


def authenticate(uow: UnitOfWork, username: str, password: str, *, now: datetime | None = None) -> Actor:
    """Check a password. Every attempt is audited and committed in ``uow``.

    After ``FAILURES_BEFORE_LOCK`` consecutive failures the account locks for a delay that
    doubles with each further failure; attempts while locked are refused unchecked.
    """
    now = now or utc_now()
    user = uow.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()

    def refuse(action: str, message: str, changes: dict | None = None) -> AuthenticationFailed:
        audit.record(
            uow,
            audit.AuditEntry(
                actor=username or "?",
                action=action,
                entity="user",
                entity_id=username,
                changes=changes or {},
            ),
        )
        uow.commit()
        return AuthenticationFailed(message)

    if user is None or not user.active:
        # Spend the same time as a real check so user names cannot be probed by timing.
        _verify_quietly(_dummy_hash(), password)
        raise refuse("login.failure", "wrong user name or password", {"reason": "unknown user"})
    if user.locked_until is not None and user.locked_until > now:
        raise refuse(
            "login.locked",
            f"account {username} is locked until {user.locked_until:%Y-%m-%d %H:%M:%S} UTC "
            "after repeated failed logins",
        )
    if not _verify_quietly(user.password_hash, password):
        user.failed_logins += 1
        delay = lock_delay(user.failed_logins)
        user.locked_until = now + delay if delay else None
        changes = {"failed_logins": user.failed_logins}
        if delay:
            changes["locked_seconds"] = int(delay.total_seconds())
        raise refuse("login.failure", "wrong user name or password", changes)
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
