"""Import wizard (admin): choose the kind, the file (dialog or drag and drop) and the encoding
(Automatic detects it), check it with a dry run (counts, the encoding used, a preview of the decoded
names of the first rows, and every error: line, column, message — sortable, filterable, copy or save
as CSV), then import it with progress and Cancel, and see the result.

"Import" is enabled only after a clean dry run of the same kind, file and encoding; the file's bytes
are checked again (SHA-256) when importing, so a file changed in between is refused. Changing the
kind clears the previous result.

Keys: Ctrl+O choose a file, Ctrl+D check (dry run), Ctrl+I import, Esc cancel.

Threading: every method runs on the GUI thread. Checking and importing run in a child process
(``Operation.run_in_process``; a 100,000-row file never holds the window's interpreter lock);
only paths, reports and row-error tuples cross. Filtering a long error list and saving the errors
run on the thread pool (``Operation.run_in_thread``).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QFontDatabase, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from planner.domain.enums import Role
from planner.entrypoints.jobs import ImportOutcome, ImportRequest, import_job
from planner.files import write_output
from planner.persistence.context import AppContext
from planner.services.auth import Actor
from planner.services.imports import KINDS, ImportCancelled, ImportReport, RowError
from ui.errors import show_error
from ui.files import ask_open_path, ask_save_path
from ui.operations import Change, Operation, TaskControl
from ui.record_model import RecordTableModel
from ui.screens.base import Screen
from ui.tables import table_view

#: Per kind: the expected columns as (name, required), and a note on the compound fields. Kept in
#: step with the importers by ``tests/ui/test_import_screen.py``.
EXPECTED_COLUMNS: dict[str, tuple[tuple[tuple[str, bool], ...], str]] = {
    "facilities": (
        (("facility_code", True), ("name", True), ("city", False), ("airports", False)),
        "airports: IATA:hours separated by ';' (e.g. SAT:2;IAH:5.5)",
    ),
    "flights": (
        (
            ("flight_id", True),
            ("carrier", True),
            ("aircraft", True),
            ("departure_airport", True),
            ("departure_time", True),
            ("seats", True),
            ("escort_officers", True),
            ("medical_slots", True),
            ("wheelchair_slots", True),
            ("stops", True),
            ("status", True),
            ("pickups", False),
        ),
        "departure_time: ISO 8601 with offset (2027-03-17T13:15:00-07:00); stops: IATA codes separated by ';'; "
        "pickups (optional): later pickups IATA@ISO8601 separated by ';'",
    ),
    "roster": (
        (
            ("case_number", True),
            ("family_name", True),
            ("given_names", False),
            ("native_name", False),
            ("sex", True),
            ("date_of_birth", True),
            ("place_of_birth", False),
            ("nationality", True),
            ("facility_code", False),
            ("risk_level", True),
            ("medical_need", True),
            ("family_group", False),
            ("order_status", True),
            ("order_date", False),
            ("legal_hold", False),
            ("hold_until", False),
            ("priority", True),
            ("custody_status", True),
        ),
        "dates YYYY-MM-DD; nationality ISO 3166-1 alpha-3; priority 1 (most urgent) to 5",
    ),
    "verification": (
        (
            ("case_number", True),
            ("family_name", True),
            ("given_names", False),
            ("native_name", False),
            ("date_of_birth", True),
            ("nationality", True),
            ("result", True),
            ("document_type", False),
            ("document_number", False),
            ("document_issued", False),
            ("document_expires", False),
            ("authority", False),
            ("verified_on", True),
            ("reference", False),
            ("sex", False),
            ("place_of_birth", False),
            ("facility", False),
        ),
        "case number, date of birth and family name must match the roster; document columns go together; "
        "a reference like VR-CHN-2026-0007 answers that request batch (a filled-in request list imports "
        "as it is: sex, place_of_birth and facility are ignored)",
    ),
    "escorts": (
        (
            ("flight_id", True),
            ("role", True),
            ("family_name", True),
            ("given_names", False),
            ("sex", True),
            ("date_of_birth", True),
            ("nationality", True),
            ("document_type", True),
            ("document_number", True),
            ("document_expires", True),
            ("issuing_country", True),
        ),
        "role: ESCORT, CREW or MEDICAL; the rows of a flight replace its whole escort list (in file order)",
    ),
    "country-rules": (
        (
            ("country", True),
            ("name", False),
            ("verification_required", True),
            ("accepted_document_types", True),
            ("min_validity_days", False),
            ("max_per_flight", False),
            ("notice_days", True),
            ("api_deadline_minutes", False),
            ("lead_time_days", False),
            ("request_columns", False),
            ("region", False),
            ("max_missions_per_week", False),
            ("arrival_weekdays", False),
            ("arrival_airports", False),
        ),
        "country ISO 3166-1 alpha-3; documents separated by ';'; empty cap = no cap; lead_time_days = days "
        "an answer to a request is expected within; request_columns = the request CSV's columns separated "
        "by ';'; mission limits: region (empty: alone), max_missions_per_week, arrival_weekdays "
        "(e.g. TUE;THU) and arrival_airports (e.g. SAP;XPL), empty = no limit; a file whose rules "
        "would make people on approved manifests ineligible is refused (the dry run lists them)",
    ),
    "aircraft": (
        (
            ("aircraft", True),
            ("seats", True),
            ("cost_per_block_hour", True),
            ("cruise_kmh", True),
            ("available_per_week", True),
        ),
        "the aircraft types the office can charter, by name: returnee seats, cost of one block hour, cruise "
        "speed (km/h) and missions per week (0: never proposed); names the file leaves out stay as they are",
    ),
}
KIND_LABELS = {
    "facilities": "Facilities",
    "flights": "Flight schedule",
    "roster": "Roster (people)",
    "verification": "Verification list",
    "escorts": "Escort list (crew)",
    "country-rules": "Country rules",
    "aircraft": "Aircraft catalog",
}
#: What an import of each kind changes (announced with ``Change.AUDIT``; other screens refresh).
KIND_CHANGE = {
    "facilities": Change.PEOPLE,
    "flights": Change.FLIGHTS,
    "roster": Change.PEOPLE,
    "verification": Change.PEOPLE | Change.REQUESTS,
    "escorts": Change.FLIGHTS,
    "country-rules": Change.FLIGHTS | Change.PLAN | Change.REQUESTS,
    "aircraft": Change.FLIGHTS,
}
#: The encodings offered: (label, codec name; ``None`` detects it).
ENCODINGS: tuple[tuple[str, str | None], ...] = (
    ("Automatic", None),
    ("UTF-8", "utf-8"),
    ("Windows-1252", "cp1252"),
    ("Latin-1", "latin-1"),
    ("GB18030", "gb18030"),
    ("UTF-16", "utf-16"),
)
#: Most warnings shown under the encoding (the report keeps them all).
WARNINGS_SHOWN = 5
#: Most error rows shown at once (copy and CSV export take every matching error).
ERROR_DISPLAY_LIMIT = 10_000
FILTER_DELAY_MS = 200


def expected_columns_text(kind: str) -> str:
    columns, note = EXPECTED_COLUMNS[kind]
    names = ", ".join(name if required else f"[{name}]" for name, required in columns)
    return (
        f"{names}\n[optional]; header names are case-insensitive; comma, semicolon or tab separated;"
        f' UTF-8 (best: Excel "CSV UTF-8"), UTF-16, Windows-1252, Latin-1 or GB18030.\n{note}'
    )


def errors_csv(errors: list[RowError]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["line", "column", "message"])
    for e in errors:
        writer.writerow([e.line, e.column, e.message])
    return out.getvalue()


def _matches(error: RowError, needle: str) -> bool:
    return needle in error.message.lower() or needle in error.column.lower() or needle == str(error.line)


class ImportScreen(Screen):
    title = "Import"
    required_role = Role.ADMIN

    def __init__(self, ctx: AppContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(ctx, actor, parent)
        self.setAcceptDrops(True)
        self._task: Operation[ImportOutcome] | None = None
        self._task_is_import = False
        #: kind, path, encoding and sha256 of a clean dry run
        self._checked: tuple[str, str, str | None, str] | None = None
        self._errors: list[RowError] = []
        self._filtered: list[RowError] = []
        self._filter_generation = 0
        self.last_report: ImportReport | None = None
        self._shown_encoding: str | None = None  # the encoding chosen for the report shown

        # ---- step 1: kind
        self.kind = QComboBox(self)
        self.kind.setObjectName("importKind")
        for kind in KINDS:
            self.kind.addItem(KIND_LABELS.get(kind, kind), kind)
        self.columns_label = QLabel(self)
        self.columns_label.setObjectName("expectedColumns")
        self.columns_label.setWordWrap(True)
        self.columns_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.columns_label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        # ---- step 2: file
        self.path = QLineEdit(self)
        self.path.setObjectName("importPath")
        self.path.setPlaceholderText("Choose a CSV file (Ctrl+O) or drop it here")
        self.browse = QPushButton("Choose file…", self)
        self.browse.setObjectName("chooseFile")
        self.browse.setToolTip("Choose the CSV file (Ctrl+O)")
        self.encoding = QComboBox(self)
        self.encoding.setObjectName("importEncoding")
        for label, codec in ENCODINGS:
            self.encoding.addItem(label, codec)
        self.encoding.setToolTip(
            "Automatic detects the encoding (shown with the result); choose one if the names in the "
            'preview look wrong. Excel\'s "CSV (Comma delimited)" is Windows-1252.'
        )
        # ---- step 3: check / import
        self.check_button = QPushButton("Check (dry run)", self)
        self.check_button.setObjectName("checkImport")
        self.import_button = QPushButton("Import", self)
        self.import_button.setObjectName("applyImport")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelImport")
        self.progress = QProgressBar(self)
        self.progress.setObjectName("importProgress")
        self.progress.setRange(0, 1000)
        self.progress.setFormat("")
        self.progress.setValue(0)

        setup = QGroupBox("1. What and from where", self)
        form = QFormLayout(setup)
        form.addRow("Kind:", self.kind)
        form.addRow("Expected columns:", self.columns_label)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(self.browse)
        form.addRow("File:", file_row)
        form.addRow("Encoding:", self.encoding)

        actions = QHBoxLayout()
        actions.addWidget(self.check_button)
        actions.addWidget(self.import_button)
        actions.addWidget(self.cancel_button)
        actions.addWidget(self.progress, 1)

        # ---- result: counts, summary, errors
        result = QGroupBox("2. Result", self)
        counts = QGridLayout()
        self.counts: dict[str, QLabel] = {}
        for column, (key, label) in enumerate(
            [("new", "New"), ("updated", "Updated"), ("unchanged", "Unchanged"), ("rejected", "Rejected")]
        ):
            value = QLabel("—")
            value.setObjectName(f"count_{key}")
            value.setAlignment(Qt.AlignmentFlag.AlignCenter)
            font = value.font()
            font.setPointSizeF(font.pointSizeF() * 1.6)
            font.setBold(True)
            value.setFont(font)
            counts.addWidget(value, 0, column)
            caption = QLabel(label)
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            counts.addWidget(caption, 1, column)
            self.counts[key] = value
        self.summary = QLabel("Choose a kind and a file, then check it.")
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.encoding_used = QLabel("")
        self.encoding_used.setObjectName("encodingUsed")
        self.encoding_used.setWordWrap(True)
        self.encoding_used.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview = QLabel("")
        self.preview.setObjectName("namePreview")
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.error_filter = QLineEdit()
        self.error_filter.setObjectName("errorFilter")
        self.error_filter.setPlaceholderText("Filter errors (column, message or line number)")
        self.error_filter.setClearButtonEnabled(True)
        self.error_count = QLabel("")
        self.error_count.setObjectName("errorCount")
        self.copy_button = QPushButton("Copy")
        self.copy_button.setObjectName("copyErrors")
        self.save_button = QPushButton("Save as CSV…")
        self.save_button.setObjectName("saveErrors")
        self.errors = RecordTableModel(
            [("line", "Line"), ("column", "Column"), ("message", "Message")],
            self,
            alignments={"line": Qt.AlignmentFlag.AlignRight},
        )
        self.errors_view = table_view(self.errors, "errorsTable", widths=(70, 170))
        error_bar = QHBoxLayout()
        error_bar.addWidget(self.error_filter, 1)
        error_bar.addWidget(self.error_count)
        error_bar.addWidget(self.copy_button)
        error_bar.addWidget(self.save_button)
        result_layout = QVBoxLayout(result)
        result_layout.addLayout(counts)
        result_layout.addWidget(self.summary)
        result_layout.addWidget(self.encoding_used)
        result_layout.addWidget(self.preview)
        result_layout.addLayout(error_bar)
        result_layout.addWidget(self.errors_view, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(setup)
        layout.addLayout(actions)
        layout.addWidget(result, 1)

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self.apply_error_filter)

        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.encoding.currentIndexChanged.connect(self._inputs_changed)
        self.path.textChanged.connect(self._inputs_changed)
        self.browse.clicked.connect(self.choose_file)
        self.check_button.clicked.connect(self.check)
        self.import_button.clicked.connect(self.apply)
        self.cancel_button.clicked.connect(self.cancel)
        self.error_filter.textChanged.connect(self._filter_timer.start)
        self.copy_button.clicked.connect(self.copy_errors)
        self.save_button.clicked.connect(lambda _checked=False: self.save_errors())
        self.errors_view.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        for key, slot in [
            ("Ctrl+O", self.choose_file),
            ("Ctrl+D", self.check),
            ("Ctrl+I", self.apply),
            ("Esc", self.cancel),
        ]:
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        copy = QShortcut(QKeySequence.StandardKey.Copy, self.errors_view)
        copy.setContext(Qt.ShortcutContext.WidgetShortcut)
        copy.activated.connect(self.copy_errors)
        self._inputs_changed()

    # ------------------------------------------------------------ inputs

    @property
    def current_kind(self) -> str:
        return self.kind.currentData()

    @property
    def current_path(self) -> str:
        return self.path.text().strip()

    @property
    def current_encoding(self) -> str | None:
        """The chosen codec name, ``None`` for Automatic."""
        return self.encoding.currentData()

    def set_encoding(self, codec: str | None) -> None:
        self.encoding.setCurrentIndex(self.encoding.findData(codec))

    def set_file(self, path: str | Path) -> None:
        self.path.setText(str(path))

    def set_kind(self, kind: str) -> None:
        self.kind.setCurrentIndex(self.kind.findData(kind))

    def choose_file(self) -> None:
        if self._task is not None:
            return
        start = str(Path(self.current_path).parent) if self.current_path else ""
        name = ask_open_path(
            self,
            f"Choose the {KIND_LABELS[self.current_kind].lower()} file",
            "CSV files (*.csv);;All files (*)",
            start,
        )
        if name:
            self.set_file(name)

    def _inputs_changed(self) -> None:
        self.columns_label.setText(expected_columns_text(self.current_kind))
        self._update_actions()

    def _kind_changed(self) -> None:
        """Another kind: the previous result (counts, errors, preview) no longer applies."""
        if self._task is None:
            self._checked = None
            self.last_report = None
            self._show_report(None)
            self.summary.setText("Choose a kind and a file, then check it.")
            self.progress.setValue(0)
            self.progress.setFormat("")
        self._inputs_changed()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        urls = event.mimeData().urls()
        if self._task is None and len(urls) == 1 and urls[0].isLocalFile():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        urls = event.mimeData().urls()
        if self._task is None and urls and urls[0].isLocalFile():
            self.set_file(urls[0].toLocalFile())
            event.acceptProposedAction()

    # ------------------------------------------------------------ actions

    def _ready_to_import(self) -> bool:
        return self._checked is not None and self._checked[:3] == (
            self.current_kind,
            self.current_path,
            self.current_encoding,
        )

    def _update_actions(self) -> None:
        busy = self._task is not None
        has_file = bool(self.current_path)
        for widget in (self.kind, self.path, self.browse, self.encoding):
            widget.setEnabled(not busy)
        self.check_button.setEnabled(has_file and not busy)
        self.check_button.setToolTip(
            "Checking or importing; wait or press Cancel"
            if busy
            else "Check every row without writing anything (Ctrl+D)"
            if has_file
            else "Choose a file first"
        )
        ready = self._ready_to_import()
        self.import_button.setEnabled(ready and not busy)
        self.import_button.setToolTip(
            "Checking or importing; wait or press Cancel"
            if busy
            else f"Import the checked file (Ctrl+I): {self.current_path}"
            if ready
            else "Check the file first: Import is enabled after a dry run of this file finds no errors"
        )
        self.cancel_button.setEnabled(busy)
        self.cancel_button.setToolTip("Stop; nothing is written (Esc)" if busy else "Nothing is running")
        has_errors = bool(self._filtered)
        self.copy_button.setEnabled(has_errors)
        self.save_button.setEnabled(has_errors)
        why = "" if has_errors else " (there are no errors to copy)"
        self.copy_button.setToolTip(f"Copy the selected errors, or all shown, as CSV text (Ctrl+C){why}")
        self.save_button.setToolTip(f"Save every error matching the filter as a CSV file{why}")

    def check(self) -> None:
        """Dry run of the chosen file (background): counts and every error; nothing is written."""
        self._start(dry_run=True)

    def apply(self) -> None:
        """Import the checked file (background), after a clean dry run of the same file."""
        if not self._ready_to_import():
            return
        self._start(dry_run=False)

    def cancel(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        self.progress.setFormat("Cancelling…")
        self.cancel_button.setEnabled(False)

    def _start(self, *, dry_run: bool) -> None:
        if self._task is not None or not self.current_path:
            return
        kind, path, encoding = self.current_kind, self.current_path, self.current_encoding
        expected = None if dry_run else self._checked[3]  # type: ignore[index]
        self._task_is_import = not dry_run
        if dry_run:
            self._checked = None
        self._show_report(None)
        self.progress.setValue(0)
        self.progress.setFormat("Checking…" if dry_run else "Importing…")
        # A child process: a 100,000-row file never holds this window's GIL.
        self._task = (
            Operation[ImportOutcome](self)
            .success(lambda outcome: self._finished(outcome, (kind, path, encoding)))
            .failure(self._failed)
            .progress(self._progress)
            .run_in_process(
                import_job,
                (self.ctx.settings, self.actor, ImportRequest(kind, path, dry_run, expected, encoding)),
            )
        )
        self._update_actions()

    def _progress(self, fraction: float, message: str) -> None:
        if self._task is None or self._task.cancel_requested:
            return
        self.progress.setValue(round(1000 * fraction))
        self.progress.setFormat(f"{message} — %p%" if message else "%p%")

    def _finished(self, outcome: ImportOutcome, inputs: tuple[str, str, str | None]) -> None:
        kind, path, encoding = inputs
        self._shown_encoding = encoding
        self._task = None
        report = outcome.report
        self.last_report = report
        self.progress.setValue(1000)
        if outcome.rejected:
            self.progress.setFormat(f"Rejected: {len(report.errors):,} errors — nothing was written")
        elif report.dry_run:
            self._checked = (kind, path, encoding, outcome.digest)
            self.progress.setFormat("Check passed: ready to import")
        else:
            self._checked = None  # importing again needs a new check
            self.progress.setFormat("Imported")
            self.status_message.emit(f"Imported {report.source}: {report.counts()}")
            if report.changes:
                self.announce_change(KIND_CHANGE.get(kind, Change.PEOPLE) | Change.AUDIT)
        self._show_report(report, rejected=outcome.rejected)
        self._update_actions()

    def _failed(self, exc: BaseException, details: str) -> None:
        self._task = None
        self.progress.setValue(0)
        if isinstance(exc, ImportCancelled):
            self.progress.setFormat("Cancelled — nothing was written")
            self.summary.setText(str(exc))
        else:
            self.progress.setFormat("Failed")
            show_error(self, "The import failed", exc, details)
        self._update_actions()

    def _show_report(self, report: ImportReport | None, *, rejected: bool = False) -> None:
        for key, label in self.counts.items():
            label.setText("—" if report is None else f"{getattr(report, key):,}")
        self.counts["rejected"].setStyleSheet(
            "color: #c62828;" if report is not None and report.rejected else ""
        )
        if report is None:
            self.summary.setText("")
        elif rejected:
            self.summary.setText(report.rejection_message())
        elif report.dry_run:
            self.summary.setText(
                report.summary() + "\nNo errors: press Import (Ctrl+I) to write these changes."
            )
        else:
            self.summary.setText(report.summary())
        self._show_encoding(report)
        self._errors = list(report.errors) if report is not None else []
        self.apply_error_filter()

    def _show_encoding(self, report: ImportReport | None) -> None:
        """The encoding used, its warnings, and the decoded names of the first rows."""
        if report is None:
            self.encoding_used.setText("")
            self.encoding_used.setStyleSheet("")
            self.preview.setText("")
            return
        how = "chosen" if self._shown_encoding else "detected"
        warnings = [f"⚠ {w}" for w in report.warnings[:WARNINGS_SHOWN]]
        if len(report.warnings) > WARNINGS_SHOWN:
            warnings.append(f"… and {len(report.warnings) - WARNINGS_SHOWN:,} more warnings")
        self.encoding_used.setText("\n".join([f"Encoding: {report.encoding} ({how})", *warnings]))
        self.encoding_used.setStyleSheet("color: #b26a00;" if report.warnings else "")
        rows = [f"line {line}: {text}" for line, text in report.preview]
        self.preview.setText("\n".join(["Decoded names, first rows:", *rows]) if rows else "")

    # ------------------------------------------------------------ errors

    def apply_error_filter(self) -> None:
        """Filter the error list by the filter text (off the GUI thread for long lists)."""
        self._filter_timer.stop()
        self._filter_generation += 1
        generation, needle, errors = (
            self._filter_generation,
            self.error_filter.text().strip().lower(),
            self._errors,
        )

        def shown(filtered: list[RowError]) -> None:
            if generation != self._filter_generation:
                return
            self._filtered = filtered
            self.errors.set_records(filtered[:ERROR_DISPLAY_LIMIT])
            total = len(errors)
            if not total:
                self.error_count.setText("no errors")
            else:
                shown_text = (
                    f"showing the first {ERROR_DISPLAY_LIMIT:,} of "
                    if len(filtered) > ERROR_DISPLAY_LIMIT
                    else ""
                )
                self.error_count.setText(f"{shown_text}{len(filtered):,} of {total:,} errors")
            self._update_actions()

        if not needle or len(errors) < 2000:
            shown([e for e in errors if _matches(e, needle)] if needle else errors)
            return
        Operation(self, "Could not filter the errors").success(shown).run_in_thread(
            lambda _task: [e for e in errors if _matches(e, needle)]
        )

    def _selected_or_shown(self) -> list[RowError]:
        rows = sorted({index.row() for index in self.errors_view.selectionModel().selectedRows()})
        if rows:
            return [self.errors.record(r) for r in rows]
        return self.errors.records()

    def copy_errors(self) -> None:
        """Copy the selected errors (or every error shown) to the clipboard as CSV text."""
        errors = self._selected_or_shown()
        if errors:
            QGuiApplication.clipboard().setText(errors_csv(errors))
            self.status_message.emit(f"Copied {len(errors):,} errors")

    def save_errors(self, path: str | None = None) -> None:
        """Save every error matching the filter as CSV (written in the background)."""
        if not self._filtered:
            return
        if not path:
            stem = Path(self.current_path).stem or "import"
            path = ask_save_path(self, "Save the errors", f"{stem}-errors.csv", "CSV files (*.csv)")
            if not path:
                return
        errors, target = list(self._filtered), str(path)

        def work(_task: TaskControl) -> int:
            write_output(target, errors_csv(errors).encode("utf-8"))
            return len(errors)

        Operation(self, "Could not save the errors").success(
            lambda n: self.status_message.emit(f"Saved {n:,} errors to {target}")
        ).run_in_thread(work)


__all__ = ["ENCODINGS", "EXPECTED_COLUMNS", "ImportScreen", "errors_csv", "expected_columns_text"]
