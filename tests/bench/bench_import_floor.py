"""Benchmark: the 100,000-row roster and verification imports against a floor measured in the same run.

The floor of a file is the least any import of it can cost: the same file read with the ``csv``
module and written, as text, into an equivalent table (one column per CSV column, an integer key)
in one transaction — with one ``executemany`` on SQLite, with one ``COPY … FROM STDIN`` on
PostgreSQL. The imports run the whole pipeline (``import_file``: decoding, every check, the
comparison with the database, the writes and the audit events) on a fresh, initialised database:
the roster and the verification list (GB18030) new, then both again unchanged. Each line prints
the seconds and the ratio to that file's floor on the same backend. Goal (issue 18): at most 10×.

Run with ``pytest tests/bench/bench_import_floor.py -m bench -s`` or ``python -m
tests.bench.bench_import_floor [ROWS] [sqlite|postgres]...``. PostgreSQL is used when the test
server (``tests.conftest.PG_URL``) answers; the benchmark makes its own databases there and drops
only those.
"""

from __future__ import annotations

import csv
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from planner.domain.enums import Role
from planner.persistence.context import AppContext
from planner.services.auth import Actor
from planner.services.imports import import_file
from planner.settings import Settings
from tests.conftest import PG_URL, make_initialised_context, pg_database_url, postgres_available
from tests.integration.imports import synth

ADMIN = Actor("admin", Role.ADMIN, "admin")
#: Each floor is measured this many times; the median counts.
FLOOR_RUNS = 3
#: Most an import may cost, in floors (issue 18).
GOAL_RATIO = 10.0


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _read_rows(path: Path, encoding: str) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, list(reader)


def sqlite_floor(path: Path, encoding: str, folder: Path) -> float:
    """Seconds to read ``path`` with ``csv`` and ``executemany`` it into a fresh SQLite table in
    one transaction (same journal mode as the application's database: WAL)."""
    db = folder / f"floor-{uuid.uuid4().hex[:8]}.db"
    connection = sqlite3.connect(db, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        start = time.perf_counter()
        header, rows = _read_rows(path, encoding)
        connection.execute(
            f"CREATE TABLE floor (id INTEGER PRIMARY KEY, {', '.join(f'{c} TEXT' for c in header)})"
        )
        connection.execute("BEGIN")
        connection.executemany(
            f"INSERT INTO floor ({', '.join(header)}) VALUES ({', '.join('?' * len(header))})", rows
        )
        connection.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        connection.close()
        db.unlink(missing_ok=True)


def postgres_floor(path: Path, encoding: str, url: str) -> float:
    """Seconds to read ``path`` with ``csv`` and ``COPY`` it into a fresh table in one transaction."""
    import psycopg

    with psycopg.connect(_libpq(url)) as connection:
        table = f"floor_{uuid.uuid4().hex[:8]}"
        start = time.perf_counter()
        header, rows = _read_rows(path, encoding)
        columns = ", ".join(header)
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE {table} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                f"{', '.join(f'{c} text' for c in header)})"
            )
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        connection.commit()
        elapsed = time.perf_counter() - start
        connection.execute(f"DROP TABLE {table}")
        connection.commit()
        return elapsed


@contextmanager
def bench_database(backend: str, folder: Path) -> Iterator[str]:
    """A database URL of its own: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    if backend == "sqlite":
        yield str(folder / f"bench-{uuid.uuid4().hex[:8]}.db")
        return
    import psycopg

    name = f"charter_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(PG_URL), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_database_url(name)
    finally:
        with psycopg.connect(_libpq(PG_URL), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def timed_import(ctx: AppContext, kind: str, path: Path) -> tuple[float, str]:
    start = time.perf_counter()
    with ctx.uow() as uow:
        report = import_file(uow, ADMIN, kind, path, name=path.name)
    return time.perf_counter() - start, report.counts()


def write_files(rows: int, folder: Path) -> dict[str, tuple[Path, str]]:
    """The roster (UTF-8) and its verification list (GB18030): kind -> (path, encoding)."""
    people = synth.roster_rows(rows)
    roster = folder / "roster.csv"
    roster.write_bytes(synth.to_csv(synth.ROSTER_HEADER, people).encode("utf-8"))
    verification = folder / "verification.csv"
    verification.write_bytes(
        synth.to_csv(synth.VERIFICATION_HEADER, synth.verification_rows(people)).encode("gb18030")
    )
    return {"roster": (roster, "utf-8"), "verification": (verification, "gb18030")}


def run_backend(backend: str, files: dict[str, tuple[Path, str]], folder: Path) -> dict[str, float]:
    """Floors and imports on one backend; prints a line each and returns label -> ratio to floor."""
    ratios: dict[str, float] = {}
    with bench_database(backend, folder) as url:
        measure: Callable[[Path, str], float] = (
            (lambda path, encoding: sqlite_floor(path, encoding, folder))
            if backend == "sqlite"
            else (lambda path, encoding: postgres_floor(path, encoding, url))
        )
        floors = {
            kind: statistics.median(measure(path, encoding) for _ in range(FLOOR_RUNS))
            for kind, (path, encoding) in files.items()
        }
        for kind, seconds in floors.items():
            print(f"{backend:8s} {kind + ' floor':26s} {seconds:6.2f} s", flush=True)
        ctx = make_initialised_context(Settings(db=url, data_dir=folder))
        try:
            with ctx.uow() as uow:
                import_file(uow, ADMIN, "facilities", synth.facilities_csv().encode())
            for label in ("new", "unchanged"):
                for kind, (path, _encoding) in files.items():
                    elapsed, counts = timed_import(ctx, kind, path)
                    ratio = elapsed / floors[kind]
                    ratios[f"{backend} {kind} ({label})"] = ratio
                    print(
                        f"{backend:8s} {kind + ' (' + label + ')':26s} {elapsed:6.2f} s  "
                        f"{ratio:5.1f}× floor  [{counts}]",
                        flush=True,
                    )
        finally:
            ctx.close()
    return ratios


def run_benchmark(
    rows: int = 100_000, backends: tuple[str, ...] = ("sqlite", "postgres")
) -> dict[str, float]:
    """Every floor and import on ``backends`` (PostgreSQL skipped when no server answers)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-import-floor-"))
    try:
        files = write_files(rows, folder)
        ratios: dict[str, float] = {}
        for backend in backends:
            if backend == "postgres" and not postgres_available():
                print(f"postgres: no server at {PG_URL}; skipped", flush=True)
                continue
            ratios.update(run_backend(backend, files, folder))
        return ratios
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.bench
def test_imports_near_the_floor() -> None:
    ratios = run_benchmark()
    assert max(ratios.values()) <= GOAL_RATIO, ratios


if __name__ == "__main__":
    run_benchmark(
        int(sys.argv[1]) if len(sys.argv) > 1 else 100_000,
        tuple(sys.argv[2:]) or ("sqlite", "postgres"),
    )
