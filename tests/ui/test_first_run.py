"""First run of the window: a new SQLite file becomes a demo database (in a child process)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from planner.demo import first_run
from planner.persistence.context import build_context
from planner.persistence.models import Person, User
from planner.settings import Settings
from ui.app import prepare_database


def test_first_run_creates_the_demo_database_then_opens_it_as_is(qtbot, tmp_path: Path) -> None:
    settings = Settings(db=str(tmp_path / "first.db"), data_dir=tmp_path)
    hint = prepare_database(settings)
    assert "A demo database was created" in hint and first_run.DEMO_PASSWORD in hint
    ctx = build_context(settings)
    try:
        with ctx.uow(write=False) as uow:
            names = set(uow.session.execute(sa.select(User.username)).scalars())
            people = uow.session.execute(sa.select(sa.func.count()).select_from(Person)).scalar_one()
        assert names == {name for name, _ in first_run.DEMO_ACCOUNTS}
        assert people > 1000
    finally:
        ctx.close()
    assert prepare_database(settings) == ""
