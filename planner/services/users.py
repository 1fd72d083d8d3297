"""Users: Argon2id password hashes, login with throttling, user management (admin only).

Every function takes a unit of work and runs on whatever thread owns it; results are plain data.
On PostgreSQL the writes to accounts (add, update, password, unlock) go through the database's
user functions (``planner.persistence.pg_logins``), which also keep each person's login role."""

from __future__ import annotations

import functools
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from planner.domain import credentials
from planner.domain.credentials import (
    MAX_USERNAME_LENGTH,
    MIN_PASSWORD_LENGTH,  # noqa: F401  (re-exported: the Users screen checks it as you type)
    USERNAME_PATTERN,
)
from planner.domain.enums import Role
from planner.domain.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    StaleVersion,
)
from planner.persistence import audit, pg_logins, throttle
from planner.persistence.models import User, utc_now
from planner.persistence.uow import UnitOfWork
from planner.services.auth import SYSTEM, Actor, authorize

log = logging.getLogger(__name__)

#: OWASP's minimum for Argon2id: 19 MiB memory, 2 iterations, 1 lane.
PASSWORD_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
#: The one answer to every failed sign-in, whatever the reason (the audit event keeps the reason),
#: so nobody learns which user names exist, which are deactivated or which are being throttled.
SIGN_IN_FAILED = "wrong user name or password, or too many attempts: wait and try again"
#: Consecutive failures of one account (or one unknown user name) before attempts must wait.
FAILURES_BEFORE_LOCK = 5
#: Consecutive failures from one source (a desk), whatever the user names, before attempts wait.
SOURCE_FAILURES_BEFORE_LOCK = 20
#: The first wait; it doubles with each further failure up to ``LONGEST_LOCK``, never a lockout
#: (NIST SP 800-63B: throttle rather than lock; the last admin is never locked out for long).
FIRST_LOCK = timedelta(seconds=2)
LONGEST_LOCK = timedelta(minutes=5)
#: Counts of sources and unknown user names are forgotten this long after their last failure.
THROTTLE_MEMORY = timedelta(days=1)


def lock_delay(failed_logins: int) -> timedelta:
    """How long an account (or unknown user name) must wait after ``failed_logins`` consecutive
    failures: nothing for the first ``FAILURES_BEFORE_LOCK``, then doubling, at most ``LONGEST_LOCK``."""
    return credentials.throttle_delay(
        failed_logins, free_failures=FAILURES_BEFORE_LOCK, first=FIRST_LOCK, longest=LONGEST_LOCK
    )


def source_delay(failures: int) -> timedelta:
    """The same for a source, which may fail ``SOURCE_FAILURES_BEFORE_LOCK`` times before waiting."""
    return credentials.throttle_delay(
        failures, free_failures=SOURCE_FAILURES_BEFORE_LOCK, first=FIRST_LOCK, longest=LONGEST_LOCK
    )


def sign_in_source(uow: UnitOfWork) -> str:
    """Where a sign-in comes from: on PostgreSQL the client address the server sees, else (SQLite,
    or a local socket) this computer's host name."""
    if uow.dialect == "postgresql":
        address = uow.session.execute(sa.text("SELECT host(inet_client_addr())")).scalar()
        if address:
            return f"address {address}"
    return f"host {socket.gethostname()}"


def _validate_new_user(username: str, password: str, role: str, *, display_name: str = "") -> Role:
    errors = []
    if not USERNAME_PATTERN.match(username):
        errors.append(f"user name {username[: MAX_USERNAME_LENGTH + 1]!r}: {credentials.USERNAME_RULE}")
    if problem := credentials.name_problem("display name", display_name):
        errors.append(problem)
    if problem := credentials.password_problem(password, (username, display_name)):
        errors.append(problem)
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
    if uow.dialect == "postgresql":  # the row and the person's login role, by the database
        user_id = pg_logins.add_user(
            uow,
            username=username,
            display_name=display_name or username,
            role=role.value,
            password_hash=PASSWORD_HASHER.hash(password),
            password=password,
        )
        user = uow.session.execute(sa.select(User).where(User.id == user_id)).scalar_one()
    else:
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
    parsed_role = _validate_new_user(username, password, role, display_name=display_name)
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


