"""Users (admin): the accounts table, and dialogs to add a user, edit role / display name /
active, reset a password and unlock an account; plus the "Change my password" dialog any
signed-in user opens from the File menu.

Dialogs check what they can locally (password twice, length, user-name shape) and show the
service's refusals (last admin, stale version, wrong current password) inside the dialog. After a
stale-version refusal (``StaleVersion``: someone else saved the account, named with the time) the
edit dialog offers Reload, which reads the account as now stored (``ui.stale_reload``).
Threading: GUI thread only; service calls (Argon2id hashing included) run on the thread pool
through ``ui.operations.Operation``, each in its own unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from planner.domain.enums import Role
from planner.domain.errors import PlannerError, StaleVersion
from planner.persistence.context import AppContext
from planner.persistence.uow import UnitOfWork
from planner.services import users
from planner.services.auth import Actor
from planner.services.users import MIN_PASSWORD_LENGTH, USERNAME_PATTERN, UserRow
from ui.errors import show_error
from ui.operations import Change, Operation
from ui.record_model import RecordTableModel, format_value
from ui.screens.base import Screen
from ui.stale_reload import StaleReloadMixin
from ui.tables import table_view

COLUMNS = [
    ("username", "User name"),
    ("display_name", "Display name"),
    ("role", "Role"),
    ("active", "Active"),
    ("failed_logins", "Failed logins"),
    ("locked_until", "Next sign-in from"),
]
COLUMN_WIDTHS = (150, 240, 110, 70, 110)
ERROR_STYLE = "color:#a50e0e;"


def is_locked(row: UserRow, now: datetime | None = None) -> bool:
    return row.locked_until is not None and row.locked_until > (now or datetime.now(UTC))


def _locked_text(value: Any) -> str:
    if value is None or value <= datetime.now(UTC):
        return ""
    return format_value(value)


class UsersTableModel(RecordTableModel):
    """Accounts; inactive ones greyed, locked ones' lock time in red. GUI thread only."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            COLUMNS,
            parent,
            formatters={"locked_until": _locked_text},
            alignments={"failed_logins": Qt.AlignmentFlag.AlignRight},
        )

    def data(self, index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and 0 <= index.row() < self.rowCount():
            row: UserRow = self._records[index.row()]
            key = self.columns[index.column()][0]
            if role == Qt.ItemDataRole.ForegroundRole:
                if key == "locked_until" and is_locked(row):
                    return QBrush(QColor("#a50e0e"))
                if not row.active:
                    return QBrush(QColor("#888888"))
                return None
            if role == Qt.ItemDataRole.ToolTipRole and not row.active:
                return f"{row.username} is deactivated and cannot sign in"
        return super().data(index, role)

    def row_of(self, username: str) -> int | None:
        return next((n for n, r in enumerate(self._records) if r.username == username), None)


# ---------------------------------------------------------------- dialogs


class AccountFormDialog(QDialog):
    """A form whose OK runs one service call as an ``Operation``; refusals show in the dialog.

    Subclasses fill ``self.form``, and implement ``problems()`` (local checks, one message each)
    and ``work()`` (returns ``fn(uow)``, a service call that commits). ``result_value`` holds what the service returned once
    the dialog is accepted; the operation announces ``Change.USERS`` to the screen that owns it."""

    ok_text = "OK"

    def __init__(self, ctx: AppContext, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.result_value: Any = None
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        self.form = QFormLayout()
        self.message = QLabel(self)
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(ERROR_STYLE)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button.setText(self.ok_text)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    @property
    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def problems(self) -> list[str]:
        return []

    def work(self) -> Callable[[UnitOfWork], Any]:
        raise NotImplementedError

    def show_messages(self, lines: list[str], headline: str = "") -> None:
        """Show refusals or notes under the form (an empty list clears it)."""
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setText("\n".join([headline, *lines] if headline else lines))

    def _password_field(self, name: str) -> QLineEdit:
        field = QLineEdit(self)
        field.setObjectName(name)
        field.setEchoMode(QLineEdit.EchoMode.Password)
        return field

    @staticmethod
    def password_problems(password: str, repeated: str) -> list[str]:
        found = []
        if len(password) < MIN_PASSWORD_LENGTH:
            found.append(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
        if password != repeated:
            found.append("The two passwords differ.")
        return found

    def submit(self) -> None:
        found = self.problems()
        if found:
            self.message.setText("\n".join(found))
            return
        fn = self.work()
        self.buttons.setEnabled(False)
        self.message.setStyleSheet("")
        self.message.setText("Saving…")

        Operation(self).success(self._done).failure(self._failed).changes(Change.USERS).run_in_uow(
            self.ctx, fn, write=True
        )

    def _done(self, result: Any) -> None:
        self.result_value = result
        self.buttons.setEnabled(True)
        self.accept()

    def _failed(self, exc: BaseException, details: str) -> None:
        self.buttons.setEnabled(True)
        self.message.setStyleSheet(ERROR_STYLE)
        if isinstance(exc, PlannerError):
            extra = [d for d in getattr(exc, "details", []) if d != str(exc)]
            first = str(exc)
            self.message.setText("\n".join([first[:1].upper() + first[1:], *extra]))
        else:
            self.message.setText("")
            show_error(self, self.windowTitle(), exc, details)


def _role_combo(parent: QWidget, current: str = Role.OFFICER.value) -> QComboBox:
    combo = QComboBox(parent)
    combo.setObjectName("role")
    for role in Role:
        combo.addItem(role.value.title(), role.value)
    combo.setCurrentIndex(combo.findData(current))
    combo.setToolTip(
        "officer: flights, plans, manifests · supervisor: also approves and signs · admin: users, imports"
    )
    return combo


class AddUserDialog(AccountFormDialog):
    ok_text = "Add user"

    def __init__(self, ctx: AppContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Add user", parent)
        self.actor = actor
        self.username = QLineEdit(self)
        self.username.setObjectName("username")
        self.username.setPlaceholderText("lower case, e.g. j.smith")
        self.display_name = QLineEdit(self)
        self.display_name.setObjectName("displayName")
        self.role = _role_combo(self)
        self.password = self._password_field("password")
        self.repeat = self._password_field("repeat")
        self.form.addRow("&User name", self.username)
        self.form.addRow("&Display name", self.display_name)
        self.form.addRow("&Role", self.role)
        self.form.addRow("&Password", self.password)
        self.form.addRow("Password &again", self.repeat)

    def problems(self) -> list[str]:
        found = []
        if not USERNAME_PATTERN.match(self.username.text().strip()):
            found.append(
                "The user name needs 2-63 characters: lower-case letters, digits, '.', '_' or '-', "
                "starting with a letter."
            )
        return found + self.password_problems(self.password.text(), self.repeat.text())

    def work(self) -> Callable[[UnitOfWork], Any]:
        actor, username, role = self.actor, self.username.text().strip(), self.role.currentData()
        password, display_name = self.password.text(), self.display_name.text().strip()
        return lambda uow: users.create_user(
            uow, actor, username=username, role=role, password=password, display_name=display_name
        )


class EditUserDialog(StaleReloadMixin, AccountFormDialog):
    """Role, display name and active of one account, saved with the ``row.version`` read; after a
    stale-version refusal Reload reads the account as now stored into the form (and ``row``)."""

    ok_text = "Save"
    record_label = "the user"

    def __init__(self, ctx: AppContext, actor: Actor, row: UserRow, parent: QWidget | None = None) -> None:
        super().__init__(ctx, f"Edit user {row.username}", parent)
        self.actor, self.row = actor, row
        self.save_button = self.ok_button
        self.add_reload_button(self.buttons, "reloadUser")
        name = QLabel(f"<b>{row.username}</b>", self)
        self.display_name = QLineEdit(row.display_name, self)
        self.display_name.setObjectName("displayName")
        self.role = _role_combo(self, row.role)
        self.active = QCheckBox("May sign in", self)
        self.active.setObjectName("active")
        self.active.setChecked(row.active)
        self.form.addRow("User name", name)
        self.form.addRow("&Display name", self.display_name)
        self.form.addRow("&Role", self.role)
        self.form.addRow("&Active", self.active)

    def problems(self) -> list[str]:
        return [] if self.display_name.text().strip() else ["The display name may not be empty."]

    def work(self) -> Callable[[UnitOfWork], Any]:
        actor, username, version = self.actor, self.row.username, self.row.version
        display_name, role, active = (
            self.display_name.text().strip(),
            self.role.currentData(),
            self.active.isChecked(),
        )
        return lambda uow: users.update_user(
            uow,
            actor,
            username,
            display_name=display_name,
            role=role,
            active=active,
            expected_version=version,
        )

    def _failed(self, exc: BaseException, details: str) -> None:
        if isinstance(exc, StaleVersion):
            self.buttons.setEnabled(True)
            self.offer_reload(exc)  # saving again would be refused the same way: only a reload helps
        else:
            super()._failed(exc, details)

    def read_current(self) -> Callable[[UnitOfWork], UserRow]:
        actor, username = self.actor, self.row.username
        return lambda uow: users.get_account(uow, actor, username)

    def show_record(self, record: UserRow) -> None:
        self.row = record
        self.display_name.setText(record.display_name)
        self.role.setCurrentIndex(self.role.findData(record.role))
        self.active.setChecked(record.active)
        self.save_button.setEnabled(True)


class ResetPasswordDialog(AccountFormDialog):
    ok_text = "Reset password"

    def __init__(self, ctx: AppContext, actor: Actor, username: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, f"Reset the password of {username}", parent)
        self.actor, self.username = actor, username
        self.password = self._password_field("password")
        self.repeat = self._password_field("repeat")
        note = QLabel("This also clears failed logins and any lock.", self)
        self.form.addRow(note)
        self.form.addRow("New &password", self.password)
        self.form.addRow("Password &again", self.repeat)

    def problems(self) -> list[str]:
        return self.password_problems(self.password.text(), self.repeat.text())

    def work(self) -> Callable[[UnitOfWork], Any]:
        actor, username, password = self.actor, self.username, self.password.text()
        return lambda uow: users.reset_password(uow, actor, username, password)


class ChangePasswordDialog(AccountFormDialog):
    """Any signed-in user changes their own password (File ▸ Change my password…)."""

    ok_text = "Change password"

    def __init__(self, ctx: AppContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Change my password", parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # the menu makes a new one each time
        self.actor = actor
        self.current = self._password_field("current")
        self.password = self._password_field("password")
        self.repeat = self._password_field("repeat")
        self.form.addRow("Signed in as", QLabel(f"<b>{actor.username}</b>", self))
        self.form.addRow("&Current password", self.current)
        self.form.addRow("&New password", self.password)
        self.form.addRow("New password &again", self.repeat)

    def problems(self) -> list[str]:
        found = [] if self.current.text() else ["Enter your current password."]
        found += self.password_problems(self.password.text(), self.repeat.text())
        if self.password.text() and self.password.text() == self.current.text():
            found.append("The new password must differ from the current one.")
        return found

    def work(self) -> Callable[[UnitOfWork], Any]:
        actor, old, new = self.actor, self.current.text(), self.password.text()
        return lambda uow: users.change_own_password(uow, actor, old, new)

    def _failed(self, exc: BaseException, details: str) -> None:
        self.current.clear()
        self.current.setFocus()
        super()._failed(exc, details)


# ---------------------------------------------------------------- screen


class UsersScreen(Screen):
    title = "Users"
    required_role = Role.ADMIN

    def __init__(self, ctx: AppContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(ctx, actor, parent)
        self.dialog: AccountFormDialog | None = None
        self.buttons: dict[QAction, QPushButton] = {}
        self.model = UsersTableModel(self)
        self.table = table_view(
            self.model, "usersTable", widths=COLUMN_WIDTHS, sort_column=0, single_selection=True, parent=self
        )
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _index: self.edit_user())

        self.add_action = self._action("&Add user…", "Ctrl+N", self.add_user, "addButton")
        self.edit_action = self._action("&Edit…", "Ctrl+E", self.edit_user, "editButton")
        self.reset_action = self._action(
            "&Reset password…", "Ctrl+Shift+P", self.reset_password, "resetButton"
        )
        self.unlock_action = self._action("&Unlock", "Ctrl+Shift+U", self.unlock_user, "unlockButton")
        self.count_label = QLabel(self)
        self.count_label.setObjectName("usersCount")

        bar = QHBoxLayout()
        for action in (self.add_action, self.edit_action, self.reset_action, self.unlock_action):
            bar.addWidget(self.buttons[action])
        bar.addStretch(1)
        bar.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        self._update_actions()

    def _action(self, text: str, shortcut: str, slot: Callable[[], object], name: str) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)  # only while this screen shows
        action.triggered.connect(slot)
        self.addAction(action)
        button = QPushButton(text.replace("&", ""), self)
        button.setObjectName(name)
        button.clicked.connect(action.trigger)
        self.buttons[action] = button
        return action

    # ------------------------------------------------------------ screen contract

    def activate(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Re-read every account (off the GUI thread), keeping the selection."""
        selected = self.selected_user()
        keep = selected.username if selected else None
        self.count_label.setText("Loading…")

        def shown(rows: list[UserRow]) -> None:
            self.model.set_records(rows)
            header = self.table.horizontalHeader()
            self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
            active = sum(r.active for r in rows)
            locked = sum(is_locked(r) for r in rows)
            self.count_label.setText(f"{len(rows)} users, {active} active, {locked} locked")
            if keep is not None:
                self.select_user(keep)
            self._update_actions()

        Operation(self, "Could not list users").success(shown).run_in_uow(
            self.ctx, lambda uow: users.list_accounts(uow, self.actor)
        )

    # ------------------------------------------------------------ selection

    def selected_user(self) -> UserRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.record(rows[0].row()) if rows else None

    def select_user(self, username: str) -> bool:
        row = self.model.row_of(username)
        if row is None:
            return False
        self.table.selectRow(row)
        return True

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._update_actions()

    def _update_actions(self) -> None:
        row = self.selected_user()
        self.add_action.setToolTip("Add a user account (Ctrl+N)")
        for action, enabled_tip in (
            (self.edit_action, "Change role, display name or active (Ctrl+E, or double-click)"),
            (self.reset_action, "Set a new password; clears failed logins and lock (Ctrl+Shift+P)"),
        ):
            action.setEnabled(row is not None)
            action.setToolTip(enabled_tip if row is not None else "Select a user first")
        if row is None:
            self.unlock_action.setEnabled(False)
            self.unlock_action.setToolTip("Select a user first")
        elif not (row.failed_logins or row.locked_until):
            self.unlock_action.setEnabled(False)
            self.unlock_action.setToolTip(f"{row.username} is not locked and has no failed logins")
        else:
            self.unlock_action.setEnabled(True)
            self.unlock_action.setToolTip(f"Clear {row.username}'s failed logins and lock (Ctrl+Shift+U)")
        for action, button in self.buttons.items():
            button.setEnabled(action.isEnabled())
            button.setToolTip(action.toolTip())

    # ------------------------------------------------------------ actions

    def _open(self, dialog: AccountFormDialog, done_message: Callable[[Any], str]) -> AccountFormDialog:
        self.dialog = dialog

        def finished(result: int) -> None:
            if result == QDialog.DialogCode.Accepted:
                self.status_message.emit(done_message(dialog.result_value))
            self.reload()

        dialog.finished.connect(finished)
        dialog.open()
        return dialog

    def add_user(self) -> AccountFormDialog:
        dialog = AddUserDialog(self.ctx, self.actor, self)
        return self._open(dialog, lambda actor: f"User {actor.username} added ({actor.role.value})")

    def edit_user(self) -> AccountFormDialog | None:
        row = self.selected_user()
        if row is None:
            return None
        return self._open(
            EditUserDialog(self.ctx, self.actor, row, self), lambda r: f"User {r.username} saved"
        )

    def reset_password(self) -> AccountFormDialog | None:
        row = self.selected_user()
        if row is None:
            return None
        return self._open(
            ResetPasswordDialog(self.ctx, self.actor, row.username, self),
            lambda r: f"Password of {r.username} reset",
        )

    def unlock_user(self) -> None:
        row = self.selected_user()
        if row is None or not self.unlock_action.isEnabled():
            return
        username = row.username

        def done(result: UserRow) -> None:
            self.status_message.emit(f"User {result.username} unlocked")
            self.reload()

        Operation(self, "Could not unlock the user").success(done).changes(Change.USERS).run_in_uow(
            self.ctx, lambda uow: users.unlock_user(uow, self.actor, username), write=True
        )
