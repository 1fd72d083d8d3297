"""The contract between the main window and its screens.

A screen is a ``QWidget`` with a title, the least role that may open it, and ``activate()``
called each time it is shown (refresh there, in the background). Screens call planner services
only through ``ui.operations.Operation`` (off the GUI thread, results back on it); an operation
that wrote announces what it changed (a ``Change``) through ``announce_change``, which emits
``data_changed`` so the window can tell every screen (``on_data_changed``).

Threading: every method runs on the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from planner.domain.enums import ROLE_INCLUDES, Role
from planner.persistence.context import AppContext
from planner.services.auth import Actor
from ui.operations import Change


class Screen(QWidget):
    #: Shown in the navigation list and the window title.
    title = "Screen"
    #: The least role that may open the screen.
    required_role = Role.OFFICER
    #: Emitted with a ``Change`` after a write (by this screen or a dialog it owns).
    data_changed = Signal(object)
    #: Emitted to show a short message in the status bar.
    status_message = Signal(str)

    def __init__(self, ctx: AppContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.actor = ctx, actor

    @classmethod
    def allowed_for(cls, role: Role) -> bool:
        return cls.required_role in ROLE_INCLUDES[role]

    def can(self, role: Role) -> bool:
        """Whether the signed-in user holds ``role`` (or above) — for enabling actions."""
        return role in ROLE_INCLUDES[self.actor.role]

    def activate(self) -> None:
        """Called when the screen becomes visible. Default: nothing."""

    def refresh(self) -> None:
        """The window's Refresh (F5): read again what the screen shows. Default: ``activate()``."""
        self.activate()

    def announce_change(self, change: Change) -> None:
        """Tell the window (and through it every screen) that ``change`` was written."""
        self.data_changed.emit(change)

    def on_data_changed(self, change: Change) -> None:
        """Called when a screen changed data (this one included). Default: nothing."""
