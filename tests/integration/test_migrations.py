"""Migrations: the migrated schema equals the models on both backends, from any older revision."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import planner.persistence.models  # noqa: F401 - registers the tables
from planner.persistence.db import make_engine
from planner.persistence.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    upgrade_to_head,
)
from planner.settings import Settings


def _drift(engine: sa.Engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def _all_revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest) -> sa.Engine:
    settings: Settings = request.getfixturevalue(
        "sqlite_settings" if request.param == "sqlite" else "pg_settings"
    )
    engine = make_engine(settings.database)
    yield engine
    engine.dispose()


def test_fresh_database_migrates_to_head_without_drift(empty_engine: sa.Engine) -> None:
    assert current_revision(empty_engine) is None
    before, after = upgrade_to_head(empty_engine)
    assert (before, after) == (None, head_revision())
    assert _drift(empty_engine) == []


@pytest.mark.parametrize("start", _all_revisions())
def test_every_older_revision_upgrades_to_head_without_drift(empty_engine: sa.Engine, start: str) -> None:
    with empty_engine.begin() as conn:
        command.upgrade(alembic_config(conn), start)
    assert current_revision(empty_engine) == start
    upgrade_to_head(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    assert _drift(empty_engine) == []


def test_upgrade_is_idempotent(empty_engine: sa.Engine) -> None:
    upgrade_to_head(empty_engine)
    assert upgrade_to_head(empty_engine) == (head_revision(), head_revision())


def test_downgrade_to_base_and_back(empty_engine: sa.Engine) -> None:
    upgrade_to_head(empty_engine)
    with empty_engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    tables = set(sa.inspect(empty_engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    upgrade_to_head(empty_engine)
    assert _drift(empty_engine) == []