def authenticate(
    uow: UnitOfWork,
    username: str,
    password: str,
    *,
    now: datetime | None = None,
    source: str | None = None,
) -> Actor:
    """Check a password. Every attempt is audited and committed in ``uow``; a failure goes through
    ``audit.refuse`` (anything pending is rolled back; the event and the failure counts commit).

    Throttled per account (or unknown user name) and per ``source`` (default ``sign_in_source``):
    after a few consecutive failures each further attempt must wait ``lock_delay`` /
    ``source_delay``, which doubles up to ``LONGEST_LOCK``; an attempt while waiting is refused
    unchecked and does not lengthen the wait. Every failure (unknown user, deactivated, throttled,
    wrong password) raises ``AuthenticationFailed(SIGN_IN_FAILED)`` after one Argon2 verification,
    so neither the message nor the time tells them apart; the audit event (``login.failure``)
    keeps the true ``reason``.
    """
    now = now or utc_now()
    source = source or sign_in_source(uow)
    user = None
    if USERNAME_PATTERN.match(username):  # anything else cannot be a user (nor a database role)
        user = uow.session.execute(  # the hash in the same query: no extra one betrays a known name
            sa.select(User).where(User.username == username).options(sa.orm.undefer(User.password_hash))
        ).scalar_one_or_none()
    name_count = throttle.read(uow, throttle.NAME, username) if user is None else None
    source_count = throttle.read(uow, throttle.SOURCE, source)
    account_until = (
        user.locked_until if user is not None else name_count.next_attempt_at if name_count else None
    )
    throttled = _waiting(account_until, now) or _waiting(source_count.next_attempt_at, now)
    if throttled or user is None or not user.active:
        _verify_quietly(_dummy_hash(), password)  # the same time as a real check
        reason = "throttled" if throttled else "unknown user" if user is None else "inactive"
    elif _verify_quietly(user.password_hash, password):
        return _signed_in(uow, user, password, source, now)
    else:
        reason = "wrong password"
    changes: dict = {"reason": reason, "source": source}
    if len(username) > audit.ENTITY_ID_LENGTH:
        changes["user_name_length"] = len(username)
    count_failures = None
    if throttled:
        changes["wait_until"] = max(d for d in (account_until, source_count.next_attempt_at) if d is not None)
    else:
        if user is not None:
            account_changes, count_account = _failed_login(user, now)
        else:
            account_changes, count_account = _failed_name(username, name_count or throttle.Count(), now)
        source_changes, count_source = _failed_source(source, source_count, now)
        changes |= account_changes | source_changes

        def count_failures(refusing: UnitOfWork) -> None:
            count_account(refusing)
            count_source(refusing)

    shown = _audit_name(username)
    audit.refuse(
        uow,
        audit.AuditEntry(
            actor=shown, action="login.failure", entity="user", entity_id=shown, changes=changes
        ),
        AuthenticationFailed(SIGN_IN_FAILED),
        also=count_failures,
    )


def _signed_in(uow: UnitOfWork, user: User, password: str, source: str, now: datetime) -> Actor:
    """The success half of ``authenticate``: clears the account's and the source's failures."""
    if PASSWORD_HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = PASSWORD_HASHER.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    throttle.clear(uow, throttle.SOURCE, source)
    throttle.forget_before(uow, now - THROTTLE_MEMORY)
    audit.record(
        uow,
        audit.AuditEntry(actor=user.username, action="login.success", entity="user", entity_id=user.username),
    )
    uow.commit()
    return Actor(user.username, Role(user.role), user.display_name)


def _waiting(until: datetime | None, now: datetime) -> bool:
    return until is not None and until > now


def _audit_name(username: str) -> str:
    """``username`` as the audit's actor and entity id: ``"?"`` when empty, shortened with "…" when
    longer than the column (the event's changes then hold ``user_name_length``)."""
    if not username:
        return "?"
    if len(username) <= audit.ENTITY_ID_LENGTH:
        return username
    return username[: audit.ENTITY_ID_LENGTH - 1] + "…"


def _failed_login(user: User, now: datetime) -> tuple[dict, audit.AlsoWrite]:
    """The audit changes of one more failed login of ``user`` and the write that counts it (and
    makes the next attempt wait once ``lock_delay`` says so), to run after ``audit.refuse``'s
    rollback."""
    failed_logins = user.failed_logins + 1
    delay = lock_delay(failed_logins)
    locked_until = now + delay if delay else None
    changes: dict = {"failed_logins": failed_logins}
    if delay:
        changes["locked_seconds"] = int(delay.total_seconds())

    def count_failure(_uow: UnitOfWork) -> None:
        user.failed_logins, user.locked_until = failed_logins, locked_until

    return changes, count_failure


def _failed_name(username: str, count: throttle.Count, now: datetime) -> tuple[dict, audit.AlsoWrite]:
    """``_failed_login`` for a user name nobody has: counted alike, in ``sign_in_throttle``."""
    return _failed_key(throttle.NAME, username, count, now, lock_delay, ("failed_logins", "locked_seconds"))


def _failed_source(source: str, count: throttle.Count, now: datetime) -> tuple[dict, audit.AlsoWrite]:
    """The audit changes and the write of one more failure from ``source``."""
    return _failed_key(
        throttle.SOURCE, source, count, now, source_delay, ("source_failures", "source_wait_seconds")
    )


