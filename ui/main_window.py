"""The main window: navigation on the left, one screen at a time on the right, menus with
shortcuts, the signed-in user and role in the status bar, layout remembered between sessions.
File ▸ Sign out (``SIGN_OUT_KEYS``) records the sign-out and emits ``signed_out``: the application
(``ui.app.Session``) shows the sign-in dialog again and builds a new window for whoever signs in.
F5 (Go ▸ Refresh) only re-reads what the current screen shows (``Screen.refresh``).

Screens a role may not open stay visible but disabled, with a tooltip saying why.

The first screen is activated (its data asked for, in the background) only once the window has
painted: its query does not compete with building and painting the window. A window that is not
shown is activated at once (as soon as the event loop runs). ``first_painted`` is emitted just
before that first activation.
Threading: GUI thread only.
"""

from __future__ import annotations

import logging
from typing import cast

from PySide6.QtCore import QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from planner import __version__
from planner.domain.enums import ROLE_INCLUDES, Role
from planner.persistence.context import AppContext
from planner.services import auth
from planner.services.auth import Actor
from ui.office_settings_dialog import OfficeSettingsDialog
from ui.operations import Change, Operation
from ui.screens.audit import AuditScreen
from ui.screens.base import Screen
from ui.screens.dashboard import DashboardScreen
from ui.screens.flights import FlightsScreen
from ui.screens.imports import ImportScreen
from ui.screens.manifests import ManifestsScreen
from ui.screens.people import PeopleScreen
from ui.screens.plan import PlanScreen
from ui.screens.reference import ReferenceDataScreen
from ui.screens.requests import RequestsScreen
from ui.screens.schedule import SCHEDULE_KEYS, ScheduleScreen
from ui.screens.users import ChangePasswordDialog, UsersScreen

log = logging.getLogger(__name__)

NAV_WIDTH = 170
#: Sign out and let another user sign in (File menu).
SIGN_OUT_KEYS = "Ctrl+Shift+Q"
#: Re-read the current screen (Go menu); F5 only, so no platform adds Ctrl+R (the Plan screen's run).
REFRESH_KEYS = "F5"
NAV_STYLE = """
QListWidget#navigation { background: transparent; font-size: 11pt; outline: 0; }
QListWidget#navigation::item { padding: 7px 12px; margin: 1px 6px; border-radius: 4px; }
QListWidget#navigation::item:selected { background: palette(highlight); color: palette(highlighted-text); }
QListWidget#navigation::item:disabled { color: palette(mid); }
"""

#: The screens in navigation order. Each is a ``Screen`` subclass.
SCREENS: list[type[Screen]] = [
    DashboardScreen,
    PeopleScreen,
    FlightsScreen,
    PlanScreen,
    ScheduleScreen,
    ManifestsScreen,
    RequestsScreen,
    ImportScreen,
    AuditScreen,
    UsersScreen,
    ReferenceDataScreen,
]


#: Screens with a Go key of their own; the others are numbered Ctrl+1 … Ctrl+0 in navigation order
#: (so a screen added here leaves every older screen's number where it was).
OWN_KEYS: dict[str, str] = {ScheduleScreen.title: SCHEDULE_KEYS}


def screen_keys(number: int) -> str:
    """The Go menu's key of the ``number``-th numbered screen (1 …): Ctrl+1 … Ctrl+9, then Ctrl+0."""
    return f"Ctrl+{number % 10}"


def go_keys() -> dict[str, str]:
    """Each screen's Go menu key by title (``OWN_KEYS``, else its number)."""
    numbered = [s.title for s in SCREENS if s.title not in OWN_KEYS]
    return {s.title: OWN_KEYS.get(s.title) or screen_keys(numbered.index(s.title) + 1) for s in SCREENS}


