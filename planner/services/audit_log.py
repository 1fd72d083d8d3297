"""Reading the audit log: verification of the chain and filtered listings (role-checked)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from planner.auth import Actor, authorize
from planner.domain import Role
from planner.models import AuditEvent
from planner.services.audit import ChainReport, verify_chain
from planner.uow import UnitOfWork


def verify(uow: UnitOfWork, actor: Actor) -> ChainReport:
    """Any signed-in user may check the chain."""
    authorize(uow, actor, Role.OFFICER, "audit.verify")
    return verify_chain(uow)


@dataclass(frozen=True)
class AuditRow:
    id: int
    occurred_at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    changes_json: str


def list_events(
    uow: UnitOfWork,
    actor: Actor,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor_name: str | None = None,
    action_prefix: str | None = None,
    limit: int = 1000,
    before_id: int | None = None,
) -> list[AuditRow]:
    """Newest first, at most ``limit`` rows, optionally filtered."""
    authorize(uow, actor, Role.OFFICER, "audit.read")
    query = sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if entity:
        query = query.where(AuditEvent.entity == entity)
    if entity_id:
        query = query.where(AuditEvent.entity_id == entity_id)
    if actor_name:
        query = query.where(AuditEvent.actor == actor_name)
    if action_prefix:
        query = query.where(AuditEvent.action.startswith(action_prefix))
    if before_id:
        query = query.where(AuditEvent.id < before_id)
    return [
        AuditRow(e.id, e.occurred_at, e.actor, e.action, e.entity, e.entity_id, e.changes_json)
        for e in uow.session.execute(query).scalars()
    ]