def _failed_key(
    kind: str,
    key: str,
    count: throttle.Count,
    now: datetime,
    delay_after: Callable[[int], timedelta],
    names: tuple[str, str],
) -> tuple[dict, audit.AlsoWrite]:
    """One more failure of ``kind`` ``key`` in ``sign_in_throttle``: the audit changes (under
    ``names``: the count, and the wait in seconds once there is one) and the write that saves it."""
    failures = count.failures + 1
    delay = delay_after(failures)
    changes: dict = {names[0]: failures}
    if delay:
        changes[names[1]] = int(delay.total_seconds())
    counted = throttle.Count(failures, now + delay if delay else None)
    return changes, lambda refusing: throttle.save(refusing, kind, key, counted, now=now)


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
    """The account to change, locked on SQLite; on PostgreSQL read only (a desk may not lock
    ``app_user``: the user functions lock the row and re-check its version)."""
    query = sa.select(User).where(User.username == username)
    if uow.dialect != "postgresql":
        query = query.with_for_update()
    user = uow.session.execute(query).scalar_one_or_none()
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
        elif problem := credentials.name_problem("display name", display_name):
            errors.append(problem)
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
    if uow.dialect == "postgresql":  # the function re-checks the version and the last admin
        pg_logins.update_user(
            uow,
            username,
            expected_version=expected_version,
            display_name=new_name,
            role=new_role,
            active=new_active,
        )
        _reload(uow, user)
    else:
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


def _reload(uow: UnitOfWork, user: User) -> None:
    """Read ``user`` again after a user function changed its row."""
    uow.session.refresh(user)


def _check_new_password(password: str, *related: str) -> None:
    """Refuse (``InvalidInput``, one line naming the rule) a password that may not be set;
    ``related``: the user's name(s), which the password must not be built on."""
    if message := credentials.password_problem(password, related):
        raise InvalidInput(message, [message])


def _lock_changes(user: User) -> dict:
    """What clearing ``user``'s failed logins and lock changes (``{field: [old, new]}``)."""
    return audit.changed_fields(
        {"failed_logins": user.failed_logins, "locked_until": user.locked_until},
        {"failed_logins": 0, "locked_until": None},
    )


def _clear_lock(user: User) -> dict:
    changes = _lock_changes(user)
    user.failed_logins, user.locked_until = 0, None
    return changes


def reset_password(uow: UnitOfWork, actor: Actor, username: str, new_password: str) -> UserRow:
    """Admin only. Sets a new password (Argon2id) and clears failed logins and any lock.
    Audited as ``user.password_reset`` (never the password or its hash); commits."""
    authorize(uow, actor, Role.ADMIN, "user.reset_password")
    _check_new_password(new_password, username)
    password_hash = PASSWORD_HASHER.hash(new_password)
    user = _locked_user(uow, username)
    if uow.dialect == "postgresql":
        changes = {"password": ["(old)", "(new)"], **_lock_changes(user)}
        pg_logins.update_user(
            uow,
            username,
            expected_version=user.version,
            new_password=(password_hash, new_password),
            clear_lock=True,
        )
        _reload(uow, user)
    else:
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
    changes = _lock_changes(user)
    if changes:
        if uow.dialect == "postgresql":
            pg_logins.update_user(uow, username, expected_version=user.version, clear_lock=True)
            _reload(uow, user)
        else:
            _clear_lock(user)
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
    _check_new_password(new_password, actor.username, actor.display_name)
    if new_password == old_password:
        message = "new password: must differ from the current one"
        raise InvalidInput(message, [message])
    user = _locked_user(uow, actor.username)
    if user.locked_until is not None and user.locked_until > now:
        raise AuthenticationFailed(
            f"account {user.username} is locked until {user.locked_until:%Y-%m-%d %H:%M:%S} UTC "
            "after repeated failed logins"
        )
    own_login = uow.dialect == "postgresql" and pg_logins.session_user(uow) == user.username
    if own_login:  # signed in as their database login: the server checks the current password
        if not pg_logins.password_accepted(uow, user.username, old_password):
            audit.refuse(
                uow,
                audit.AuditEntry(
                    actor.username, "user.password_change_failed", "user", user.username, {"login": "refused"}
                ),
                AuthenticationFailed("the current password is wrong"),
            )
    elif not _verify_quietly(user.password_hash, old_password):
        failure, count_failure = _failed_login(user, now)
        audit.refuse(
            uow,
            audit.AuditEntry(actor.username, "user.password_change_failed", "user", user.username, failure),
            AuthenticationFailed("the current password is wrong"),
            also=count_failure,
        )
    password_hash = PASSWORD_HASHER.hash(new_password)
    if uow.dialect == "postgresql":
        changes = {"password": ["(old)", "(new)"], **_lock_changes(user)}
        pg_logins.change_password(uow, user.username, password_hash=password_hash, password=new_password)
        _reload(uow, user)
    else:
        user.password_hash = password_hash
        changes = {"password": ["(old)", "(new)"], **_clear_lock(user)}
        user.version += 1
        uow.session.flush()
    _audit_user_change(uow, actor, "user.password_change", user.username, changes)
    uow.commit()
