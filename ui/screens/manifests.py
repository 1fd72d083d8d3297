"""Manifests: every flight with people in the current plan and its manifest status; the revisions of
the selected flight and a preview of the selected revision's PDF (QtPdf); the workflow actions —
prepare a draft, approve, sign (optionally with a PAdES signature from a PKCS#12 file), take people
off or reopen an approved flight for additions, save and print the PDF, export PAXLST, check a
printed copy's hash, and render every manifest to a folder.

Threading: every method runs on the GUI thread. Service calls (lists, the PDF rendering, the
workflow writes, reading a key file, writing files, the batch) run off the GUI thread through
``run_in_background``; only flight codes, revision numbers, bytes and plain dataclasses cross
threads. The PDF bytes are loaded into a ``QPdfDocument`` from a ``QBuffer`` on the GUI thread.
Printing renders pages on the GUI thread (a few pages; kept simple on purpose).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QModelIndex, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from planner.domain.enums import FlightStatus, ManifestStatus, Role
from planner.files import write_whole
from planner.persistence.context import AppContext
from planner.persistence.uow import UnitOfWork
from planner.services import flights
from planner.services.auth import Actor
from planner.services.flights import FlightRow
from planner.services.manifests import batch as manifest_batch
from planner.services.manifests import workflow as manifests
from planner.services.manifests.batch import BatchReport
from planner.services.manifests.content import QR_PREFIX, ManifestContent
from planner.services.manifests.workflow import HashCheck, ManifestInfo
from ui.background import Task, run_in_background
from ui.errors import show_error
from ui.record_model import RecordTableModel
from ui.screens.base import Screen
from ui.tables import table_view

NEEDS_SUPERVISOR = "Needs the supervisor role"
IN_FORCE = (ManifestStatus.APPROVED.value, ManifestStatus.SIGNED.value)
#: (label, newest-revision status to show; None = all, "none" = no manifest yet)
STATUS_FILTERS: list[tuple[str, str | None]] = [
    ("All statuses", None),
    ("No manifest", "none"),
    ("Draft", ManifestStatus.DRAFT.value),
    ("Approved", ManifestStatus.APPROVED.value),
    ("Signed", ManifestStatus.SIGNED.value),
    ("Superseded", ManifestStatus.SUPERSEDED.value),
]
STATUS_COLOURS = {
    "none": QColor("#f2f2f2"),
    ManifestStatus.DRAFT.value: QColor("#fff1c7"),
    ManifestStatus.APPROVED.value: QColor("#d6e8fa"),
    ManifestStatus.SIGNED.value: QColor("#d8efd9"),
    ManifestStatus.SUPERSEDED.value: QColor("#e4e4e4"),
}
MUTED = QColor("#8a8a8a")
PAST_CUTOFF = QColor("#b3261e")
ZOOM_STEPS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)
#: Longest side of a page image sent to the printer, in dots per inch.
PRINT_DPI = 300
SHA_SHORT = 12
VERDICT_COLOURS = {"current": "#1b5e20", "superseded": "#b26a00", "unknown": "#b3261e"}


def _utc(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else ""


# ---------------------------------------------------------------- the flight list


@dataclass(frozen=True)
class FlightManifestRow:
    """One flight as the left table shows it (plain data, built from ``flights.FlightRow``)."""

    code: str
    departure_utc: datetime
    departure_local: str
    stops: str
    flight_status: str
    people: int
    seats: int
    manifest_status: str | None
    manifest_revision: int | None
    in_force: str | None
    notice_cutoff: datetime
    cutoff_passed: bool
    #: The latest cut-off of the stops (departure minus the shortest notice): after it nobody at all
    #: may be added, so reopening the flight for additions is pointless.
    last_cutoff: datetime | None = None
    last_cutoff_passed: bool = False

    @property
    def free_seats(self) -> int:
        return max(0, self.seats - self.people)

    @property
    def status_key(self) -> str:
        return self.manifest_status or "none"

    @property
    def manifest(self) -> str:
        if self.manifest_status is None:
            return "none"
        text = f"{self.manifest_status} rev {self.manifest_revision}"
        if self.in_force and self.in_force != self.manifest_status:
            text += f" · {self.in_force} in force"
        return text

    @classmethod
    def of(cls, row: FlightRow, now: datetime) -> FlightManifestRow:
        shortest = min((s.notice_days for s in row.stops), default=None)
        last = row.departure_utc - timedelta(days=shortest) if shortest is not None else None
        return cls(
            code=row.code,
            departure_utc=row.departure_utc,
            departure_local=row.local_text,
            stops=row.stops_text,
            flight_status=row.status,
            people=row.placed,
            seats=row.seats,
            manifest_status=row.manifest_status,
            manifest_revision=row.manifest_revision,
            in_force=row.manifest_in_force,
            notice_cutoff=row.notice_cutoff,
            cutoff_passed=row.notice_cutoff <= now,
            last_cutoff=last,
            last_cutoff_passed=last is not None and last <= now,
        )


FLIGHT_COLUMNS: list[tuple[str, str]] = [
    ("code", "Flight"),
    ("departure_utc", "Departs (UTC)"),
    ("manifest", "Manifest"),
    ("people", "People"),
    ("notice_cutoff", "Cut-off (UTC)"),
    ("stops", "Stops"),
    ("flight_status", "Flight"),
]
#: Widest expected cell text per column (widths follow the font, so high-DPI and large fonts fit).
FLIGHT_SAMPLES = (
    "RF00000",
    "2026-12-07 13:00",
    "APPROVED rev 10",
    "People",
    "2026-12-07 13:00",
    "X" * 26,
    "CANCELLED",
)


class FlightManifestModel(RecordTableModel):
    """``RecordTableModel`` over ``FlightManifestRow``: manifest status shaded, passed notice cut-offs
    in red, departed and cancelled flights greyed, tooltips explaining the columns. GUI thread only."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            FLIGHT_COLUMNS,
            parent,
            formatters={"departure_utc": _utc, "notice_cutoff": _utc},
            alignments={"people": Qt.AlignmentFlag.AlignRight},
        )

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # type: ignore[override]
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        key = self.columns[index.column()][0]
        row: FlightManifestRow = self.record(index.row())
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "departure_utc":
                return f"Local: {row.departure_local}"
            if key == "notice_cutoff":
                state = "has passed" if row.cutoff_passed else "is ahead"
                return (
                    f"Departure minus the strictest notice of the stops' countries; it {state}. "
                    "After it nobody may be added who was not on the manifest sent."
                )
            if key == "people":
                return f"{row.people} people on this flight in the current plan ({row.seats} seats)"
            if key == "manifest":
                return "Status of the newest revision" + (
                    f"; the {row.in_force} revision stays in force until a newer one is approved"
                    if row.in_force and row.in_force != row.manifest_status
                    else ""
                )
        if role == Qt.ItemDataRole.BackgroundRole and key == "manifest":
            return QBrush(STATUS_COLOURS.get(row.status_key, STATUS_COLOURS["none"]))
        if role == Qt.ItemDataRole.ForegroundRole:
            if row.flight_status != FlightStatus.PLANNED.value:
                return QBrush(MUTED)
            if key == "notice_cutoff" and row.cutoff_passed:
                return QBrush(PAST_CUTOFF)
        return super().data(index, role)


