"""The audit chain: append-only events, each holding the previous event's SHA-256.

``hash = sha256(id, occurred_at, actor, action, entity, entity_id, changes, prev_hash)``, each
field length-prefixed (``len:text;``) so no two different events share a payload. The id is part of the hash, so removing or reordering events breaks
the chain as surely as editing one. Appenders lock the single ``audit_head`` row, which keeps
the chain linear when several processes write at once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NoReturn

import sqlalchemy as sa

from planner.persistence.bulk import bulk_insert
from planner.persistence.models import AuditEvent, AuditHead, utc_now
from planner.persistence.uow import UnitOfWork

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
#: Longest ``entity_id`` the audit table holds (PostgreSQL enforces it; SQLite would not).
ENTITY_ID_LENGTH: int = AuditEvent.__table__.c.entity_id.type.length


@dataclass(frozen=True)
class AuditEntry:
    """One event to append. ``changes`` maps field -> [old, new] (or any JSON-able detail)."""

    actor: str
    action: str
    entity: str
    entity_id: str = ""
    changes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events_checked: int
    first_broken_id: int | None = None
    message: str = ""


def _json_default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    return str(value)


def canonical_json(value: object) -> str:
    """Deterministic JSON text: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(
        value,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=_json_default,
    )


def event_hash(
    *,
    event_id: int,
    occurred_at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    changes_json: str,
    prev_hash: str,
) -> str:
    # Length-prefixed fields: unambiguous whatever the fields contain, and cheap to build.
    fields = (
        str(event_id),
        occurred_at.isoformat(timespec="microseconds"),
        actor,
        action,
        entity,
        entity_id,
        changes_json,
        prev_hash,
    )
    payload = "".join(f"{len(f)}:{f};" for f in fields)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every key of ``new`` whose value differs from ``old``."""
    return {k: [old.get(k), v] for k, v in new.items() if old.get(k) != v}


def last_change(uow: UnitOfWork, entity: str, entity_id: str) -> str:
    """Who last changed ``entity`` ``entity_id`` and when, read from its newest audit event, as
    ``"olivia at 2026-11-28 14:05 UTC (person.update)"``; ``"someone else"`` when it has none.
    For the ``Conflict`` message of an edit based on a stale version."""
    event = uow.session.execute(
        sa.select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id))
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if event is None:
        return "someone else"
    return f"{event.actor} at {event.occurred_at:%Y-%m-%d %H:%M} UTC ({event.action})"


def _lock_head(uow: UnitOfWork) -> AuditHead:
    session = uow.session
    head = session.execute(
        sa.select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, last_event_id=0, last_hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


def record(uow: UnitOfWork, entry: AuditEntry) -> AuditEvent:
    """Append one event inside ``uow`` (it is committed, or rolled back, with the change)."""
    return record_many(uow, [entry], returning=True)[-1]


def record_many(
    uow: UnitOfWork, entries: Iterable[AuditEntry], *, returning: bool = False
) -> list[AuditEvent]:
    """Append events in order with one bulk insert. With ``returning=True`` returns the events
    (ids assigned); by default an empty list, since building 100k ORM objects costs seconds."""
    session = uow.session
    head = _lock_head(uow)
    now = utc_now()
    rows: list[dict[str, Any]] = []
    prev_hash, next_id = head.last_hash, head.last_event_id + 1
    for entry in entries:
        changes_json = canonical_json(dict(entry.changes))
        digest = event_hash(
            event_id=next_id,
            occurred_at=now,
            actor=entry.actor,
            action=entry.action,
            entity=entry.entity,
            entity_id=str(entry.entity_id),
            changes_json=changes_json,
            prev_hash=prev_hash,
        )
        rows.append(
            {
                "id": next_id,
                "occurred_at": now,
                "actor": entry.actor,
                "action": entry.action,
                "entity": entry.entity,
                "entity_id": str(entry.entity_id),
                "changes_json": changes_json,
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        prev_hash, next_id = digest, next_id + 1
    if not rows:
        return []
    bulk_insert(session, AuditEvent.__table__, rows)
    head.last_event_id = rows[-1]["id"]
    head.last_hash = rows[-1]["hash"]
    session.flush()
    return [AuditEvent(**row) for row in rows] if returning else []


#: A write that belongs to a refusal itself, run by ``refuse`` after its rollback.
AlsoWrite = Callable[[UnitOfWork], None]


def refuse(
    uow: UnitOfWork, entry: AuditEntry, error: BaseException, *, also: AlsoWrite | None = None
) -> NoReturn:
    """The one way to refuse with an audit trail: roll back everything pending in ``uow``, append
    ``entry``, commit that alone and raise ``error``. ``also(uow)`` runs after the rollback, before
    the commit, for state that belongs to the refusal itself (a failed login's counter)."""
    uow.rollback()
    if also is not None:
        also(uow)
    record(uow, entry)
    uow.commit()
    log.info("refused: %s %s %s by %s", entry.action, entry.entity, entry.entity_id, entry.actor)
    raise error


def verify_chain(uow: UnitOfWork, *, batch_size: int = 20_000) -> ChainReport:
    """Recompute every hash in id order; report the first event that does not fit."""
    session = uow.session
    expected_prev, expected_id, checked, last_id = GENESIS_HASH, 1, 0, 0
    while True:
        batch = (
            session.execute(
                sa.select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch_size)
            )
            .scalars()
            .all()
        )
        if not batch:
            break
        for event in batch:
            if event.id != expected_id:
                return ChainReport(
                    False,
                    checked,
                    event.id,
                    f"event {expected_id} is missing (next is {event.id})",
                )
            if event.prev_hash != expected_prev:
                return ChainReport(
                    False,
                    checked,
                    event.id,
                    f"event {event.id} does not follow event {event.id - 1}",
                )
            digest = event_hash(
                event_id=event.id,
                occurred_at=event.occurred_at,
                actor=event.actor,
                action=event.action,
                entity=event.entity,
                entity_id=event.entity_id,
                changes_json=event.changes_json,
                prev_hash=event.prev_hash,
            )
            if digest != event.hash:
                return ChainReport(False, checked, event.id, f"event {event.id} was altered")
            expected_prev, expected_id = event.hash, event.id + 1
            checked += 1
            last_id = event.id
        session.expunge_all()
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_event_id != checked or head.last_hash != expected_prev):
        return ChainReport(
            False,
            checked,
            checked + 1 if head.last_event_id > checked else checked,
            f"the chain ends at event {checked} but its head records event {head.last_event_id}",
        )
    return ChainReport(True, checked, None, f"{checked} events, chain intact")
