"""What the Requests screen shows, as plain data, and its two table models.

:func:`load_overview` runs off the GUI thread (one unit of work, a handful of bulk reads): the
pipeline status of every country with a batch, the funnel of every claimed nationality and the
expected lead times, merged into one :class:`CountryRow` per country. GUI thread only for the
models.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from planner.domain.countries import country_name
from planner.domain.enums import RequestKind
from planner.domain.requests import LeadTime
from planner.persistence.models import utc_now
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor
from planner.services.consular import records
from planner.services.consular.funnel import CountryFunnel, funnel
from planner.services.consular.status import (
    BatchStatus,
    CountryStatus,
    PersonForecast,
    forecasts,
    pipeline_status,
)
from ui.record_model import RecordTableModel

OVERDUE = QColor("#b00020")
MUTED = QColor("#8a8a8a")


@dataclass(frozen=True)
class CountryRow:
    """One country in the table: its verification pipeline, travel documents, funnel and batches."""

    country: str
    name: str
    claimed: int
    open: int
    overdue: int
    confirmed: int
    not_confirmed: int
    median_lead_days: float | None
    expected_lead_days: int
    expected: LeadTime
    documents_open: int
    documents_overdue: int
    documents_expected: LeadTime
    funnel: CountryFunnel | None
    batches: list[BatchStatus] = field(default_factory=list)
    #: People with an open request, with the date they are expected to become eligible.
    waiting: list[PersonForecast] = field(default_factory=list)

    @property
    def any_overdue(self) -> bool:
        """Whether a reminder letter has something to say (either kind overdue)."""
        return bool(self.overdue or self.documents_overdue)


def _row(
    country: str,
    status: CountryStatus | None,
    funnel_of: CountryFunnel | None,
    leads: dict[tuple[RequestKind, str], LeadTime],
    waiting: list[PersonForecast],
) -> CountryRow:
    expected = status.verification.expected if status else leads[(RequestKind.VERIFICATION, country)]
    documents_expected = (
        status.travel_documents.expected if status else leads[(RequestKind.TRAVEL_DOCUMENT, country)]
    )
    v, td = (status.verification, status.travel_documents) if status else (None, None)
    return CountryRow(
        country=country,
        name=status.name if status else country_name(country),
        claimed=funnel_of.claimed if funnel_of else 0,
        open=v.requested_open if v else 0,
        overdue=v.overdue if v else 0,
        confirmed=v.positive if v else 0,
        not_confirmed=v.negative if v else 0,
        median_lead_days=v.median_lead_days if v else None,
        expected_lead_days=expected.days,
        expected=expected,
        documents_open=td.requested_open if td else 0,
        documents_overdue=td.overdue if td else 0,
        documents_expected=documents_expected,
        funnel=funnel_of,
        batches=list(status.batches) if status else [],
        waiting=waiting,
    )


def load_overview(uow: UnitOfWork, actor: Actor, today: date | None = None) -> list[CountryRow]:
    """Every country somebody claims or that has a batch, by code (read-only; officer), with the
    forecast of everybody waiting for an answer."""
    today = today or utc_now().date()
    statuses = {s.country: s for s in pipeline_status(uow, actor, today=today)}
    funnels = {f.country: f for f in funnel(uow, actor, today=today)}
    countries = sorted(set(statuses) | set(funnels))
    leads = records.lead_times(uow.session, countries)
    waiting: dict[str, list[PersonForecast]] = defaultdict(list)
    for forecast in forecasts(uow, today, leads):
        waiting[forecast.country].append(forecast)
    return [_row(c, statuses.get(c), funnels.get(c), leads, waiting.get(c, [])) for c in countries]


COUNTRY_COLUMNS: list[tuple[str, str]] = [
    ("country", "Country"),
    ("name", "Name"),
    ("claimed", "Claimed"),
    ("open", "Open"),
    ("overdue", "Overdue"),
    ("confirmed", "Confirmed"),
    ("not_confirmed", "Not confirmed"),
    ("median_lead_days", "Median lead (days)"),
    ("expected_lead_days", "Expected lead (days)"),
    ("documents_open", "Documents open"),
    ("documents_overdue", "Documents overdue"),
]
COUNTRY_WIDTHS = (62, 150, 70, 55, 65, 80, 95, 120, 130, 110, 120)
COUNTRY_TIPS: dict[str, str] = {
    "claimed": "People claiming the nationality (any custody status)",
    "open": "Verification requests sent and not answered yet",
    "overdue": "Open verification requests past the expected lead time",
    "confirmed": "Verification requests answered CONFIRMED",
    "not_confirmed": "Verification requests answered NOT_CONFIRMED",
    "median_lead_days": "Median days from sending to the answer, verification requests",
    "documents_open": "Travel-document requests sent and not answered yet",
    "documents_overdue": "Open travel-document requests past the expected lead time",
}
BATCH_COLUMNS: list[tuple[str, str]] = [
    ("reference", "Reference"),
    ("kind", "Kind"),
    ("sent_on", "Sent"),
    ("due_on", "Due"),
    ("people", "People"),
    ("open", "Open"),
    ("overdue", "Overdue"),
    ("answered", "Answered"),
    ("closed", "State"),
]
BATCH_WIDTHS = (140, 120, 85, 85, 60, 60, 65, 75, 60)
KIND_WORDS = {RequestKind.VERIFICATION: "verification", RequestKind.TRAVEL_DOCUMENT: "travel documents"}
WAITING_COLUMNS: list[tuple[str, str]] = [
    ("case_number", "Case number"),
    ("expected_eligible_on", "Expected eligible"),
    ("confirm_rate", "Chance confirmed"),
    ("waiting_for", "Waiting for"),
]
WAITING_WIDTHS = (110, 130, 125, 420)


def column_of(columns: list[tuple[str, str]], key: str) -> int:
    return [k for k, _ in columns].index(key)


def _days(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


class _CountingModel(RecordTableModel):
    """Numbers right-aligned; overdue counts red; header tooltips."""

    overdue_keys: ClassVar[tuple[str, ...]] = ()
    tips: ClassVar[dict[str, str]] = {}

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        key = self.columns[index.column()][0]
        overdue = key in self.overdue_keys and self._get(self.record(index.row()), key)
        if role == Qt.ItemDataRole.ForegroundRole and overdue:
            return QBrush(OVERDUE)
        return super().data(index, role)

    def headerData(  # noqa: N802 - Qt override
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.ToolTipRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.columns)
        ):
            return self.tips.get(self.columns[section][0])
        return super().headerData(section, orientation, role)


class CountryTableModel(_CountingModel):
    """The countries (``CountryRow``), sortable by any column."""

    overdue_keys: ClassVar[tuple[str, ...]] = ("overdue", "documents_overdue")
    tips: ClassVar[dict[str, str]] = COUNTRY_TIPS

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            COUNTRY_COLUMNS,
            parent,
            formatters={"median_lead_days": _days, "claimed": lambda v: f"{v:,}"},
            alignments={key: Qt.AlignmentFlag.AlignRight for key, _ in COUNTRY_COLUMNS[2:]},
        )

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if index.isValid() and role == Qt.ItemDataRole.ToolTipRole and 0 <= index.row() < self.rowCount():
            row: CountryRow = self.record(index.row())
            key = self.columns[index.column()][0]
            if key == "expected_lead_days":
                return f"Verification: {row.expected.describe()}\nTravel documents: {row.documents_expected.describe()}"
        return super().data(index, role)


class BatchTableModel(_CountingModel):
    """One country's batches (``BatchStatus``), newest first by default; closed ones greyed."""

    overdue_keys: ClassVar[tuple[str, ...]] = ("overdue",)
    tips: ClassVar[dict[str, str]] = {
        "due_on": "Sent date plus the expected lead time",
        "answered": "Requests of the batch answered so far",
        "closed": "Closed once every request of the batch is answered",
    }

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            BATCH_COLUMNS,
            parent,
            formatters={
                "kind": lambda kind: KIND_WORDS.get(kind, str(kind)),
                "closed": lambda closed: "closed" if closed else "open",
            },
            alignments={
                key: Qt.AlignmentFlag.AlignRight for key in ("people", "open", "overdue", "answered")
            },
        )

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if index.isValid() and role == Qt.ItemDataRole.ForegroundRole and 0 <= index.row() < self.rowCount():
            batch: BatchStatus = self.record(index.row())
            key = self.columns[index.column()][0]
            if batch.closed and not (key == "overdue" and batch.overdue):
                return QBrush(MUTED)
        if index.isValid() and role == Qt.ItemDataRole.ToolTipRole and 0 <= index.row() < self.rowCount():
            batch = self.record(index.row())
            state = "closed: every request answered" if batch.closed else f"{batch.open} still open"
            return f"{batch.reference}: {batch.people} people, {state}"
        return super().data(index, role)


