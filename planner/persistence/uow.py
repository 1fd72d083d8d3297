"""Unit of work: one database transaction that rolls back unless ``commit()`` is called.

Usage::

    with UnitOfWork(session_factory) as uow:
        ...
        uow.commit()

Not thread-safe: one unit of work belongs to one thread. Only ids and plain data cross threads.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from planner.domain.errors import Conflict

log = logging.getLogger(__name__)
T = TypeVar("T")

#: PostgreSQL SQLSTATEs worth retrying: serialization failure, deadlock detected.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
_SQLITE_BUSY_TEXT = ("database is locked", "database table is locked", "database is busy")


class UnitOfWork:
    """``write=True`` (default) takes SQLite's write lock at BEGIN (``BEGIN IMMEDIATE``) so two
    writers queue instead of failing mid-transaction; pass ``write=False`` for read-only work,
    which never blocks or waits for writers under WAL. PostgreSQL ignores the flag."""

    def __init__(self, session_factory: sessionmaker[Session], *, write: bool = True) -> None:
        self.session_factory = session_factory
        self.write = write
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside its 'with' block")
        return self._session

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def __enter__(self) -> UnitOfWork:
        self._session = self.session_factory()
        if self.write:
            # Read by planner.persistence.db's BEGIN hook on SQLite; harmless elsewhere.
            self._session.connection(execution_options={"sqlite_immediate": True})
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()
            self._session = None

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def flush(self) -> None:
        self.session.flush()


def is_retryable(exc: BaseException) -> bool:
    """True for errors a fresh attempt of the same transaction may not meet again: PostgreSQL
    serialization failures and deadlocks, SQLite "database is locked" (busy timeout ran out)."""
    original = getattr(exc, "orig", None) or exc
    if getattr(original, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    text = str(original).lower()
    return type(original).__name__ == "OperationalError" and any(t in text for t in _SQLITE_BUSY_TEXT)


def run_in_transaction(
    session_factory: sessionmaker[Session],
    work: Callable[[UnitOfWork], T],
    *,
    attempts: int = 5,
    write: bool = True,
    base_delay: float = 0.05,
    max_delay: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``work(uow)`` in a new unit of work and commit; retry the whole transaction when it
    fails with a retryable error (``is_retryable``), at most ``attempts`` times in all, sleeping a
    random ("full jitter") delay up to ``base_delay * 2**n`` (capped at ``max_delay``) in between.

    ``work`` must do nothing outside the transaction that it cannot repeat: every attempt starts
    from a rolled-back state. Other errors propagate at once. When every attempt failed, raises
    ``Conflict`` (a clean, reportable refusal; nothing was written)."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for attempt in range(1, attempts + 1):
        try:
            with UnitOfWork(session_factory, write=write) as uow:
                result = work(uow)
                uow.commit()
                return result
        except sa.exc.DBAPIError as exc:
            if not is_retryable(exc):
                raise
            if attempt == attempts:
                raise Conflict(
                    f"the database stayed busy (concurrent changes); gave up after {attempts} attempts: "
                    f"{str(getattr(exc, 'orig', exc)).splitlines()[0]}"
                ) from exc
            delay = random.uniform(0, min(max_delay, base_delay * 2**attempt))
            log.info(
                "retryable failure (attempt %d of %d), retrying in %.2f s: %s", attempt, attempts, delay, exc
            )
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
