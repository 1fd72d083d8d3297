"""The acting user and the role gate every service passes through.

``Actor`` is plain data (safe to pass between threads). ``authorize`` re-reads the user's
role from the database, so a demoted or deactivated account loses its rights at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from planner.domain.enums import ROLE_INCLUDES, Role
from planner.domain.errors import PermissionDenied
from planner.persistence import audit
from planner.persistence.models import User
from planner.persistence.uow import UnitOfWork


@dataclass(frozen=True)
class Actor:
    username: str
    role: Role
    display_name: str = ""


#: The pseudo-actor for work the system does on its own (migrations, first-run set-up).
SYSTEM = Actor(username="system", role=Role.ADMIN, display_name="System")


def authorize(uow: UnitOfWork, actor: Actor, required: Role, action: str) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` currently holds ``required`` (or above).

    Call it first in a service, before any write. A refusal goes through ``audit.refuse``: what
    is pending in ``uow`` is rolled back, the ``permission.denied`` event alone is committed.
    """
    if actor is SYSTEM:
        return
    user = uow.session.execute(sa.select(User).where(User.username == actor.username)).scalar_one_or_none()
    current_role = Role(user.role) if user is not None and user.active else None
    if current_role is not None and required in ROLE_INCLUDES[current_role]:
        return
    held = current_role.value if current_role else "no active account"
    audit.refuse(
        uow,
        audit.AuditEntry(
            actor=actor.username,
            action="permission.denied",
            entity="action",
            entity_id=action,
            changes={"required": required.value, "held": held},
        ),
        PermissionDenied(f"{actor.username} ({held}) may not {action}: needs {required.value}"),
    )


#: The audit action of a sign-out (a ``login.`` action: it changes nothing the planner reads).
SIGN_OUT_ACTION = "login.sign_out"


def sign_out(uow: UnitOfWork, actor: Actor) -> None:
    """Record that ``actor`` closed their session (audited like a sign-in); commits. Needs no role:
    a demoted or deactivated user may always sign out."""
    audit.record(
        uow,
        audit.AuditEntry(
            actor=actor.username, action=SIGN_OUT_ACTION, entity="user", entity_id=actor.username
        ),
    )
    uow.commit()
