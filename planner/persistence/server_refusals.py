"""Refusals by the database server itself, as the planner's one-line errors.

On PostgreSQL the server enforces the roles (``pg_security``), the audit (``pg_audit``) and the
manifest rules (``pg_guards``) whatever client a desk uses. When the program meets one of those
refusals, ``as_planner_error`` turns the driver's exception into ``PermissionDenied`` with the
server's own first line, so the command line and the window show one line, not "internal error".
"""

from __future__ import annotations

import sqlalchemy as sa

from planner.domain.errors import PermissionDenied

#: SQLSTATEs that mean "the server refused this on purpose": insufficient privilege, and the
#: codes our own functions and triggers raise (CPR…: roles and manifests, CA…: the audit).
_REFUSAL_PREFIXES = ("42501", "CPR", "CA0")


def as_planner_error(exc: BaseException) -> PermissionDenied | None:
    """``PermissionDenied`` for a deliberate refusal by the database server, else ``None``."""
    if not isinstance(exc, sa.exc.DBAPIError):
        return None
    state = str(getattr(exc.orig, "sqlstate", "") or "")
    if not state.startswith(_REFUSAL_PREFIXES):
        return None
    first_line = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else state
    return PermissionDenied(f"the database refused: {first_line}")
