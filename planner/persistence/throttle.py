"""The sign-in throttle's shared state (``sign_in_throttle``): consecutive failures per source or
unknown user name, kept in the database so every desk sees the same counts.

Keys longer than the column (an over-long user name) are stored as their SHA-256, so any text can
be throttled. Writes are upserts: two desks failing at once never collide on the primary key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from planner.persistence.models import SignInThrottle
from planner.persistence.uow import UnitOfWork

SOURCE = "source"
NAME = "name"
KEY_LENGTH: int = SignInThrottle.__table__.c.key.type.length


@dataclass(frozen=True)
class Count:
    """Consecutive failures so far and the time before which attempts are refused unchecked."""

    failures: int = 0
    next_attempt_at: datetime | None = None


def storage_key(text: str) -> str:
    """``text`` itself when it fits the key column, else ``sha256:`` and its hex digest."""
    if len(text) <= KEY_LENGTH:
        return text
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def read(uow: UnitOfWork, kind: str, key: str) -> Count:
    """The count of ``kind``/``key`` (zero when there is none)."""
    row = uow.session.get(SignInThrottle, (kind, storage_key(key)))
    return Count(row.failures, row.next_attempt_at) if row is not None else Count()


def save(uow: UnitOfWork, kind: str, key: str, count: Count, *, now: datetime) -> None:
    """Store ``count`` for ``kind``/``key`` (a failure at ``now``), replacing what was there."""
    values = {
        "kind": kind,
        "key": storage_key(key),
        "failures": count.failures,
        "next_attempt_at": count.next_attempt_at,
        "last_failure_at": now,
    }
    insert = postgresql.insert if uow.dialect == "postgresql" else sqlite.insert
    statement = insert(SignInThrottle).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["kind", "key"],
        set_={name: statement.excluded[name] for name in ("failures", "next_attempt_at", "last_failure_at")},
    )
    uow.session.execute(statement)


def clear(uow: UnitOfWork, kind: str, key: str) -> None:
    """Forget the failures of ``kind``/``key``."""
    uow.session.execute(
        sa.delete(SignInThrottle).where(SignInThrottle.kind == kind, SignInThrottle.key == storage_key(key))
    )


def forget_before(uow: UnitOfWork, when: datetime) -> None:
    """Forget every count whose last failure is older than ``when`` (keeps the table small)."""
    uow.session.execute(sa.delete(SignInThrottle).where(SignInThrottle.last_failure_at < when))
