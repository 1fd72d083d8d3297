"""Reload after a stale-version refusal, shared by the editor dialogs (person, flight, user).

An editor saves with the version it read. When someone else saved first, the service raises
``StaleVersion`` naming who and when; ``offer_reload`` shows that message, disables Save (saving
again would be refused the same way) and shows a Reload button. Reload re-reads the record in the
background and hands it to the dialog's ``show_record``, which fills the fields and keeps the
record's new version for the next save. Other refusals (a ``Conflict`` that is not stale: an
approved manifest, a cancelled flight, an anonymised person) are only reported by the dialog:
reading the record again would not help.

Threading: GUI thread only; the read runs through ``ui.operations.Operation``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QPushButton

from planner.domain.errors import PlannerError, StaleVersion
from planner.persistence.uow import UnitOfWork
from ui.errors import show_error
from ui.operations import Operation

if TYPE_CHECKING:
    from planner.persistence.context import AppContext


class StaleReloadMixin:
    """Mix into an editor dialog ahead of its ``QDialog`` base: ``class Editor(StaleReloadMixin,
    QDialog)``. The dialog has ``ctx`` and ``save_button``, calls ``add_reload_button`` once while
    building, implements ``read_current`` and ``show_record``, and shows notes with its own
    ``show_messages(lines, headline="")``. Records have a ``version``."""

    #: Names the record in messages, e.g. "the flight".
    record_label = "the record"

    if TYPE_CHECKING:
        ctx: AppContext
        save_button: QPushButton

        def show_messages(self, lines: list[str], headline: str = "") -> None: ...

    def add_reload_button(self, buttons: QDialogButtonBox, name: str) -> QPushButton:
        """Add the (hidden) Reload button to ``buttons``; it calls ``reload``."""
        self.reload_button = QPushButton("Reload", buttons)
        self.reload_button.setObjectName(name)
        self.reload_button.setToolTip(
            f"Read {self.record_label} as now stored (your unsaved changes are replaced)"
        )
        buttons.addButton(self.reload_button, QDialogButtonBox.ButtonRole.ResetRole)
        self.reload_button.hide()  # after adding: the box shows the buttons it lays out
        self.reload_button.clicked.connect(self.reload)
        return self.reload_button

    # ------------------------------------------------------------ what the dialog provides

    def read_current(self) -> Callable[[UnitOfWork], Any]:
        """``fn(uow)`` returning the record as now stored (runs off the GUI thread: capture plain
        values, not widgets)."""
        raise NotImplementedError

    def show_record(self, record: Any) -> None:
        """Fill the fields from ``record`` and base the next save on its version; enable Save
        unless the record may not be edited (then say why with ``show_messages``)."""
        raise NotImplementedError

    # ------------------------------------------------------------ conflict and reload

    def offer_reload(self, exc: StaleVersion) -> None:
        """Show the refusal (who changed the record, and when), disable Save, offer Reload."""
        self.save_button.setEnabled(False)
        self.reload_button.setEnabled(True)
        self.reload_button.show()
        self.reload_button.setFocus()
        self.show_messages([str(exc)], f"Not saved — {self.record_label} was changed by someone else:")

    def reload(self) -> None:
        """Read the record in the background; ``show_record`` gets it on the GUI thread."""
        self.save_button.setEnabled(False)
        self.reload_button.setEnabled(False)
        Operation(self).success(self._reloaded).failure(self._reload_failed).run_in_uow(  # type: ignore[arg-type]
            self.ctx, self.read_current()
        )

    def _reloaded(self, record: Any) -> None:
        self.reload_button.hide()
        self.reload_button.setEnabled(True)
        self.show_messages(
            [
                f"Reloaded version {record.version} as now stored; "
                "apply your change again if it is still needed."
            ]
        )
        self.show_record(record)

    def _reload_failed(self, exc: BaseException, details: str) -> None:
        self.reload_button.setEnabled(True)
        self.reload_button.show()
        self.show_messages([f"Could not read {self.record_label}: {exc}"])
        if not isinstance(exc, PlannerError):
            show_error(self, f"Could not read {self.record_label}", exc, details)  # type: ignore[arg-type]


class EditorDialogMixin(StaleReloadMixin):
    """``StaleReloadMixin`` plus the footer the record editors share (flight, person): a message
    area above Save / Reload / Cancel. Save calls the dialog's ``submit``."""

    def add_editor_footer(self, reload_name: str) -> None:
        """Create ``messages`` (hidden), ``buttons`` and ``save_button``; call once while building."""
        self.messages = QLabel(self)  # type: ignore[call-overload]
        self.messages.setObjectName("messages")
        self.messages.setWordWrap(True)
        self.messages.setStyleSheet("color: #a40000;")
        self.messages.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.messages.hide()
        self.buttons = QDialogButtonBox(  # type: ignore[call-overload]  # self: the dialog using the mixin
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel,
            self,
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.add_reload_button(self.buttons, reload_name)
        self.buttons.accepted.connect(self.submit)  # type: ignore[attr-defined]
        self.buttons.rejected.connect(self.reject)  # type: ignore[attr-defined]

    def show_messages(self, lines: list[str], headline: str = "") -> None:
        """Show problems or notes as a bulleted list (an empty list hides the area)."""
        text = "\n".join(f"• {line}" for line in lines)
        self.messages.setText(f"{headline}\n{text}" if headline else text)
        self.messages.setVisible(bool(lines or headline))


__all__ = ["EditorDialogMixin", "StaleReloadMixin"]
