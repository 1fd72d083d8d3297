"""Desk logins for the security tests: users made by the superuser connection, each with its own
PostgreSQL login role (cluster-wide, so every name gets a fresh suffix and is dropped afterwards)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from planner.domain.enums import Role
from planner.persistence.context import AppContext, build_context
from planner.services import database_sign_in, users
from planner.services.auth import SYSTEM, Actor
from planner.settings import Settings
from tests.conftest import PG_URL, _libpq

PASSWORD = "Tangerine-orbit-4417-quietly"
SUPERUSER = _libpq(PG_URL)


def _superuser(sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(SUPERUSER, autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


class Logins:
    """Users (and their login roles) made by the test; dropped at teardown."""

    def __init__(self, ctx: AppContext, folder: Path) -> None:
        self.ctx = ctx
        self.folder = folder
        self.suffix = uuid.uuid4().hex[:8]
        self.names: list[str] = []
        self.desks: list[AppContext] = []

    def name(self, stem: str) -> str:
        made = f"{stem}-{self.suffix}"
        self.names.append(made)
        return made

    def add(self, stem: str, role: Role) -> str:
        """A user made by the superuser ``ctx`` (the maintenance connection)."""
        username = self.name(stem)
        with self.ctx.uow() as uow:
            users.create_user(uow, SYSTEM, username=username, role=role.value, password=PASSWORD)
        return username

    @property
    def no_user_url(self) -> str:
        """The test database's URL without a user name: each desk signs in as itself."""
        url = self.ctx.engine.url
        return sa.engine.URL.create(
            url.drivername, host=url.host, port=url.port, database=url.database
        ).render_as_string(hide_password=False)

    def desk(self, username: str) -> tuple[AppContext, Actor]:
        """A context signed in as ``username``'s own database login, and its actor."""
        desk = build_context(Settings(db=self.no_user_url, data_dir=self.folder))
        self.desks.append(desk)
        assert desk.signs_in_to_database
        return desk, database_sign_in.sign_in(desk, username, PASSWORD)

    def drop(self) -> None:
        for desk in self.desks:
            desk.close()
        for name in self.names:
            _superuser(f'DROP ROLE IF EXISTS "{name}"')


@pytest.fixture
def logins(pg_ctx: AppContext, tmp_path: Path) -> Iterator[Logins]:
    made = Logins(pg_ctx, tmp_path)
    yield made
    made.drop()
