"""Login dialog: asks for user name and password and checks them with the users service.

The password check (Argon2id) runs off the GUI thread. Every refusal shows the service's one
message (``users.SIGN_IN_FAILED``: the same for an unknown user, a deactivated or throttled
account and a wrong password), so the dialog tells nobody which user names exist.
With a PostgreSQL URL that names no user, the dialog signs in as the person's database login
(``planner.services.database_sign_in``) and touches the database only then.
On a demo database (``planner.demo.first_run.demo_accounts``, read off the GUI thread each time the
dialog opens) it names the demo accounts that still take the demo password, below any ``hint``.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from planner.demo import first_run
from planner.domain.errors import PlannerError
from planner.persistence.context import AppContext
from planner.services import database_sign_in, users
from planner.services.auth import Actor
from ui.operations import Operation


class LoginDialog(QDialog):
    def __init__(self, ctx: AppContext, *, username: str = "", hint: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Sign in — Charter Planner")
        self.setMinimumWidth(420)  # the demo hint's accounts and password on one or two lines
        self.ctx = ctx
        self.actor: Actor | None = None
        self.username = QLineEdit(username)
        self.username.setObjectName("username")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel(hint)
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        form = QFormLayout()
        form.addRow("&User name", self.username)
        form.addRow("&Password", self.password)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign in")
        self.buttons.accepted.connect(self._sign_in)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        (self.password if username else self.username).setFocus()
        self.demo_hint = QLabel("")
        self.demo_hint.setObjectName("demoHint")
        self.demo_hint.setWordWrap(True)
        self.demo_hint.hide()
        layout.insertWidget(1, self.demo_hint)
        if ctx.signs_in_to_database:  # nothing may connect before the person signs in
            return
        Operation(self).success(self._demo_accounts_read).failure(lambda _exc, _details: None).run_in_uow(
            ctx, first_run.demo_accounts
        )

    def _demo_accounts_read(self, accounts: list[str]) -> None:
        if not accounts:
            return
        if first_run.DEMO_PASSWORD not in self.message.text():  # not said already (first run)
            self.demo_hint.setText(
                f"Demo database — accounts {', '.join(accounts)}, password “{first_run.DEMO_PASSWORD}”."
            )
            self.demo_hint.show()
        if not self.username.text() and self.buttons.isEnabled():
            self.username.setText("officer" if "officer" in accounts else accounts[0])
            self.password.setFocus()

    def _sign_in(self) -> None:
        name, password = self.username.text().strip(), self.password.text()
        self.buttons.setEnabled(False)
        self.message.setText("Checking…")

        if self.ctx.signs_in_to_database:  # as the person's own database login
            Operation(self).success(self._signed_in).failure(self._failed).run_in_thread(
                lambda _task: database_sign_in.sign_in(self.ctx, name, password)
            )
            return
        Operation(self).success(self._signed_in).failure(self._failed).run_in_uow(
            self.ctx, lambda uow: users.authenticate(uow, name, password), write=True
        )

    def _signed_in(self, actor: Actor) -> None:
        self.actor = actor
        self.accept()

    def _failed(self, exc: BaseException, _details: str) -> None:
        self.buttons.setEnabled(True)
        self.password.clear()
        self.password.setFocus()
        self.message.setText(str(exc) if isinstance(exc, PlannerError) else f"Sign-in failed: {exc}")
