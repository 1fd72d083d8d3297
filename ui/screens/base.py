"""The contract between the main window and its screens.

A screen is a ``QWidget`` with a title, the least role that may open it, and ``activate()``
called each time it is shown (refresh there, in the background). Screens call planner services
only through ``self.run(...)`` (background thread, results back on the GUI thread) and tell the
window about data they changed with ``data_changed.emit(topic)`` so other screens can refresh.

Threading: every method runs on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from planner.domain.enums import ROLE_INCLUDES, Role
from planner.persistence.context import AppContext
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor
from ui.background import Task, run_in_background
from ui.errors import show_error


class Screen(QWidget):
    #: Shown in the navigation list and the window title.
    title = "Screen"
    #: The least role that may open the screen.
    required_role = Role.OFFICER
    #: Emitted with a topic ("people", "flights", "plan", "manifests", "audit", "users") after a change.
    data_changed = Signal(str)
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

    def on_data_changed(self, topic: str) -> None:
        """Called when another screen changed data. Default: nothing."""

    # ------------------------------------------------------------ background helpers

    def run(
        self,
        work: Callable[[UnitOfWork], Any],
        on_done: Callable[[Any], None],
        *,
        write: bool = False,
        error_title: str = "The action failed",
    ) -> Task:
        """Run ``work(uow)`` off the GUI thread in a new unit of work (committed by ``work`` itself
        when it writes); ``on_done(result)`` runs on the GUI thread (not after this screen was
        deleted); errors become a dialog."""

        def job(_task: Task) -> Any:
            with self.ctx.uow(write=write) as uow:
                return work(uow)

        # ``owner``: the callbacks are skipped once this screen is gone (window closed meanwhile).
        return run_in_background(
            job, on_done, lambda exc, details: show_error(self, error_title, exc, details), owner=self
        )
