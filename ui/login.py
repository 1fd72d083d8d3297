"""Login dialog: asks for user name and password and checks them with the users service.

The password check (Argon2id) runs off the GUI thread; throttling messages come from the service.
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

from planner.domain.errors import PlannerError
from planner.persistence.context import AppContext
from planner.services import users
from planner.services.auth import Actor
from ui.operations import Operation


class LoginDialog(QDialog):
    def __init__(self, ctx: AppContext, *, username: str = "", hint: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Sign in — Charter Planner")
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

    def _sign_in(self) -> None:
        name, password = self.username.text().strip(), self.password.text()
        self.buttons.setEnabled(False)
        self.message.setText("Checking…")

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
