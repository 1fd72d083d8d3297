"""The dashboard's two panels on requests to receiving states (``PipelineDashboard``):

- **Requests overdue**: one line per country — "China — 14 requests overdue, oldest 12 days
  (VR-CHN-2026-0003, VR-CHN-2026-0005)" — each with a "Reminder letter…" button (asks where to save,
  then ``planner.services.consular.reminders.write_reminder`` as an ``Operation``), and a button
  that opens the Requests screen through the main window's ``show_screen``;
- **Expected eligible by cut-off**: upcoming flights' stops with the date their notice cut-off falls
  on and how many requested people are expected eligible by it (sortable; the expected confirmed
  rounded, the confirmation rate in the tooltip).

Empty states are sentences. Threading: GUI thread only; the letter is written off it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from planner.domain.countries import country_name
from planner.domain.wording import plural, utc_text
from planner.persistence.context import AppContext
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor
from planner.services.consular import reminders
from planner.services.consular.status import CutoffForecast, OverdueCountry
from ui.errors import show_error
from ui.files import ask_save_path
from ui.operations import Change, Operation
from ui.record_model import Index, RecordTableModel
from ui.tables import table_view

#: The screen the "Open the Requests screen" button shows (its ``title``).
REQUESTS_SCREEN = "Requests"
#: References listed on an overdue line before "and N more".
SHOWN_REFERENCES = 4
ERROR_TEXT = "#a40000"
PASSED_TEXT = "#8a8a8a"


def overdue_line(row: OverdueCountry) -> str:
    """``"China — 14 requests overdue, oldest 12 days (VR-CHN-2026-0003, VR-CHN-2026-0005)"``."""
    refs = list(row.references[:SHOWN_REFERENCES])
    if len(row.references) > SHOWN_REFERENCES:
        refs.append(f"{len(row.references) - SHOWN_REFERENCES} more")
    return (
        f"{row.name} — {plural(row.overdue, 'request')} overdue, oldest "
        f"{plural(row.oldest_days_overdue, 'day')} ({', '.join(refs)})"
    )


def reminder_file_name(country: str, today: date) -> str:
    """The suggested name of a reminder letter: ``"reminder-CHN-2026-12-03.pdf"``."""
    return f"reminder-{country}-{today:%Y-%m-%d}.pdf"


def confirmed_tip(row: CutoffForecast) -> str:
    """The tooltip of the expected-confirmed cell: the unrounded value and the rate behind it."""
    if not row.expected_people:
        return "Nobody with an open request is expected eligible by this cut-off"
    rate = row.expected_confirmed / row.expected_people
    return (
        f"{row.expected_confirmed:.1f} of {plural(row.expected_people, 'person')} expected eligible: "
        f"confirmation rate {100 * rate:.0f} % (the country's answers so far; 100 % without history)"
    )


class CutoffModel(RecordTableModel):
    """``CutoffForecast`` rows: cut-off dates ISO (a cut-off before ``today`` says "passed" and the
    row is greyed: nobody can be added to that stop any more), expected confirmed rounded.
    GUI thread only."""

    def __init__(self, parent: Any = None) -> None:
        self.today = date.min
        super().__init__(
            [
                ("flight_code", "Flight"),
                ("country", "Country"),
                ("cutoff_on", "Cut-off"),
                ("expected_people", "Expected eligible"),
                ("expected_confirmed", "Expected confirmed"),
            ],
            parent,
            formatters={
                "cutoff_on": lambda d: f"{d:%Y-%m-%d}" + (" (passed)" if d < self.today else ""),
                "expected_people": lambda n: f"{n:,}",
                "expected_confirmed": lambda v: f"{round(v):,}",
            },
            alignments={k: Qt.AlignmentFlag.AlignRight for k in ("expected_people", "expected_confirmed")},
        )

    def set_forecast(self, rows: tuple[CutoffForecast, ...], today: date) -> None:
        self.today = today
        self.set_records(rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        row: CutoffForecast = self.record(index.row())
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor(PASSED_TEXT)) if row.cutoff_on < self.today else None
        if role == Qt.ItemDataRole.ToolTipRole:
            key = self.columns[index.column()][0]
            if key == "expected_confirmed":
                return confirmed_tip(row)
            if key == "flight_code":
                return f"{row.flight_code} departs {utc_text(row.departure_utc)}"
            if key == "country":
                return f"{row.country} ({country_name(row.country)})"
            if key == "cutoff_on":
                passed = "; it has passed: nobody can be added" if row.cutoff_on < self.today else ""
                return (
                    f"Notice cut-off for {row.country} on {row.flight_code}: {row.cutoff_on:%Y-%m-%d}{passed}"
                )
        return super().data(index, role)


class OverduePanel(QWidget):
    """Requests overdue per country, a reminder letter button each, and the way to the Requests
    screen. ``open_requests`` is emitted when that button is pressed."""

    open_requests = Signal()

    def __init__(self, ctx: AppContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.actor = ctx, actor
        self.setObjectName("overduePanel")
        self.summary = QLabel("", self)
        self.summary.setObjectName("overdueSummary")
        self.summary.setWordWrap(True)
        self.requests_button = QPushButton("Requests screen…", self)
        self.requests_button.setObjectName("openRequests")
        self.requests_button.setToolTip("Open the Requests screen: batches, status and what to request next")
        self.requests_button.clicked.connect(self.open_requests.emit)
        self.lines = QWidget()
        self.grid = QGridLayout(self.lines)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setColumnStretch(0, 1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.lines)
        head = QHBoxLayout()
        head.addWidget(self.summary, 1)
        head.addWidget(self.requests_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(scroll, 1)
        #: Country -> its "Reminder letter…" button (tests press them).
        self.buttons: dict[str, QPushButton] = {}
        self.labels: dict[str, QLabel] = {}
        self.writing: Operation[reminders.ReminderLetter] | None = None
        #: The letter written last (shown in the summary; tests read it).
        self.last_letter: reminders.ReminderLetter | None = None

    def show_overdue(self, rows: tuple[OverdueCountry, ...]) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for line in range(self.grid.rowCount()):
            self.grid.setRowStretch(line, 0)
        self.buttons.clear()
        self.labels.clear()
        if not rows:
            self.summary.setText(
                "No request is overdue: every open request is within its expected lead time."
            )
            self.summary.setStyleSheet("")
            return
        total = sum(r.overdue for r in rows)
        self.summary.setText(
            f"{plural(total, 'request')} overdue in {plural(len(rows), 'country')}: "
            "past the expected lead time (the country rule, or the median of its answers)."
        )
        self.summary.setStyleSheet(f"color: {ERROR_TEXT};")
        for n, row in enumerate(rows):
            label = QLabel(overdue_line(row), self.lines)
            label.setObjectName(f"overdue_{row.country}")
            label.setWordWrap(True)
            label.setToolTip(", ".join(row.references))
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            button = QPushButton("Reminder letter…", self.lines)
            button.setObjectName(f"reminder_{row.country}")
            button.setToolTip(f"Write a reminder letter (PDF) to the consulate of {row.name}")
            button.clicked.connect(lambda _checked=False, c=row.country: self.write_reminder(c))
            self.grid.addWidget(label, n, 0)
            self.grid.addWidget(button, n, 1, Qt.AlignmentFlag.AlignTop)
            self.buttons[row.country] = button
            self.labels[row.country] = label
        self.grid.setRowStretch(len(rows), 1)

    def write_reminder(self, country: str, path: str | None = None) -> None:
        """Ask where to save (unless ``path`` is given), then write ``country``'s reminder letter
        off the GUI thread; the outcome goes to the status bar and the summary."""
        if path is None:
            path = ask_save_path(
                self,
                f"Save the reminder letter to {country_name(country)}",
                reminder_file_name(country, date.today()),
                "PDF files (*.pdf)",
            )
        if not path:
            return
        button = self.buttons.get(country)
        if button is not None:
            button.setEnabled(False)
        out = Path(path)

        def work(uow: UnitOfWork) -> reminders.ReminderLetter:
            return reminders.write_reminder(uow, self.actor, country, out)

        def done(letter: reminders.ReminderLetter) -> None:
            self.last_letter = letter
            if button is not None:
                button.setEnabled(True)
            message = (
                f"Reminder letter to {country_name(letter.country)} written to {letter.path} "
                f"({plural(letter.people, 'person')}; {', '.join(letter.references)})"
            )
            self.summary.setText(message)
            self.summary.setStyleSheet("")
            screen = self.parent()
            while screen is not None and not hasattr(screen, "status_message"):
                screen = screen.parent()
            if screen is not None:
                screen.status_message.emit(message)

        def failed(exc: BaseException, details: str) -> None:
            if button is not None:
                button.setEnabled(True)
            show_error(self, "Could not write the reminder letter", exc, details)

        self.writing = (
            Operation[reminders.ReminderLetter](self, "Could not write the reminder letter")
            .success(done)
            .failure(failed)
            .changes(Change.AUDIT)
            .run_in_uow(self.ctx, work, write=True)
        )


class CutoffPanel(QWidget):
    """Expected eligible by each upcoming flight's notice cut-off, per stop country."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cutoffPanel")
        self.summary = QLabel("", self)
        self.summary.setObjectName("cutoffSummary")
        self.summary.setWordWrap(True)
        self.model = CutoffModel(self)
        self.table = table_view(self.model, "cutoffTable", widths=(70, 70, 135, 110), row_height=22)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)

    def show_forecast(self, rows: tuple[CutoffForecast, ...], today: date) -> None:
        self.model.set_forecast(rows, today)
        self.table.setVisible(bool(rows))
        if not rows:
            self.summary.setText("No planned flight departs later: there is no cut-off to forecast for.")
            return
        expected = sum(1 for r in rows if r.expected_people and r.cutoff_on >= today)
        if not expected:
            self.summary.setText(
                f"Nobody with an open request is expected eligible by any of the "
                f"{plural(len(rows), 'upcoming cut-off')}."
            )
            return
        self.summary.setText(
            f"People with an open request expected eligible by the cut-off of "
            f"{plural(expected, 'flight stop')} to come (of {len(rows):,}); hover for the confirmation rate."
        )


__all__ = [
    "CutoffModel",
    "CutoffPanel",
    "OverduePanel",
    "confirmed_tip",
    "overdue_line",
    "reminder_file_name",
]
