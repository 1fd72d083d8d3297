"""Fast bulk inserts of many plain rows (plans, audit events, imports).

SQLAlchemy's ``insert(table)`` with a list of dicts compiles parameters row by row, which
costs seconds per 100,000 rows. ``bulk_insert`` converts the values once with each column's own
bind processor (so ``UTCDateTime`` and friends behave exactly as usual) and hands the rows to the
driver's ``executemany`` in one call. Same transaction, same result, a fraction of the time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from planner.errors import Conflict


def bulk_insert(session: Session, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert ``rows`` (all with the same keys) into ``table`` inside the session's transaction.
    Returns the number of rows. Columns absent from the rows get their database defaults."""
    if not rows:
        return 0
    connection = session.connection()
    dialect = connection.dialect
    columns = list(rows[0])
    processors = [table.c[name].type.bind_processor(dialect) for name in columns]
    quote = dialect.identifier_preparer.quote
    placeholder = _placeholder(dialect)
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join([placeholder] * len(columns))})"
    )
    if any(processors):
        params = [
            tuple(p(row[c]) if p else row[c] for c, p in zip(columns, processors, strict=True))
            for row in rows
        ]
    else:
        params = [tuple(row[c] for c in columns) for row in rows]
    connection.exec_driver_sql(sql, params)
    return len(rows)


def bulk_update(
    session: Session,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    key: str = "id",
    *,
    guard_version: bool = False,
) -> int:
    """``UPDATE table SET … WHERE key = …`` for every row (all with the same keys, ``key`` among
    them), through one ``executemany``. Returns the number of rows given.

    With ``guard_version`` each row carries its new ``version`` and is written only where the
    stored version is the one before it (``AND version = new - 1``); if any row was changed by
    someone else since it was read, ``Conflict`` is raised and the caller's transaction must be
    rolled back (some rows of the batch may have been written)."""
    if not rows:
        return 0
    connection = session.connection()
    dialect = connection.dialect
    columns = [c for c in rows[0] if c != key]
    names = (*columns, key)
    processors = [table.c[name].type.bind_processor(dialect) for name in names]
    quote = dialect.identifier_preparer.quote
    placeholder = _placeholder(dialect)
    sql = (
        f"UPDATE {quote(table.name)} SET {', '.join(f'{quote(c)} = {placeholder}' for c in columns)} "
        f"WHERE {quote(key)} = {placeholder}"
    )
    params = [
        tuple(p(row[c]) if p else row[c] for c, p in zip(names, processors, strict=True)) for row in rows
    ]
    if guard_version:
        sql += f" AND {quote('version')} = {placeholder}"
        params = [(*values, row["version"] - 1) for values, row in zip(params, rows, strict=True)]
    result = connection.exec_driver_sql(sql, params)
    if guard_version and result.rowcount != len(rows):
        raise Conflict(
            f"{len(rows) - result.rowcount} of {len(rows)} {table.name} records were changed by someone "
            "else while this ran; nothing was written — run it again"
        )
    return len(rows)


def _placeholder(dialect: sa.Dialect) -> str:
    return {"qmark": "?", "format": "%s", "pyformat": "%s", "numeric": "?", "named": "?"}[dialect.paramstyle]
