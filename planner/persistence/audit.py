"""The audit chain: append-only events, each holding the previous event's SHA-256.

``hash = sha256(id, occurred_at, actor, action, entity, entity_id, changes, prev_hash)``, each
field length-prefixed (``len:text;``) so no two different events share a payload. The id is part of the hash, so removing or reordering events breaks
the chain as surely as editing one. Appenders lock the single ``audit_head`` row, which keeps
the chain linear when several processes write at once; a missing head row is tampering (migration
0009 makes it), so appending refuses and ``verify_chain`` reports it.

On PostgreSQL with ``planner.persistence.pg_audit`` installed the database appends: one call of
``charter_audit_append`` per batch numbers, stamps, chains and keys (``mac``) the events with the
same ``event_hash``, so ``verify_chain`` recomputes the chain on the client on both backends and
asks the server (``charter_audit_check``) whether every keyed event's MAC fits.
"""

from __future__ import annotations

import hashlib
import json
import logging
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NoReturn

import sqlalchemy as sa
from sqlalchemy.orm import Session

from planner.domain.errors import PermissionDenied, PlannerError
from planner.persistence import pg_audit
from planner.persistence.audit_triggers import GENESIS_HASH, HEAD_MISSING_MESSAGE
from planner.persistence.bulk import bulk_insert
from planner.persistence.models import AuditEvent, AuditHead, utc_now
from planner.persistence.uow import UnitOfWork

log = logging.getLogger(__name__)
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
    """``keyed_events``: how many events the database server's key was checked on (PostgreSQL
    with ``pg_audit`` installed), else ``None``."""

    ok: bool
    events_checked: int
    first_broken_id: int | None = None
    message: str = ""
    keyed_events: int | None = None


def _json_default(value: object) -> object:
    if isinstance(value, date):  # and datetime, a date
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    return str(value)


#: One encoder for every event (``json.dumps`` with options builds a new one per call).
_CANONICAL = json.JSONEncoder(
    sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_default
)


def canonical_json(value: object) -> str:
    """Deterministic JSON text: sorted keys, no spaces, UTF-8 kept as is."""
    return _CANONICAL.encode(value)


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
    return _chained_hash(
        (str(event_id), _stamp(occurred_at), actor, action, entity, entity_id, changes_json, prev_hash)
    )


def _stamp(occurred_at: datetime) -> str:
    """The time as ``event_hash`` hashes it."""
    return occurred_at.isoformat(timespec="microseconds")


