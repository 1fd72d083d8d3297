"""The Manifests screen's workflow actions: prepare a draft, strike people off with a coded
reason (also from the departure view), reopen for additions, approve, sign, export PAXLST, check a printed hash. Each write runs as an
``Operation`` (``_write``); a refusal is shown and the lists refresh either way (a refusal writes
an audit event). A part of ``ManifestsScreen`` (``ui.screens.manifests.screen``) split off for size: it works on
the screen's state and hooks (``_changed``, ``_update_actions``, ``_ask_save_path``,
``_write_file``) and stores the dialogs it opens there (the tests drive them). GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from planner.domain.wording import plural
from planner.persistence.uow import UnitOfWork
from planner.services.departure import strike
from planner.services.departure.strike import StrikeResult
from planner.services.manifests import workflow as manifests
from planner.services.manifests.content import ManifestContent
from planner.services.manifests.paxlst import LegMessage, ReportingContact
from planner.services.manifests.paxlst_export import export_paxlst_legs, leg_path
from planner.services.manifests.workflow import ManifestInfo
from ui.errors import show_error
from ui.operations import Operation
from ui.screens.manifests.departure_models import DepartureData, read_departure
from ui.screens.manifests.dialogs import (
    HashCheckDialog,
    ReopenDialog,
    SignDialog,
    approval_text,
)
from ui.screens.manifests.pdf_check import PdfCheckDialog
from ui.screens.manifests.strike_dialog import StrikeDialog, strike_summary

if TYPE_CHECKING:
    from ui.screens.manifests.screen import ManifestsScreen


class ManifestWorkflow(QObject):
    """The workflow actions of one ``ManifestsScreen`` (see the module docstring). ``struck``
    carries a ``StrikeResult`` after a strike-off; ``failed`` a refused write's message."""

    struck = Signal(object)
    failed = Signal(str)

    def __init__(self, screen: ManifestsScreen) -> None:
        super().__init__(screen)
        self.screen = screen

    # ------------------------------------------------------------ workflow actions

    def _write(
        self,
        busy: str,
        work: Callable[[UnitOfWork], Any],
        on_done: Callable[[Any], None],
        error_title: str,
        *,
        parent: QWidget | None = None,
    ) -> None:
        """Run a service call that commits off the GUI thread; refusals show their message and
        details (over ``parent``, default the screen); either way the lists are refreshed (a
        refusal writes an audit event)."""
        self.screen._busy = busy
        self.screen._update_actions()
        owner = parent or self.screen

        def done(result: Any) -> None:
            self.screen._busy = ""
            on_done(result)
            self.screen._update_actions()

        def failed(exc: BaseException, details: str) -> None:
            self.screen._busy = ""
            self.screen._update_actions()
            show_error(owner, error_title, exc, details)
            self.screen._changed(f"{error_title}: {exc}")
            self.failed.emit(str(exc))

        Operation(self.screen).success(done).failure(failed).run_in_uow(self.screen.ctx, work, write=True)

    def prepare(self) -> None:
        """Prepare a DRAFT revision of the selected flight from the current plan."""
        if not self.screen.prepare_action.isEnabled() or self.screen._flight is None:
            return
        code = self.screen._flight.code

        def done(info: ManifestInfo) -> None:
            if info.created:
                self.screen._revision = None  # show the new revision
                self.screen._changed(
                    f"{code}: DRAFT revision {info.revision} prepared ({info.person_count} people)"
                )
            else:
                self.screen.status_message.emit(
                    f"{code}: revision {info.revision} already matches the current plan ({info.status})"
                )
                self.screen.reload()

        self._write(
            f"preparing {code}",
            lambda uow: manifests.prepare_manifest(uow, self.screen.actor, code),
            done,
            f"Could not prepare the manifest of {code}",
        )

    def strike_off(self) -> None:
        """Choose a person listed on the flight, the coded reason and a note, then strike them (and
        their family) off; reserves move up and the next revision is prepared by the service."""
        if not self.screen.strike_action.isEnabled() or self.screen._flight is None:
            return
        code = self.screen._flight.code
        self.open_strike_dialog(self.screen, code, datetime.now(UTC), None)

    def open_strike_dialog(
        self,
        parent: QWidget,
        code: str,
        now: datetime,
        selected: str | None,
        data: DepartureData | None = None,
    ) -> None:
        """Open the strike dialog over ``parent`` with the flight's people (read first when
        ``data`` is None); on accept, strike and show what happened (``strike_result_box``)."""

        def ask(loaded: DepartureData) -> None:
            dialog = StrikeDialog(code, loaded.passengers, selected, parent)
            dialog.accepted.connect(lambda: self._strike_chosen(parent, code, dialog, now))
            self.screen.strike_dialog = dialog
            dialog.open()

        if data is not None:
            ask(data)
            return
        Operation(parent, "Could not read the flight").success(ask).run_in_uow(
            self.screen.ctx, lambda uow: read_departure(uow, self.screen.actor, code, now=now)
        )

    def _strike_chosen(self, parent: QWidget, code: str, dialog: StrikeDialog, now: datetime) -> None:
        case, reason, note = dialog.case_number() or "", dialog.reason_code(), dialog.note_text()

        def done(result: StrikeResult) -> None:
            text, details = strike_summary(result)
            box = QMessageBox(QMessageBox.Icon.Information, f"Struck off {code}", text, parent=parent)
            box.setObjectName("strikeResult")
            box.setInformativeText(details)
            self.screen.strike_result_box = box
            box.open()
            self.screen._revision = None  # show the new revision
            self.screen._changed(
                f"{code}: {len(result.struck)} struck off ({result.reason}); "
                f"{plural(len(result.moved_up), 'reserve')} moved up"
            )
            self.struck.emit(result)

        self._write(
            f"striking {case} off {code}",
            lambda uow: strike.strike(uow, self.screen.actor, code, case, reason, note, now=now),
            done,
            f"Could not strike {case} off {code}",
            parent=parent,
        )

    def reopen(self) -> None:
        """Ask for the reason, then reopen the selected approved flight for additions (a new DRAFT
        revision with the same people; the approved one stays in force)."""
        newest = self.screen._newest()
        if not self.screen.reopen_action.isEnabled() or self.screen._flight is None or newest is None:
            return
        flight = self.screen._flight
        dialog = ReopenDialog(newest, flight, self.screen)
        dialog.accepted.connect(lambda: self._reopen_confirmed(flight.code, dialog))
        self.screen.reopen_dialog = dialog
        dialog.open()

    def _reopen_confirmed(self, code: str, dialog: ReopenDialog) -> None:
        reason = dialog.reason.text().strip()

        def done(info: ManifestInfo) -> None:
            self.screen._revision = None  # show the new revision
            self.screen._changed(
                f"{code} reopened for additions: DRAFT revision {info.revision} prepared "
                f"({info.person_count} people); run the planner to fill free seats, then prepare "
                "and approve the next revision"
            )

        self._write(
            f"reopening {code}",
            lambda uow: manifests.reopen_manifest(uow, self.screen.actor, code, reason=reason),
            done,
            f"Could not reopen {code}",
        )

    def approve(self) -> None:
        """Ask for confirmation (stating what will be frozen), then approve the newest draft."""
        newest = self.screen._newest()
        if not self.screen.approve_action.isEnabled() or self.screen._flight is None or newest is None:
            return
        flight, revision = self.screen._flight, newest.revision

        def ask(content: ManifestContent) -> None:
            text, details = approval_text(content, flight)
            box = QMessageBox(
                QMessageBox.Icon.Question, f"Approve manifest {flight.code}", text, parent=self.screen
            )
            box.setObjectName("approveConfirmation")
            box.setInformativeText(details)
            box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
            box.button(QMessageBox.StandardButton.Yes).setText(f"Approve revision {revision}")
            box.setDefaultButton(QMessageBox.StandardButton.Cancel)
            box.finished.connect(lambda _r: self._approve_answered(box, flight.code, revision))
            self.screen.confirm_box = box
            box.open()

        Operation(self.screen, "Could not read the manifest").success(ask).run_in_uow(
            self.screen.ctx,
            lambda uow: manifests.manifest_content(uow, self.screen.actor, flight.code, revision=revision),
        )

    def _approve_answered(self, box: QMessageBox, code: str, revision: int) -> None:
        if box.clickedButton() is not box.button(QMessageBox.StandardButton.Yes):
            return

        def done(info: ManifestInfo) -> None:
            self.screen._changed(f"{code}: revision {info.revision} APPROVED and counted as sent")

        self._write(
            f"approving {code}",
            lambda uow: manifests.approve_manifest(uow, self.screen.actor, code),
            done,
            f"Could not approve revision {revision} of {code}",
        )

    def sign(self) -> None:
        """Ask for confirmation and an optional PKCS#12 key, then sign the approved revision."""
        newest = self.screen._newest()
        if not self.screen.sign_action.isEnabled() or newest is None:
            return
        dialog = SignDialog(newest, self.screen)
        dialog.finished.connect(lambda result: self._sign_answered(dialog, newest, result))
        self.screen.sign_dialog = dialog
        dialog.open()

    def _sign_answered(self, dialog: SignDialog, info: ManifestInfo, result: int) -> None:
        if result != QDialog.DialogCode.Accepted:
            return
        code, key_path, password = info.flight_code, dialog.key_path(), dialog.key_password()

        def work(uow: UnitOfWork) -> ManifestInfo:
            p12 = Path(key_path).read_bytes() if key_path else None  # read off the GUI thread
            return manifests.sign_manifest(uow, self.screen.actor, code, p12=p12, p12_password=password)

        def done(signed: ManifestInfo) -> None:
            extra = " with a PAdES signature" if signed.pades_signed else ""
            self.screen._changed(f"{code}: revision {signed.revision} SIGNED{extra}")

        self._write(f"signing {code}", work, done, f"Could not sign revision {info.revision} of {code}")

    def export_paxlst(self) -> None:
        """Export the revision in force as PAXLST (audited) and write it to a file."""
        if not self.screen.paxlst_action.isEnabled() or self.screen._flight is None:
            return
        code = self.screen._flight.code
        path = self.screen._ask_save_path(
            "Export PAXLST", f"{code}.edi", "EDIFACT files (*.edi);;All files (*)"
        )
        if not path:
            return

        settings = self.screen.ctx.settings
        contact = ReportingContact(settings.reporting_phone, settings.reporting_email)

        def work(uow: UnitOfWork) -> tuple[LegMessage, ...]:
            return export_paxlst_legs(
                uow, self.screen.actor, code, sender=settings.paxlst_sender, contact=contact
            )

        def done(messages: tuple[LegMessage, ...]) -> None:
            for message in messages:  # a route with several international legs: one file per leg
                target = path if len(messages) == 1 else leg_path(path, message.label)
                self.screen.output.write_file(
                    target, message.text.encode("ascii"), f"PAXLST of {code} written to {target}"
                )
            legs = f" ({len(messages)} legs)" if len(messages) > 1 else ""
            self.screen._changed(f"PAXLST of {code} exported{legs}")

        self._write(f"exporting {code}", work, done, f"Could not export the PAXLST of {code}")

    def check_hash(self) -> None:
        """Open the hash check dialog for the selected flight."""
        dialog = HashCheckDialog(
            self.screen.ctx,
            self.screen.actor,
            self.screen._flight.code if self.screen._flight else "",
            self.screen,
        )
        self.screen.hash_dialog = dialog
        dialog.open()

    def check_pdf(self) -> None:
        """Open the PDF check dialog for the selected flight."""
        dialog = PdfCheckDialog(
            self.screen.ctx,
            self.screen.actor,
            self.screen._flight.code if self.screen._flight else "",
            self.screen,
        )
        self.screen.pdf_check_dialog = dialog
        dialog.open()


__all__ = ["ManifestWorkflow"]
