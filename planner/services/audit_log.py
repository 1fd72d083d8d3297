"""Reading the audit log: verification of the chain and filtered listings (role-checked).

Functions take a unit of work and run on the thread that owns it; results are plain data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from planner.domain.enums import Role
from planner.persistence.audit import ChainReport, verify_chain
from planner.persistence.models import AuditEvent
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize


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
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditRow]:
    """Newest first, at most ``limit`` rows, optionally filtered; ``before_id`` pages back
    (pass the smallest id shown), ``since`` / ``until`` bound ``occurred_at`` (``since`` <= t <
    ``until``, aware datetimes)."""
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
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    return [
        AuditRow(e.id, e.occurred_at, e.actor, e.action, e.entity, e.entity_id, e.changes_json)
        for e in uow.session.execute(query).scalars()
    ]


@dataclass(frozen=True)
class AuditFacets:
    """The distinct actors and entities in the log, for filter pick-lists."""

    actors: list[str]
    entities: list[str]


def facets(uow: UnitOfWork, actor: Actor) -> AuditFacets:
    """Distinct actors and entities (index scans; run it off the GUI thread)."""
    authorize(uow, actor, Role.OFFICER, "audit.read")
    actors = uow.session.execute(sa.select(AuditEvent.actor).distinct().order_by(AuditEvent.actor))
    entities = uow.session.execute(sa.select(AuditEvent.entity).distinct().order_by(AuditEvent.entity))
    return AuditFacets(list(actors.scalars()), list(entities.scalars()))


@dataclass(frozen=True)
class ChangeLine:
    """One field of an event's changes: ``old`` -> ``new`` when the event recorded a change
    (``is_change``), otherwise ``new`` holds a plain detail value."""

    field: str
    old: object
    new: object
    is_change: bool


def change_lines(changes_json: str) -> list[ChangeLine]:
    """Read an event's ``changes_json``: ``{field: [old, new]}`` pairs become changes, anything
    else a detail. Pure; never raises (unreadable text becomes one detail line)."""
    try:
        changes = json.loads(changes_json or "{}")
    except ValueError:
        return [ChangeLine("(raw)", None, changes_json, False)]
    if not isinstance(changes, dict):
        return [ChangeLine("(value)", None, changes, False)]
    lines = []
    for key, value in changes.items():
        if isinstance(value, list) and len(value) == 2:
            lines.append(ChangeLine(str(key), value[0], value[1], True))
        else:
            lines.append(ChangeLine(str(key), None, value, False))
    return lines


def _show(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def summarize_changes(changes_json: str, *, limit: int = 160) -> str:
    """One line: ``field: old → new; field: value`` cut at ``limit`` characters."""
    parts = [
        f"{line.field}: {_show(line.old)} → {_show(line.new)}"
        if line.is_change
        else f"{line.field}: {_show(line.new)}"
        for line in change_lines(changes_json)
    ]
    text = "; ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pretty_changes(changes_json: str) -> str:
    """Several lines, one field each, aligned: ``field   old → new``."""
    lines = change_lines(changes_json)
    if not lines:
        return "(no details recorded)"
    width = max(len(line.field) for line in lines)
    return "\n".join(
        f"{line.field.ljust(width)}  {_show(line.old)}  →  {_show(line.new)}"
        if line.is_change
        else f"{line.field.ljust(width)}  {_show(line.new)}"
        for line in lines
    )
