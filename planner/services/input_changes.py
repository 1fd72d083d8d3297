"""Has anything the planner reads changed since a given moment? (issue #12: never store a plan
computed from stale data.)

Every change writes an audit event (docs/design.md), so the newest audit event id is a data
version: :func:`input_mark` reads it when the planning data is loaded, and :func:`changes_since`
lists the events written after it whose action may change planning inputs. Actions that cannot
are on a deny-list (sign-ins, plan runs and reads, refusals, exports, backups, user
administration); any other action — including one this module does not know — counts as a
change (conservative).

:func:`lock_and_list_changes` takes the audit chain's head lock first: every audited writer
appends under that lock, so nothing can commit a change between the check and the caller's
commit.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from planner.persistence import audit
from planner.persistence.models import AuditEvent
from planner.persistence.uow import UnitOfWork

#: Actions (exact, or prefixes ending in ``.``) that never change what the planner reads.
UNCHANGING_PREFIXES = (
    "login.",
    "plan.",
    "audit.",
    "user.",
    "export.",
    "print.",
    "database.backup",
    "permission.denied",
    "manifest.paxlst",
    "manifest.sign",
    "departure.board",
    "request.reminder",
)
#: Suffix of every refusal's action (a refusal changes nothing).
REFUSED_SUFFIX = ".refused"


def changes_inputs(action: str) -> bool:
    """False when ``action`` is known never to change planning inputs; True otherwise."""
    if action.endswith(REFUSED_SUFFIX):
        return False
    return not any(action == p or action.startswith(p) for p in UNCHANGING_PREFIXES if p)


@dataclass(frozen=True)
class InputChange:
    """One audited change: who did what to which record, when."""

    event_id: int
    actor: str
    action: str
    entity: str
    entity_id: str

    def text(self) -> str:
        return f"{self.action} {self.entity} {self.entity_id} by {self.actor}"


def input_mark(uow: UnitOfWork) -> int:
    """The newest audit event id (0 on an empty chain). Read it before the data it versions."""
    return int(uow.session.execute(sa.select(sa.func.coalesce(sa.func.max(AuditEvent.id), 0))).scalar_one())


def changes_since(uow: UnitOfWork, mark: int) -> list[InputChange]:
    """Audited changes to planning inputs written after event ``mark``, oldest first."""
    rows = uow.session.execute(
        sa.select(AuditEvent.id, AuditEvent.actor, AuditEvent.action, AuditEvent.entity, AuditEvent.entity_id)
        .where(AuditEvent.id > mark)
        .order_by(AuditEvent.id)
    ).all()
    return [InputChange(*row) for row in rows if changes_inputs(row[2])]


def lock_and_list_changes(uow: UnitOfWork, mark: int) -> list[InputChange]:
    """:func:`changes_since` after locking the audit chain's head row (held until ``uow`` ends)."""
    audit.lock_head(uow)  # through the database's function on PostgreSQL (desks may not lock it)
    return changes_since(uow, mark)


def describe(changes: list[InputChange], *, limit: int = 5) -> str:
    """One line naming the first ``limit`` changes and how many more there are."""
    shown = "; ".join(c.text() for c in changes[:limit])
    more = len(changes) - limit
    return shown + (f"; and {more} more" if more > 0 else "")


__all__ = [
    "InputChange",
    "changes_inputs",
    "changes_since",
    "describe",
    "input_mark",
    "lock_and_list_changes",
]
