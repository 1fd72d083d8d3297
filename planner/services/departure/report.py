"""The struck-off report: per flight and per period, counts by reason and the rows behind them.

:func:`struck_off_report` (officer+, a read) filters ``strike_off`` rows by flight and by the UTC
date of the strike (``date_from``/``date_to`` inclusive); :func:`report_csv` writes it as CSV
(UTF-8, one header line: ``case_number,flight_id,stop,reason,note,struck_by,struck_at,manifest_revision``).
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from planner.domain.enums import Role, StrikeReason
from planner.domain.errors import InvalidInput
from planner.persistence.models import Flight, Person, StrikeOff
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.departure.listing import flight_named

CSV_HEADER = (
    "case_number",
    "flight_id",
    "stop",
    "reason",
    "note",
    "struck_by",
    "struck_at",
    "manifest_revision",
)


@dataclass(frozen=True)
class StruckRow:
    case_number: str
    flight_code: str
    stop_sequence: int
    reason: str
    note: str
    struck_by: str
    struck_at: datetime
    manifest_revision: int | None


@dataclass(frozen=True)
class StruckOffReport:
    """``counts``: reason -> people (every reason present, zeros included); ``per_flight``: flight
    code -> reason -> people (reasons with at least one)."""

    date_from: date | None
    date_to: date | None
    flight_code: str | None
    rows: tuple[StruckRow, ...]
    counts: dict[str, int]
    per_flight: dict[str, dict[str, int]]

    @property
    def total(self) -> int:
        return len(self.rows)


def struck_off_report(
    uow: UnitOfWork,
    actor: Actor,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    flight_code: str | None = None,
) -> StruckOffReport:
    """Officer+: the strike-offs in the period (UTC dates, inclusive) and/or of one flight, oldest
    first. ``InvalidInput`` for an unknown flight or a period that ends before it starts."""
    authorize(uow, actor, Role.OFFICER, "read the struck-off report")
    if date_from and date_to and date_to < date_from:
        raise InvalidInput(f"the period ends ({date_to}) before it starts ({date_from})")
    query = (
        sa.select(StrikeOff, Person.case_number, Flight.code)
        .join(Person, Person.id == StrikeOff.person_id)
        .join(Flight, Flight.id == StrikeOff.flight_id)
        .order_by(StrikeOff.struck_at, StrikeOff.id)
    )
    if flight_code:
        query = query.where(StrikeOff.flight_id == flight_named(uow, flight_code).id)
    if date_from:
        query = query.where(StrikeOff.struck_at >= datetime.combine(date_from, time(), UTC))
    if date_to:
        query = query.where(StrikeOff.struck_at < datetime.combine(date_to + timedelta(days=1), time(), UTC))
    rows = tuple(
        StruckRow(
            case, code, s.stop_sequence, s.reason, s.note, s.struck_by, s.struck_at, s.manifest_revision
        )
        for s, case, code in uow.session.execute(query).all()
    )
    counts = Counter(r.reason for r in rows)
    per_flight: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        per_flight[r.flight_code][r.reason] += 1
    return StruckOffReport(
        date_from,
        date_to,
        flight_code.strip() if flight_code else None,
        rows,
        {reason.value: counts.get(reason.value, 0) for reason in StrikeReason},
        {code: dict(c) for code, c in sorted(per_flight.items())},
    )


def report_csv(report: StruckOffReport) -> str:
    """The report's rows as CSV text (``CSV_HEADER`` first; times ISO 8601 UTC)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for r in report.rows:
        writer.writerow(
            [
                r.case_number,
                r.flight_code,
                r.stop_sequence,
                r.reason,
                r.note,
                r.struck_by,
                r.struck_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                "" if r.manifest_revision is None else r.manifest_revision,
            ]
        )
    return out.getvalue()
