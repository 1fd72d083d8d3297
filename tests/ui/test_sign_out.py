"""Sign out / switch user (issue 13): File ▸ Sign out records a ``login.sign_out`` event, shows the
sign-in dialog again and builds a new window for the next user's role; the demo-accounts hint
shows on every sign-in to a demo database, not only on the first run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import shiboken6
import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from planner.demo import first_run
from planner.demo import generate as demo
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent
from planner.services import auth, users
from planner.services.auth import Actor
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD
from ui.app import Session
from ui.login import LoginDialog
from ui.main_window import SIGN_OUT_KEYS, MainWindow
from ui.screens.users import UsersScreen

WAIT = 20_000


def _events(ctx: AppContext, action: str) -> list[tuple[str, str]]:
    with ctx.uow(write=False) as uow:
        return [
            (e.actor, e.entity_id)
            for e in uow.session.execute(
                sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            ).scalars()
        ]


def _sign_in(qtbot, session: Session, username: str, password: str) -> MainWindow:
    dialog = session.login
    assert isinstance(dialog, LoginDialog) and dialog.isVisible()
    dialog.username.setText(username)
    dialog.password.setText(password)
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(lambda: session.window is not None and session.window.isVisible(), timeout=WAIT)
    assert session.window is not None
    return session.window


@pytest.fixture
def session(ctx: AppContext) -> Iterator[Session]:
    """A session whose windows (deleted on sign-out, so not handed to qtbot) are closed at the end."""
    session = Session(ctx)
    yield session
    for widget in (session.window, session.login):
        if widget is not None and shiboken6.isValid(widget):
            widget.close()
            widget.deleteLater()


def test_sign_out_service_is_audited_like_a_sign_in(ctx: AppContext, officer: Actor) -> None:
    with ctx.uow() as uow:
        auth.sign_out(uow, officer)
    assert _events(ctx, auth.SIGN_OUT_ACTION) == [(officer.username, officer.username)]


def test_sign_out_then_sign_in_as_another_role(
    qtbot, session: Session, ctx: AppContext, officer: Actor
) -> None:
    ended: list[bool] = []
    session.ended.connect(lambda: ended.append(True))
    session.sign_in()
    window = _sign_in(qtbot, session, "admin", ADMIN_PASSWORD)
    assert UsersScreen.title in window.screens
    assert window.sign_out_action.shortcut() == QKeySequence(SIGN_OUT_KEYS)
    assert window.sign_out_action.text().replace("&", "").startswith("Sign out")

    window.setFocus()
    qtbot.keyClick(
        window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    qtbot.waitUntil(lambda: session.login is not None and session.login.isVisible(), timeout=WAIT)
    assert session.window is None
    qtbot.waitUntil(lambda: not shiboken6.isValid(window), timeout=WAIT)  # the old window is gone
    assert "admin signed out" in session.login.message.text()
    assert _events(ctx, auth.SIGN_OUT_ACTION) == [("admin", "admin")]

    second = _sign_in(qtbot, session, officer.username, USER_PASSWORD)
    assert second is not window and second.actor.username == officer.username
    assert UsersScreen.title not in second.screens  # built for the officer's role
    assert [a for a, _ in _events(ctx, "login.success")][-2:] == ["admin", officer.username]
    assert not ended

    second.sign_out_action.trigger()
    qtbot.waitUntil(lambda: session.login is not None and session.login.isVisible(), timeout=WAIT)
    session.login.reject()
    qtbot.waitUntil(lambda: bool(ended), timeout=WAIT)
    assert session.window is None
    assert [a for a, _ in _events(ctx, auth.SIGN_OUT_ACTION)] == ["admin", officer.username]


def test_a_cancelled_sign_in_ends_the_session(qtbot, session: Session) -> None:
    with qtbot.waitSignal(session.ended, timeout=WAIT):
        session.sign_in().reject()
    assert session.window is None


# ---------------------------------------------------------------- the demo-accounts hint


def _demo_accounts(ctx: AppContext, admin: Actor) -> None:
    with ctx.uow() as uow:
        for username, role in first_run.DEMO_ACCOUNTS[1:]:
            users.create_user(uow, admin, username=username, role=role, password=first_run.DEMO_PASSWORD)
        demo.generate_demo(uow, admin, people=30, flights=3, seed=2)


def _dialog(qtbot, ctx: AppContext) -> LoginDialog:
    dialog = LoginDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_the_demo_hint_shows_on_every_sign_in_to_a_demo_database(
    qtbot, ctx: AppContext, admin: Actor
) -> None:
    _demo_accounts(ctx, admin)
    for _ in range(2):  # not only the first time
        dialog = _dialog(qtbot, ctx)
        qtbot.waitUntil(dialog.demo_hint.isVisible, timeout=WAIT)
        text = dialog.demo_hint.text()
        # The admin of this database has another password: only the accounts that take it are named.
        assert "supervisor, officer" in text and "admin" not in text and first_run.DEMO_PASSWORD in text
        assert dialog.username.text() == "officer"
        dialog.close()
    # An account whose password was changed is no longer named.
    with ctx.uow() as uow:
        users.reset_password(uow, admin, "supervisor", "a-new-password-9")
    dialog = _dialog(qtbot, ctx)
    qtbot.waitUntil(dialog.demo_hint.isVisible, timeout=WAIT)
    assert "supervisor" not in dialog.demo_hint.text() and "officer" in dialog.demo_hint.text()


def test_no_demo_hint_on_an_ordinary_database(qtbot, ctx: AppContext, admin: Actor) -> None:
    with ctx.uow() as uow:
        users.create_user(uow, admin, username="officer", role="officer", password=first_run.DEMO_PASSWORD)
    with ctx.uow(write=False) as uow:
        assert first_run.demo_accounts(uow) == []  # no demo data: not a demo database
    dialog = _dialog(qtbot, ctx)
    qtbot.wait(300)
    assert not dialog.demo_hint.isVisible() and dialog.username.text() == ""
