"""Unit of work: one database transaction that rolls back unless ``commit()`` is called.

Usage::

    with UnitOfWork(session_factory) as uow:
        ...
        uow.commit()

Not thread-safe: one unit of work belongs to one thread. Only ids and plain data cross threads.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker


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
            # Read by planner.db's BEGIN hook on SQLite; harmless elsewhere.
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
