"""People: the whole roster (filter as you type, sortable, lazily loaded) and a detail panel with
documents, verification history, family, the plan's decision and "why", and the audit trail.
"Edit…" (Ctrl+E, Enter or double-click) opens the person editor
(:mod:`ui.screens.person_editor`); after a save the row and the detail are read again.

Threading: GUI thread only; queries run as ``ui.operations.Operation``s.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from planner.domain.enums import CustodyStatus, RequestKind, Role
from planner.domain.wording import code_words, plural
from planner.persistence.context import AppContext
from planner.persistence.uow import UnitOfWork
from planner.services import people
from planner.services.auth import Actor
from planner.services.consular.person_requests import OpenRequest
from planner.services.people import PeopleFilter, PersonDetail, PersonRow
from ui.errors import show_error
from ui.operations import Change, Operation
from ui.people_model import PeopleTableModel
from ui.record_model import RecordTableModel
from ui.screens.base import Screen
from ui.screens.person_editor import PersonEditorDialog
from ui.tables import table_view

FILTER_DELAY_MS = 250
COLUMN_WIDTHS = (110, 170, 170, 90, 40, 95, 85, 80, 70, 130, 70, 70, 100, 130, 60, 300)
#: The widest a detail table's column grows to fit its contents (the last column stretches).
DETAIL_MAX_WIDTH = 320
#: Text colour of a request past its expected answer date.
OVERDUE_COLOR = "#a40000"
#: Enum values shown as words in the detail tables.
_WORDS: dict[str, Callable[[Any], str]] = {
    key: code_words for key in ("type", "status", "result", "custody_status")
}


def fit_columns(view: QTableView, most: int = DETAIL_MAX_WIDTH) -> None:
    """Widen ``view``'s columns to their contents, at most ``most`` pixels each (small tables only)."""
    view.resizeColumnsToContents()
    for column in range(view.model().columnCount()):
        view.setColumnWidth(column, min(most, view.columnWidth(column)))


def latest_verifications_text(verifications: Sequence[dict]) -> str:
    """Each country's latest answer from a newest-first history: ``"HND confirmed 2026-07-20"``."""
    seen: dict[str, str] = {}
    for v in verifications:
        if v["country"] not in seen:
            seen[v["country"]] = f"{v['country']} {code_words(v['result'])} {v['verified_on']:%Y-%m-%d}"
    return "; ".join(seen[c] for c in sorted(seen)) or "none recorded"


def open_requests_html(requests: Sequence[OpenRequest], kind: RequestKind) -> str:
    """The open requests of ``kind`` as rich text, one a line (``"requested (VR-…, sent …, answer
    expected by …)"``; ``"overdue by 3 days (…)"`` in ``OVERDUE_COLOR``); "" when there are none."""
    return "<br>".join(
        f'<span style="color: {OVERDUE_COLOR};">{html.escape(r.text())}</span>'
        if r.overdue
        else html.escape(r.text())
        for r in requests
        if r.kind == kind
    )