def _chained_hash(fields: tuple[str, str, str, str, str, str, str, str]) -> str:
    """``event_hash`` of its fields already in text, in its order (``record_many`` stamps a whole
    batch once)."""
    event_id, stamp, actor, action, entity, entity_id, changes_json, prev_hash = fields
    # Length-prefixed fields: unambiguous whatever the fields contain, and cheap to build.
    payload = (
        f"{len(event_id)}:{event_id};{len(stamp)}:{stamp};{len(actor)}:{actor};{len(action)}:{action};"
        f"{len(entity)}:{entity};{len(entity_id)}:{entity_id};{len(changes_json)}:{changes_json};"
        f"{len(prev_hash)}:{prev_hash};"
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _changes_json(entry: AuditEntry) -> str:
    """The canonical JSON of an entry's ``changes`` (any mapping, as a dict)."""
    changes = entry.changes
    return canonical_json(changes if type(changes) is dict else dict(changes))


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


#: Engines whose database has ``charter_audit_append`` (only positive answers are remembered).
_APPENDING_DATABASES: weakref.WeakSet[sa.Engine] = weakref.WeakSet()


def appends_in_database(uow: UnitOfWork) -> bool:
    """True on PostgreSQL where ``pg_audit.install`` has run: the database appends and keys."""
    if uow.dialect != "postgresql":
        return False
    engine = uow.session.get_bind().engine
    if engine in _APPENDING_DATABASES:
        return True
    found = uow.session.execute(
        sa.text("SELECT to_regprocedure(:signature) IS NOT NULL"),
        {"signature": pg_audit.APPEND_SIGNATURE},
    ).scalar_one()
    if found:
        _APPENDING_DATABASES.add(engine)
    return bool(found)


@contextmanager
def _database_refusals() -> Iterator[None]:
    """The audit functions' own refusals as one-line ``PlannerError``s."""
    try:
        yield
    except sa.exc.DBAPIError as exc:
        state = getattr(exc.orig, "sqlstate", None)
        diag = getattr(exc.orig, "diag", None)
        text = (getattr(diag, "message_primary", None) or str(exc.orig)).splitlines()[0]
        if state == pg_audit.HEAD_MISSING:
            raise PlannerError(HEAD_MISSING_MESSAGE) from None
        if state == pg_audit.FOREIGN_ACTOR:
            raise PermissionDenied(text) from None
        if state in (pg_audit.KEY_MISSING, pg_audit.BAD_BATCH):
            raise PlannerError(text) from None
        raise


def _forget_head(session: Session) -> None:
    """Expire a loaded ``AuditHead`` row: the database has moved it."""
    head = session.identity_map.get(session.identity_key(AuditHead, 1))
    if head is not None:
        session.expire(head)


def lock_head(uow: UnitOfWork) -> tuple[int, str]:
    """Lock the chain's head row until ``uow`` ends; returns (last event id, last hash).
    ``PlannerError`` when the head is missing (the chain was tampered with)."""
    session = uow.session
    if appends_in_database(uow):  # desks may not SELECT … FOR UPDATE the head themselves
        with _database_refusals():
            session.execute(sa.text("SELECT charter_audit_lock_head()"))
        query = sa.select(AuditHead.last_event_id, AuditHead.last_hash).where(AuditHead.id == 1)
    else:
        query = (
            sa.select(AuditHead.last_event_id, AuditHead.last_hash).where(AuditHead.id == 1).with_for_update()
        )
    head = session.execute(query).one_or_none()
    if head is None:
        raise PlannerError(HEAD_MISSING_MESSAGE)
    return head[0], head[1]


def record(uow: UnitOfWork, entry: AuditEntry) -> AuditEvent:
    """Append one event inside ``uow`` (it is committed, or rolled back, with the change)."""
    return record_many(uow, [entry], returning=True)[-1]


def record_many(
    uow: UnitOfWork, entries: Iterable[AuditEntry], *, returning: bool = False
) -> list[AuditEvent]:
    """Append events in order with one bulk insert (on PostgreSQL with ``pg_audit``: one call of
    the database's append function). With ``returning=True`` returns the events (ids assigned);
    by default an empty list, since building 100k ORM objects costs seconds. ``PlannerError``
    when the audit head is missing; ``PermissionDenied`` when a desk login writes as another."""
    session = uow.session
    if appends_in_database(uow):
        return _append_in_database(uow, list(entries), returning=returning)
    last_id, last_hash = lock_head(uow)
    now = utc_now()
    stamp = _stamp(now)
    rows: list[dict[str, Any]] = []
    prev_hash, next_id = last_hash, last_id + 1
    for entry in entries:
        changes_json = _changes_json(entry)
        entity_id = str(entry.entity_id)
        digest = _chained_hash(
            (str(next_id), stamp, entry.actor, entry.action, entry.entity, entity_id, changes_json, prev_hash)
        )
        rows.append(
            {
                "id": next_id,
                "occurred_at": now,
                "actor": entry.actor,
                "action": entry.action,
                "entity": entry.entity,
                "entity_id": entity_id,
                "changes_json": changes_json,
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        prev_hash, next_id = digest, next_id + 1
    if not rows:
        return []
    bulk_insert(session, AuditEvent.__table__, rows)
    # SQLite's trigger has moved the head already; this keeps it right without the trigger.
    session.execute(
        sa.update(AuditHead)
        .where(AuditHead.id == 1)
        .values(last_event_id=rows[-1]["id"], last_hash=rows[-1]["hash"])
    )
    _forget_head(session)
    return [AuditEvent(**row) for row in rows] if returning else []


def _append_in_database(uow: UnitOfWork, entries: list[AuditEntry], *, returning: bool) -> list[AuditEvent]:
    """``record_many`` on PostgreSQL with ``pg_audit``: one ``charter_audit_append`` call."""
    session = uow.session
    if not entries:
        lock_head(uow)
        return []
    actors, actions, entities, entity_ids, changes = [], [], [], [], []
    for entry in entries:
        actors.append(entry.actor)
        actions.append(entry.action)
        entities.append(entry.entity)
        entity_ids.append(str(entry.entity_id))
        changes.append(_changes_json(entry))
    # The driver's binary array format (%b): 100k JSON texts travel in 0.5 s instead of 18 s as
    # quoted array literals.
    with _database_refusals():
        first_id, last_id = (
            session.connection()
            .exec_driver_sql(
                "SELECT out_first_id, out_last_id FROM charter_audit_append(%b, %b, %b, %b, %b)",
                (actors, actions, entities, entity_ids, changes),
            )
            .one()
        )
    _forget_head(session)
    if not returning:
        return []
    query = sa.select(AuditEvent).where(AuditEvent.id.between(first_id, last_id)).order_by(AuditEvent.id)
    return list(session.execute(query).scalars().all())


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
    """Recompute every hash in id order and check the head; on PostgreSQL with ``pg_audit`` also
    have the server check every keyed event's MAC. Reports the first event that does not fit (a
    missing head is reported at the event after the newest)."""
    report = _verify_hashes(uow, batch_size)
    if not appends_in_database(uow):
        return report
    keyed, bad_mac = uow.session.execute(sa.text("SELECT * FROM charter_audit_check()")).one_or_none() or (
        0,
        None,
    )
    if bad_mac is not None and (report.first_broken_id is None or bad_mac < report.first_broken_id):
        return ChainReport(
            False,
            report.events_checked,
            bad_mac,
            f"event {bad_mac} does not carry the database server's key: it was rewritten outside the program",
            keyed,
        )
    return ChainReport(report.ok, report.events_checked, report.first_broken_id, report.message, keyed)


def _verify_hashes(uow: UnitOfWork, batch_size: int) -> ChainReport:
    """The client's part of ``verify_chain``: every hash and link, then the head."""
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
    if head is None:
        return ChainReport(False, checked, checked + 1, HEAD_MISSING_MESSAGE)
    if head.last_event_id != checked or head.last_hash != expected_prev:
        return ChainReport(
            False,
            checked,
            checked + 1 if head.last_event_id > checked else checked,
            f"the chain ends at event {checked} but its head records event {head.last_event_id}",
        )
    return ChainReport(True, checked, None, f"{checked} events, chain intact")
