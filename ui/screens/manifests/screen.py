"""Manifests: every flight with people in the current plan and its manifest status; the revisions of
the selected flight and a preview of the selected revision's PDF (QtPdf); the workflow actions —
prepare a draft, approve, sign (optionally with a PAdES signature from a PKCS#12 file), strike
people off with a coded reason or reopen an approved flight for additions, save and print the PDF,
export PAXLST, check a printed copy's hash, and render every manifest to a folder; the departure
view of a flight (``departure.py``) and the struck-off report (``struck_report.py``).

This module holds the screen (layout, loading, selection, action state); the workflow actions are
in ``workflow.py``, files, printing and the batch in ``output.py``, the preview in ``preview.py``.
Which action is enabled, and why not, is decided by ``planner.services.manifests.actions``.

Threading: every method runs on the GUI thread. Service calls (lists, the PDF rendering, the
workflow writes, reading a key file, writing files, the batch) run off the GUI thread as
``ui.operations.Operation``s; only flight codes, revision numbers, bytes and plain dataclasses cross
threads. The PDF bytes are loaded into the preview's ``QPdfDocument`` on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from planner.persistence.context import AppContext
from planner.persistence.uow import UnitOfWork
from planner.services import flights, office_settings
from planner.services.auth import Actor
from planner.services.manifests import deadlines
from planner.services.manifests import workflow as manifests
from planner.services.manifests.actions import (
    ManifestAction,
    ManifestScreenState,
    RevisionState,
    manifest_actions,
)
from planner.services.manifests.batch import BatchReport
from planner.services.manifests.workflow import ManifestInfo
from ui.errors import show_error
from ui.files import ask_folder, ask_save_path
from ui.operations import Change, Operation
from ui.screens.base import Screen
from ui.screens.manifests.departure import DepartureDialog
from ui.screens.manifests.dialogs import HashCheckDialog, ReopenDialog, SignDialog
from ui.screens.manifests.models import (
    FLIGHT_SAMPLES,
    REVISION_SAMPLES,
    STATUS_FILTERS,
    FlightManifestModel,
    FlightManifestRow,
    RevisionModel,
    manifest_table,
)
from ui.screens.manifests.output import ManifestOutput
from ui.screens.manifests.pdf_check import PdfCheckDialog
from ui.screens.manifests.preview import ManifestPreview
from ui.screens.manifests.strike_dialog import StrikeDialog
from ui.screens.manifests.struck_report import StruckReportDialog
from ui.screens.manifests.workflow import ManifestWorkflow

#: The changes that may change what this screen shows.
SHOWN_CHANGES = Change.PLAN | Change.FLIGHTS | Change.MANIFESTS | Change.PEOPLE


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
        self._four_eyes_sign = True  # the office setting, read with the revisions
        #: The flight whose revisions are shown (None while they load).
        self._revisions_for: str | None = None
        self._revision: ManifestInfo | None = None
        self._pdf: tuple[str, int, bytes] | None = None
        #: Render processes for the batch (None: the service's default).
        self.batch_workers: int | None = None
        #: The last confirmation / sign / hash dialog opened (tests drive them).
        self.confirm_box: QMessageBox | None = None
        self.sign_dialog: SignDialog | None = None
        self.strike_dialog: StrikeDialog | None = None
        self.strike_result_box: QMessageBox | None = None
        self.departure_dialog: DepartureDialog | None = None
        self.report_dialog: StruckReportDialog | None = None
        self.reopen_dialog: ReopenDialog | None = None
        self.hash_dialog: HashCheckDialog | None = None
        self.pdf_check_dialog: PdfCheckDialog | None = None
        self.last_batch: BatchReport | None = None
        self.workflow = ManifestWorkflow(self)
        self.output = ManifestOutput(self)

        # Actions and toolbar.
        self.toolbar = QToolBar("Manifest actions", self)
        self.toolbar.setObjectName("manifestToolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.prepare_action = self._action("Prepare draft", "Ctrl+D", self.workflow.prepare)
        self.approve_action = self._action("Approve…", "Ctrl+Shift+A", self.workflow.approve)
        self.sign_action = self._action("Sign…", "Ctrl+Shift+S", self.workflow.sign)
        self.strike_action = self._action("Strike off…", "Ctrl+Shift+T", self.workflow.strike_off)
        self.reopen_action = self._action("Reopen for additions…", "Ctrl+Shift+O", self.workflow.reopen)
        self.toolbar.addSeparator()
        self.save_action = self._action("Save PDF…", QKeySequence.StandardKey.Save, self.output.save_pdf)
        self.print_action = self._action("Print…", QKeySequence.StandardKey.Print, self.output.print_pdf)
        self.paxlst_action = self._action("Export PAXLST…", "Ctrl+E", self.workflow.export_paxlst)
        self.toolbar.addSeparator()
        self.check_action = self._action("Check printed hash…", "Ctrl+H", self.workflow.check_hash)
        self.check_pdf_action = self._action("Check a PDF…", "Ctrl+Shift+C", self.workflow.check_pdf)
        self.batch_action = self._action("Render all manifests…", "Ctrl+Shift+R", self.output.render_all)
        self.toolbar.addSeparator()
        self.departure_action = self._action("Departure…", "Ctrl+Shift+D", self.open_departure)
        self.report_action = self._action("Struck-off report…", "Ctrl+Shift+K", self.open_struck_report)
        self.check_action.setToolTip("Is a printed copy current, superseded or unknown? (Ctrl+H)")
        self.check_pdf_action.setToolTip("Does a manifest PDF say what is stored? (Ctrl+Shift+C)")
        #: The actions whose state ``_update_actions`` sets.
        self._actions: dict[ManifestAction, QAction] = {
            ManifestAction.PREPARE: self.prepare_action,
            ManifestAction.APPROVE: self.approve_action,
            ManifestAction.SIGN: self.sign_action,
            ManifestAction.STRIKE: self.strike_action,
            ManifestAction.REOPEN: self.reopen_action,
            ManifestAction.SAVE_PDF: self.save_action,
            ManifestAction.PRINT: self.print_action,
            ManifestAction.EXPORT_PAXLST: self.paxlst_action,
            ManifestAction.RENDER_ALL: self.batch_action,
            ManifestAction.DEPARTURE: self.departure_action,
            ManifestAction.STRUCK_REPORT: self.report_action,
        }

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
        self.flight_table = manifest_table(self.flights, "manifestFlights", FLIGHT_SAMPLES)
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
        self.revision_table = manifest_table(self.revisions, "manifestRevisions", REVISION_SAMPLES)
        self.revision_table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.revision_table.selectionModel().selectionChanged.connect(self._revision_selected)
        revisions_box = QWidget(self)
        revisions_layout = QVBoxLayout(revisions_box)
        revisions_layout.setContentsMargins(0, 0, 0, 0)
        revisions_layout.addWidget(self.revision_title)
        #: When each receiving state needs the flight's API data (PAXLST), per stop (details in the tooltip).
        self.deadline_label = QLabel("", self)
        self.deadline_label.setObjectName("apiDeadlines")
        self.deadline_label.setWordWrap(True)
        revisions_layout.addWidget(self.deadline_label)
        revisions_layout.addWidget(self.revision_table)

        self.preview = ManifestPreview(self)

        right = QSplitter(Qt.Orientation.Vertical, self)
        right.setObjectName("manifestRightSplitter")
        right.addWidget(revisions_box)
        right.addWidget(self.preview)
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
        self.cancel_button.clicked.connect(self.output.cancel_batch)
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
        self.preview.status_changed.connect(self._update_actions)
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

    def on_data_changed(self, change: Change) -> None:
        if self._own_change or not self._loaded or not change & SHOWN_CHANGES:
            return
        if self.isVisible():
            self.reload()
        else:
            self._stale = True

    def announce_change(self, change: Change) -> None:
        """Tell the other screens; this one refreshes itself (``_changed``)."""
        self._own_change = True
        try:
            super().announce_change(change)
        finally:
            self._own_change = False

    def _changed(self, message: str) -> None:
        """After a write: tell the other screens, the status bar, and refresh here."""
        self.announce_change(Change.MANIFESTS)
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

        Operation(self, "Could not load flights").success(
            lambda rows: self._show_flights(generation, rows)
        ).run_in_uow(self.ctx, work)

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
            self.deadline_label.setText("")
            self.deadline_label.setToolTip("")
            self._show_revision(None)
            return
        self.revision_title.setText(f"{row.code} — {row.stops} — departs {row.departure_local}")
        self._load_deadlines(row.code)
        if not same:
            self._revisions_for = None
            self._revisions = []
            self.revisions.set_records([])
            self._show_revision(None)
            self.preview.show_message(f"Loading the manifests of {row.code}…")
        self._load_revisions(row.code)

    def _load_deadlines(self, code: str) -> None:
        """Show the API deadline clock of ``code`` (``deadlines.flight_api_deadlines``); overdue in red."""

        def shown(clock: list[tuple[str, str, bool]]) -> None:
            if self._flight is None or self._flight.code != code:
                return
            overdue = any(late for _short, _long, late in clock)
            self.deadline_label.setStyleSheet("color: #b00020" if overdue else "")
            self.deadline_label.setText(
                "API data due: " + "  ·  ".join(short for short, _long, _late in clock)
            )
            self.deadline_label.setToolTip("\n".join(long for _short, long, _late in clock))

        def work(uow: UnitOfWork) -> list[tuple[str, str, bool]]:
            clock = deadlines.flight_api_deadlines(uow, self.actor, code)
            return [(d.short(), d.describe(), d.overdue) for d in clock]

        self.deadline_label.setText("")
        Operation(self, "Could not load the API deadlines").success(shown).failure(
            lambda _exc, _details: None
        ).run_in_uow(self.ctx, work)

    def _load_revisions(self, code: str) -> None:
        self._revision_generation += 1
        generation = self._revision_generation
        keep = self._revision.revision if self._revision and self._revision.flight_code == code else None

        def shown(loaded: tuple[list[ManifestInfo], bool]) -> None:
            infos, self._four_eyes_sign = loaded
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

        Operation(self, "Could not load the manifests").success(shown).run_in_uow(
            self.ctx,
            lambda uow: (
                manifests.list_manifests(uow, self.actor, code),
                office_settings.load(uow).four_eyes_sign,
            ),
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
        self.preview.close_document()
        if info is None:
            self.preview.label.setText("")
            if self._flight is None:
                self.preview.show_message("Select a flight to see its manifest")
            else:
                self.preview.show_message(
                    f"Flight {self._flight.code} has no manifest yet.\n"
                    "Prepare a draft from the current plan (Ctrl+D)."
                )
            self._update_actions()
            return
        self.preview.show_message(f"Rendering {info.flight_code} revision {info.revision}…")
        self._load_pdf(info)

    def _load_pdf(self, info: ManifestInfo) -> None:
        """Render the revision's PDF off the GUI thread, then load the bytes into the viewer."""
        generation = self._pdf_generation
        code, revision = info.flight_code, info.revision

        def loaded(data: bytes) -> None:
            if generation != self._pdf_generation:
                return
            self._pdf = (code, revision, data)
            signed = " · PAdES signed" if info.pades_signed else ""
            self.preview.load(
                data, f"{code} revision {revision} · {info.status}{signed} · {len(data) / 1024:,.0f} KB"
            )
            self._update_actions()

        def failed(exc: BaseException, details: str) -> None:
            if generation == self._pdf_generation:
                self.preview.show_message(f"Could not render the manifest: {exc}")
            show_error(self, "Could not render the manifest", exc, details)

        Operation[bytes](self).success(loaded).failure(failed).run_in_uow(
            self.ctx, lambda uow: manifests.manifest_pdf(uow, self.actor, code, revision=revision)
        )

    def pdf_ready(self) -> bool:
        return self._pdf is not None and self.preview.is_ready()

    def batch_running(self) -> bool:
        return self.output.batch_running

    # ------------------------------------------------------------ action state

    def _newest(self) -> ManifestInfo | None:
        return max(self._revisions, key=lambda m: m.revision) if self._revisions else None

    def _update_actions(self) -> None:
        """Enable each action and set its tooltip (the reason when disabled) from
        ``planner.services.manifests.actions.manifest_actions``."""
        flight = self._flight
        states = manifest_actions(
            ManifestScreenState(
                flight=flight.state() if flight is not None else None,
                role=self.actor.role,
                revisions=tuple(
                    RevisionState(m.revision, m.status, m.prepared_by, m.approved_by) for m in self._revisions
                ),
                busy=self._busy,
                pdf_ready=self.pdf_ready(),
                batch_running=self.output.batch_running,
                username=self.actor.username,
                four_eyes_sign=self._four_eyes_sign,
            )
        )
        for kind, action in self._actions.items():
            state = states[kind]
            action.setEnabled(state.enabled)
            shortcut = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(state.tooltip(f" ({shortcut})"))

    # ------------------------------------------------------------ departure day

    def open_departure(self) -> None:
        """Open the departure view of the selected flight (a window of its own)."""
        if not self.departure_action.isEnabled() or self._flight is None:
            return
        code = self._flight.code
        dialog = self.departure_dialog
        if dialog is not None and shiboken6.isValid(dialog) and dialog.isVisible() and dialog.code == code:
            dialog.raise_()
            dialog.activateWindow()
            return
        dialog = DepartureDialog(self, code)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.departure_dialog = dialog
        dialog.show()
        dialog.refresh()

    def open_struck_report(self) -> None:
        """Open the struck-off report (for the selected flight's period; every flight by default)."""
        dialog = StruckReportDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.report_dialog = dialog
        dialog.show()

    # ------------------------------------------------------------ seams the tests replace

    def _ask_save_path(self, caption: str, suggested: str, file_filter: str) -> str:
        """Ask where to save (a seam the tests replace). Returns "" when cancelled."""
        return ask_save_path(self, caption, suggested, file_filter)

    def _ask_folder(self, caption: str) -> str:
        """Ask for a folder (a seam the tests replace). Returns "" when cancelled."""
        return ask_folder(self, caption)

    def _choose_printer(self, printer: QPrinter) -> bool:
        """Show the print dialog (a seam the tests replace). True to print."""
        dialog = QPrintDialog(printer, self)
        dialog.setMinMax(1, max(1, self.preview.pdf_document.pageCount()))
        return dialog.exec() == QDialog.DialogCode.Accepted


__all__ = ["ManifestsScreen"]