class PersonDetailPanel(QTabWidget):
    """Read-only view of one ``PersonDetail``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("personDetail")
        summary = QWidget()
        self.form = QFormLayout(summary)
        self.fields: dict[str, QLabel] = {}
        for key, label in [
            ("name", "Name"),
            ("case_number", "Case number"),
            ("born", "Born"),
            ("nationality", "Nationality (claimed)"),
            ("verified", "Verification"),
            ("travel_document", "Travel document request"),
            ("facility", "Facility"),
            ("custody", "Custody"),
            ("order", "Removal order"),
            ("hold", "Legal hold"),
            ("needs", "Risk / medical"),
            ("priority", "Priority"),
        ]:
            value = QLabel("")
            if key in ("verified", "travel_document"):  # open requests: overdue ones in red
                value.setTextFormat(Qt.TextFormat.RichText)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            self.fields[key] = value
            self.form.addRow(f"{label}:", value)
        self.addTab(summary, "Summary")
        self.documents = RecordTableModel(
            [
                ("type", "Type"),
                ("number", "Number"),
                ("issuing_country", "Issued by"),
                ("issued_on", "Issued"),
                ("expires_on", "Expires"),
                ("status", "Status"),
            ],
            self,
            formatters=_WORDS,
        )
        self.documents_view = table_view(self.documents, "documentsTable")
        self.addTab(self.documents_view, "Documents")
        self.verifications = RecordTableModel(
            [
                ("verified_on", "Date"),
                ("country", "Country"),
                ("result", "Result"),
                ("authority", "Authority"),
                ("reference", "Reference"),
                ("source", "Source line"),
                ("imported_by", "Imported by"),
            ],
            self,
            formatters=_WORDS,
        )
        self.verifications_view = table_view(self.verifications, "verificationsTable")
        self.addTab(self.verifications_view, "Verifications")
        self.family = RecordTableModel(
            [
                ("case_number", "Case number"),
                ("family_name", "Family name"),
                ("given_names", "Given names"),
                ("native_name", "Native name"),
                ("date_of_birth", "Born"),
                ("custody_status", "Custody"),
            ],
            self,
            formatters=_WORDS,
        )
        self.family_view = table_view(self.family, "familyTable")
        self.addTab(self.family_view, "Family")
        self.why = QPlainTextEdit()
        self.why.setObjectName("whyText")
        self.why.setReadOnly(True)
        self.addTab(self.why, "Plan && why")
        self.audit = RecordTableModel(
            [("at", "When"), ("actor", "Who"), ("action", "Action"), ("changes", "Changes")], self
        )
        self.audit_view = table_view(self.audit, "personAuditTable")
        self.addTab(self.audit_view, "Audit trail")
        self.setEnabled(False)

    def show_detail(self, detail: PersonDetail) -> None:
        r = detail.row
        self.fields["name"].setText(
            f"{r.family_name}, {r.given_names}" + (f"  {r.native_name}" if r.native_name else "")
        )
        self.fields["case_number"].setText(r.case_number)
        born = f"{r.date_of_birth:%Y-%m-%d}" + (
            f" in {detail.place_of_birth}" if detail.place_of_birth else ""
        )
        self.fields["born"].setText(born)
        self.fields["nationality"].setText(r.nationality)
        verified = html.escape(latest_verifications_text(detail.verifications))
        requested = open_requests_html(detail.open_requests, RequestKind.VERIFICATION)
        self.fields["verified"].setText(f"{verified}<br>{requested}" if requested else verified)
        self.fields["travel_document"].setText(
            open_requests_html(detail.open_requests, RequestKind.TRAVEL_DOCUMENT) or "none open"
        )
        self.fields["facility"].setText(detail.facility_label or r.facility or "none recorded")
        self.fields["custody"].setText(code_words(r.custody_status))
        order = code_words(r.order_status) + (
            f" since {detail.order_date:%Y-%m-%d}" if detail.order_date else ""
        )
        self.fields["order"].setText(order)
        hold = r.legal_hold or "none"
        if r.legal_hold:
            hold += f" until {detail.hold_until:%Y-%m-%d}" if detail.hold_until else " (no end date)"
        self.fields["hold"].setText(hold)
        self.fields["needs"].setText(
            f"risk {code_words(r.risk_level)} · medical need {code_words(r.medical_need)}"
        )
        self.fields["priority"].setText(f"{r.priority} (1 = most urgent … 5)")
        for model, view, records in (
            (self.documents, self.documents_view, detail.documents),
            (self.verifications, self.verifications_view, detail.verifications),
            (self.family, self.family_view, detail.family),
            (self.audit, self.audit_view, detail.audit),
        ):
            model.set_records(records)
            fit_columns(view)
        self.why.setPlainText(detail.explanation)
        self.setTabText(1, f"Documents ({len(detail.documents)})")
        self.setTabText(3, f"Family ({len(detail.family)})")
        self.setTabText(5, f"Audit trail ({plural(len(detail.audit), 'event')})")
        self.setEnabled(True)


class PeopleScreen(Screen):
    title = "People"

    def __init__(self, ctx: AppContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(ctx, actor, parent)
        self._sort = ("case_number", False)
        self._query_generation = 0
        self._detail_generation = 0

        self.model = PeopleTableModel(self._request_rows, self)
        self.table = table_view(
            self.model,
            "peopleTable",
            widths=COLUMN_WIDTHS,
            sort_column=0,
            single_selection=True,
            row_numbers=True,
            parent=self,
        )
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.table.doubleClicked.connect(self._edit_at)
        self.editor: PersonEditorDialog | None = None
        self._own_change = False

        self.search = QLineEdit(self)
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Search case number or name…  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.nationality = QComboBox(self)
        self.nationality.setObjectName("nationality")
        self.nationality.addItem("All nationalities", "")
        self.custody = QComboBox(self)
        self.custody.setObjectName("custody")
        self.custody.addItem("Any custody status", "")
        for status in CustodyStatus:
            self.custody.addItem(status.value.replace("_", " ").title(), status.value)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("peopleCount")

        # Ctrl+E anywhere on the screen; Enter only on the table (not while typing a search).
        self.edit_action = QAction("&Edit…", self)
        self.edit_action.setShortcut(QKeySequence("Ctrl+E"))
        self.edit_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.edit_action.triggered.connect(self.edit_person)
        self.addAction(self.edit_action)
        enter = QAction("Edit", self.table)
        enter.setShortcuts([QKeySequence("Return"), QKeySequence("Enter")])
        enter.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        enter.triggered.connect(self.edit_person)
        self.table.addAction(enter)
        self.edit_button = QPushButton("Edit…", self)
        self.edit_button.setObjectName("editPerson")
        self.edit_button.clicked.connect(self.edit_action.trigger)

        def follow_edit_action() -> None:
            self.edit_button.setEnabled(self.edit_action.isEnabled())
            self.edit_button.setToolTip(self.edit_action.toolTip())

        self.edit_action.changed.connect(follow_edit_action)

        filters = QHBoxLayout()
        filters.addWidget(self.search, 3)
        filters.addWidget(self.nationality, 1)
        filters.addWidget(self.custody, 1)
        filters.addWidget(self.count_label)
        filters.addWidget(self.edit_button)
        self.detail = PersonDetailPanel(self)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setObjectName("peopleSplitter")
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(splitter)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(FILTER_DELAY_MS)
        self._debounce.timeout.connect(self.reload)
        self.search.textChanged.connect(self._debounce.start)
        self.nationality.currentIndexChanged.connect(self.reload)
        self.custody.currentIndexChanged.connect(self.reload)
        self.model.sort_requested.connect(self._sort_changed)
        self._loaded = False
        self._update_actions()

    # ------------------------------------------------------------ screen contract

    def activate(self) -> None:
        if not self._loaded:
            self._loaded = True
            self._load_nationalities()
            self.reload()

    def on_data_changed(self, change: Change) -> None:
        if not self._loaded or self._own_change:
            return
        if change & (Change.PEOPLE | Change.REQUESTS):  # requests: the "Open request" column
            self.reload()
        elif change & Change.PLAN:
            # The list shows no plan data: only the open detail ("Plan & why") changes. Re-running
            # the 100,000-row query here would only compete with the window for the interpreter.
            self._refresh_detail()

    def _refresh_detail(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows and self.detail.isEnabled():
            self.show_person(self.model.person_id(rows[0].row()))

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    # ------------------------------------------------------------ queries (background)

    def current_filter(self) -> PeopleFilter:
        return PeopleFilter(
            text=self.search.text(),
            nationality=self.nationality.currentData() or "",
            custody_status=self.custody.currentData() or "",
        )

    def reload(self) -> None:
        """Re-run the people query with the current filter and order (off the GUI thread)."""
        self._debounce.stop()
        self._query_generation += 1
        generation, people_filter = self._query_generation, self.current_filter()
        sort_by, descending = self._sort
        self.count_label.setText("Searching…")

        def work(uow: UnitOfWork) -> list[int]:
            return people.person_ids(uow, self.actor, people_filter, sort_by=sort_by, descending=descending)

        Operation(self).success(lambda ids: self._show_ids(generation, ids)).failure(
            self._query_failed
        ).run_in_uow(self.ctx, work)

    def _show_ids(self, generation: int, ids: list[int]) -> None:
        if generation != self._query_generation:
            return  # superseded by a newer keystroke
        self.model.set_ids(ids)
        self.count_label.setText(plural(len(ids), "person"))
        self._update_actions()

    def _query_failed(self, exc: BaseException, details: str) -> None:
        self.count_label.setText("")
        show_error(self, "Could not load people", exc, details)

    def _request_rows(self, ids: Sequence[int], deliver: Callable[[dict[int, PersonRow]], None]) -> None:
        Operation(self).success(deliver).failure(self._query_failed).run_in_uow(
            self.ctx, lambda uow: people.people_rows(uow, self.actor, ids)
        )

    def _load_nationalities(self) -> None:
        def fill(codes: list[str]) -> None:
            for code in codes:
                self.nationality.addItem(code, code)

        Operation(self).success(fill).run_in_uow(self.ctx, lambda uow: people.nationalities(uow, self.actor))

    def _sort_changed(self, key: str, descending: bool) -> None:
        self._sort = (key, descending)
        self.reload()

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = {index.row() for index in selected.indexes()}
        if not rows:
            return
        self.show_person(self.model.person_id(min(rows)))

    def show_person(self, person_id: int) -> None:
        """Load and show one person's detail (off the GUI thread)."""
        self._detail_generation += 1
        generation = self._detail_generation

        def shown(detail: PersonDetail) -> None:
            if generation == self._detail_generation:
                self.detail.show_detail(detail)

        Operation(self, "Could not load the person").success(shown).run_in_uow(
            self.ctx, lambda uow: people.person_detail(uow, self.actor, person_id)
        )

    # ------------------------------------------------------------ editing

    def _selected_row(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def _update_actions(self) -> None:
        row = self._selected_row()
        if not self.can(Role.OFFICER):
            self.edit_action.setEnabled(False)
            self.edit_action.setToolTip("Editing people needs the officer role")
        elif row is None:
            self.edit_action.setEnabled(False)
            self.edit_action.setToolTip("Select a person first")
        else:
            self.edit_action.setEnabled(True)
            self.edit_action.setToolTip(
                "Edit custody, risk, medical need, priority, legal hold and family group of the selected "
                "person (Ctrl+E, Enter or double-click)"
            )

    def edit_person(self) -> PersonEditorDialog | None:
        """Open the (non-blocking) editor for the selected person; None when nothing is selected
        or the row's data has not arrived yet."""
        row = self._selected_row()
        if row is None or not self.edit_action.isEnabled():
            return None
        case_number = self.model.case_number(row)
        if case_number is None:
            self.status_message.emit("The person's row is still loading; try again in a moment")
            return None
        person_id = self.model.person_id(row)
        if self.editor is not None:
            self.editor.deleteLater()  # the previous one is closed (the editor is window-modal)
        dialog = PersonEditorDialog(self.ctx, self.actor, case_number, self)
        dialog.accepted.connect(lambda: self._after_edit(dialog, person_id))
        dialog.open()
        self.editor = dialog
        return dialog

    def _edit_at(self, index: QModelIndex) -> None:
        """Double-click: edit the person of the row clicked."""
        if index.isValid():
            self.table.selectRow(index.row())
            self.edit_person()

    def _after_edit(self, dialog: PersonEditorDialog, person_id: int) -> None:
        person, before = dialog.saved, dialog.person
        if person is None:
            return
        if before is not None and person.version == before.version:
            self.status_message.emit(f"{person.case_number}: nothing changed")
            return
        self.status_message.emit(f"{person.case_number} saved (version {person.version})")
        self.model.refresh_person(person_id)
        self.show_person(person_id)
        self._own_change = True  # the row is refreshed here: no need to re-run the whole query
        try:
            self.announce_change(Change.PEOPLE)
        finally:
            self._own_change = False
