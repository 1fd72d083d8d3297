"""The Countries tab of Reference data (admin): every ISO 3166 country with its rule or "default",
sortable and filterable; an editor for one country's rule and a delete (back to the default).

The editor checks locally what it can (at least one document type; the spin boxes hold the
ranges), then saves through ``planner.services.country_rules.save_rule``. When the change would
make people on approved manifests ineligible the service refuses (``RuleImpactRefused``); the
dialog then lists them and the Save button becomes "Save anyway": a second press saves with
``accept_impact`` (the impact is recorded in the audit event). Changing a field again withdraws
that confirmation. Delete asks first, and asks again, listing the impact, when there is one.
The mission limits the scheduler reads (region, missions per week, arrival weekdays, arrival
airports) are edited here too; the service checks that each arrival airport is known and in the
country. They never need an impact check.
Threading: GUI thread only; service calls run through ``ui.operations.Operation``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from planner.domain.enums import DocumentType
from planner.domain.errors import InvalidInput, PlannerError, StaleVersion
from planner.domain.missions import parse_weekdays
from planner.domain.requests import DEFAULT_REQUEST_COLUMNS, REQUEST_COLUMNS
from planner.persistence.context import AppContext
from planner.persistence.uow import UnitOfWork
from planner.services import country_rules
from planner.services.auth import Actor
from planner.services.country_rules import FIELD_HELP, RuleImpactRefused, RuleRow
from solver.schedule.problem import WEEKDAY_NAMES
from ui.errors import show_error
from ui.operations import Change, Operation
from ui.record_model import RecordTableModel
from ui.tables import table_view

COLUMNS = [
    ("country", "Code"),
    ("name", "Country"),
    ("verification_required", "Verification"),
    ("documents_text", "Documents accepted"),
    ("min_validity_days", "Valid (days)"),
    ("max_per_flight", "Cap / flight"),
    ("notice_days", "Notice (days)"),
    ("api_deadline_minutes", "API (min)"),
    ("lead_time_days", "Answer (days)"),
    ("region", "Region"),
    ("max_missions_per_week", "Missions / week"),
    ("arrival_weekdays", "Arrivals on"),
    ("arrival_airports", "Arrival airports"),
    ("version_text", "Rule"),
]
COLUMN_WIDTHS = (55, 220, 85, 300, 80, 85, 90, 75, 95, 120, 110, 150, 120)
#: What a saved rule changes for the other screens (notice cut-offs, eligibility).
RULE_CHANGE = Change.FLIGHTS | Change.PLAN
#: The editor's help where it differs from the file's (``FIELD_HELP``).
EDITOR_HELP = {
    "accepted_document_types": "travel documents the country accepts (at least one)",
    "max_per_flight": "most people the country takes per flight; untick for no cap",
    "api_deadline_minutes": "minutes before arrival the API data (PAXLST) is due; 1440 = 24 h",
    "lead_time_days": "usual days to answer a request; older open requests are overdue",
    "request_columns": "in order, separated by ';'; empty: the default (hover for every column)",
    "region": "countries of one region may share a mission; empty: its missions fly alone",
    "max_missions_per_week": "most missions arriving per week; untick for no limit",
    "arrival_weekdays": "local weekdays on which the country accepts an arrival (at least one)",
    "arrival_airports": "the country's IATA codes, separated by ';'; empty: any of its airports",
}
#: The request-columns field's tooltip: every column with what it holds.
REQUEST_COLUMNS_TIP = "Request CSV columns (separate with ';'):\n" + "\n".join(
    f"{name} — {meaning}" for name, meaning in REQUEST_COLUMNS.items()
)
ERROR_STYLE = "color:#a50e0e;"
HELP_STYLE = "color:#5f6368; font-size: 9pt;"
DEFAULT_COLOR = QColor("#777777")


def _version_text(row: RuleRow) -> str:
    return f"version {row.version}" if row.stored else "default"


class CountriesModel(RecordTableModel):
    """Rules by country; countries on the default rule in grey. GUI thread only."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            COLUMNS,
            parent,
            formatters={
                "verification_required": lambda v: "required" if v else "not required",
                "max_per_flight": lambda v: "no cap" if v is None else f"{v:,}",
                "documents_text": lambda v: v.replace(";", ", "),
                "max_missions_per_week": lambda v: "no limit" if v is None else str(v),
                "arrival_weekdays": lambda v: v.replace(";", ", ").title() if v else "every day",
                "arrival_airports": lambda v: v.replace(";", ", ") if v else "any",
            },
            alignments={
                key: Qt.AlignmentFlag.AlignRight
                for key in (
                    "min_validity_days",
                    "max_per_flight",
                    "notice_days",
                    "api_deadline_minutes",
                    "lead_time_days",
                    "max_missions_per_week",
                )
            },
        )

    @staticmethod
    def _get(record: Any, key: str) -> Any:
        if key == "version_text":
            return _version_text(record)
        return RecordTableModel._get(record, key)

    def data(self, index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and 0 <= index.row() < self.rowCount():
            row: RuleRow = self._records[index.row()]
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(DEFAULT_COLOR) if not row.stored else None
            if role == Qt.ItemDataRole.ToolTipRole and not row.stored:
                return f"{row.name} has no rule of its own: the conservative default applies"
        return super().data(index, role)

    def row_of(self, country: str) -> int | None:
        return next((n for n, r in enumerate(self._records) if r.country == country), None)


def _help(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setStyleSheet(HELP_STYLE)
    return label


class RuleEditorDialog(QDialog):
    """Edit (or create, for a country on the default) one country's rule; see the module doc."""

    def __init__(self, ctx: AppContext, actor: Actor, row: RuleRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.actor, self.row = ctx, actor, row
        self.result_value: RuleRow | None = None
        self.accepting_impact = False
        self.setWindowTitle(f"Rule for {row.country} — {row.name}")
        self.setMinimumWidth(640)
        form = QFormLayout()
        state = (
            f"rule version {row.version}"
            if row.stored
            else "no rule of its own yet: the conservative default applies until you save one"
        )
        heading = QLabel(f"<b>{row.country}</b> — {row.name}<br>{state}", self)
        heading.setWordWrap(True)
        form.addRow("Country", heading)
        self.name = QLineEdit(row.name, self)
        self.name.setObjectName("ruleName")
        self._row(form, "&Name", self.name, "name")
        self.verification = QCheckBox("Nationality must be confirmed", self)
        self.verification.setObjectName("ruleVerification")
        self.verification.setChecked(row.verification_required)
        self._row(form, "&Verification", self.verification, "verification_required")
        documents = self._document_boxes(row)
        self._row(form, "&Documents", documents, "accepted_document_types")
        self.validity = self._spin(
            "ruleValidity", 0, country_rules.MAX_VALIDITY_DAYS, row.min_validity_days, " days"
        )
        self._row(form, "Minimum &validity", self.validity, "min_validity_days")
        cap = self._cap_box(row)
        self._row(form, "&Cap", cap, "max_per_flight")
        self.notice = self._spin("ruleNotice", 0, country_rules.MAX_NOTICE_DAYS, row.notice_days, " days")
        self._row(form, "N&otice", self.notice, "notice_days")
        self.api = self._spin(
            "ruleApi", 0, country_rules.MAX_API_DEADLINE_MINUTES, row.api_deadline_minutes, " minutes"
        )
        self._row(form, "&API deadline", self.api, "api_deadline_minutes")
        self.lead_time = self._spin(
            "ruleLeadTime", 1, country_rules.MAX_LEAD_TIME_DAYS, row.lead_time_days, " days"
        )
        self._row(form, "Answer expected &within (days)", self.lead_time, "lead_time_days")
        self.request_columns = QLineEdit(row.request_columns, self)
        self.request_columns.setObjectName("ruleRequestColumns")
        self.request_columns.setPlaceholderText(";".join(DEFAULT_REQUEST_COLUMNS))
        self._row(form, "Re&quest CSV columns", self.request_columns, "request_columns")
        self.request_columns.setToolTip(REQUEST_COLUMNS_TIP)
        self._mission_rows(form, row)
        self.message = QLabel(self)
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.impact = QListWidget(self)
        self.impact.setObjectName("impactList")
        self.impact.setVisible(False)
        self.impact.setMaximumHeight(160)
        self.impact.setWordWrap(True)
        self.impact.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.impact)
        layout.addWidget(self.buttons)
        boxes = (self.verification, self.has_cap, self.has_missions_limit, *self.documents.values())
        for box in (*boxes, *self.weekdays):
            box.toggled.connect(self._changed)
        for spin in (self.validity, self.cap, self.notice, self.api, self.lead_time, self.missions_per_week):
            spin.valueChanged.connect(self._changed)
        for line in (self.name, self.request_columns, self.region, self.arrival_airports):
            line.textEdited.connect(self._changed)

    def _mission_rows(self, form: QFormLayout, row: RuleRow) -> None:
        """The mission limits: region, missions per week (``self.has_missions_limit``,
        ``self.missions_per_week``), one box per weekday (``self.weekdays``, Monday first) and the
        arrival airports."""
        self.region = QLineEdit(row.region, self)
        self.region.setObjectName("ruleRegion")
        self.region.setMaxLength(40)
        self.region.setPlaceholderText("none: missions to this country fly alone")
        self._row(form, "Re&gion", self.region, "region")
        self.missions_per_week = self._spin(
            "ruleMissionsPerWeek",
            1,
            country_rules.MAX_MISSIONS_PER_WEEK,
            row.max_missions_per_week or 1,
            " missions",
        )
        limit, self.has_missions_limit = self._optional_number(
            "Limit per week", "ruleHasMissionsLimit", self.missions_per_week, row.max_missions_per_week
        )
        self._row(form, "&Missions per week", limit, "max_missions_per_week")
        days = QWidget(self)
        days_layout = QHBoxLayout(days)
        days_layout.setContentsMargins(0, 0, 0, 0)
        accepted = parse_weekdays(row.arrival_weekdays) or frozenset(range(7))
        self.weekdays: list[QCheckBox] = []
        for number, name in enumerate(WEEKDAY_NAMES):
            box = QCheckBox(name.title(), days)
            box.setObjectName(f"weekday_{name}")
            box.setChecked(number in accepted)
            days_layout.addWidget(box)
            self.weekdays.append(box)
        days_layout.addStretch(1)
        self._row(form, "Arrival wee&kdays", days, "arrival_weekdays")
        self.arrival_airports = QLineEdit(row.arrival_airports, self)
        self.arrival_airports.setObjectName("ruleArrivalAirports")
        self.arrival_airports.setPlaceholderText("any airport of the country")
        self._row(form, "Arrival ai&rports", self.arrival_airports, "arrival_airports")

    def _document_boxes(self, row: RuleRow) -> QWidget:
        """One check box per ``DocumentType`` (``self.documents``)."""
        documents = QWidget(self)
        documents_layout = QGridLayout(documents)
        documents_layout.setContentsMargins(0, 0, 0, 0)
        self.documents: dict[str, QCheckBox] = {}
        for number, document in enumerate(DocumentType):
            box = QCheckBox(document.value.replace("_", " ").capitalize(), documents)
            box.setObjectName(f"document_{document.value}")
            box.setChecked(document.value in row.accepted_document_types)
            documents_layout.addWidget(box, number // 2, number % 2)
            self.documents[document.value] = box
        return documents

    def _cap_box(self, row: RuleRow) -> QWidget:
        """ "Cap per flight" and its number (``self.has_cap``, ``self.cap``)."""
        self.cap = self._spin(
            "ruleCap", 1, country_rules.MAX_PER_FLIGHT, row.max_per_flight or 100, " people"
        )
        box, self.has_cap = self._optional_number(
            "Cap per flight", "ruleHasCap", self.cap, row.max_per_flight
        )
        return box

    def _optional_number(
        self, text: str, name: str, spin: QSpinBox, value: int | None
    ) -> tuple[QWidget, QCheckBox]:
        """A tick box ``text`` (object name ``name``) enabling ``spin``, ticked when ``value`` is
        not None (an optional limit); the widget holding both and the tick box."""
        box = QWidget(self)
        layout = QHBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        check = QCheckBox(text, box)
        check.setObjectName(name)
        check.setChecked(value is not None)
        spin.setEnabled(value is not None)
        check.toggled.connect(spin.setEnabled)
        layout.addWidget(check)
        layout.addWidget(spin, 1)
        return box, check

    @property
    def save_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Save)

    def _spin(self, name: str, low: int, high: int, value: int, suffix: str) -> QSpinBox:
        spin = QSpinBox(self)
        spin.setObjectName(name)
        spin.setRange(low, high)
        spin.setValue(value)
        spin.setSuffix(suffix)
        return spin

    def _row(self, form: QFormLayout, label: str, widget: QWidget, key: str) -> None:
        text = EDITOR_HELP.get(key, FIELD_HELP[key])
        widget.setToolTip(text)
        box = QWidget(self)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 4)
        column.setSpacing(1)
        column.addWidget(widget)
        column.addWidget(_help(text, box))
        form.addRow(label, box)

    def values(self) -> dict[str, Any]:
        """The form as ``save_rule`` values."""
        return {
            "country": self.row.country,
            "name": self.name.text().strip(),
            "verification_required": self.verification.isChecked(),
            "accepted_document_types": [d for d, box in self.documents.items() if box.isChecked()],
            "min_validity_days": self.validity.value(),
            "max_per_flight": self.cap.value() if self.has_cap.isChecked() else None,
            "notice_days": self.notice.value(),
            "api_deadline_minutes": self.api.value(),
            "lead_time_days": self.lead_time.value(),
            "request_columns": self.request_columns.text().strip(),
            "region": self.region.text().strip(),
            "max_missions_per_week": (
                self.missions_per_week.value() if self.has_missions_limit.isChecked() else None
            ),
            "arrival_weekdays": ";".join(
                name for name, box in zip(WEEKDAY_NAMES, self.weekdays, strict=True) if box.isChecked()
            ),
            "arrival_airports": self.arrival_airports.text().strip(),
        }

    def problems(self) -> list[str]:
        found = []
        if not any(box.isChecked() for box in self.documents.values()):
            found.append("Tick at least one document type the country accepts.")
        if not any(box.isChecked() for box in self.weekdays):
            found.append("Tick at least one weekday on which the country accepts arrivals.")
        return found

    def _changed(self, *_args: object) -> None:
        """A field changed: a confirmed impact no longer applies."""
        if self.accepting_impact:
            self.accepting_impact = False
            self.save_button.setText("Save")
            self.impact.clear()
            self.impact.setVisible(False)
            self.message.setText("")

    def submit(self) -> None:
        found = self.problems()
        if found:
            self._show_error("\n".join(found))
            return
        actor, values, version = self.actor, self.values(), self.row.version_number
        accept = self.accepting_impact
        self.buttons.setEnabled(False)
        self.message.setStyleSheet("")
        self.message.setText("Checking the manifests in force and saving…")
        Operation(self).success(self._done).failure(self._failed).changes(RULE_CHANGE).run_in_uow(
            self.ctx,
            lambda uow: country_rules.save_rule(uow, actor, values, version, accept_impact=accept),
            write=True,
        )

    def _show_error(self, text: str) -> None:
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setText(text)
        self.adjustSize()

    def _done(self, result: RuleRow) -> None:
        self.result_value = result
        self.buttons.setEnabled(True)
        self.accept()

    def _failed(self, exc: BaseException, details: str) -> None:
        self.buttons.setEnabled(True)
        if isinstance(exc, RuleImpactRefused):
            self.show_impact(exc)
        elif isinstance(exc, InvalidInput):
            self._show_error("\n".join(exc.details or [str(exc)]))
        elif isinstance(exc, StaleVersion):
            self._show_error(f"{str(exc)[:1].upper()}{str(exc)[1:]}. Close and open the rule again.")
        elif isinstance(exc, PlannerError):
            self._show_error(str(exc))
        else:
            self.message.setText("")
            show_error(self, self.windowTitle(), exc, details)

    def show_impact(self, refused: RuleImpactRefused) -> None:
        """List who the change would make ineligible and ask for a second press to save anyway."""
        self.impact.clear()
        self.impact.addItems([i.line() for i in refused.impact])
        self.impact.setVisible(True)
        people = sum(1 for i in refused.impact if i.case_number)
        self._show_error(
            f"Not saved: this change would make {people} "
            f"{'person' if people == 1 else 'people'} on approved manifests ineligible"
            + (" or exceed a cap" if len(refused.impact) > people else "")
            + " (listed below). Strike them off first, or press Save anyway: the impact is recorded in "
            "the audit log."
        )
        self.accepting_impact = True
        self.save_button.setText("Save anyway")
        self.adjustSize()


class CountriesPanel(QWidget):
    """Every ISO country and its rule; edit and delete (admin). ``refresh()`` re-reads the rules."""

    def __init__(self, ctx: AppContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.actor = ctx, actor
        self.dialog: RuleEditorDialog | None = None
        self._rows: list[RuleRow] = []
        self.model = CountriesModel(self)
        self.table = table_view(
            self.model,
            "countriesTable",
            widths=COLUMN_WIDTHS,
            sort_column=0,
            single_selection=True,
            parent=self,
        )
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _index: self.edit_selected())
        self.filter = QLineEdit(self)
        self.filter.setObjectName("countryFilter")
        self.filter.setPlaceholderText("Find a country: code or name")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(lambda _text: self._show_rows())
        self.edit_button = QPushButton("Edit rule…", self)
        self.edit_button.setObjectName("editRuleButton")
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button = QPushButton("Delete rule (back to default)", self)
        self.delete_button.setObjectName("deleteRuleButton")
        self.delete_button.clicked.connect(self._delete_clicked)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("countriesCount")
        note = _help(
            "A country without a rule of its own runs on the conservative default: verification "
            "required, passport only, no cap, the longest notice of any rule (at least 14 days). "
            "Many rules at once: Import ▸ country rules, or charter-planner import country-rules FILE.",
            self,
        )
        bar = QHBoxLayout()
        bar.addWidget(self.filter, 1)
        bar.addWidget(self.edit_button)
        bar.addWidget(self.delete_button)
        bar.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(note)
        layout.addWidget(self.table, 1)
        self._update_actions()

    # ------------------------------------------------------------ reading

    def refresh(self) -> None:
        """Re-read every country's rule (off the GUI thread), keeping the selection."""
        selected = self.selected_rule()
        keep = selected.country if selected else None
        self.count_label.setText("Loading…")
        actor = self.actor

        def shown(rows: list[RuleRow]) -> None:
            self._rows = rows
            self._show_rows()
            stored = sum(r.stored for r in rows)
            self.count_label.setText(f"{stored} with a rule, {len(rows) - stored} on the default")
            if keep is not None:
                self.select_country(keep)

        Operation(self, "Could not list the country rules").success(shown).run_in_uow(
            self.ctx, lambda uow: country_rules.list_rules(uow, actor, include_default=True)
        )

    def _show_rows(self) -> None:
        text = self.filter.text().strip().lower()
        rows = [r for r in self._rows if not text or text in r.country.lower() or text in r.name.lower()]
        self.model.set_records(rows)
        header = self.table.horizontalHeader()
        self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self._update_actions()

    # ------------------------------------------------------------ selection

    def selected_rule(self) -> RuleRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.record(rows[0].row()) if rows else None

    def select_country(self, country: str) -> bool:
        row = self.model.row_of(country)
        if row is None:
            return False
        self.table.selectRow(row)
        return True

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._update_actions()

    def _update_actions(self) -> None:
        row = self.selected_rule()
        self.edit_button.setEnabled(row is not None)
        self.edit_button.setToolTip(
            "Select a country first" if row is None else f"Edit the rule of {row.name} (or double-click)"
        )
        self.delete_button.setEnabled(row is not None and row.stored)
        self.delete_button.setToolTip(
            "Select a country with a rule of its own"
            if row is None or not row.stored
            else f"Delete {row.country}'s rule: it runs on the default rule afterwards"
        )

    # ------------------------------------------------------------ actions

    def edit_selected(self) -> RuleEditorDialog | None:
        row = self.selected_rule()
        if row is None:
            return None
        dialog = RuleEditorDialog(self.ctx, self.actor, row, self)
        self.dialog = dialog

        def finished(result: int) -> None:
            if result == QDialog.DialogCode.Accepted and dialog.result_value is not None:
                self._status(
                    f"Rule for {dialog.result_value.country} saved (version {dialog.result_value.version})"
                )
            self.refresh()

        dialog.finished.connect(finished)
        dialog.open()
        return dialog

    def _delete_clicked(self) -> None:
        self.delete_selected()

    def confirm(self, title: str, text: str) -> bool:
        """Ask a yes/no question (tests replace this)."""
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    def delete_selected(self, accept_impact: bool = False) -> None:
        row = self.selected_rule()
        if row is None or not row.stored:
            return
        if not accept_impact and not self.confirm(
            "Delete country rule",
            f"Delete the rule of {row.name} ({row.country})? It runs on the conservative default "
            "rule afterwards.",
        ):
            return
        actor, country, version = self.actor, row.country, row.version_number

        def failed(exc: BaseException, details: str) -> None:
            if isinstance(exc, RuleImpactRefused) and self.confirm(
                "Delete anyway?", f"{exc}\n\n" + "\n".join(exc.details[:20]) + "\n\nDelete the rule anyway?"
            ):
                self.delete_selected(accept_impact=True)
            elif not isinstance(exc, RuleImpactRefused):
                show_error(self, "Could not delete the rule", exc, details)

        def done(result: RuleRow) -> None:
            self._status(f"Rule for {result.country} deleted: it runs on the default rule")
            self.refresh()

        work: Callable[[UnitOfWork], RuleRow] = lambda uow: country_rules.delete_rule(  # noqa: E731
            uow, actor, country, version, accept_impact=accept_impact
        )
        Operation(self).success(done).failure(failed).changes(RULE_CHANGE).run_in_uow(
            self.ctx, work, write=True
        )

    def _status(self, text: str) -> None:
        screen = self.parent()
        signal = getattr(screen, "status_message", None)
        if signal is not None:
            signal.emit(text)
