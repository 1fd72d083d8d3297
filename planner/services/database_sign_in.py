"""Sign-in as one's own PostgreSQL login (a ``CHARTER_DB`` URL that names no user).

The server checks the password (SCRAM-SHA-256) when the connection is made; the program then
works through that login, whose group role limits what it may do (``planner.persistence.pg_security``).
Without a connection nothing can be audited: the server's log records refused sign-ins.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from planner.domain.credentials import USERNAME_PATTERN
from planner.domain.enums import Role
from planner.domain.errors import AuthenticationFailed
from planner.persistence import audit, pg_logins
from planner.persistence.context import AppContext
from planner.persistence.models import User
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor
from planner.services.users import SIGN_IN_FAILED

log = logging.getLogger(__name__)

#: The one answer to a refused database sign-in: the same words as the program's own sign-in
#: (the server does not say why either).
SIGN_IN_REFUSED = SIGN_IN_FAILED


def connect(ctx: AppContext, username: str, password: str) -> None:
    """Replace ``ctx``'s connection by one as login ``username``. ``AuthenticationFailed`` (one
    line) when the server refuses the name or password; ``PlannerError`` when it cannot be reached."""
    if not USERNAME_PATTERN.match(username) or not password:
        raise AuthenticationFailed(SIGN_IN_REFUSED)
    try:
        ctx.sign_in_database(username, password)
    except sa.exc.DBAPIError as exc:
        problem = pg_logins.describe_refused_connection(exc)
        log.info("database sign-in of %r refused: %s", username, exc.orig)
        if problem is not None:
            raise problem from exc
        raise AuthenticationFailed(SIGN_IN_REFUSED) from exc


def signed_in_actor(uow: UnitOfWork) -> Actor:
    """The active account of the login ``uow`` is connected as; audited ``login.success``;
    commits. ``AuthenticationFailed`` (audited ``login.failure``) when the login has no active account."""
    name = pg_logins.session_user(uow)
    user = uow.session.execute(sa.select(User).where(User.username == name)).scalar_one_or_none()
    if user is None or not user.active:
        audit.refuse(
            uow,
            audit.AuditEntry(
                actor=name,
                action="login.failure",
                entity="user",
                entity_id=name,
                changes={
                    "reason": "inactive" if user is not None else "unknown user",
                    "via": "database login",
                },
            ),
            AuthenticationFailed(SIGN_IN_REFUSED),
        )
    audit.record(
        uow,
        audit.AuditEntry(
            actor=user.username,
            action="login.success",
            entity="user",
            entity_id=user.username,
            changes={"login": "database"},
        ),
    )
    uow.commit()
    return Actor(user.username, Role(user.role), user.display_name)


def sign_in(ctx: AppContext, username: str, password: str) -> Actor:
    """``connect`` then ``signed_in_actor`` in a unit of work of the new connection."""
    connect(ctx, username, password)
    with ctx.uow() as uow:
        return signed_in_actor(uow)
