"""Engine and session factory. Nothing here runs at import time: ``main.py`` wires it.

SQLite connections get ``foreign_keys=ON``, WAL journal, ``synchronous=FULL`` and a busy
timeout; PostgreSQL URLs (``postgresql+psycopg://``) are used as given. With a ``key`` the SQLite
file is opened with SQLCipher (``sqlcipher3``, optional extra ``encryption``): ``PRAGMA key`` is
the first statement on every connection, and a wrong key fails with ``EncryptionKeyError``.
"""

from __future__ import annotations

import logging
import unicodedata
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from planner.domain.errors import PlannerError

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_HEADER = b"SQLite format 3\x00"


class EncryptionKeyError(PlannerError):
    """The SQLite file is encrypted and no key, or the wrong key, was given."""


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


def sqlcipher_module() -> ModuleType:
    """The SQLCipher DB-API module, or ``PlannerError`` naming the extra to install."""
    try:
        from sqlcipher3 import dbapi2
    except ImportError as exc:
        raise PlannerError(
            "encryption needs SQLCipher: pip install 'charter-planner[encryption]' (package sqlcipher3)"
        ) from exc
    return dbapi2


def is_encrypted_file(path: str | Path) -> bool:
    """True when ``path`` exists, is not empty and does not start with the plain SQLite header
    (an SQLCipher file is indistinguishable from random bytes)."""
    p = Path(path)
    if not p.is_file() or p.stat().st_size == 0:
        return False
    with p.open("rb") as f:
        return f.read(len(SQLITE_HEADER)) != SQLITE_HEADER


def apply_key(dbapi_connection: Any, key: str, where: str = "the database") -> None:
    """``PRAGMA key`` on a fresh SQLCipher connection, then prove the key opens the file."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA cipher_log_level = NONE")  # a wrong key is reported by us, once
        cursor.execute("PRAGMA key = '{}'".format(key.replace("'", "''")))
        cursor.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except Exception as exc:
        raise EncryptionKeyError(f"cannot open {where}: wrong encryption key (CHARTER_DB_KEY)") from exc
    finally:
        cursor.close()


def sqlite_file(engine: sa.Engine) -> Path | None:
    """The file behind an SQLite engine (``None`` for PostgreSQL or an in-memory database)."""
    if not is_sqlite(engine):
        return None
    database = engine.url.database
    return Path(database) if database and database != ":memory:" else None


def connect_sqlite_file(path: str | Path, *, key: str | None = None, read_only: bool = False) -> Any:
    """A raw DB-API connection to an SQLite file (SQLCipher when ``key``), in autocommit mode,
    for maintenance work (backups, checks). ``read_only`` never creates or changes the file."""
    module: Any = sqlcipher_module() if key else __import__("sqlite3")
    target = f"file:{Path(path).resolve()}?mode=ro" if read_only else str(path)
    connection = module.connect(target, uri=read_only, isolation_level=None)
    if key:
        try:
            apply_key(connection, key, str(path))
        except EncryptionKeyError:
            connection.close()
            raise
    connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    return connection


def make_engine(db: str, *, echo: bool = False, key: str | None = None) -> sa.Engine:
    """Create an engine for a path or URL. SQLite files' parent folders are created.

    ``key`` (SQLite only) opens or creates an SQLCipher-encrypted file. Without a key, an existing
    encrypted file is refused at once with ``EncryptionKeyError``."""
    url = normalise_url(db)
    if is_sqlite(url):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            if not key and is_encrypted_file(path):
                raise EncryptionKeyError(
                    f"{path} is encrypted (or not an SQLite database): set CHARTER_DB_KEY to its key"
                )
        if key:
            engine = sa.create_engine(url, echo=echo, module=sqlcipher_module())
            sa.event.listen(engine, "connect", lambda conn, _rec: apply_key(conn, key, str(path)))
        else:
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
