"""The users screen and the change-password dialog through pytest-qt on both backends: add (with
validation in the dialog), edit, the last-admin refusal, the stale-version refusal naming who
changed the account (then Reload and save again), reset password, unlock, and File ▸ Change my
password for any role."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from planner.domain.errors import AuthenticationFailed
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, User, utc_now
from planner.services import users
from planner.services.auth import Actor
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD
from ui import operations
from ui.main_window import MainWindow
from ui.operations import Change
from ui.screens.audit import AuditScreen
from ui.screens.users import (
    AddUserDialog,
    ChangePasswordDialog,
    EditUserDialog,
    ResetPasswordDialog,
    UsersScreen,
)

NEW_PASSWORD = "fresh-password-42"


@pytest.fixture(autouse=True)
def _finish_background_work(qtbot):
    """Let service calls started by a test report back before its widgets are deleted."""
    yield
    qtbot.waitUntil(lambda: not operations.busy(), timeout=10000)


def _screen(qtbot, ctx: AppContext, actor: Actor) -> UsersScreen:
    screen = UsersScreen(ctx, actor)
    qtbot.addWidget(screen)
    screen.resize(1000, 600)
    screen.show()
    screen.activate()
    _wait_loaded(qtbot, screen)
    return screen


def _wait_loaded(qtbot, screen: UsersScreen) -> None:
    qtbot.waitUntil(lambda: screen.count_label.text().endswith("locked"), timeout=5000)


def _names(screen: UsersScreen) -> list[str]:
    return [r.username for r in screen.model.records()]


def _submit_and_wait_refusal(qtbot, dialog, text: str) -> None:
    dialog.message.clear()
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: text in dialog.message.text(), timeout=5000)
    assert dialog.isVisible()


def _submit_and_wait_accepted(qtbot, dialog) -> None:
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.ok_button.click()


def _can_log_in(ctx: AppContext, username: str, password: str) -> bool:
    with ctx.uow() as uow:
        try:
            users.authenticate(uow, username, password)
        except AuthenticationFailed:
            return False
    return True


def _last_action(ctx: AppContext) -> tuple[str, str]:
    with ctx.uow(write=False) as uow:
        row = uow.session.execute(
            sa.select(AuditEvent.action, AuditEvent.entity_id).order_by(AuditEvent.id.desc()).limit(1)
        ).one()
    return row.action, row.entity_id


def test_table_lists_accounts_and_passes_qtmodeltester(
    qtbot, qtmodeltester, ctx: AppContext, admin: Actor, officer: Actor
) -> None:
    screen = _screen(qtbot, ctx, admin)
    assert _names(screen) == ["admin", "olivia"]
    assert [screen.model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)] == [
        "User name",
        "Display name",
        "Role",
        "Active",
        "Failed logins",
        "Next sign-in from",
    ]
    screen.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert _names(screen) == ["olivia", "admin"]
    qtmodeltester.check(screen.model, force_py=True)


def test_actions_need_a_selection_and_say_why(qtbot, ctx: AppContext, admin: Actor, officer: Actor) -> None:
    screen = _screen(qtbot, ctx, admin)
    assert screen.add_action.shortcut() == QKeySequence("Ctrl+N")
    for action in (screen.edit_action, screen.reset_action, screen.unlock_action):
        assert not action.isEnabled() and action.toolTip() == "Select a user first"
        assert not screen.buttons[action].isEnabled()
    assert screen.edit_user() is None and screen.reset_password() is None
    screen.select_user("olivia")
    assert screen.edit_action.isEnabled() and screen.buttons[screen.edit_action].isEnabled()
    assert not screen.unlock_action.isEnabled()
    assert screen.unlock_action.toolTip() == "olivia is not locked and has no failed logins"


def test_add_user_validates_in_the_dialog_then_creates(qtbot, ctx: AppContext, admin: Actor) -> None:
    screen = _screen(qtbot, ctx, admin)
    screen.add_action.trigger()
    dialog = screen.dialog
    assert isinstance(dialog, AddUserDialog) and dialog.isVisible()
    dialog.username.setText("Bad Name")
    dialog.password.setText("short")
    dialog.repeat.setText("other")
    dialog.ok_button.click()
    assert "user name needs" in dialog.message.text()
    assert "at least 12 characters" in dialog.message.text()
    assert "two passwords differ" in dialog.message.text()

    dialog.username.setText("admin")  # exists: the service says so, in the dialog
    dialog.password.setText(USER_PASSWORD)
    dialog.repeat.setText(USER_PASSWORD)
    _submit_and_wait_refusal(qtbot, dialog, "exists already")

    dialog.username.setText("nina.k")
    dialog.display_name.setText("Nina Kovač")
    dialog.role.setCurrentIndex(dialog.role.findData("supervisor"))
    _submit_and_wait_accepted(qtbot, dialog)
    qtbot.waitUntil(lambda: "nina.k" in _names(screen), timeout=5000)
    row = screen.model.record(screen.model.row_of("nina.k"))
    assert (row.display_name, row.role, row.active) == ("Nina Kovač", "supervisor", True)
    assert _last_action(ctx) == ("user.create", "nina.k")
    assert _can_log_in(ctx, "nina.k", USER_PASSWORD)


def test_edit_changes_role_and_active(qtbot, ctx: AppContext, admin: Actor, officer: Actor) -> None:
    screen = _screen(qtbot, ctx, admin)
    screen.select_user("olivia")
    dialog = screen.edit_user()
    assert isinstance(dialog, EditUserDialog)
    dialog.display_name.clear()
    dialog.ok_button.click()
    assert "may not be empty" in dialog.message.text()
    dialog.display_name.setText("Olivia Stone")
    dialog.role.setCurrentIndex(dialog.role.findData("supervisor"))
    dialog.active.setChecked(False)
    with qtbot.waitSignal(screen.data_changed, timeout=5000) as changed:
        dialog.ok_button.click()
    assert changed.args == [Change.USERS]
    qtbot.waitUntil(lambda: screen.model.record(screen.model.row_of("olivia")).version == 2, timeout=5000)
    row = screen.model.record(screen.model.row_of("olivia"))
    assert (row.display_name, row.role, row.active) == ("Olivia Stone", "supervisor", False)
    assert screen.selected_user() is not None and screen.selected_user().username == "olivia"
    index = screen.model.index(screen.model.row_of("olivia"), 0)
    assert "deactivated" in screen.model.data(index, Qt.ItemDataRole.ToolTipRole)
    assert screen.model.data(index, Qt.ItemDataRole.ForegroundRole) is not None


def test_edit_refuses_demoting_the_last_admin_and_stale_versions(
    qtbot, ctx: AppContext, admin: Actor, officer: Actor
) -> None:
    screen = _screen(qtbot, ctx, admin)
    screen.select_user("admin")
    dialog = screen.edit_user()
    dialog.role.setCurrentIndex(dialog.role.findData("officer"))
    _submit_and_wait_refusal(qtbot, dialog, "last active admin")
    dialog.reject()

    assert not dialog.reload_button.isVisible()  # not about the version: reloading would not help
    dialog.reject()

    screen.select_user("olivia")
    dialog = screen.edit_user()
    assert isinstance(dialog, EditUserDialog) and not dialog.reload_button.isVisible()
    with ctx.uow() as uow:  # someone else edits olivia meanwhile
        users.update_user(uow, admin, "olivia", display_name="Changed elsewhere", expected_version=1)
        uow.commit()
    dialog.role.setCurrentIndex(dialog.role.findData("admin"))
    _submit_and_wait_refusal(qtbot, dialog, "changed by admin at")
    text = dialog.message.text()
    assert "Not saved — the user was changed by someone else:" in text
    assert "UTC (user.update)" in text and "version 2, you edited version 1" in text
    assert dialog.reload_button.isVisible() and not dialog.ok_button.isEnabled()

    # Reload reads the account as now stored (the other change, version 2) into the dialog.
    dialog.reload_button.click()
    qtbot.waitUntil(lambda: dialog.row.version == 2, timeout=5000)
    assert dialog.display_name.text() == "Changed elsewhere" and dialog.role.currentData() == "officer"
    assert "Reloaded version 2" in dialog.message.text()
    assert dialog.ok_button.isEnabled() and not dialog.reload_button.isVisible()

    # The change applied again saves on top of the other one.
    dialog.role.setCurrentIndex(dialog.role.findData("supervisor"))
    _submit_and_wait_accepted(qtbot, dialog)
    assert dialog.result_value.version == 3
    assert _last_action(ctx) == ("user.update", "olivia")
    qtbot.waitUntil(
        lambda: screen.model.record(screen.model.row_of("olivia")).version == 3,
        timeout=5000,
    )
    row = screen.model.record(screen.model.row_of("olivia"))
    assert (row.display_name, row.role) == ("Changed elsewhere", "supervisor")


def test_reset_password_and_unlock(qtbot, ctx: AppContext, admin: Actor, officer: Actor) -> None:
    with ctx.uow() as uow:
        uow.session.execute(
            sa.update(User)
            .where(User.username == "olivia")
            .values(failed_logins=6, locked_until=utc_now() + timedelta(hours=1))
        )
        uow.commit()
    screen = _screen(qtbot, ctx, admin)
    assert screen.count_label.text() == "2 users, 2 active, 1 locked"
    screen.select_user("olivia")
    assert screen.unlock_action.isEnabled()
    screen.buttons[screen.unlock_action].click()
    qtbot.waitUntil(
        lambda: screen.model.record(screen.model.row_of("olivia")).failed_logins == 0, timeout=5000
    )
    assert _last_action(ctx) == ("user.unlock", "olivia")
    assert not screen.unlock_action.isEnabled()
    assert _can_log_in(ctx, "olivia", USER_PASSWORD)

    screen.select_user("olivia")
    dialog = screen.reset_password()
    assert isinstance(dialog, ResetPasswordDialog)
    dialog.password.setText(NEW_PASSWORD)
    dialog.repeat.setText(NEW_PASSWORD + "x")
    dialog.ok_button.click()
    assert "differ" in dialog.message.text()
    dialog.repeat.setText(NEW_PASSWORD)
    _submit_and_wait_accepted(qtbot, dialog)
    assert _last_action(ctx) == ("user.password_reset", "olivia")
    assert _can_log_in(ctx, "olivia", NEW_PASSWORD)


def test_change_my_password_from_the_file_menu(qtbot, ctx: AppContext, officer: Actor) -> None:
    window = MainWindow(ctx, officer)
    qtbot.addWidget(window)
    assert window.change_password_action.isEnabled()
    window.change_password_action.trigger()
    dialog = window.findChild(ChangePasswordDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.current.setText("wrong-password")
    dialog.password.setText(NEW_PASSWORD)
    dialog.repeat.setText(NEW_PASSWORD)
    _submit_and_wait_refusal(qtbot, dialog, "current password is wrong")
    assert dialog.current.text() == ""
    dialog.current.setText(USER_PASSWORD)
    dialog.repeat.setText("mismatch-here")
    dialog.ok_button.click()
    assert "two passwords differ" in dialog.message.text()
    dialog.repeat.setText(NEW_PASSWORD)
    _submit_and_wait_accepted(qtbot, dialog)
    assert _can_log_in(ctx, "olivia", NEW_PASSWORD)
    assert not _can_log_in(ctx, "olivia", USER_PASSWORD)


def test_admin_may_use_the_users_screen_in_the_window(qtbot, ctx: AppContext, admin: Actor) -> None:
    window = MainWindow(ctx, admin)
    qtbot.addWidget(window)
    window.show_screen(UsersScreen.title)
    screen = window.screen(UsersScreen.title)
    assert isinstance(screen, UsersScreen)
    _wait_loaded(qtbot, screen)
    assert _names(screen) == ["admin"]
    assert _can_log_in(ctx, "admin", ADMIN_PASSWORD)


def test_keyboard_shortcuts_reach_the_visible_screen_only(qtbot, ctx: AppContext, admin: Actor) -> None:
    window = MainWindow(ctx, admin)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.show_screen(UsersScreen.title)
    screen = window.screen(UsersScreen.title)
    _wait_loaded(qtbot, screen)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: isinstance(screen.dialog, AddUserDialog) and screen.dialog.isVisible(), timeout=3000
    )
    screen.dialog.reject()
    window.activateWindow()  # the offscreen platform does not hand activation back by itself
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)

    window.show_screen(AuditScreen.title)
    audit_screen = window.screen(AuditScreen.title)
    qtbot.waitUntil(lambda: audit_screen.model.rowCount() > 0, timeout=5000)
    screen.dialog = None
    qtbot.keyClick(
        window, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    qtbot.waitUntil(lambda: "intact" in audit_screen.verdict.text(), timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # users screen hidden: nothing
    assert screen.dialog is None
