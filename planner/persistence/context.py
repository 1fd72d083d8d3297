"""The wired application: settings, engine and session factory, built once by ``main.py``."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from planner.persistence.db import make_engine, make_session_factory
from planner.persistence.uow import UnitOfWork
from planner.settings import Settings


@dataclass
class AppContext:
    settings: Settings
    engine: sa.Engine
    session_factory: sessionmaker[Session]

    def uow(self, *, write: bool = True) -> UnitOfWork:
        """A new unit of work (use it in a ``with`` block; it rolls back unless committed)."""
        return UnitOfWork(self.session_factory, write=write)

    def close(self) -> None:
        self.engine.dispose()


def build_context(settings: Settings) -> AppContext:
    engine = make_engine(settings.database, key=settings.db_key or None)
    return AppContext(settings, engine, make_session_factory(engine))
