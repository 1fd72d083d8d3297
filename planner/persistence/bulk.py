"""Fast bulk inserts and updates of many plain rows (plans, audit events, imports).

SQLAlchemy's ``insert(table)`` with a list of dicts compiles parameters row by row, which
costs seconds per 100,000 rows. ``bulk_insert`` converts the values once with each column's own
bind processor (so ``UTCDateTime`` and friends behave exactly as usual) and hands the rows to the
driver in few calls: on SQLite multi-row ``INSERT … VALUES (…), (…), …`` statements of up to
``SQLITE_MAX_PARAMETERS`` values each (half the time of an ``executemany``, whose every row re-runs
the statement's set-up, e.g. the lookup tables of ``CHECK (x IN (…))``; rows go in in order, each
row's triggers and constraints run as usual), ``COPY … FROM STDIN`` on PostgreSQL (``bulk_update``
copies into a temporary table and runs one ``UPDATE … FROM``). Same transaction, same result, a
fraction of the time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from itertools import chain
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from planner.domain.errors import Conflict

#: Most values bound in one SQLite statement (SQLite's default limit since 3.32).
SQLITE_MAX_PARAMETERS = 32766
_NOTHING = object()


def bulk_insert(session: Session, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert ``rows`` (all with the same keys) into ``table`` inside the session's transaction.
    Returns the number of rows. Columns absent from the rows get their database defaults."""
    if not rows:
        return 0
    connection = session.connection()
    dialect = connection.dialect
    columns = list(rows[0])
    params = _parameters(dialect, table, columns, rows)
    quote = dialect.identifier_preparer.quote
    if dialect.name == "postgresql":
        _copy(connection, quote(table.name), [quote(c) for c in columns], params)
        return len(rows)
    placeholder = _placeholder(dialect)
    head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) VALUES "
    one = f"({', '.join([placeholder] * len(columns))})"
    per_statement = _rows_per_statement(connection, len(columns))
    for start in range(0, len(params), per_statement):
        chunk = params[start : start + per_statement]
        connection.exec_driver_sql(head + ", ".join([one] * len(chunk)), tuple(chain.from_iterable(chunk)))
    return len(rows)


def _rows_per_statement(connection: sa.Connection, width: int) -> int:
    """How many rows of ``width`` values one SQLite statement may carry: ``SQLITE_MAX_PARAMETERS``
    values, or fewer where the library allows fewer (999 when it cannot be asked)."""
    driver_connection = connection.connection.driver_connection
    getlimit = getattr(driver_connection, "getlimit", None)
    limit = getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if getlimit is not None else 999
    return max(1, min(limit, SQLITE_MAX_PARAMETERS) // width)


def _parameters(
    dialect: sa.Dialect, table: sa.Table, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> list[tuple]:
    """The rows as tuples of driver values, through each column's own bind processor (run once
    for a run of the same value object, such as the one ``now`` of every row of an import)."""
    processors = [table.c[name].type.bind_processor(dialect) for name in columns]
    values: Callable[[Mapping[str, Any]], tuple] = (
        itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
    )
    if not any(processors):
        return list(map(values, rows))
    converters = [
        (i, _repeating(_then_driver_adapter(dialect, p))) for i, p in enumerate(processors) if p is not None
    ]
    params: list[tuple] = []
    for row in rows:
        converted = list(values(row))
        for i, convert in converters:
            converted[i] = convert(converted[i])
        params.append(tuple(converted))
    return params


def _then_driver_adapter(dialect: sa.Dialect, process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``process`` followed by the SQLite driver's own adapter for the result's type, if it has one
    (``sqlite3`` turns a ``datetime`` into text with a Python function for every value it binds:
    done here, ``_repeating`` does it once for a repeated value); elsewhere ``process`` itself."""
    adapters = getattr(dialect.dbapi, "adapters", None)
    protocol = getattr(dialect.dbapi, "PrepareProtocol", None)
    if dialect.name != "sqlite" or not adapters or protocol is None:
        return process

    def run(value: Any) -> Any:
        result = process(value)
        adapt = adapters.get((type(result), protocol))
        return adapt(result) if adapt is not None else result

    return run


def _repeating(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``process`` (a pure bind processor) that reuses its last result for the same object."""
    last_value: Any = _NOTHING
    last_result: Any = None

    def run(value: Any) -> Any:
        nonlocal last_value, last_result
        if value is not last_value:
            last_value, last_result = value, process(value)
        return last_result

    return run


def _copy(connection: sa.Connection, table: str, columns: Sequence[str], params: Sequence[tuple]) -> None:
    """PostgreSQL: stream ``params`` into ``table`` with ``COPY … FROM STDIN`` on the connection's
    own transaction (several times faster than a pipelined ``executemany`` of INSERTs)."""
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None  # a checked-out connection has its driver connection
    with (
        driver_connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for values in params:
            copy.write_row(values)


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
    params = _parameters(dialect, table, names, rows)
    quote = dialect.identifier_preparer.quote
    if dialect.name == "postgresql":
        changed = _update_from_copy(connection, table, columns, key, params, guard_version=guard_version)
    else:
        placeholder = _placeholder(dialect)
        sql = (
            f"UPDATE {quote(table.name)} SET {', '.join(f'{quote(c)} = {placeholder}' for c in columns)} "
            f"WHERE {quote(key)} = {placeholder}"
        )
        if guard_version:
            sql += f" AND {quote('version')} = {placeholder}"
            params = [(*values, row["version"] - 1) for values, row in zip(params, rows, strict=True)]
        changed = connection.exec_driver_sql(sql, params).rowcount
    if guard_version and changed != len(rows):
        raise Conflict(
            f"{len(rows) - changed} of {len(rows)} {table.name} records were changed by someone "
            "else while this ran; nothing was written — run it again"
        )
    return len(rows)


def _update_from_copy(
    connection: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    key: str,
    params: Sequence[tuple],
    *,
    guard_version: bool,
) -> int:
    """PostgreSQL: ``COPY`` the new values into a temporary table, then one ``UPDATE … FROM``;
    returns the number of rows updated."""
    quote = connection.dialect.identifier_preparer.quote
    target, staged = quote(table.name), quote(f"_bulk_{table.name}")
    names = [quote(c) for c in (*columns, key)]
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {staged} ON COMMIT DROP AS "
        f"SELECT {', '.join(names)} FROM {target} WITH NO DATA"
    )
    _copy(connection, staged, names, params)
    sets = ", ".join(f"{n} = s.{n}" for n in names[:-1])
    guard = f" AND t.{quote('version')} = s.{quote('version')} - 1" if guard_version else ""
    result = connection.exec_driver_sql(
        f"UPDATE {target} AS t SET {sets} FROM {staged} AS s WHERE t.{names[-1]} = s.{names[-1]}{guard}"
    )
    connection.exec_driver_sql(f"DROP TABLE {staged}")  # (a failed transaction drops it too)
    return result.rowcount


def _placeholder(dialect: sa.Dialect) -> str:
    return {"qmark": "?", "format": "%s", "pyformat": "%s", "numeric": "?", "named": "?"}[dialect.paramstyle]
