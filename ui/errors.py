"""Error dialogs: a plain message, the details (traceback) folded away, and the error logged."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QMessageBox, QWidget

from planner.domain.errors import PlannerError
from planner.persistence import server_refusals

log = logging.getLogger(__name__)


def show_error(parent: QWidget | None, title: str, exc: BaseException, details: str = "") -> None:
    """GUI thread only. Domain errors (and the database server's deliberate refusals) show their
    own message; anything else is 'unexpected'."""
    exc = server_refusals.as_planner_error(exc) or exc
    if isinstance(exc, PlannerError):
        message = str(exc)
        extra = "\n".join(getattr(exc, "details", []))
    else:
        log.error("%s: %s\n%s", title, exc, details)
        message = f"Something unexpected went wrong: {type(exc).__name__}: {exc}"
        extra = details
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent)
    if extra:
        box.setDetailedText(extra)
    box.open()
