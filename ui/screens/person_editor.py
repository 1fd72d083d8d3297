"""The person editor: the fields an officer may change on one person (custody status, risk level,
medical need, priority, legal hold, family group), saved with optimistic locking.

The dialog opens at once and reads the person in the background; saving runs
``people.update_person`` in the background with the version it read. Validation problems and
refusals are listed in the dialog, which stays open until a save succeeds. When someone else
changed the person meanwhile (``StaleVersion``), the message names who and when and a Reload
button re-reads the current record (its new version) into the dialog (``ui.stale_reload``).

Threading: GUI thread only; the database is reached through ``ui.operations.Operation`` only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from planner.domain.enums import CustodyStatus, MedicalNeed, RiskLevel
from planner.domain.errors import InvalidInput, PlannerError, StaleVersion
from planner.domain.wording import plural
from planner.persistence.context import AppContext
from planner.persistence.uow import UnitOfWork
from planner.services import people
from planner.services.auth import Actor
from planner.services.people import EditablePerson
from ui.errors import show_error
from ui.operations import Operation
from ui.stale_reload import EditorDialogMixin


def _label(value: str) -> str:
    return value.replace("_", " ").capitalize()


def _enum_combo(parent: QWidget, name: str, kind: type[StrEnum], tip: str) -> QComboBox:
    box = QComboBox(parent)
    box.setObjectName(name)
    box.setToolTip(tip)
    for member in kind:
        box.addItem(_label(member.value), member.value)
    return box


class PersonEditorDialog(EditorDialogMixin, QDialog):
    """Edit one person's editable fields (see the module docstring). ``person`` is the record the
    form was filled from (None until read); ``saved`` is the stored record once accepted."""

    record_label = "the person"

    def __init__(
        self, ctx: AppContext, actor: Actor, case_number: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx, self.actor, self.case_number = ctx, actor, case_number
        self.person: EditablePerson | None = None
        self.saved: EditablePerson | None = None
        self.setObjectName("personEditor")
        self.setWindowTitle(f"Edit person {case_number}")
        self.setMinimumWidth(520)

        self.heading = QLabel("Loading…", self)
        self.heading.setObjectName("personHeading")
        self.heading.setWordWrap(True)
        self.custody = _enum_combo(
            self, "custodyStatus", CustodyStatus, "Only people IN_CUSTODY can be placed"
        )
        self.risk = _enum_combo(self, "riskLevel", RiskLevel, "Sets the escort load on a flight")
        self.medical = _enum_combo(
            self,
            "medicalNeed",
            MedicalNeed,
            "A medical escort or wheelchair needs a matching slot on the flight",
        )
        self.priority = QSpinBox(self)
        self.priority.setObjectName("priority")
        self.priority.setRange(1, 5)
        self.priority.setToolTip("1 = most urgent … 5 = least urgent")
        self.family_group = QLineEdit(self)
        self.family_group.setObjectName("familyGroup")
        self.family_group.setMaxLength(32)
        self.family_group.setPlaceholderText("none")
        self.family_group.setToolTip(
            "Family group id (letters, digits, _ . - /); a family travels together and has one nationality"
        )

        self.no_hold = QCheckBox("No legal hold", self)
        self.no_hold.setObjectName("noHold")
        self.no_hold.setToolTip(
            "Untick to record a legal hold (e.g. a court stay) that keeps the person off flights"
        )
        self.hold_reason = QLineEdit(self)
        self.hold_reason.setObjectName("holdReason")
        self.hold_reason.setMaxLength(200)
        self.hold_reason.setPlaceholderText("reason, e.g. court stay")
        self.hold_ends = QCheckBox("until", self)
        self.hold_ends.setObjectName("holdEnds")
        self.hold_ends.setToolTip("Untick for a hold without an end date")
        self.hold_until = QDateEdit(self)
        self.hold_until.setObjectName("holdUntil")
        self.hold_until.setDisplayFormat("yyyy-MM-dd")
        self.hold_until.setCalendarPopup(True)
        self.hold_until.setToolTip("The last day of the hold: a flight departing on or before it is blocked")
        hold_row = QHBoxLayout()
        hold_row.addWidget(self.hold_reason, 1)
        hold_row.addWidget(self.hold_ends)
        hold_row.addWidget(self.hold_until)

        self.add_editor_footer("reloadPerson")

        form = QFormLayout()
        form.addRow("Custody status:", self.custody)
        form.addRow("Risk level:", self.risk)
        form.addRow("Medical need:", self.medical)
        form.addRow("Priority:", self.priority)
        form.addRow("Family group:", self.family_group)
        form.addRow("Legal hold:", self.no_hold)
        form.addRow("", hold_row)
        self.fields = QWidget(self)
        self.fields.setLayout(form)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.fields)
        layout.addWidget(self.messages)
        layout.addWidget(self.buttons)

        self.no_hold.toggled.connect(self._update_hold)
        self.hold_ends.toggled.connect(self._update_hold)
        self.fields.setEnabled(False)
        self.save_button.setEnabled(False)
        self.reload()

    # ------------------------------------------------------------ reading

    # ``reload()`` (StaleReloadMixin) reads the person in the background, on opening and on Reload.

    def read_current(self) -> Callable[[UnitOfWork], EditablePerson]:
        actor, case_number = self.actor, self.case_number
        return lambda uow: people.get_person(uow, actor, case_number)

    def _reloaded(self, person: EditablePerson) -> None:
        opening = self.person is None
        super()._reloaded(person)  # fills the form; notes "Reloaded version N"
        if person.anonymised:
            self.show_messages([f"{person.case_number} was anonymised (retention) and cannot be edited."])
        elif opening:
            self.show_messages([])

    def show_record(self, record: EditablePerson) -> None:
        self.show_person(record)

    def show_person(self, person: EditablePerson) -> None:
        """Fill the form with ``person`` (the version a save will be based on)."""
        self.person = person
        self.heading.setText(
            f"<b>{person.case_number}</b> — {person.family_name}, {person.given_names} "
            f"({person.nationality}) · version {person.version}, "
            f"last changed {person.updated_at:%Y-%m-%d %H:%M} UTC"
        )
        self.custody.setCurrentIndex(self.custody.findData(person.custody_status))
        self.risk.setCurrentIndex(self.risk.findData(person.risk_level))
        self.medical.setCurrentIndex(self.medical.findData(person.medical_need))
        self.priority.setValue(person.priority)
        self.family_group.setText(person.family_group or "")
        self.no_hold.setChecked(not person.legal_hold_reason)
        self.hold_reason.setText(person.legal_hold_reason or "")
        self.hold_ends.setChecked(person.legal_hold_until is not None)
        until = person.legal_hold_until or date.today()
        self.hold_until.setDate(QDate(until.year, until.month, until.day))
        editable = not person.anonymised
        self.fields.setEnabled(editable)
        self.save_button.setEnabled(editable)
        self._update_hold()

    def _update_hold(self, *_args: Any) -> None:
        held = not self.no_hold.isChecked()
        self.hold_reason.setEnabled(held)
        self.hold_ends.setEnabled(held)
        self.hold_until.setEnabled(held and self.hold_ends.isChecked())

    # ------------------------------------------------------------ saving

    def values(self) -> dict[str, Any]:
        """The form as ``update_person`` changes (every editable field)."""
        held = not self.no_hold.isChecked()
        until = self.hold_until.date()
        return {
            "custody_status": self.custody.currentData(),
            "risk_level": self.risk.currentData(),
            "medical_need": self.medical.currentData(),
            "priority": self.priority.value(),
            "family_group": self.family_group.text().strip() or None,
            "legal_hold_reason": (self.hold_reason.text().strip() or None) if held else None,
            "legal_hold_until": (
                date(until.year(), until.month(), until.day())
                if held and self.hold_ends.isChecked()
                else None
            ),
        }

    def problems(self) -> list[str]:
        """What the form itself can tell is missing (the service checks everything else)."""
        if not self.no_hold.isChecked() and not self.hold_reason.text().strip():
            return ["legal_hold_reason: enter the reason for the hold, or tick “No legal hold”"]
        return []

    def submit(self) -> None:
        """Save in the background with the version read; keep the dialog open when refused."""
        if self.person is None or self.person.anonymised:
            return
        found = self.problems()
        if found:
            self.show_messages(found, f"Not saved — {plural(len(found), 'problem')}:")
            return
        changes, version, case_number = self.values(), self.person.version, self.person.case_number
        self.buttons.setEnabled(False)
        self.show_messages(["Saving…"])

        Operation(self).success(self._saved).failure(self._failed).run_in_uow(
            self.ctx,
            lambda uow: people.update_person(uow, self.actor, case_number, changes, expected_version=version),
            write=True,
        )

    def _saved(self, person: EditablePerson) -> None:
        self.buttons.setEnabled(True)
        self.saved = person
        self.accept()

    def _failed(self, exc: BaseException, details: str) -> None:
        self.buttons.setEnabled(True)
        if isinstance(exc, InvalidInput):
            self.show_messages(
                exc.details,
                f"Not saved — {plural(len(exc.details), 'problem')}:" if exc.details else str(exc),
            )
        elif isinstance(exc, StaleVersion):
            self.offer_reload(exc)  # saving again would be refused the same way: only a reload helps
        elif isinstance(exc, PlannerError):  # e.g. anonymised meanwhile: reloading would not help
            self.show_messages([str(exc)])
        else:
            self.show_messages([])
            show_error(self, f"{self.case_number} was not saved", exc, details)


__all__ = ["PersonEditorDialog"]