class MainWindow(QMainWindow):
    #: Emitted with the ``Actor`` once they signed out (the sign-out is recorded, or logged if not).
    signed_out = Signal(object)
    #: Emitted once, after the window's first paint and before its first screen is activated.
    first_painted = Signal()

    def __init__(self, ctx: AppContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.actor = ctx, actor
        self._signing_out = False
        #: Until the first screen is activated (see the module docstring), and until the first paint.
        self._starting, self._painted = True, False
        self._opening = True  # while the first screen is being shown: not activated yet
        self.setWindowTitle("Charter Planner")
        self.nav = QListWidget(self)
        self.nav.setObjectName("navigation")
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setFixedWidth(NAV_WIDTH)
        self.nav.setFrameShape(QFrame.Shape.NoFrame)
        self.nav.setStyleSheet(NAV_STYLE)
        self.stack = QStackedWidget(self)
        self.screens: dict[str, Screen] = {}
        keys = go_keys()
        for screen_class in SCREENS:
            item = QListWidgetItem(f"{screen_class.title}")
            if screen_class.allowed_for(actor.role):
                screen = screen_class(ctx, actor, self)
                screen.data_changed.connect(self._broadcast)
                screen.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
                self.screens[screen_class.title] = screen
                self.stack.addWidget(screen)
                item.setData(Qt.ItemDataRole.UserRole, screen_class.title)
                item.setToolTip(f"{screen_class.title} ({keys[screen_class.title]})")
            else:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled & ~Qt.ItemFlag.ItemIsSelectable)
                item.setToolTip(
                    f"Needs the {screen_class.required_role.value} role; you are {actor.role.value}"
                )
            self.nav.addItem(item)
        self.nav.currentItemChanged.connect(self._navigate)
        brand = QLabel("Charter Planner")
        brand.setObjectName("brand")
        brand.setStyleSheet("font-weight: 600; font-size: 13pt; padding: 12px 12px 6px 12px;")
        side = QWidget(self)
        side.setObjectName("sidebar")
        side.setAutoFillBackground(True)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(brand)
        side_layout.addWidget(self.nav)
        central = QWidget(self)
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(side)
        line = QFrame(central)
        line.setFrameShape(QFrame.Shape.VLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        layout.addWidget(line)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.statusBar().addPermanentWidget(
            QLabel(f"Signed in as {actor.display_name or actor.username} ({actor.role.value})")
        )
        self.statusBar().addPermanentWidget(QLabel(self._database_label()))
        self._build_menus()
        self._restore_layout()
        first = next(
            (i for i in range(self.nav.count()) if self.nav.item(i).flags() & Qt.ItemFlag.ItemIsEnabled), 0
        )
        self.nav.setCurrentRow(first)
        self._opening = False
        QTimer.singleShot(0, self._start_unless_shown)

    # ------------------------------------------------------------ navigation

    # shadows QWidget.screen() (the QScreen): to be renamed with its tests
    def screen(self, title: str) -> Screen:  # type: ignore[override]
        return self.screens[title]

    def show_screen(self, title: str) -> None:
        for row in range(self.nav.count()):
            if self.nav.item(row).data(Qt.ItemDataRole.UserRole) == title:
                self.nav.setCurrentRow(row)
                return

    def _navigate(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        title = current.data(Qt.ItemDataRole.UserRole) if current is not None else None
        if title not in self.screens:
            return
        screen = self.screens[title]
        self.stack.setCurrentWidget(screen)
        self.setWindowTitle(f"{title} — Charter Planner")
        if not self._opening:  # another screen chosen: the first one's activation is not pending
            self._starting = False
            screen.activate()

    def _start_unless_shown(self) -> None:
        """A window not shown by now starts at once; a shown one when it has painted."""
        if not self.isVisible():
            self._start()

    def _start(self) -> None:
        """Activate the current screen, once (the first screen's data, asked for after the paint)."""
        if not self._starting:
            return
        self._starting = False
        screen = self.stack.currentWidget()
        if isinstance(screen, Screen):
            screen.activate()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if not self._painted:  # queued: the whole window's paint is done by then
            self._painted = True
            QTimer.singleShot(0, self._after_first_paint)

    def _after_first_paint(self) -> None:
        self.first_painted.emit()
        self._start()

    def _broadcast(self, change: Change) -> None:
        for screen in self.screens.values():
            screen.on_data_changed(change)

    # ------------------------------------------------------------ menus and layout

    def _database_label(self) -> str:
        return self.ctx.engine.url.render_as_string(hide_password=True)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.change_password_action = QAction("Change my &password…", self)
        self.change_password_action.triggered.connect(
            lambda: ChangePasswordDialog(self.ctx, self.actor, self).open()
        )
        file_menu.addAction(self.change_password_action)
        self.sign_out_action = QAction("Sign &out / switch user…", self)
        self.sign_out_action.setShortcut(QKeySequence(SIGN_OUT_KEYS))
        self.sign_out_action.setToolTip(f"Close your session and sign in as another user ({SIGN_OUT_KEYS})")
        self.sign_out_action.triggered.connect(self.sign_out)
        file_menu.addAction(self.sign_out_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        go_menu = self.menuBar().addMenu("&Go")
        keys = go_keys()
        for screen_class in SCREENS:
            action = QAction(screen_class.title, self)
            action.setShortcut(QKeySequence(keys[screen_class.title]))
            action.setEnabled(screen_class.title in self.screens)
            action.triggered.connect(lambda _checked=False, t=screen_class.title: self.show_screen(t))
            go_menu.addAction(action)
        find = QAction("&Find person", self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(self._find_person)
        go_menu.addSeparator()
        go_menu.addAction(find)
        self.refresh_action = QAction("&Refresh", self)
        self.refresh_action.setShortcut(QKeySequence(REFRESH_KEYS))
        self.refresh_action.triggered.connect(lambda: cast(Screen, self.stack.currentWidget()).refresh())
        go_menu.addAction(self.refresh_action)

        tools_menu = self.menuBar().addMenu("&Tools")
        self.office_settings_action = QAction("&Office settings…", self)
        is_admin = Role.ADMIN in ROLE_INCLUDES[self.actor.role]
        self.office_settings_action.setEnabled(is_admin)
        self.office_settings_action.setToolTip(
            "Escort load per risk level, solver time limit, reserves, departure margin, four eyes, "
            "mission scheduling costs and horizon"
            if is_admin
            else "Needs the admin role"
        )
        self.office_settings_action.triggered.connect(
            lambda: OfficeSettingsDialog(self.ctx, self.actor, self).open()
        )
        tools_menu.addAction(self.office_settings_action)

        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About Charter Planner", self)
        about.triggered.connect(
            lambda: QMessageBox.about(
                self,
                "About Charter Planner",
                f"Charter Planner {__version__}\nDatabase: {self._database_label()}",
            )
        )
        help_menu.addAction(about)

    # ------------------------------------------------------------ signing out

    def sign_out(self) -> None:
        """Record the sign-out (audited like a sign-in), then emit ``signed_out``. A sign-out that
        cannot be recorded (database gone) still ends the session; the failure is logged."""
        if self._signing_out:
            return
        self._signing_out = True
        self.sign_out_action.setEnabled(False)
        actor = self.actor

        def not_recorded(exc: BaseException, details: str) -> None:
            log.error("the sign-out of %s was not recorded: %s\n%s", actor.username, exc, details)
            self.signed_out.emit(actor)

        Operation(self).success(lambda _none: self.signed_out.emit(actor)).failure(not_recorded).run_in_uow(
            self.ctx, lambda uow: auth.sign_out(uow, actor), write=True
        )

    def _find_person(self) -> None:
        self.show_screen(PeopleScreen.title)
        people_screen = self.screens.get(PeopleScreen.title)
        if isinstance(people_screen, PeopleScreen):
            people_screen.focus_search()

    def _restore_layout(self) -> None:
        settings = QSettings()
        geometry = settings.value("main_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1360, 820)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        QSettings().setValue("main_window/geometry", self.saveGeometry())
        super().closeEvent(event)
