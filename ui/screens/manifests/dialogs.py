"""The Manifests screen's dialogs: approval confirmation text,
reopening a flight for additions, signing, and checking a printed copy's hash. GUI thread only;
service calls run after a dialog is accepted (the hash check runs its query as an ``Operation``)."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
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

from planner.domain.wording import plural
from planner.persistence.context import AppContext
from planner.services.auth import Actor
from planner.services.manifests import workflow as manifests
from planner.services.manifests.content import QR_PREFIX, ManifestContent
from planner.services.manifests.workflow import HashCheck, ManifestInfo
from ui.files import ask_open_path
from ui.operations import Operation
from ui.screens.manifests.models import FlightManifestRow, utc_text

VERDICT_COLOURS = {"current": "#1b5e20", "superseded": "#b26a00", "unknown": "#b3261e"}


def approval_text(content: ManifestContent, flight: FlightManifestRow | None) -> tuple[str, str]:
    """(text, informative text) of the approval confirmation: exactly what will be frozen."""
    departure = flight.departure_local if flight else f"{content.departure_utc:%Y-%m-%d %H:%M} UTC"
    text = (
        f"Approve revision {content.revision} of the manifest of flight {content.flight_code} "
        f"({content.carrier}, {content.departure_airport}, departs {departure})?"
    )
    lines = ["This freezes:"]
    for stop in content.stops:
        lines.append(
            f"  • stop {stop.sequence} {stop.airport} ({stop.country}): {len(stop.rows)} "
            + ("person" if len(stop.rows) == 1 else "people")
        )
    lines.append(f"  Total: {content.person_count} people.")
    countries = ", ".join(dict.fromkeys(s.country for s in content.stops)) or "the receiving country"
    lines += [
        "",
        "After approval nobody can be added to this flight without a new revision, and the "
        f"manifest counts as sent to the receiving country ({countries}) for the notice cut-off.",
    ]
    return text, "\n".join(lines)


class ReopenDialog(QDialog):
    """Confirm reopening an approved flight for additions and give the reason (it goes into the
    audit log). GUI thread only; the service call runs after the dialog is accepted."""

    def __init__(
        self, info: ManifestInfo, flight: FlightManifestRow | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reopenDialog")
        self.setWindowTitle(f"Reopen {info.flight_code} for additions")
        self.setMinimumWidth(540)
        seats = (
            f" It has {plural(flight.free_seats, 'free seat')} ({flight.people} of {flight.seats} taken)."
            if flight is not None
            else ""
        )
        cutoff = (
            f" Additions are possible until {utc_text(flight.last_cutoff)} UTC at the latest (stops with an "
            "earlier notice cut-off close sooner)."
            if flight is not None and flight.last_cutoff is not None
            else ""
        )
        summary = QLabel(
            f"Reopen flight {info.flight_code} so that the planner can add people to it?{seats}\n\n"
            f"A new DRAFT revision with the {info.person_count} people of revision {info.revision} "
            f"({info.status}) is prepared. Revision {info.revision} stays in force — it is what the "
            "receiving country has — and everybody on it stays on the flight. Run the planner, "
            "prepare the next revision and have a supervisor approve it to send it." + cutoff,
            self,
        )
        summary.setObjectName("reopenSummary")
        summary.setWordWrap(True)
        self.reason = QLineEdit(self)
        self.reason.setObjectName("reopenReason")
        self.reason.setPlaceholderText("e.g. flight under 80 % full, 12 newly verified people")
        self.message = QLabel("", self)
        self.message.setObjectName("reopenMessage")
        self.message.setStyleSheet("color: #b3261e")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Reopen for additions")
        self.buttons.accepted.connect(self._accept_if_complete)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Reason:", self.reason)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def _accept_if_complete(self) -> None:
        if not self.reason.text().strip():
            self.message.setText("Give the reason: it goes into the audit log.")
        else:
            self.accept()


class SignDialog(QDialog):
    """Confirm signing; optionally choose a PKCS#12 key file and its password for a PAdES
    signature. GUI thread only; the file is read later, off the GUI thread."""

    def __init__(self, info: ManifestInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signDialog")
        self.setWindowTitle(f"Sign manifest {info.flight_code} revision {info.revision}")
        self.setMinimumWidth(520)
        summary = QLabel(
            f"Sign revision {info.revision} of the manifest of flight {info.flight_code} "
            f"({info.person_count} people, approved by {info.approved_by or '—'}).\n\n"
            "Your name and the time are recorded on the manifest and in the audit log. "
            f"SHA-256: {info.sha256}",
            self,
        )
        summary.setWordWrap(True)
        summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.pades = QCheckBox("Add a PAdES digital signature from a PKCS#12 key file", self)
        self.pades.setObjectName("pades")
        self.key_file = QLineEdit(self)
        self.key_file.setObjectName("keyFile")
        self.key_file.setPlaceholderText("…/signature.p12")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        self.password = QLineEdit(self)
        self.password.setObjectName("keyPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("empty if the key file has none")
        self.message = QLabel("", self)
        self.message.setObjectName("signMessage")
        self.message.setStyleSheet("color: #b3261e")
        file_row = QHBoxLayout()
        file_row.addWidget(self.key_file, 1)
        file_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Key file:", file_row)
        form.addRow("Password:", self.password)
        self.key_box = QWidget(self)
        self.key_box.setLayout(form)
        self.key_box.setEnabled(False)
        self.pades.toggled.connect(self.key_box.setEnabled)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(f"Sign revision {info.revision}")
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.pades)
        layout.addWidget(self.key_box)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def _browse(self) -> None:
        path = ask_open_path(self, "PKCS#12 key file", "PKCS#12 key files (*.p12 *.pfx);;All files (*)")
        if path:
            self.key_file.setText(path)

    def _accept(self) -> None:
        if self.pades.isChecked() and not self.key_file.text().strip():
            self.message.setText("Choose the PKCS#12 key file, or untick the digital signature.")
            return
        self.accept()

    def key_path(self) -> str | None:
        return self.key_file.text().strip() if self.pades.isChecked() else None

    def key_password(self) -> bytes | None:
        text = self.password.text()
        return text.encode("utf-8") if text else None


def parse_printed_hash(flight: str, text: str) -> tuple[str, str]:
    """(flight code, hash) from what was typed: a hex hash (spaces allowed) or the QR payload
    ``CHARTER-MANIFEST|<flight>|<revision>|<hash>``, which names its flight itself."""
    text = text.strip()
    if text.upper().startswith(QR_PREFIX + "|"):
        parts = text.split("|")
        if len(parts) == 4:
            return parts[1].strip().upper(), parts[3].strip().lower()
    return flight.strip().upper(), re.sub(r"\s+", "", text).lower()


class HashCheckDialog(QDialog):
    """Check a printed copy: paste the hash from its footer (or the QR payload) and see whether it
    is the current revision, a superseded one or unknown. The query runs off the GUI thread."""

    def __init__(
        self, ctx: AppContext, actor: Actor, flight: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx, self.actor = ctx, actor
        # shadows QDialog.result() (the dialog code): to be renamed with its tests
        self.result: HashCheck | None = None  # type: ignore[assignment]
        self.setObjectName("hashCheckDialog")
        self.setWindowTitle("Check a printed manifest")
        self.setMinimumWidth(620)
        self.flight = QLineEdit(flight, self)
        self.flight.setObjectName("hashFlight")
        self.flight.setPlaceholderText("e.g. RF0001")
        self.hash = QLineEdit(self)
        self.hash.setObjectName("hashText")
        self.hash.setPlaceholderText("64 hex digits from the page footer, or the QR code's text")
        self.answer = QLabel("", self)
        self.answer.setObjectName("hashAnswer")
        self.answer.setWordWrap(True)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.answer.setMinimumHeight(48)
        form = QFormLayout()
        form.addRow("Flight:", self.flight)
        form.addRow("SHA-256:", self.hash)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.check_button = self.buttons.addButton("Check", QDialogButtonBox.ButtonRole.ActionRole)
        self.check_button.setDefault(True)
        self.check_button.clicked.connect(self.check)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.answer)
        layout.addWidget(self.buttons)

    def check(self) -> None:
        code, digest = parse_printed_hash(self.flight.text(), self.hash.text())
        if not code:
            self._say("Enter the flight (or paste the QR code's text).", "unknown")
            return
        self.flight.setText(code)
        self.check_button.setEnabled(False)
        self.answer.setText("Checking…")
        self.answer.setStyleSheet("")

        Operation[HashCheck](self).success(self._answered).failure(self._failed).run_in_uow(
            self.ctx, lambda uow: manifests.check_manifest_hash(uow, self.actor, code, digest)
        )

    def _answered(self, result: HashCheck) -> None:
        self.result = result
        self.check_button.setEnabled(True)
        self._say(result.message, result.verdict)

    def _failed(self, exc: BaseException, _details: str) -> None:
        self.result = None
        self.check_button.setEnabled(True)
        self._say(str(exc), "unknown")

    def _say(self, text: str, verdict: str) -> None:
        self.answer.setText(text)
        self.answer.setStyleSheet(f"color: {VERDICT_COLOURS.get(verdict, '#000')}; font-weight: bold")


__all__ = [
    "HashCheckDialog",
    "ReopenDialog",
    "SignDialog",
    "approval_text",
    "parse_printed_hash",
]
