"""Shared fixtures: initialised databases on SQLite (always) and PostgreSQL (where a server answers).

PostgreSQL tests use the server on 127.0.0.1:5432 (database ``test``); each test gets a schema
of its own that is dropped afterwards. Set ``CHARTER_TEST_PG_URL`` to use another server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from planner.auth import SYSTEM, Actor
from planner.context import AppContext, build_context
from planner.domain import Role
from planner.services import setup, users
from planner.settings import Settings

ADMIN_PASSWORD = "admin-password-1"
USER_PASSWORD = "user-password-1"
PG_URL = os.environ.get("CHARTER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_available() -> bool:
    import psycopg

    try:
        with psycopg.connect(PG_URL.replace("+psycopg", ""), connect_timeout=3):
            return True
    except Exception:
        return False


_PG_AVAILABLE: bool | None = None


def postgres_available() -> bool:
    global _PG_AVAILABLE
    if _PG_AVAILABLE is None:
        _PG_AVAILABLE = _postgres_available()
    return _PG_AVAILABLE


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("CI") and not postgres_available():
        raise pytest.UsageError(f"CI needs the PostgreSQL server at {PG_URL}, and none answers")
    if postgres_available():
        return
    skip = pytest.mark.skip(reason=f"no PostgreSQL server at {PG_URL}")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def make_initialised_context(settings: Settings) -> AppContext:
    ctx = build_context(settings)
    setup.initialize(ctx, admin="admin", password=ADMIN_PASSWORD)
    return ctx


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return Settings(db=str(tmp_path / "charter.db"), data_dir=tmp_path)


@pytest.fixture
def pg_settings(tmp_path: Path) -> Iterator[Settings]:
    import psycopg

    if not postgres_available():
        pytest.skip(f"no PostgreSQL server at {PG_URL}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    raw = PG_URL.replace("+psycopg", "")
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    try:
        yield Settings(db=url, data_dir=tmp_path)
    finally:
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def ctx(sqlite_settings: Settings) -> Iterator[AppContext]:
    """An initialised SQLite database with one admin (``admin`` / ``ADMIN_PASSWORD``)."""
    context = make_initialised_context(sqlite_settings)
    yield context
    context.close()


@pytest.fixture
def pg_ctx(pg_settings: Settings) -> Iterator[AppContext]:
    """The same on PostgreSQL (skipped where no server answers)."""
    context = make_initialised_context(pg_settings)
    yield context
    context.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AppContext]:
    """Runs the test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield request.getfixturevalue("ctx")
    else:
        yield request.getfixturevalue("pg_ctx")


def add_user(ctx: AppContext, username: str, role: Role) -> Actor:
    with ctx.uow() as uow:
        actor = users.create_user(
            uow, admin_actor(), username=username, role=role.value, password=USER_PASSWORD
        )
        uow.commit()
    return actor


def admin_actor() -> Actor:
    return Actor("admin", Role.ADMIN, "admin")


@pytest.fixture
def admin() -> Actor:
    return admin_actor()


@pytest.fixture
def officer(ctx: AppContext) -> Actor:
    return add_user(ctx, "olivia", Role.OFFICER)


@pytest.fixture
def supervisor(ctx: AppContext) -> Actor:
    return add_user(ctx, "sam", Role.SUPERVISOR)


__all__ = ["ADMIN_PASSWORD", "SYSTEM", "USER_PASSWORD", "add_user", "admin_actor"]
