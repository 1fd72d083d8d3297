"""The wired application: settings, engine and session factory, built once by ``main.py``."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from planner.persistence.db import make_engine, make_session_factory, normalise_url
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

    @property
    def signs_in_to_database(self) -> bool:
        """True for a PostgreSQL URL that names no user: each person then signs in as their own
        database login (``sign_in_database``) and nothing may connect before that."""
        url = sa.engine.make_url(normalise_url(self.settings.database))
        return url.get_backend_name() == "postgresql" and not url.username

    def sign_in_database(self, username: str, password: str) -> None:
        """Connect as database login ``username`` with ``password`` (the server checks it, by
        SCRAM) and use that connection's engine and session factory from now on. Raises the
        driver's ``sqlalchemy.exc.OperationalError`` when the server refuses; nothing changes then."""
        url = sa.engine.make_url(normalise_url(self.settings.database)).set(
            username=username, password=password
        )
        engine = make_engine(url.render_as_string(hide_password=False))
        try:
            with engine.connect():
                pass
        except Exception:
            engine.dispose()
            raise
        self.engine.dispose()
        self.engine, self.session_factory = engine, make_session_factory(engine)

    def close(self) -> None:
        self.engine.dispose()


def build_context(settings: Settings) -> AppContext:
    engine = make_engine(settings.database, key=settings.db_key or None)
    return AppContext(settings, engine, make_session_factory(engine))
