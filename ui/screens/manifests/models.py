"""The Manifests screen's two tables: flights with their manifest status (``FlightManifestRow``,
``FlightManifestModel``) and the revisions of one flight (``RevisionModel``). GUI thread only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QTableView

from planner.domain.enums import FlightStatus, ManifestStatus
from planner.services.flights import FlightRow
from planner.services.manifests.actions import FlightState
from planner.services.manifests.workflow import ManifestInfo
from ui.record_model import RecordTableModel
from ui.tables import table_view

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
SHA_SHORT = 12


def utc_text(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else ""


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

    def state(self) -> FlightState:
        """What the action enablement needs (``planner.services.manifests.actions``)."""
        return FlightState(self.code, self.flight_status, self.last_cutoff_passed)

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
            formatters={"departure_utc": utc_text, "notice_cutoff": utc_text},
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
                "prepared_at": utc_text,
                "approved_at": utc_text,
                "signed_at": utc_text,
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


def manifest_table(model: RecordTableModel, name: str, samples: Sequence[str]) -> QTableView:
    view = table_view(model, name, single_selection=True)
    metrics = view.fontMetrics()
    for column, sample in enumerate(samples):
        header = str(model.headerData(column, Qt.Orientation.Horizontal))
        view.setColumnWidth(
            column, max(metrics.horizontalAdvance(sample) + 14, metrics.horizontalAdvance(header) + 24)
        )
    return view


__all__ = [
    "FLIGHT_SAMPLES",
    "REVISION_SAMPLES",
    "STATUS_FILTERS",
    "FlightManifestModel",
    "FlightManifestRow",
    "RevisionModel",
    "manifest_table",
    "utc_text",
]
