"""The sign-in dialog with a PostgreSQL URL that names no user: nothing connects before the sign-in,
then the person works as their own database login."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from planner.domain.enums import Role
from planner.persistence.context import AppContext, build_context
from planner.services import database_sign_in, users
from planner.services.auth import SYSTEM
from planner.settings import Settings
from tests.conftest import PG_URL, _libpq
from ui.login import LoginDialog

pytestmark = pytest.mark.postgres
PASSWORD = "Tangerine-orbit-4417-quietly"


def test_database_sign_in_from_the_dialog(qtbot, pg_ctx: AppContext, tmp_path: Path) -> None:
    name = f"olivia-{uuid.uuid4().hex[:8]}"
    with pg_ctx.uow() as uow:
        users.create_user(uow, SYSTEM, username=name, role=Role.OFFICER.value, password=PASSWORD)
    url = pg_ctx.engine.url
    no_user = sa.engine.URL.create(url.drivername, host=url.host, port=url.port, database=url.database)
    desk = build_context(Settings(db=no_user.render_as_string(hide_password=False), data_dir=tmp_path))
    connections: list[object] = []
    sa.event.listen(desk.engine, "connect", lambda *_: connections.append(1))
    try:
        dialog = LoginDialog(desk)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.wait(200)
        assert connections == [], "nothing connects before the sign-in"
        dialog.username.setText(f"nobody-{uuid.uuid4().hex[:6]}")
        dialog.password.setText(PASSWORD)
        dialog.buttons.accepted.emit()
        qtbot.waitUntil(dialog.buttons.isEnabled, timeout=10000)
        assert dialog.message.text() == database_sign_in.SIGN_IN_REFUSED
        dialog.username.setText(name)
        dialog.password.setText(PASSWORD)
        dialog.buttons.accepted.emit()
        qtbot.waitUntil(lambda: dialog.actor is not None, timeout=10000)
        assert dialog.actor is not None and dialog.actor.username == name
        with desk.uow(write=False) as uow:
            assert uow.session.execute(sa.text("SELECT session_user")).scalar() == name
    finally:
        desk.close()
        with psycopg.connect(_libpq(PG_URL), autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{name}"')
