"""Engine and session factory. Nothing here runs at import time: ``main.py`` wires it.

SQLite connections get ``foreign_keys=ON``, WAL journal, ``synchronous=FULL`` and a busy
timeout; PostgreSQL URLs (``postgresql+psycopg://``) are used as given.
"""

from __future__ import annotations

import logging
import unicodedata
import unicodedata
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalise_url(db: str) -> str:
    """Accept a plain file path or an SQLAlchemy URL; return an SQLAlchemy URL."""
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


def is_sqlite(engine_or_url: sa.Engine | str) -> bool:
    url = engine_or_url if isinstance(engine_or_url, str) else str(engine_or_url.url)
    return url.startswith("sqlite")


def fold_text(value: str | None) -> str:
    """Search key: accents removed, case folded (``'PÉREZ Muñoz'`` -> ``'perez munoz'``)."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _configure_sqlite(dbapi_connection, _record) -> None:
    # Let SQLAlchemy issue BEGIN itself (see _begin_sqlite) instead of pysqlite's lazy BEGIN.
    dbapi_connection.isolation_level = None
    dbapi_connection.create_function("fold", 1, fold_text, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _begin_sqlite(connection: sa.Connection) -> None:
    immediate = connection.get_execution_options().get("sqlite_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(db: str, *, echo: bool = False) -> sa.Engine:
    """Create an engine for a path or URL. SQLite files' parent folders are created."""
    url = normalise_url(db)
    if is_sqlite(url):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, echo=echo)
        sa.event.listen(engine, "connect", _configure_sqlite)
        sa.event.listen(engine, "begin", _begin_sqlite)
    else:
        engine = sa.create_engine(url, echo=echo, pool_pre_ping=True)
    log.debug("engine created for %s", engine.url.render_as_string(hide_password=True))
    return engine


def make_session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    from sqlmodel import Session as SQLModelSession

    return sessionmaker(bind=engine, class_=SQLModelSession, expire_on_commit=False)