REVISION_COLUMNS: list[tuple[str, str]] = [
    ("revision", "Rev."),
    ("status", "Status"),
    ("person_count", "People"),
    ("sha256", "SHA-256"),
    ("prepared_by", "Prepared by"),
    ("prepared_at", "Prepared (UTC)"),
    ("approved_by", "Approved by"),
    ("approved_at", "Approved (UTC)"),
    ("signed_by", "Signed by"),
    ("signed_at", "Signed (UTC)"),
    ("pades_signed", "PAdES"),
]
REVISION_SAMPLES = (
    "Rev.",
    "SUPERSEDED",
    "People",
    "0123456789ab…",
    "Prepared by",
    "2026-12-07 13:00",
    "Approved by",
    "2026-12-07 13:00",
    "Signed by",
    "2026-12-07 13:00",
    "PAdES",
)


class RevisionModel(RecordTableModel):
    """``RecordTableModel`` over ``ManifestInfo`` (newest first): the hash shortened with the full
    value in its tooltip, the status shaded. GUI thread only."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            REVISION_COLUMNS,
            parent,
            formatters={
                "sha256": lambda v: f"{v[:SHA_SHORT]}…" if v else "",
                "prepared_at": _utc,
                "approved_at": _utc,
                "signed_at": _utc,
            },
            alignments={"revision": Qt.AlignmentFlag.AlignRight, "person_count": Qt.AlignmentFlag.AlignRight},
        )

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # type: ignore[override]
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        key = self.columns[index.column()][0]
        info: ManifestInfo = self.record(index.row())
        if role == Qt.ItemDataRole.ToolTipRole and key == "sha256":
            return info.sha256
        if role == Qt.ItemDataRole.ToolTipRole and key == "pades_signed":
            return "A PAdES digital signature is stored with this revision" if info.pades_signed else ""
        if role == Qt.ItemDataRole.BackgroundRole and key == "status":
            return QBrush(STATUS_COLOURS.get(info.status, STATUS_COLOURS["none"]))
        if role == Qt.ItemDataRole.ForegroundRole and info.status == ManifestStatus.SUPERSEDED.value:
            return QBrush(MUTED)
        return super().data(index, role)


def _table(model: RecordTableModel, name: str, samples: Sequence[str]) -> QTableView:
    view = table_view(model, name, single_selection=True)
    metrics = view.fontMetrics()
    for column, sample in enumerate(samples):
        header = str(model.headerData(column, Qt.Orientation.Horizontal))
        view.setColumnWidth(
            column, max(metrics.horizontalAdvance(sample) + 14, metrics.horizontalAdvance(header) + 24)
        )
    return view


# ---------------------------------------------------------------- dialogs


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


class RemovePeopleDialog(QDialog):
    """Choose people to take off a flight (whole families) and give the reason. The manifest's
    next revision is prepared without them; after the notice cut-off this is the only change
    allowed. GUI thread only; the service call runs after the dialog is accepted."""

    def __init__(self, content: ManifestContent, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("removePeopleDialog")
        self.setWindowTitle(f"Take people off {content.flight_code}")
        self.resize(760, 480)
        self.model = RecordTableModel(
            [
                ("case_number", "Case number"),
                ("name", "Name"),
                ("family_group", "Family"),
                ("stop", "Stop"),
            ],
            self,
        )
        self.model.set_records(
            [
                {
                    "case_number": row.case_number,
                    "name": f"{row.family_name}, {row.given_names}",
                    "family_group": row.family_group or "",
                    "stop": f"{section.sequence}: {section.airport}",
                }
                for section in content.stops
                for row in section.rows
            ]
        )
        self.table = table_view(self.model, "removeTable", widths=(120, 260, 100), sort_column=0, parent=self)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.reason = QLineEdit(self)
        self.reason.setObjectName("removeReason")
        self.reason.setPlaceholderText("e.g. court stay granted 2026-12-01")
        self.message = QLabel(
            "Select everybody to take off (a family goes whole). A new DRAFT revision is prepared "
            "without them; approve it to send it.",
            self,
        )
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Take off the flight")
        self.buttons.accepted.connect(self._accept_if_complete)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Reason:", self.reason)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

    def selected_case_numbers(self) -> list[str]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.record(row)["case_number"] for row in rows]

    def _accept_if_complete(self) -> None:
        if not self.selected_case_numbers():
            self.message.setText("Select at least one person.")
        elif not self.reason.text().strip():
            self.message.setText("Give the reason: it goes into the audit log.")
        else:
            self.accept()


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
            f" It has {flight.free_seats} free seat(s) ({flight.people} of {flight.seats} taken)."
            if flight is not None
            else ""
        )
        cutoff = (
            f" Additions are possible until {_utc(flight.last_cutoff)} UTC at the latest (stops with an "
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
        path, _ = QFileDialog.getOpenFileName(
            self, "PKCS#12 key file", "", "PKCS#12 key files (*.p12 *.pfx);;All files (*)"
        )
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
        self.result: HashCheck | None = None
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

        def work(_task: Task) -> HashCheck:
            with self.ctx.uow(write=False) as uow:
                return manifests.check_manifest_hash(uow, self.actor, code, digest)

        run_in_background(work, self._answered, self._failed)

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


# ---------------------------------------------------------------- the screen


def _committed(work: Callable[[UnitOfWork], Any]) -> Callable[[UnitOfWork], Any]:
    def run(uow: UnitOfWork) -> Any:
        result = work(uow)
        uow.commit()
        return result

    return run


class ManifestsScreen(Screen):
    """Flights and their manifests; see the module docstring. GUI thread only."""

    title = "Manifests"

    def __init__(self, ctx: AppContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(ctx, actor, parent)
        self._loaded = False
        self._stale = False
        self._own_change = False
        self._selecting = False
        self._busy = ""
        self._list_generation = 0
        self._revision_generation = 0
        self._pdf_generation = 0
        self._all_rows: list[FlightManifestRow] = []
        self._flight: FlightManifestRow | None = None
        self._revisions: list[ManifestInfo] = []
        #: The flight whose revisions are shown (None while they load).
        self._revisions_for: str | None = None
        self._revision: ManifestInfo | None = None
        self._pdf: tuple[str, int, bytes] | None = None
        self._pdf_buffer: QBuffer | None = None
        self._batch: Task | None = None
        #: Render processes for the batch (None: the service's default).
        self.batch_workers: int | None = None
        #: The last confirmation / sign / hash dialog opened (tests drive them).
        self.confirm_box: QMessageBox | None = None
        self.sign_dialog: SignDialog | None = None
        self.remove_dialog: RemovePeopleDialog | None = None
        self.reopen_dialog: ReopenDialog | None = None
        self.hash_dialog: HashCheckDialog | None = None
        self.last_batch: BatchReport | None = None

        # Actions and toolbar.
        self.toolbar = QToolBar("Manifest actions", self)
        self.toolbar.setObjectName("manifestToolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.prepare_action = self._action("Prepare draft", "Ctrl+D", self.prepare)
        self.approve_action = self._action("Approve…", "Ctrl+Shift+A", self.approve)
        self.sign_action = self._action("Sign…", "Ctrl+Shift+S", self.sign)
        self.remove_action = self._action("Take people off…", "Ctrl+Shift+T", self.remove_people)
        self.reopen_action = self._action("Reopen for additions…", "Ctrl+Shift+O", self.reopen)
        self.toolbar.addSeparator()
        self.save_action = self._action("Save PDF…", QKeySequence.StandardKey.Save, self.save_pdf)
        self.print_action = self._action("Print…", QKeySequence.StandardKey.Print, self.print_pdf)
        self.paxlst_action = self._action("Export PAXLST…", "Ctrl+E", self.export_paxlst)
        self.toolbar.addSeparator()
        self.check_action = self._action("Check printed hash…", "Ctrl+H", self.check_hash)
        self.batch_action = self._action("Render all manifests…", "Ctrl+Shift+R", self.render_all)
        self.check_action.setToolTip("Is a printed copy current, superseded or unknown? (Ctrl+H)")

        # Filters.
        self.status_filter = QComboBox(self)
        self.status_filter.setObjectName("statusFilter")
        self.status_filter.setToolTip("Show flights whose newest manifest revision has this status")
        for label, key in STATUS_FILTERS:
            self.status_filter.addItem(label, key)
        self.show_past = QCheckBox("Include departed flights", self)
        self.show_past.setObjectName("showPast")
        self.count_label = QLabel("", self)
        self.count_label.setObjectName("flightCount")
        filters = QHBoxLayout()
        filters.addWidget(QLabel("Manifest:", self))
        filters.addWidget(self.status_filter)
        filters.addWidget(self.show_past)
        filters.addStretch(1)
        filters.addWidget(self.count_label)

        # Left: flights.
        self.flights = FlightManifestModel(self)
        self.flight_table = _table(self.flights, "manifestFlights", FLIGHT_SAMPLES)
        self.flight_table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        self.flight_table.selectionModel().selectionChanged.connect(self._flight_selected)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(filters)
        left_layout.addWidget(self.flight_table)

        # Right: revisions and preview.
        self.revision_title = QLabel("Select a flight", self)
        self.revision_title.setObjectName("revisionTitle")
        self.revision_title.setStyleSheet("font-weight: bold")
        self.revision_title.setWordWrap(True)  # long titles wrap, never widen the panel
        self.revisions = RevisionModel(self)
        self.revision_table = _table(self.revisions, "manifestRevisions", REVISION_SAMPLES)
        self.revision_table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.revision_table.selectionModel().selectionChanged.connect(self._revision_selected)
        revisions_box = QWidget(self)
        revisions_layout = QVBoxLayout(revisions_box)
        revisions_layout.setContentsMargins(0, 0, 0, 0)
        revisions_layout.addWidget(self.revision_title)
        revisions_layout.addWidget(self.revision_table)

        self.pdf_document = QPdfDocument(self)
        self.pdf_view = QPdfView(self)
        self.pdf_view.setObjectName("manifestPreview")
        self.pdf_view.setDocument(self.pdf_document)
        self.pdf_view.setPageMode(QPdfView.PageMode.MultiPage)
        self.pdf_view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.pdf_view.setPageSpacing(8)
        self.preview_message = QLabel("Select a flight to see its manifest", self)
        self.preview_message.setObjectName("previewMessage")
        self.preview_message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview_message.setWordWrap(True)
        self.preview_message.setStyleSheet("color: #606060; font-size: 11pt")
        self.preview_stack = QStackedWidget(self)
        self.preview_stack.addWidget(self.preview_message)
        self.preview_stack.addWidget(self.pdf_view)
        preview_box = QWidget(self)
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.setContentsMargins(0, 0, 0, 0)
        preview_layout.addLayout(self._preview_controls())
        preview_layout.addWidget(self.preview_stack, 1)

        right = QSplitter(Qt.Orientation.Vertical, self)
        right.setObjectName("manifestRightSplitter")
        right.addWidget(revisions_box)
        right.addWidget(preview_box)
        right.setStretchFactor(0, 1)
        right.setStretchFactor(1, 4)
        right.setSizes([120, 640])
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setObjectName("manifestSplitter")
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        self.splitter = splitter
        self._sized = False

        # Bottom: batch progress.
        self.progress = QProgressBar(self)
        self.progress.setObjectName("batchProgress")
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("batchCancel")
        self.cancel_button.setToolTip("Stop rendering; the files already written stay (Esc)")
        self.cancel_button.setShortcut(QKeySequence("Esc"))
        self.cancel_button.clicked.connect(self.cancel_batch)
        self.batch_bar = QWidget(self)
        batch_layout = QHBoxLayout(self.batch_bar)
        batch_layout.setContentsMargins(0, 0, 0, 0)
        batch_layout.addWidget(QLabel("Rendering all manifests:", self))
        batch_layout.addWidget(self.progress, 1)
        batch_layout.addWidget(self.cancel_button)
        self.batch_bar.setVisible(False)

        layout = QVBoxLayout(self)
        layout.addWidget(self.toolbar)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.batch_bar)

        self.status_filter.currentIndexChanged.connect(self._apply_filter)
        self.show_past.toggled.connect(self.reload)
        self.pdf_document.statusChanged.connect(self._pdf_status_changed)
        self.pdf_view.pageNavigator().currentPageChanged.connect(self._page_changed)
        self._update_actions()

    def _action(
        self, text: str, shortcut: str | QKeySequence.StandardKey, slot: Callable[[], None]
    ) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)  # only while this screen shows
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        self.toolbar.addAction(action)
        return action

    def _preview_controls(self) -> QHBoxLayout:
        self.prev_page = QToolButton(self)
        self.prev_page.setText("◀")
        self.prev_page.setToolTip("Previous page (Page Up)")
        self.prev_page.clicked.connect(
            lambda: self.go_to_page(self.pdf_view.pageNavigator().currentPage() - 1)
        )
        self.next_page = QToolButton(self)
        self.next_page.setText("▶")
        self.next_page.setToolTip("Next page (Page Down)")
        self.next_page.clicked.connect(
            lambda: self.go_to_page(self.pdf_view.pageNavigator().currentPage() + 1)
        )
        self.page_box = QSpinBox(self)
        self.page_box.setObjectName("pageNumber")
        self.page_box.setRange(1, 1)
        self.page_box.setKeyboardTracking(False)
        self.page_box.valueChanged.connect(lambda value: self.go_to_page(value - 1))
        self.page_count = QLabel("of 0", self)
        self.zoom = QComboBox(self)
        self.zoom.setObjectName("zoom")
        self.zoom.setToolTip("Zoom (Ctrl++ / Ctrl+-)")
        self.zoom.addItem("Fit width", "width")
        self.zoom.addItem("Fit page", "page")
        for factor in ZOOM_STEPS:
            self.zoom.addItem(f"{factor:.0%}", factor)
        self.zoom.currentIndexChanged.connect(self._zoom_changed)
        for text, keys, step in (("Zoom in", ["Ctrl++", "Ctrl+="], 1), ("Zoom out", ["Ctrl+-"], -1)):
            action = QAction(text, self)
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _checked=False, s=step: self.zoom_step(s))
            self.addAction(action)
        self.preview_label = QLabel("", self)
        self.preview_label.setObjectName("previewLabel")
        self.preview_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout()
        row.addWidget(self.preview_label, 1)
        row.addWidget(self.prev_page)
        row.addWidget(QLabel("Page", self))
        row.addWidget(self.page_box)
        row.addWidget(self.page_count)
        row.addWidget(self.next_page)
        row.addSpacing(12)
        row.addWidget(self.zoom)
        return row

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self._sized:  # first show: the flight list as wide as its main columns need
            self._sized = True
            wanted = sum(self.flight_table.columnWidth(c) for c in range(5)) + 24
            total = sum(self.splitter.sizes())
            left = min(wanted, total // 2)
            self.splitter.setSizes([left, total - left])

    # ------------------------------------------------------------ screen contract

    def activate(self) -> None:
        if not self._loaded or self._stale:
            self._loaded = True
            self._stale = False
            self.reload()

    def on_data_changed(self, topic: str) -> None:
        if self._own_change or not self._loaded or topic not in ("plan", "flights", "manifests", "people"):
            return
        if self.isVisible():
            self.reload()
        else:
            self._stale = True

    def _changed(self, message: str) -> None:
        """After a write: refresh here, tell the other screens and the status bar."""
        self._own_change = True
        try:
            self.data_changed.emit("manifests")
        finally:
            self._own_change = False
        self.status_message.emit(message)
        self.reload()

    # ------------------------------------------------------------ loading (background)

    def reload(self) -> None:
        """Reload the flight list (off the GUI thread); the selection is kept by flight code."""
        self._list_generation += 1
        generation, include_past = self._list_generation, self.show_past.isChecked()
        self.count_label.setText("Loading…")

        def work(uow: UnitOfWork) -> list[FlightManifestRow]:
            now = datetime.now(UTC)
            rows = flights.list_flights(uow, self.actor, include_past=include_past, now=now)
            return [
                FlightManifestRow.of(r, now) for r in rows if r.placed > 0 or r.manifest_revision is not None
            ]

        self.run(
            work, lambda rows: self._show_flights(generation, rows), error_title="Could not load flights"
        )

    def _show_flights(self, generation: int, rows: list[FlightManifestRow]) -> None:
        if generation != self._list_generation:
            return
        self._all_rows = rows
        self._apply_filter()

    def _apply_filter(self) -> None:
        wanted = self.status_filter.currentData()
        rows = [r for r in self._all_rows if wanted is None or r.status_key == wanted]
        keep = self._flight.code if self._flight else None
        self.flights.set_records(rows)
        header = self.flight_table.horizontalHeader()
        self.flights.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self.count_label.setText(
            f"{len(rows)} of {len(self._all_rows)} flights" if wanted is not None else f"{len(rows)} flights"
        )
        row = next((n for n, r in enumerate(self.flights.records()) if r.code == keep), None)
        if row is None and self.flights.rowCount():
            row = 0
        if row is None:
            self._set_flight(None)
        else:
            self._selecting = True
            try:
                self.flight_table.selectRow(row)
            finally:
                self._selecting = False
            self._set_flight(self.flights.record(row), force=True)

    def _flight_selected(self, *_args: object) -> None:
        if self._selecting:
            return
        rows = self.flight_table.selectionModel().selectedRows()
        self._set_flight(self.flights.record(rows[0].row()) if rows else None)

    def _set_flight(self, row: FlightManifestRow | None, *, force: bool = False) -> None:
        same = row is not None and self._flight is not None and row.code == self._flight.code
        self._flight = row
        if same and not force:
            return
        if row is None:
            self._revision_generation += 1
            self._revisions_for = None
            self._revisions = []
            self.revisions.set_records([])
            self.revision_title.setText("Select a flight")
            self._show_revision(None)
            return
        self.revision_title.setText(f"{row.code} — {row.stops} — departs {row.departure_local}")
        if not same:
            self._revisions_for = None
            self._revisions = []
            self.revisions.set_records([])
            self._show_revision(None)
            self._show_message(f"Loading the manifests of {row.code}…")
        self._load_revisions(row.code)

    def _load_revisions(self, code: str) -> None:
        self._revision_generation += 1
        generation = self._revision_generation
        keep = self._revision.revision if self._revision and self._revision.flight_code == code else None

        def shown(infos: list[ManifestInfo]) -> None:
            if generation != self._revision_generation:
                return
            self._revisions_for = code
            self._revisions = infos
            self.revisions.set_records(infos)
            header = self.revision_table.horizontalHeader()
            self.revisions.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
            records = self.revisions.records()
            row = next((n for n, m in enumerate(records) if m.revision == keep), None)
            if row is None and records:
                row = next(n for n, m in enumerate(records) if m.revision == infos[0].revision)
            if row is None:
                self._show_revision(None)
            else:
                self._selecting = True
                try:
                    self.revision_table.selectRow(row)
                finally:
                    self._selecting = False
                self._show_revision(records[row])

        self.run(
            lambda uow: manifests.list_manifests(uow, self.actor, code),
            shown,
            error_title="Could not load the manifests",
        )

    def _revision_selected(self, *_args: object) -> None:
        if self._selecting:
            return
        rows = self.revision_table.selectionModel().selectedRows()
        if rows:
            self._show_revision(self.revisions.record(rows[0].row()))

    def _show_revision(self, info: ManifestInfo | None) -> None:
        """Show ``info``'s PDF (rendered again only when what the PDF shows may have changed)."""

        def key(m: ManifestInfo | None) -> tuple[Any, ...] | None:
            return None if m is None else (m.flight_code, m.revision, m.status, m.pades_signed)

        previous, self._revision = self._revision, info
        self._update_actions()
        loaded = (
            self._pdf is not None and info is not None and self._pdf[:2] == (info.flight_code, info.revision)
        )
        if info is not None and key(info) == key(previous) and loaded:
            return
        self._pdf_generation += 1
        self._pdf = None
        self._close_document()
        if info is None:
            self.preview_label.setText("")
            if self._flight is None:
                self._show_message("Select a flight to see its manifest")
            else:
                self._show_message(
                    f"Flight {self._flight.code} has no manifest yet.\n"
                    "Prepare a draft from the current plan (Ctrl+D)."
                )
            self._update_actions()
            return
        self._show_message(f"Rendering {info.flight_code} revision {info.revision}…")
        self._load_pdf(info)

    def _load_pdf(self, info: ManifestInfo) -> None:
        """Render the revision's PDF off the GUI thread, then load the bytes into the viewer."""
        generation = self._pdf_generation
        code, revision = info.flight_code, info.revision

        def work(_task: Task) -> bytes:
            with self.ctx.uow(write=False) as uow:
                return manifests.manifest_pdf(uow, self.actor, code, revision=revision)

        def loaded(data: bytes) -> None:
            if generation != self._pdf_generation:
                return
            self._pdf = (code, revision, data)
            buffer = QBuffer(self)
            buffer.setData(QByteArray(data))
            buffer.open(QIODevice.OpenModeFlag.ReadOnly)
            self._close_document()
            self._pdf_buffer = buffer
            self.pdf_document.load(buffer)
            signed = " · PAdES signed" if info.pades_signed else ""
            self.preview_label.setText(
                f"{code} revision {revision} · {info.status}{signed} · {len(data) / 1024:,.0f} KB"
            )
            self._update_actions()

        def failed(exc: BaseException, details: str) -> None:
            if generation == self._pdf_generation:
                self._show_message(f"Could not render the manifest: {exc}")
            show_error(self, "Could not render the manifest", exc, details)

        run_in_background(work, loaded, failed)

    def _close_document(self) -> None:
        self.pdf_document.close()
        if self._pdf_buffer is not None:
            self._pdf_buffer.close()
            self._pdf_buffer.deleteLater()
            self._pdf_buffer = None
        self.page_box.setRange(1, 1)
        self.page_count.setText("of 0")

    def _show_message(self, text: str) -> None:
        self.preview_message.setText(text)
        self.preview_stack.setCurrentWidget(self.preview_message)

    def _pdf_status_changed(self, status: QPdfDocument.Status) -> None:
        if status == QPdfDocument.Status.Ready:
            pages = self.pdf_document.pageCount()
            self.page_box.blockSignals(True)
            self.page_box.setRange(1, max(1, pages))
            self.page_box.setValue(1)
            self.page_box.blockSignals(False)
            self.page_count.setText(f"of {pages}")
            self.preview_stack.setCurrentWidget(self.pdf_view)
            self.go_to_page(0)
        elif status == QPdfDocument.Status.Error:
            self._show_message(f"The PDF could not be shown ({self.pdf_document.error().name})")
        self._update_actions()

    def pdf_ready(self) -> bool:
        return self._pdf is not None and self.pdf_document.status() == QPdfDocument.Status.Ready

    # ------------------------------------------------------------ preview navigation

    def go_to_page(self, page: int) -> None:
        pages = self.pdf_document.pageCount()
        if pages <= 0:
            return
        page = max(0, min(page, pages - 1))
        self.pdf_view.pageNavigator().jump(page, QPointF(0, 0), self.pdf_view.zoomFactor())

    def _page_changed(self, page: int) -> None:
        self.page_box.blockSignals(True)
        self.page_box.setValue(page + 1)
        self.page_box.blockSignals(False)
        self.prev_page.setEnabled(page > 0)
        self.next_page.setEnabled(page + 1 < self.pdf_document.pageCount())

    def _zoom_changed(self, _index: int) -> None:
        value = self.zoom.currentData()
        if value == "width":
            self.pdf_view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        elif value == "page":
            self.pdf_view.setZoomMode(QPdfView.ZoomMode.FitInView)
        else:
            self.pdf_view.setZoomMode(QPdfView.ZoomMode.Custom)
            self.pdf_view.setZoomFactor(float(value))

    def zoom_step(self, step: int) -> None:
        current = self.pdf_view.zoomFactor() if self.pdf_view.zoomMode() == QPdfView.ZoomMode.Custom else 1.0
        if step > 0:
            factor = next((f for f in ZOOM_STEPS if f > current + 1e-6), ZOOM_STEPS[-1])
        else:
            factor = next((f for f in reversed(ZOOM_STEPS) if f < current - 1e-6), ZOOM_STEPS[0])
        self.zoom.setCurrentIndex(self.zoom.findData(factor))

    # ------------------------------------------------------------ action state

    def _newest(self) -> ManifestInfo | None:
        return max(self._revisions, key=lambda m: m.revision) if self._revisions else None

    def _update_actions(self) -> None:
        flight, newest, busy = self._flight, self._newest(), self._busy

        def state(action: QAction, why_not: str, tip: str) -> None:
            action.setEnabled(not why_not)
            action.setToolTip(why_not or tip)

        def shortcut(action: QAction) -> str:
            return f" ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"

        def flight_reason() -> str:
            if busy:
                return f"Busy: {busy}"
            if flight is None:
                return "Select a flight first"
            return ""

        why = flight_reason()
        if not why and flight is not None and flight.flight_status != FlightStatus.PLANNED.value:
            why = f"Flight {flight.code} is {flight.flight_status}: its manifest can no longer change"
        state(
            self.prepare_action,
            why,
            "Prepare a DRAFT revision from the current plan" + shortcut(self.prepare_action),
        )

        why = flight_reason()
        if not why and flight is not None and flight.flight_status != FlightStatus.PLANNED.value:
            why = f"Flight {flight.code} is {flight.flight_status}: its manifest can no longer change"
        if not why and newest is None:
            why = "Nobody is on a manifest of this flight yet"
        state(
            self.remove_action,
            why,
            "Take people off this flight (whole families, with a reason); prepares the next revision"
            + shortcut(self.remove_action),
        )

        why = flight_reason()
        if not why and flight is not None and flight.flight_status != FlightStatus.PLANNED.value:
            why = f"Flight {flight.code} is {flight.flight_status}: its manifest can no longer change"
        if not why and newest is None:
            why = "Nothing to reopen: the flight has no manifest, so the planner may fill it already"
        if not why and newest is not None and newest.status not in IN_FORCE:
            why = (
                f"Already open: the newest revision {newest.revision} is {newest.status}, "
                "so the planner may add people"
            )
        if not why and flight is not None and flight.last_cutoff_passed:
            why = (
                "The notice cut-off of every stop has passed: nobody may be added any more "
                "(people can still be taken off)"
            )
        state(
            self.reopen_action,
            why,
            "Open this approved flight to the planner again so it can fill free seats before the notice "
            "cut-off: prepares a DRAFT revision with the same people (they stay frozen); the approved "
            "revision stays in force until the next one is approved" + shortcut(self.reopen_action),
        )

        why = NEEDS_SUPERVISOR if not self.can(Role.SUPERVISOR) else flight_reason()
        if not why and newest is None:
            why = "Prepare a draft first"
        if not why and newest is not None and newest.status != ManifestStatus.DRAFT.value:
            why = f"Revision {newest.revision} is {newest.status}: there is no draft to approve"
        state(
            self.approve_action,
            why,
            "Approve the newest draft: freeze the flight and count the manifest as sent"
            + shortcut(self.approve_action),
        )

        why = NEEDS_SUPERVISOR if not self.can(Role.SUPERVISOR) else flight_reason()
        if not why and newest is None:
            why = "Prepare and approve a manifest first"
        if not why and newest is not None and newest.status != ManifestStatus.APPROVED.value:
            why = {
                ManifestStatus.DRAFT.value: f"Revision {newest.revision} is a DRAFT: approve it first",
                ManifestStatus.SIGNED.value: f"Revision {newest.revision} is signed already",
            }.get(newest.status, f"Revision {newest.revision} is {newest.status}")
        state(
            self.sign_action,
            why,
            "Sign the approved revision (optionally with a PAdES digital signature)"
            + shortcut(self.sign_action),
        )

        why = "" if self.pdf_ready() else "Select a revision and wait for its preview"
        state(self.save_action, why, "Save the previewed revision as a PDF file" + shortcut(self.save_action))
        state(self.print_action, why, "Print the previewed revision" + shortcut(self.print_action))

        why = flight_reason()
        if not why and not any(m.status in IN_FORCE for m in self._revisions):
            why = "Needs an approved or signed manifest: the carrier only gets what was approved"
        state(
            self.paxlst_action,
            why,
            "Export the revision in force as PAXLST (UN/EDIFACT) for the carrier"
            + shortcut(self.paxlst_action),
        )

        why = "Rendering is running" if self._batch is not None else ""
        state(
            self.batch_action,
            why,
            "Write the current manifest of every planned flight to a folder" + shortcut(self.batch_action),
        )

    # ------------------------------------------------------------ workflow actions

    def _write(
        self,
        busy: str,
        work: Callable[[UnitOfWork], Any],
        on_done: Callable[[Any], None],
        error_title: str,
    ) -> None:
        """Run a committing service call off the GUI thread; refusals show their message and
        details; either way the lists are refreshed (a refusal writes an audit event)."""
        self._busy = busy
        self._update_actions()

        def job(_task: Task) -> Any:
            with self.ctx.uow(write=True) as uow:
                return _committed(work)(uow)

        def done(result: Any) -> None:
            self._busy = ""
            on_done(result)
            self._update_actions()

        def failed(exc: BaseException, details: str) -> None:
            self._busy = ""
            self._update_actions()
            show_error(self, error_title, exc, details)
            self._changed(f"{error_title}: {exc}")

        run_in_background(job, done, failed)

    def prepare(self) -> None:
        """Prepare a DRAFT revision of the selected flight from the current plan."""
        if not self.prepare_action.isEnabled() or self._flight is None:
            return
        code = self._flight.code

        def done(info: ManifestInfo) -> None:
            if info.created:
                self._revision = None  # show the new revision
                self._changed(f"{code}: DRAFT revision {info.revision} prepared ({info.person_count} people)")
            else:
                self.status_message.emit(
                    f"{code}: revision {info.revision} already matches the current plan ({info.status})"
                )
                self.reload()

        self._write(
            f"preparing {code}",
            lambda uow: manifests.prepare_manifest(uow, self.actor, code),
            done,
            f"Could not prepare the manifest of {code}",
        )

    def remove_people(self) -> None:
        """Choose people on the newest revision to take off the flight, then prepare the revision
        without them (the service checks whole families and logs the reason)."""
        newest = self._newest()
        if not self.remove_action.isEnabled() or self._flight is None or newest is None:
            return
        code, revision = self._flight.code, newest.revision

        def ask(content: ManifestContent) -> None:
            dialog = RemovePeopleDialog(content, self)
            dialog.accepted.connect(lambda: self._remove_chosen(code, dialog))
            self.remove_dialog = dialog
            dialog.open()

        self.run(
            lambda uow: manifests.manifest_content(uow, self.actor, code, revision=revision),
            ask,
            error_title="Could not read the manifest",
        )

    def _remove_chosen(self, code: str, dialog: RemovePeopleDialog) -> None:
        cases, reason = dialog.selected_case_numbers(), dialog.reason.text().strip()

        def done(info: ManifestInfo) -> None:
            self._revision = None  # show the new revision
            self._changed(
                f"{code}: {len(cases)} taken off; revision {info.revision} prepared ({info.status})"
            )

        self._write(
            f"taking people off {code}",
            lambda uow: manifests.remove_from_manifest(uow, self.actor, code, cases, reason=reason),
            done,
            f"Could not take people off {code}",
        )

    def reopen(self) -> None:
        """Ask for the reason, then reopen the selected approved flight for additions (a new DRAFT
        revision with the same people; the approved one stays in force)."""
        newest = self._newest()
        if not self.reopen_action.isEnabled() or self._flight is None or newest is None:
            return
        flight = self._flight
        dialog = ReopenDialog(newest, flight, self)
        dialog.accepted.connect(lambda: self._reopen_confirmed(flight.code, dialog))
        self.reopen_dialog = dialog
        dialog.open()

    def _reopen_confirmed(self, code: str, dialog: ReopenDialog) -> None:
        reason = dialog.reason.text().strip()

        def done(info: ManifestInfo) -> None:
            self._revision = None  # show the new revision
            self._changed(
                f"{code} reopened for additions: DRAFT revision {info.revision} prepared "
                f"({info.person_count} people); run the planner to fill free seats, then prepare "
                "and approve the next revision"
            )

        self._write(
            f"reopening {code}",
            lambda uow: manifests.reopen_manifest(uow, self.actor, code, reason=reason),
            done,
            f"Could not reopen {code}",
        )

    def approve(self) -> None:
        """Ask for confirmation (stating what will be frozen), then approve the newest draft."""
        newest = self._newest()
        if not self.approve_action.isEnabled() or self._flight is None or newest is None:
            return
        flight, revision = self._flight, newest.revision

        def ask(content: ManifestContent) -> None:
            text, details = approval_text(content, flight)
            box = QMessageBox(QMessageBox.Icon.Question, f"Approve manifest {flight.code}", text, parent=self)
            box.setObjectName("approveConfirmation")
            box.setInformativeText(details)
            box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
            box.button(QMessageBox.StandardButton.Yes).setText(f"Approve revision {revision}")
            box.setDefaultButton(QMessageBox.StandardButton.Cancel)
            box.finished.connect(lambda _r: self._approve_answered(box, flight.code, revision))
            self.confirm_box = box
            box.open()

        self.run(
            lambda uow: manifests.manifest_content(uow, self.actor, flight.code, revision=revision),
            ask,
            error_title="Could not read the manifest",
        )

    def _approve_answered(self, box: QMessageBox, code: str, revision: int) -> None:
        if box.clickedButton() is not box.button(QMessageBox.StandardButton.Yes):
            return

        def done(info: ManifestInfo) -> None:
            self._changed(f"{code}: revision {info.revision} APPROVED and counted as sent")

        self._write(
            f"approving {code}",
            lambda uow: manifests.approve_manifest(uow, self.actor, code),
            done,
            f"Could not approve revision {revision} of {code}",
        )

    def sign(self) -> None:
        """Ask for confirmation and an optional PKCS#12 key, then sign the approved revision."""
        newest = self._newest()
        if not self.sign_action.isEnabled() or newest is None:
            return
        dialog = SignDialog(newest, self)
        dialog.finished.connect(lambda result: self._sign_answered(dialog, newest, result))
        self.sign_dialog = dialog
        dialog.open()

    def _sign_answered(self, dialog: SignDialog, info: ManifestInfo, result: int) -> None:
        if result != QDialog.DialogCode.Accepted:
            return
        code, key_path, password = info.flight_code, dialog.key_path(), dialog.key_password()

        def work(uow: UnitOfWork) -> ManifestInfo:
            p12 = Path(key_path).read_bytes() if key_path else None  # read off the GUI thread
            return manifests.sign_manifest(uow, self.actor, code, p12=p12, p12_password=password)

        def done(signed: ManifestInfo) -> None:
            extra = " with a PAdES signature" if signed.pades_signed else ""
            self._changed(f"{code}: revision {signed.revision} SIGNED{extra}")

        self._write(f"signing {code}", work, done, f"Could not sign revision {info.revision} of {code}")

    # ------------------------------------------------------------ files

    def _ask_save_path(self, caption: str, suggested: str, file_filter: str) -> str:
        """Ask where to save (a seam the tests replace). Returns "" when cancelled."""
        path, _ = QFileDialog.getSaveFileName(self, caption, suggested, file_filter)
        return path

    def _ask_folder(self, caption: str) -> str:
        """Ask for a folder (a seam the tests replace). Returns "" when cancelled."""
        return QFileDialog.getExistingDirectory(self, caption)

    def _choose_printer(self, printer: QPrinter) -> bool:
        """Show the print dialog (a seam the tests replace). True to print."""
        dialog = QPrintDialog(printer, self)
        dialog.setMinMax(1, max(1, self.pdf_document.pageCount()))
        return dialog.exec() == QDialog.DialogCode.Accepted

    def _write_file(self, path: str, data: bytes, message: str) -> None:
        def failed(exc: BaseException, details: str) -> None:
            show_error(self, f"Could not write {path}", exc, details)

        run_in_background(
            lambda _task: write_whole(path, data), lambda _n: self.status_message.emit(message), failed
        )

    def save_pdf(self) -> None:
        """Save the previewed revision's PDF (the bytes shown) to a file."""
        if not self.pdf_ready() or self._pdf is None:
            return
        code, revision, data = self._pdf
        path = self._ask_save_path("Save manifest PDF", f"{code}_rev{revision}.pdf", "PDF files (*.pdf)")
        if path:
            self._write_file(path, data, f"Saved {code} revision {revision} to {path}")

    def print_pdf(self) -> None:
        """Print the previewed revision: print dialog, then each page rendered onto the printer."""
        if not self.pdf_ready() or self._pdf is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(f"Manifest {self._pdf[0]} revision {self._pdf[1]}")
        if not self._choose_printer(printer):
            return
        try:
            pages = self.print_document(printer)
        except Exception as exc:  # printer errors are shown, not raised into Qt
            show_error(self, "Could not print the manifest", exc)
            return
        self.status_message.emit(
            f"Sent {pages} page(s) of {self._pdf[0]} revision {self._pdf[1]} to the printer"
        )

    def print_document(self, printer: QPrinter) -> int:
        """Render the loaded document's pages (the printer's page range, default all) onto
        ``printer``; returns the number of pages printed. GUI thread."""
        count = self.pdf_document.pageCount()
        first = max(1, printer.fromPage() or 1) - 1
        last = min(count, printer.toPage() or count) - 1
        painter = QPainter()
        if not painter.begin(printer):
            raise RuntimeError("the printer could not be opened")
        printed = 0
        try:
            for page in range(first, last + 1):
                if printed:
                    printer.newPage()
                area = QRectF(printer.pageLayout().paintRectPixels(printer.resolution()))
                area.moveTo(0, 0)
                size = self.pdf_document.pagePointSize(page)
                scale = min(area.width() / size.width(), area.height() / size.height())
                target = QRectF(0, 0, size.width() * scale, size.height() * scale)
                dpi = min(printer.resolution(), PRINT_DPI)
                image = self.pdf_document.render(
                    page, QSize(round(size.width() * dpi / 72), round(size.height() * dpi / 72))
                )
                painter.drawImage(target, image)
                printed += 1
        finally:
            painter.end()
        return printed

    def export_paxlst(self) -> None:
        """Export the revision in force as PAXLST (audited) and write it to a file."""
        if not self.paxlst_action.isEnabled() or self._flight is None:
            return
        code = self._flight.code
        path = self._ask_save_path("Export PAXLST", f"{code}.edi", "EDIFACT files (*.edi);;All files (*)")
        if not path:
            return

        def work(uow: UnitOfWork) -> str:
            return manifests.export_paxlst(uow, self.actor, code, sender=self.ctx.settings.paxlst_sender)

        def done(text: str) -> None:
            self._write_file(path, text.encode("ascii"), f"PAXLST of {code} written to {path}")
            self._changed(f"PAXLST of {code} exported")

        self._write(f"exporting {code}", work, done, f"Could not export the PAXLST of {code}")

    def check_hash(self) -> None:
        """Open the hash check dialog for the selected flight."""
        dialog = HashCheckDialog(self.ctx, self.actor, self._flight.code if self._flight else "", self)
        self.hash_dialog = dialog
        dialog.open()

    # ------------------------------------------------------------ batch

    def render_all(self, folder: str | None = None) -> None:
        """Choose a folder and write the current manifest of every planned flight there, in the
        background with progress and Cancel."""
        if self._batch is not None:
            return
        folder = folder or self._ask_folder("Render all manifests into folder")
        if not folder:
            return
        workers = self.batch_workers

        def work(task: Task) -> BatchReport:
            return manifest_batch.render_all_manifests(
                self.ctx.uow,
                self.actor,
                folder,
                progress=task.report_progress,
                should_stop=task.should_stop,
                workers=workers,
            )

        self.progress.setValue(0)
        self.progress.setFormat("Starting…")
        self.cancel_button.setEnabled(True)
        self.batch_bar.setVisible(True)
        self._batch = run_in_background(work, self._batch_done, self._batch_failed, self._batch_progress)
        self._update_actions()

    def cancel_batch(self) -> None:
        if self._batch is not None:
            self._batch.cancel()
            self.cancel_button.setEnabled(False)
            self.progress.setFormat("Cancelling… (files being written finish)")

    def batch_running(self) -> bool:
        return self._batch is not None

    def _batch_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(round(1000 * fraction))
        self.progress.setFormat(f"{fraction:.0%} — {message}")

    def _batch_done(self, report: BatchReport) -> None:
        self._batch = None
        self.last_batch = report
        self.batch_bar.setVisible(False)
        self._update_actions()
        box = QMessageBox(
            QMessageBox.Icon.Information if not report.skipped else QMessageBox.Icon.Warning,
            "Render all manifests",
            report.summary(),
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setObjectName("batchReport")
        if report.skipped:
            box.setDetailedText(
                "\n".join(
                    f"{code}: {'; '.join(reasons[:5])}" for code, reasons in sorted(report.skipped.items())
                )
            )
        box.open()
        self._changed(report.summary())

    def _batch_failed(self, exc: BaseException, details: str) -> None:
        self._batch = None
        self.batch_bar.setVisible(False)
        self._update_actions()
        show_error(self, "Could not render the manifests", exc, details)


__all__ = [
    "FlightManifestRow",
    "HashCheckDialog",
    "ManifestsScreen",
    "ReopenDialog",
    "SignDialog",
    "approval_text",
]
