"""PostgreSQL only: the writes to users and login roles, through the SECURITY DEFINER functions of
``planner.persistence.pg_security``, and the checks of a person's own database login.

The plain password never appears in SQL: the client computes its SCRAM-SHA-256 verifier
(libpq's ``PQencryptPasswordConn``) and sends that. The functions' refusals become the planner's
one-line errors (``InvalidInput``, ``StaleVersion``, ``NotFound``, ``PermissionDenied``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from planner.domain.errors import InvalidInput, NotFound, PermissionDenied, PlannerError, StaleVersion
from planner.persistence import pg_security
from planner.persistence.uow import UnitOfWork


def scram_verifier(uow: UnitOfWork, username: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier of ``password`` for login ``username``, computed here."""
    driver = uow.session.connection().connection.driver_connection
    verifier = driver.pgconn.encrypt_password(  # type: ignore[union-attr]
        password.encode(), username.encode(), b"scram-sha-256"
    )
    return bytes(verifier).decode()


def session_user(uow: UnitOfWork) -> str:
    """The database login this unit of work is connected as."""
    return str(uow.session.execute(sa.text("SELECT session_user")).scalar_one())


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except sa.exc.DBAPIError as exc:
        state = getattr(exc.orig, "sqlstate", None)
        diag = getattr(exc.orig, "diag", None)
        message = (getattr(diag, "message_primary", None) or str(exc.orig)).strip()
        if state in (pg_security.STATE_ROLE_TAKEN, pg_security.STATE_BAD_INPUT, pg_security.STATE_LAST_ADMIN):
            raise InvalidInput(message, [message]) from exc
        if state == pg_security.STATE_STALE:
            raise StaleVersion(message) from exc
        if state == pg_security.STATE_NO_USER:
            raise NotFound(message) from exc
        if state == "42501":
            raise PermissionDenied(message) from exc
        raise


def add_user(
    uow: UnitOfWork, *, username: str, display_name: str, role: str, password_hash: str, password: str
) -> int:
    """Insert the ``app_user`` row and create (or take over) the login role; returns the row id."""
    verifier = scram_verifier(uow, username, password)
    with _refusals():
        return int(
            uow.session.execute(
                sa.text(
                    "SELECT charter_user_add(:username, :display_name, :role, :password_hash, :verifier)"
                ),
                {
                    "username": username,
                    "display_name": display_name,
                    "role": role,
                    "password_hash": password_hash,
                    "verifier": verifier,
                },
            ).scalar_one()
        )


def update_user(
    uow: UnitOfWork,
    username: str,
    *,
    expected_version: int,
    display_name: str | None = None,
    role: str | None = None,
    active: bool | None = None,
    new_password: tuple[str, str] | None = None,
    clear_lock: bool = False,
) -> int:
    """Change the account (``None`` = leave as is) and its login role (group, LOGIN/NOLOGIN,
    password: ``new_password`` is ``(argon2_hash, plain password)``, the plain one only to compute
    the verifier here); refused when the version moved on or the last active admin would go.
    Returns the new version."""
    password_hash, verifier = None, None
    if new_password is not None:
        password_hash, verifier = new_password[0], scram_verifier(uow, username, new_password[1])
    with _refusals():
        return int(
            uow.session.execute(
                sa.text(
                    "SELECT charter_user_update(:username, :version, :display_name, :role, :active, "
                    ":password_hash, :verifier, :clear_lock)"
                ),
                {
                    "username": username,
                    "version": expected_version,
                    "display_name": display_name,
                    "role": role,
                    "active": active,
                    "password_hash": password_hash,
                    "verifier": verifier,
                    "clear_lock": clear_lock,
                },
            ).scalar_one()
        )


def change_password(uow: UnitOfWork, username: str, *, password_hash: str, password: str) -> int:
    """Set the password of ``username`` (oneself, or anyone for an admin); returns the version."""
    verifier = scram_verifier(uow, username, password)
    with _refusals():
        return int(
            uow.session.execute(
                sa.text("SELECT charter_password_change(:username, :password_hash, :verifier)"),
                {"username": username, "password_hash": password_hash, "verifier": verifier},
            ).scalar_one()
        )


def password_accepted(uow: UnitOfWork, username: str, password: str) -> bool:
    """Whether the server lets ``username`` sign in with ``password`` (a fresh connection to the
    same database; the server checks the password)."""
    import psycopg

    url = uow.session.connection().engine.url.set(
        username=username, password=password, drivername="postgresql"
    )
    try:
        with psycopg.connect(url.render_as_string(hide_password=False), connect_timeout=10):
            return True
    except psycopg.OperationalError:
        return False


def describe_refused_connection(exc: BaseException) -> PlannerError | None:
    """``None`` when ``exc`` is the server refusing the credentials (wrong name or password, no
    LOGIN); otherwise a one-line error saying why the database could not be reached."""
    text = str(getattr(exc, "orig", exc)).strip()
    refused = ("password authentication failed", "is not permitted to log in", 'role "', "no password")
    if any(marker in text for marker in refused):
        return None
    return PlannerError(f"cannot reach the database: {text.splitlines()[0] if text else type(exc).__name__}")
