"""Named lease locks that work on SQLite and PostgreSQL: "one plan run at a time".

A lock is a row of ``app_lock`` (name, holder, token, acquired_at, expires_at):

- **acquire** runs in its own short, committed transaction: insert the row, or take over a row
  whose lease has expired; when a live row exists, refuse with ``Conflict`` naming its holder and
  since when. The transaction is retried on serialization failures / "database is locked".
- **release** deletes the row, but only if it still carries this acquisition's token (after an
  expiry somebody else may hold it now).
- a holder that crashes blocks nobody for longer than its lease (``lease_seconds``).

On PostgreSQL the holder also keeps ``pg_try_advisory_lock`` on a dedicated connection for the whole
time. That lock dies with the holder's connection, so it is authoritative there: a lease row whose
advisory lock is free belongs to a dead holder and is taken over at once, and a live holder whose
lease ran out is still respected. The advisory key is derived from the current schema and the lock
name, so databases (schemas) sharing one server do not block each other.

Usage::

    with LeaseLock(session_factory, PLAN_LOCK, actor.username, lease_seconds=330):
        ...  # read, solve, store
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from planner.domain.errors import Conflict
from planner.persistence.models import AppLock, utc_now
from planner.persistence.uow import UnitOfWork, run_in_transaction

log = logging.getLogger(__name__)

#: The lock every plan run takes (read -> solve -> store).
PLAN_LOCK = "plan"
#: How a refusal reads, per lock name (``{holder}``, ``{since}``); other names use ``DEFAULT_BUSY``.
BUSY_MESSAGES = {PLAN_LOCK: "{holder} has been planning since {since}; try again when the plan is stored"}
DEFAULT_BUSY = "{name} is held by {holder} since {since}"


@dataclass(frozen=True)
class LockInfo:
    """Who holds a lock (plain data)."""

    name: str
    holder: str
    acquired_at: datetime
    expires_at: datetime


def _since(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def busy_message(info: LockInfo) -> str:
    template = BUSY_MESSAGES.get(info.name, DEFAULT_BUSY)
    return template.format(name=info.name, holder=info.holder, since=_since(info.acquired_at))


def lock_holder(session_factory: sessionmaker[Session], name: str) -> LockInfo | None:
    """The current holder of ``name``, or ``None`` when free (an expired lease counts as free)."""
    with UnitOfWork(session_factory, write=False) as uow:
        row = uow.session.get(AppLock, name)
        if row is None or row.expires_at <= utc_now():
            return None
        return LockInfo(row.name, row.holder, row.acquired_at, row.expires_at)


class LeaseLock:
    """A context manager holding the named lock ``name`` for ``holder`` (see the module docstring).

    ``__enter__`` raises ``Conflict`` when somebody else holds it; ``__exit__`` always releases."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        name: str,
        holder: str,
        *,
        lease_seconds: float,
    ) -> None:
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        self.session_factory = session_factory
        self.name = name
        self.holder = holder
        self.lease = timedelta(seconds=lease_seconds)
        self.token = str(uuid.uuid4())
        self._advisory: sa.Connection | None = None
        self.held = False

    # ------------------------------------------------------------ PostgreSQL advisory lock

    def _engine(self) -> sa.Engine:
        bind: Any = self.session_factory.kw.get("bind")
        if bind is None:  # pragma: no cover - the application always binds its factory
            raise RuntimeError("the session factory is not bound to an engine")
        return bind

    def _try_advisory(self) -> bool:
        """Take the advisory lock on a dedicated autocommit connection; ``False`` when taken."""
        engine = self._engine()
        if engine.dialect.name != "postgresql":
            return True
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = conn.execute(
                sa.text("SELECT pg_try_advisory_lock(hashtext(current_schema() || ':app_lock:' || :name))"),
                {"name": self.name},
            ).scalar_one()
        except Exception:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._advisory = conn
        return True

    def _release_advisory(self) -> None:
        conn, self._advisory = self._advisory, None
        if conn is None:
            return
        try:
            conn.execute(
                sa.text("SELECT pg_advisory_unlock(hashtext(current_schema() || ':app_lock:' || :name))"),
                {"name": self.name},
            )
        except Exception:  # closing the connection releases it anyway
            log.warning("could not release advisory lock %s cleanly", self.name, exc_info=True)
        finally:
            conn.close()

    # ------------------------------------------------------------ lease row

    def _take_row(self, uow: UnitOfWork, *, advisory_held: bool) -> LockInfo | None:
        """Insert or take over the lease row; return the live holder instead when there is one."""
        session = uow.session
        now = utc_now()
        row = session.execute(
            sa.select(AppLock).where(AppLock.name == self.name).with_for_update()
        ).scalar_one_or_none()
        postgres = uow.dialect == "postgresql"
        if row is not None:
            live = row.expires_at > now
            if live and not (postgres and advisory_held):
                return LockInfo(row.name, row.holder, row.acquired_at, row.expires_at)
            if live:
                log.warning(
                    "lock %s: %s's lease is live but its holder is gone; taking over", self.name, row.holder
                )
            row.holder, row.token = self.holder, self.token
            row.acquired_at, row.expires_at = now, now + self.lease
        else:
            session.add(
                AppLock(
                    name=self.name,
                    holder=self.holder,
                    token=self.token,
                    acquired_at=now,
                    expires_at=now + self.lease,
                )
            )
        session.flush()
        return None

    def acquire(self) -> None:
        """Take the lock or raise ``Conflict`` naming the holder and since when."""
        if not self._try_advisory():
            # The holder writes its lease row just after taking the advisory lock: wait for it.
            holder = lock_holder(self.session_factory, self.name)
            for _ in range(50):
                if holder is not None:
                    break
                time.sleep(0.1)
                holder = lock_holder(self.session_factory, self.name)
            raise Conflict(
                busy_message(holder)
                if holder is not None
                else f"somebody else holds {self.name} (its lease row is missing); try again shortly"
            )
        try:
            try:
                busy = run_in_transaction(
                    self.session_factory,
                    lambda uow: self._take_row(uow, advisory_held=self._advisory is not None),
                )
            except sa.exc.IntegrityError:  # PostgreSQL: a concurrent insert of the same name won
                holder = lock_holder(self.session_factory, self.name)
                busy = holder or LockInfo(self.name, "somebody else", utc_now(), utc_now())
            if busy is not None:
                raise Conflict(busy_message(busy))
        except BaseException:
            self._release_advisory()
            raise
        self.held = True
        log.info("lock %s taken by %s (lease %s)", self.name, self.holder, self.lease)

    def release(self) -> None:
        """Delete the lease row if it is still ours; release the advisory lock. Never raises for a
        database failure (the lease then expires on its own), so it is safe in ``finally``."""
        if not self.held:
            return
        self.held = False
        try:
            run_in_transaction(
                self.session_factory,
                lambda uow: uow.session.execute(
                    sa.delete(AppLock).where(AppLock.name == self.name, AppLock.token == self.token)
                ),
            )
        except Exception:
            log.warning("could not release lock %s; it expires by itself", self.name, exc_info=True)
        finally:
            self._release_advisory()
        log.info("lock %s released by %s", self.name, self.holder)

    def __enter__(self) -> LeaseLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


__all__ = ["PLAN_LOCK", "LeaseLock", "LockInfo", "busy_message", "lock_holder"]
