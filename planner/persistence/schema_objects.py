"""The SQLite schema objects this program version makes, to check a database against them.

The reference is ``sqlite_master`` (type, name, table, SQL with its white space collapsed) of an
empty database migrated to the head revision, made once per process in a temporary folder. Every
trigger, view, index and table must match it exactly:

- ``schema_differences`` names what a database (a backup to restore) lacks, adds or changes —
  an audit trigger dropped, an extra trigger or view, a changed trigger;
- ``ensure_protective_triggers`` re-creates (from the reference's own DDL, i.e. the migrations')
  the missing triggers that guard the audit tables (``audit_event`` append-only from migration
  0001, and whatever later migrations add on ``audit_head``/``audit_event``); ``init`` calls it.

PostgreSQL: its protective triggers, functions and privileges are (re-)applied by
``planner.persistence.pg_security.apply`` (idempotent), not here.
"""

from __future__ import annotations

import functools
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

#: Tables whose triggers protect the audit trail (a missing one is re-created by ``init``).
PROTECTED_TABLES = ("audit_event", "audit_head", "audit_anchor")
#: How many differences a one-line message names at most.
NAMED_AT_MOST = 3


@dataclass(frozen=True)
class SchemaObject:
    """One row of ``sqlite_master`` (``sql`` with its white space collapsed)."""

    type: str
    name: str
    table: str
    sql: str


def normalised_sql(sql: str | None) -> str:
    """``sql`` with runs of white space collapsed and no trailing semicolon (how SQLite stores
    the text depends on how it was typed, not on what it does)."""
    return re.sub(r"\s+", " ", sql or "").strip().rstrip(";").strip()


def read_objects(connection: Any) -> dict[tuple[str, str], SchemaObject]:
    """The schema objects of an SQLite DB-API or SQLAlchemy connection, by (type, name), without
    SQLite's own (``sqlite_…``) objects."""
    query = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    rows = (
        connection.exec_driver_sql(query).fetchall()
        if isinstance(connection, sa.Connection)
        else connection.execute(query).fetchall()
    )
    return {
        (str(t), str(n)): SchemaObject(str(t), str(n), str(tbl), normalised_sql(sql))
        for t, n, tbl, sql in rows
    }


@functools.cache
def reference_objects() -> dict[tuple[str, str], SchemaObject]:
    """The objects of an empty SQLite database migrated to the head revision (made once per process)."""
    from planner.persistence.db import make_engine
    from planner.persistence.migrate import upgrade_to_head

    with tempfile.TemporaryDirectory(prefix="charter-reference-") as folder:
        engine = make_engine(str(Path(folder) / "reference.db"))
        try:
            upgrade_to_head(engine)
            with engine.connect() as connection:
                return read_objects(connection)
        finally:
            engine.dispose()


def schema_differences(actual: dict[tuple[str, str], SchemaObject]) -> list[str]:
    """What ``actual`` lacks, adds or changes against ``reference_objects()``, one phrase each,
    protective triggers first; ``[]`` when it matches."""
    expected = reference_objects()
    missing = [f"{t} {n} is missing" for (t, n) in expected if (t, n) not in actual]
    extra = [f"{t} {n} is not one this version makes" for (t, n) in actual if (t, n) not in expected]
    changed = [
        f"{t} {n} differs from this version's"
        for (t, n), obj in actual.items()
        if (t, n) in expected and obj != expected[(t, n)]
    ]

    def triggers_first(phrase: str) -> bool:
        return not phrase.startswith("trigger ")

    return (
        sorted(missing, key=triggers_first)
        + sorted(extra, key=triggers_first)
        + sorted(changed, key=triggers_first)
    )


def differences_text(differences: list[str]) -> str:
    """The first few ``differences`` joined for a one-line message."""
    text = "; ".join(differences[:NAMED_AT_MOST])
    hidden = len(differences) - NAMED_AT_MOST
    return text + (f" (and {hidden} more)" if hidden > 0 else "")


def protective_triggers() -> list[SchemaObject]:
    """The reference's triggers on the audit tables (``PROTECTED_TABLES``), by name."""
    return sorted(
        (o for o in reference_objects().values() if o.type == "trigger" and o.table in PROTECTED_TABLES),
        key=lambda o: o.name,
    )


def ensure_protective_triggers(engine: sa.Engine) -> list[str]:
    """SQLite: re-create the protective triggers missing from ``engine``'s database, or changed
    there, with the migrations' own DDL (one transaction); returns their names (``[]`` on
    PostgreSQL, or when all were in place)."""
    if engine.dialect.name != "sqlite":
        return []
    with engine.begin() as connection:
        present = read_objects(connection)
        redo = [t for t in protective_triggers() if present.get(("trigger", t.name)) != t]
        for trigger in redo:
            if ("trigger", trigger.name) in present:
                connection.exec_driver_sql(f'DROP TRIGGER "{trigger.name}"')
            connection.exec_driver_sql(trigger.sql)
    return [t.name for t in redo]


__all__ = [
    "PROTECTED_TABLES",
    "SchemaObject",
    "differences_text",
    "ensure_protective_triggers",
    "protective_triggers",
    "read_objects",
    "reference_objects",
    "schema_differences",
]
