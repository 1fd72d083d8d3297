"""Four eyes on a manifest revision: who may approve and sign it, and the one-line reasons.

The person who prepared a revision never approves it; with the office setting ``four_eyes_sign``
(default on, :mod:`planner.services.office_settings`) the approver does not sign it either. The
workflow (:mod:`planner.services.manifests.workflow`) refuses, audited, with these messages, and the
window (:mod:`planner.services.manifests.actions`) shows the same text on the disabled button.
"""

from __future__ import annotations

from typing import Literal, Protocol

import sqlalchemy as sa

from planner.persistence.models import User
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor


class _Revision(Protocol):
    @property
    def revision(self) -> int: ...


def four_eyes_reason(step: Literal["approve", "sign"], revision: _Revision | int) -> str:
    """Why the current user may not ``step`` ``revision``: they prepared it (approve) or approved it
    (sign)."""
    number = revision if isinstance(revision, int) else revision.revision
    if step == "approve":
        return f"you prepared revision {number}; another supervisor must approve it"
    return f"you approved revision {number}; another supervisor must sign it"


def may_approve(username: str, prepared_by: str) -> bool:
    """Whether ``username`` may approve a revision prepared by ``prepared_by`` (never their own)."""
    return not username or username != prepared_by


def may_sign(username: str, approved_by: str | None, four_eyes_sign: bool) -> bool:
    """Whether ``username`` may sign a revision approved by ``approved_by`` under the setting."""
    return not (four_eyes_sign and username and approved_by == username)


def held_role(uow: UnitOfWork, actor: Actor) -> str:
    """The role ``actor`` holds in the database now (what a signature block records), else the
    actor's own role (the system pseudo-actor)."""
    role = uow.session.execute(
        sa.select(User.role).where(User.username == actor.username)
    ).scalar_one_or_none()
    return str(role) if role is not None else actor.role.value
