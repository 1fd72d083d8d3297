"""Unit of work: one database transaction that rolls back unless ``commit()`` is called.

The transaction rule (one for the whole code base): *the service commits its own write*. A
service function that writes takes an open ``UnitOfWork`` and calls ``uow.commit()`` itself once
it has succeeded; a read-only service never commits; callers (the command line, the window's jobs,
tests) open the unit of work and never commit after a service. A refusal that is audited goes
through :func:`planner.persistence.audit.refuse`: roll back whatever is pending, write the audit
event, commit that alone, raise the error. Services that need several transactions (planning:
load, solve outside any transaction, store; retention; backup and restore; set-up; the manifest
batch) take the ``AppContext`` (``planner.persistence.context``) and open each unit of work with
``ctx.uow(write=...)``. ``run_in_transaction`` retries a whole transaction; its final commit is a
no-op when ``work`` has committed already.

Usage::

    with ctx.uow() as uow:
        result = service(uow, actor, ...)   # commits when it wrote something

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
        #: How many times ``commit()`` ran in this unit of work (``run_in_transaction`` does not
        #: retry work that has committed part of itself).
        self.commits = 0

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
        self.commits = 0
        self._begin()
        return self

    def _begin(self) -> None:
        """Start the transaction now; a write one takes SQLite's write lock at BEGIN."""
        if self.write:
            # Read by planner.persistence.db's BEGIN hook on SQLite; harmless elsewhere.
            self.session.connection(execution_options={"sqlite_immediate": True})

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
        """Commit what is pending (a no-op when nothing is). Work after it runs in a new transaction."""
        self.session.commit()
        self.commits += 1

    def rollback(self) -> None:
        """Discard what is pending and start afresh: a write unit of work takes the write lock
        again at once (as on entry), so what it writes next, e.g. an audited refusal, cannot fail
        half-way on SQLite because another writer got in between."""
        self.session.rollback()
        self._begin()

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
    """Run ``work(uow)`` in a new unit of work and commit (a no-op when ``work`` is a service that
    committed itself); retry the whole transaction when it fails with a retryable error
    (``is_retryable``), at most ``attempts`` times in all, sleeping a random ("full jitter") delay
    up to ``base_delay * 2**n`` (capped at ``max_delay``) in between.

    ``work`` must do nothing outside the transaction that it cannot repeat: every attempt starts
    from a rolled-back state in a new session. A retryable error after ``work`` committed part of
    itself is not retried (that part is stored) but raised. Other errors propagate at once. When
    every attempt failed, raises ``Conflict`` (a clean, reportable refusal; nothing was written)."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for attempt in range(1, attempts + 1):
        uow = UnitOfWork(session_factory, write=write)
        try:
            with uow:
                result = work(uow)
                uow.commit()
                return result
        except sa.exc.DBAPIError as exc:
            if not is_retryable(exc) or _committed_before_failing(uow):
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


def _committed_before_failing(uow: UnitOfWork) -> bool:
    """True when a commit of ``uow`` succeeded before the failure (the final commit that failed
    does not count: ``commits`` goes up only after a commit returned)."""
    return uow.commits > 0
