"""The struck-off report (Manifests screen, "Struck-off report…", Ctrl+Shift+K): who was struck off
which flight and why, for a period (UTC dates, inclusive) and optionally one flight — a sortable
table of counts by reason, the rows behind them, and "Export CSV…"
(``planner.services.departure.report``). GUI thread only; the query runs as an ``Operation``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
)

from planner.services.departure import report as reports
from planner.services.departure.report import StruckOffReport
from ui.operations import Operation
from ui.record_model import RecordTableModel
from ui.screens.manifests.departure_models import reason_text
from ui.tables import table_view

if TYPE_CHECKING:
    from ui.screens.manifests.screen import ManifestsScreen

#: The default period: the last 30 days.
DEFAULT_DAYS = 30


class StruckReportDialog(QDialog):
    """The report (see the module docstring); ``report`` is the one shown (None while loading)."""

    def __init__(self, screen: ManifestsScreen, flight_code: str = "") -> None:
        super().__init__(screen, Qt.WindowType.Window)
        self.host = screen
        self.setObjectName("struckReportDialog")
        self.setWindowTitle("Struck-off report")
        self.resize(980, 620)
        self.report: StruckOffReport | None = None
        self._generation = 0
        today = datetime.now(UTC).date()
        self.date_from = self._date_edit("reportFrom", today - timedelta(days=DEFAULT_DAYS))
        self.date_to = self._date_edit("reportTo", today)
        self.flight = QLineEdit(flight_code, self)
        self.flight.setObjectName("reportFlight")
        self.flight.setPlaceholderText("all flights")
        self.flight.returnPressed.connect(self.run)
        self.show_button = QPushButton("&Show", self)
        self.show_button.setDefault(True)
        self.show_button.setToolTip("Show the report for this period and flight (Enter)")
        self.show_button.clicked.connect(self.run)
        self.export_button = QPushButton("&Export CSV…", self)
        self.export_button.setShortcut(QKeySequence("Ctrl+E"))
        self.export_button.setAutoDefault(False)
        self.export_button.clicked.connect(self.export_csv)
        filters = QHBoxLayout()
        for text, widget in (("&From:", self.date_from), ("&To:", self.date_to), ("F&light:", self.flight)):
            label = QLabel(text, self)
            label.setBuddy(widget)
            filters.addWidget(label)
            filters.addWidget(widget)
        filters.addWidget(self.show_button)
        filters.addStretch(1)
        filters.addWidget(self.export_button)

        self.summary = QLabel("", self)
        self.summary.setObjectName("reportSummary")
        self.counts = RecordTableModel(
            [("reason_text", "Reason"), ("people", "People"), ("reason", "Code")],
            self,
            alignments={"people": Qt.AlignmentFlag.AlignRight},
        )
        self.count_table = table_view(
            self.counts, "reportCounts", widths=(280, 80), sort_column=1, descending=True, parent=self
        )
        self.rows = RecordTableModel(
            [
                ("struck_at", "Struck at"),
                ("flight_code", "Flight"),
                ("case_number", "Case number"),
                ("stop_sequence", "Stop"),
                ("reason", "Reason"),
                ("struck_by", "By"),
                ("manifest_revision", "Revision"),
                ("note", "Note"),
            ],
            self,
            formatters={"reason": reason_text},
        )
        self.row_table = table_view(
            self.rows, "reportRows", widths=(150, 80, 110, 50, 200, 90, 70), sort_column=0, parent=self
        )
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.count_table)
        splitter.addWidget(self.row_table)
        splitter.setSizes([220, 360])
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        self._update_export()
        self.run()

    def _date_edit(self, name: str, value: date) -> QDateEdit:
        edit = QDateEdit(QDate(value.year, value.month, value.day), self)
        edit.setObjectName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        return edit

    def period(self) -> tuple[date, date]:
        return self.date_from.date().toPython(), self.date_to.date().toPython()  # type: ignore[return-value]

    def run(self) -> None:
        """Query the report for the period and flight (off the GUI thread)."""
        self._generation += 1
        generation = self._generation
        (start, end), code = self.period(), self.flight.text().strip() or None
        self.summary.setText("Loading…")

        def shown(report: StruckOffReport) -> None:
            if generation == self._generation:
                self._show(report)

        def failed(exc: BaseException, _details: str) -> None:
            if generation == self._generation:
                self.report = None
                self.summary.setText(f"<span style='color:#b3261e'>{exc}</span>")
                self._update_export()

        Operation[StruckOffReport](self).success(shown).failure(failed).run_in_uow(
            self.host.ctx,
            lambda uow: reports.struck_off_report(
                uow, self.host.actor, date_from=start, date_to=end, flight_code=code
            ),
        )

    def _show(self, report: StruckOffReport) -> None:
        self.report = report
        scope = f"flight {report.flight_code}" if report.flight_code else "all flights"
        flights = len(report.per_flight)
        people = "1 person" if report.total == 1 else f"{report.total} people"
        self.summary.setText(
            f"{people} struck off from {report.date_from} to {report.date_to}, {scope}"
            + (f" ({flights} flights)" if not report.flight_code else "")
        )
        self.counts.set_records(
            [
                {"reason": code, "reason_text": reason_text(code), "people": n}
                for code, n in report.counts.items()
            ]
        )
        self.rows.set_records(list(report.rows))
        for table, model in ((self.count_table, self.counts), (self.row_table, self.rows)):
            header = table.horizontalHeader()
            if header.sortIndicatorSection() >= 0:
                model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self._update_export()

    def _update_export(self) -> None:
        ready = self.report is not None
        self.export_button.setEnabled(ready)
        self.export_button.setToolTip(
            "Save the rows as CSV (Ctrl+E)" if ready else "Show a report first (the query failed or runs)"
        )

    def export_csv(self) -> None:
        """Save the report shown as CSV (``report_csv``)."""
        report = self.report
        if report is None:
            return
        suggested = f"struck_off_{report.date_from}_{report.date_to}.csv"
        path = self.host._ask_save_path("Export the struck-off report", suggested, "CSV files (*.csv)")
        if path:
            text = reports.report_csv(report)
            self.host.output.write_file(
                path, text.encode("utf-8"), f"Struck-off report ({report.total} rows) saved to {path}"
            )


__all__ = ["StruckReportDialog"]
