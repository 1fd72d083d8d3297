"""Strike people off a flight with a coded reason (``planner.services.departure.strike``).

``StrikeDialog`` lists the people who can still be struck off (listed on the revision in force or
on the newest draft), shows who comes off together with the chosen person (the whole family), asks
for the reason from the coded list (shown in words) and a note — required for OTHER: the Strike off
button stays disabled with a hint until there is one. ``strike_summary`` turns the service's result
into the text shown afterwards: who came off and which reserves moved up. GUI thread only; the
service call runs after the dialog is accepted.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from planner.domain.enums import StrikeReason
from planner.services.departure.strike import StrikeResult
from ui.screens.manifests.departure_models import STRUCK, Passenger, PassengerModel, reason_text
from ui.tables import table_view

HINT_COLOUR = "#b3261e"


def strike_summary(result: StrikeResult) -> tuple[str, str]:
    """(text, informative text) after a strike: who came off, which reserves moved up, the revision."""
    people = ", ".join(result.struck)
    whole = " (the whole family)" if len(result.struck) > 1 else ""
    text = f"Struck off {result.flight_code}{whole}: {people} — {reason_text(result.reason)}."
    lines = []
    if result.moved_up:
        lines.append("Reserves moved up:")
        lines += [f"  • {m}" for m in result.moved_up]
    else:
        lines.append("No reserve moved up (none fits the freed places within the rules).")
    if result.manifest is not None:
        lines += [
            "",
            f"{result.manifest.status} revision {result.manifest.revision} prepared "
            f"({result.manifest.person_count} people): a supervisor approves it to send the new "
            "manifest and PAXLST; people moved up board once it is approved.",
        ]
    lines += list(result.messages)
    return text, "\n".join(lines)


class StrikeDialog(QDialog):
    """Choose the person, the reason and the note (see the module docstring)."""

    def __init__(
        self,
        flight_code: str,
        passengers: Sequence[Passenger],
        selected: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("strikeDialog")
        self.setWindowTitle(f"Strike off {flight_code}")
        self.resize(820, 560)
        self._all = list(passengers)
        intro = QLabel(
            "Choose the person to strike off and the reason. The whole family comes off together; "
            "the next reserves move up within the rules and a new DRAFT revision is prepared.",
            self,
        )
        intro.setWordWrap(True)
        self.model = PassengerModel(self)
        self.model.set_records([p for p in self._all if p.state != STRUCK])
        self.table = table_view(
            self.model,
            "strikeTable",
            widths=(70, 110, 240, 90, 110),
            single_selection=True,
            parent=self,
        )
        self.table.selectionModel().selectionChanged.connect(self._update)
        self.together = QLabel("", self)
        self.together.setObjectName("strikeTogether")
        self.together.setWordWrap(True)
        self.reason = QComboBox(self)
        self.reason.setObjectName("strikeReason")
        for code in StrikeReason:
            self.reason.addItem(f"{reason_text(code.value)} ({code.value})", code.value)
        self.reason.currentIndexChanged.connect(self._update)
        self.note = QLineEdit(self)
        self.note.setObjectName("strikeNote")
        self.note.setPlaceholderText("e.g. stay granted by the immigration court, case 2030-0412")
        self.note.textChanged.connect(self._update)
        self.hint = QLabel("", self)
        self.hint.setObjectName("strikeHint")
        self.hint.setStyleSheet(f"color: {HINT_COLOUR}")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.strike_button = QPushButton("Strike off", self)
        self.strike_button.setObjectName("strikeButton")
        self.strike_button.setDefault(True)
        self.buttons.addButton(self.strike_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self._accept_if_complete)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&Reason:", self.reason)
        form.addRow("&Note:", self.note)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.together)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)
        if selected is not None:
            row = self.model.row_of(selected)
            if row is not None:
                self.table.selectRow(row)
        self._update()
        self.reason.setFocus() if selected else self.table.setFocus()

    # ------------------------------------------------------------ state

    def case_number(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.record(rows[0].row()).case_number if rows else None

    def reason_code(self) -> str:
        return str(self.reason.currentData())

    def note_text(self) -> str:
        return self.note.text().strip()

    def family(self) -> list[Passenger]:
        """Who comes off together with the chosen person."""
        case = self.case_number()
        if case is None:
            return []
        person = next(p for p in self._all if p.case_number == case)
        if not person.family_group:
            return [person]
        return sorted(
            (p for p in self._all if p.family_group == person.family_group and p.state != STRUCK),
            key=lambda p: p.case_number,
        )

    def problem(self) -> str:
        """Why the dialog cannot be accepted yet ("" when it can)."""
        if self.case_number() is None:
            return "Select the person to strike off."
        if self.reason_code() == StrikeReason.OTHER.value and not self.note_text():
            return "Reason Other needs a note saying what happened."
        return ""

    def _update(self, *_args: object) -> None:
        family = self.family()
        if len(family) > 1:
            names = "; ".join(f"{p.case_number} {p.name}" for p in family)
            self.together.setText(
                f"The whole family {family[0].family_group} comes off together ({len(family)} people): {names}"
            )
        elif family:
            self.together.setText(f"Comes off: {family[0].case_number} {family[0].name} (travels alone)")
        else:
            self.together.setText("")
        problem = self.problem()
        self.hint.setText(problem)
        self.strike_button.setEnabled(not problem)
        self.strike_button.setToolTip(problem or "Strike off with this reason (Enter)")
        label = f"Strike off {len(family)} people" if len(family) > 1 else "Strike off"
        self.strike_button.setText(label)

    def _accept_if_complete(self) -> None:
        if not self.problem():
            self.accept()


__all__ = ["StrikeDialog", "strike_summary"]