class WaitingTableModel(_CountingModel):
    """People of one country with an open request (``PersonForecast``), soonest expected first."""

    tips: ClassVar[dict[str, str]] = {
        "expected_eligible_on": "When the receiving state's answers (verification, then a travel document "
        "where one is needed) are expected: sent date plus the expected lead time, today once overdue",
        "confirm_rate": "Share of this country's answered verification requests that were CONFIRMED "
        "(shown once 3 are answered)",
    }

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            WAITING_COLUMNS,
            parent,
            formatters={
                "expected_eligible_on": lambda d: "no known path" if d is None else f"{d:%Y-%m-%d}",
                "confirm_rate": lambda r: "–" if r is None else f"{r:.0%}",
                "waiting_for": "; ".join,
            },
            alignments={"confirm_rate": Qt.AlignmentFlag.AlignRight},
        )

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            index.isValid()
            and role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)
            and 0 <= index.row() < self.rowCount()
            and self.columns[index.column()][0] == "confirm_rate"
            and not self.record(index.row()).verification_open
        ):
            return "confirmed"  # waiting only for a travel document
        return super().data(index, role)


__all__ = [
    "BATCH_COLUMNS",
    "BATCH_WIDTHS",
    "COUNTRY_COLUMNS",
    "COUNTRY_WIDTHS",
    "WAITING_COLUMNS",
    "WAITING_WIDTHS",
    "BatchTableModel",
    "CountryRow",
    "CountryTableModel",
    "WaitingTableModel",
    "column_of",
    "load_overview",
]
