"""The sign-in dialog shows the service's one message for every refusal (no user-name probing)."""

from __future__ import annotations

import os

from planner.persistence.context import AppContext
from planner.services import users
from tests.conftest import ADMIN_PASSWORD
from ui.login import LoginDialog


def _refusal(qtbot, dialog: LoginDialog, name: str, password: str) -> str:
    dialog.username.setText(name)
    dialog.password.setText(password)
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(dialog.buttons.isEnabled, timeout=10000)
    return dialog.message.text()


def test_unknown_wrong_and_throttled_look_alike(qtbot, ctx: AppContext) -> None:
    dialog = LoginDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    messages = {_refusal(qtbot, dialog, "nobody", "whatever-password")}
    for _attempt in range(users.FAILURES_BEFORE_LOCK):
        messages.add(_refusal(qtbot, dialog, "admin", "wrong-password"))
    messages.add(_refusal(qtbot, dialog, "admin", ADMIN_PASSWORD))  # throttled now: refused unchecked
    messages.add(_refusal(qtbot, dialog, "x" * 200, ADMIN_PASSWORD))
    assert messages == {users.SIGN_IN_FAILED}
    if shot := os.environ.get("CHARTER_TEST_SCREENSHOT"):
        dialog.grab().save(shot)
