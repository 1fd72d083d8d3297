"""The dashboard: one read-only snapshot of where the office stands (officer and above).

:func:`dashboard` gathers, in a handful of bulk queries (no per-person query):

- people by status: in custody with a final order / with the order pending / without an order,
  released, removed;
- from the current draft plan (the newest ``PlanRun`` with status DRAFT): people considered,
  eligible, placed, and the not-placed count per headline reason (from ``PlanExclusion``);
- upcoming departures (PLANNED flights departing within ``UPCOMING_DAYS``) with notice cut-off,
  manifest status and per-leg load: each flight's ``leg_loads``, its load factor and the under-full
  flights judged by the fullest leg (see :func:`planner.services.flights.list_flights`);
- warnings: placed people whose chosen document (the manifest's choice: VALID, issued by the stop's
  country, of an accepted type, latest expiry) expires before departure + 1 day or who have none;
  legal holds ending within ``UPCOMING_DAYS``; people whose latest verification is PENDING; flights
  departing within their notice cut-off without an approved or signed manifest.
- the countries (of planned flights' stops and of people in custody) without a rule of their own,
  which run on the conservative default rule.
- requests to receiving states (``pipeline``): overdue requests per country and, per upcoming
  flight and stop country, the requested people expected eligible by its notice cut-off
  (:func:`planner.services.consular.status.pipeline_dashboard`).

The result is a frozen dataclass of plain values, safe to pass between threads.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from planner.domain.enums import CustodyStatus, DocumentStatus, FlightStatus, OrderStatus, Role
from planner.domain.wording import code_words, local_date, local_time_text, plural
from planner.persistence.models import (
    Airport,
    Assignment,
    FlightStop,
    NationalityVerification,
    Person,
    PlanExclusion,
    PlanRun,
    TravelDocument,
    utc_now,
)
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.consular.status import PipelineDashboard, pipeline_snapshot
from planner.services.eligibility_facts import rule_facts
from planner.services.flights import FlightRow, list_flights
from planner.services.manifests.build import chosen_document
from planner.services.planning import current_draft_plan_id, reason_text
from planner.services.reference import DEFAULT_ACCEPTED_DOCUMENTS, countries_without_rule

UPCOMING_DAYS = 14
#: At most this many warnings of one kind are listed (the count is always complete).
MAX_WARNINGS_PER_KIND = 100
LOAD_TARGET = 0.8
#: Rows fetched per batch from big results (see ``planner.services.plan_results.FETCH_BATCH``).
FETCH_BATCH = 1000

#: Warning kinds, in the order the dashboard lists them.
DOCUMENT_EXPIRES = "document expires"
FLIGHT_AFTER_CUTOFF = "past notice cut-off"
HOLD_ENDING = "legal hold ends"
VERIFICATION_PENDING = "verification pending"
#: Kinds listed as one grouped line ("303 × …"), counted once among the warnings.
GROUPED_KINDS = frozenset({VERIFICATION_PENDING})
#: What one warning of a kind counts.
WARNING_UNITS = {
    DOCUMENT_EXPIRES: "person",
    FLIGHT_AFTER_CUTOFF: "flight",
    HOLD_ENDING: "person",
    VERIFICATION_PENDING: "person",
}


@dataclass(frozen=True)
class StatusCount:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    count: int
    description: str


@dataclass(frozen=True)
class DashboardWarning:
    kind: str
    severity: str  # "error" | "warning" | "info"
    message: str
    flight_code: str = ""
    case_number: str = ""
    when: date | None = None
    #: How many cases this one line stands for (a grouped line "303 × …" stands for 303).
    count: int = 1


@dataclass(frozen=True)
class Dashboard:
    now: datetime
    people_total: int
    people_by_status: tuple[StatusCount, ...]
    plan_run_id: int | None
    plan_created_by: str | None
    plan_finished_at: datetime | None
    considered: int
    eligible: int
    placed: int
    not_placed: int
    not_placed_by_reason: tuple[ReasonCount, ...]
    upcoming: tuple[FlightRow, ...]
    warnings: tuple[DashboardWarning, ...]
    warning_counts: dict[str, int] = field(default_factory=dict)
    #: Countries of planned flights' stops and of people in custody that have no rule of their
    #: own: they run on the conservative default rule (``planner.services.reference``).
    default_rule_countries: tuple[str, ...] = ()
    #: Requests to receiving states: overdue per country and the forecast per upcoming cut-off
    #: (``planner.services.consular.status.pipeline_dashboard``); None only when built elsewhere.
    pipeline: PipelineDashboard | None = None

    def status_count(self, key: str) -> int:
        return next((s.count for s in self.people_by_status if s.key == key), 0)

    @property
    def warning_total(self) -> int:
        """Warnings to act on: every warning counts once, a grouped line ("303 × …") once too."""
        return sum((1 if n else 0) if kind in GROUPED_KINDS else n for kind, n in self.warning_counts.items())

    def warning_breakdown(self) -> list[str]:
        """One line per kind: ``"verification pending: 303 people (one grouped line)"``."""
        return [
            f"{kind}: {plural(n, WARNING_UNITS.get(kind, 'case'))}"
            + (" (one grouped line)" if kind in GROUPED_KINDS and n > 1 else "")
            for kind, n in self.warning_counts.items()
            if n
        ]

    @property
    def average_load(self) -> float | None:
        """People aboard each upcoming flight's fullest leg / seats, over the upcoming flights with
        seats (None when there are none)."""
        seats = sum(f.seats for f in self.upcoming)
        return sum(f.peak_load for f in self.upcoming) / seats if seats else None

    @property
    def under_full(self) -> tuple[FlightRow, ...]:
        """Upcoming flights with seats whose fullest leg is under ``LOAD_TARGET``."""
        return tuple(f for f in self.upcoming if f.load_factor is not None and f.load_factor < LOAD_TARGET)


_STATUS_LABELS = (
    ("in_custody_final", "In custody, final order"),
    ("in_custody_pending", "In custody, order pending"),
    ("in_custody_no_order", "In custody, no order"),
    ("released", "Released"),
    ("removed", "Removed"),
)


def _people_by_status(uow: UnitOfWork) -> tuple[StatusCount, ...]:
    counts: Counter[str] = Counter()
    for custody, order, n in uow.session.execute(
        sa.select(Person.custody_status, Person.order_status, sa.func.count()).group_by(
            Person.custody_status, Person.order_status
        )
    ):
        if custody == CustodyStatus.IN_CUSTODY.value:
            key = {
                OrderStatus.FINAL.value: "in_custody_final",
                OrderStatus.PENDING.value: "in_custody_pending",
            }.get(order, "in_custody_no_order")
        else:
            key = custody.lower()
        counts[key] += n
    return tuple(StatusCount(key, label, counts.get(key, 0)) for key, label in _STATUS_LABELS)


def _chunks(ids: list[int], size: int = 900) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _document_warnings(
    uow: UnitOfWork, plan_id: int, upcoming: dict[int, FlightRow]
) -> list[DashboardWarning]:
    """Placed people on upcoming flights whose chosen document expires before departure + 1 day."""
    s = uow.session
    if not upcoming:
        return []
    # Core rows in batches: a whole ``.all()`` of thousands of rows is built in compiled code that
    # holds the interpreter lock throughout, and the window's thread waits for it meanwhile.
    result = s.connection().execute(
        sa.select(Assignment.person_id, FlightStop.flight_id, FlightStop.airport)
        .join(FlightStop, FlightStop.id == Assignment.flight_stop_id)
        .where(Assignment.plan_run_id == plan_id, FlightStop.flight_id.in_(list(upcoming)))
        .execution_options(yield_per=FETCH_BATCH)
    )
    placed = [(pid, fid, iata) for part in result.partitions(FETCH_BATCH) for pid, fid, iata in part]
    if not placed:
        return []
    country_of = dict(s.execute(sa.select(Airport.iata, Airport.country)).all())
    rules = rule_facts(uow, set(country_of.values()))
    ids = sorted({pid for pid, _, _ in placed})
    docs: dict[int, list[sa.Row]] = defaultdict(list)
    cases: dict[int, str] = {}
    for chunk in _chunks(ids):
        for document in s.execute(
            sa.select(
                TravelDocument.id,
                TravelDocument.person_id,
                TravelDocument.doc_type,
                TravelDocument.issuing_country,
                TravelDocument.number,
                TravelDocument.expires_on,
                TravelDocument.status,
            ).where(TravelDocument.person_id.in_(chunk), TravelDocument.status == DocumentStatus.VALID.value)
        ):
            docs[document.person_id].append(document)
        cases.update(s.execute(sa.select(Person.id, Person.case_number).where(Person.id.in_(chunk))).all())
    out = []
    for pid, flight_id, airport in sorted(placed, key=lambda r: (upcoming[r[1]].departure_utc, cases[r[0]])):
        flight = upcoming[flight_id]
        country = country_of.get(airport, "")
        types = rules[country].accepted_document_types if country in rules else DEFAULT_ACCEPTED_DOCUMENTS
        doc = chosen_document(docs[pid], country, types)
        # As rule 6: the day after the later of the local (departure airport) and UTC departure dates.
        departure_day = max(flight.departure_utc.date(), local_date(flight.departure_utc, flight.timezone))
        limit = departure_day + timedelta(days=1)
        if doc is None:
            message = (
                f"{cases[pid]} on {flight.code}: no valid {country} document of a type {country} accepts"
            )
            out.append(DashboardWarning(DOCUMENT_EXPIRES, "error", message, flight.code, cases[pid]))
            continue
        if doc.expires_on < limit:
            message = (
                f"{cases[pid]} on {flight.code} ({flight.local_short}): {code_words(doc.doc_type)} "
                f"{doc.number} expires {doc.expires_on:%Y-%m-%d}; it must be valid to {limit:%Y-%m-%d}"
            )
            out.append(
                DashboardWarning(DOCUMENT_EXPIRES, "error", message, flight.code, cases[pid], doc.expires_on)
            )
    return out


def _hold_warnings(uow: UnitOfWork, today: date) -> list[DashboardWarning]:
    rows = uow.session.execute(
        sa.select(Person.case_number, Person.legal_hold_reason, Person.hold_until)
        .where(
            Person.custody_status == CustodyStatus.IN_CUSTODY.value,
            Person.legal_hold_reason.is_not(None),
            Person.legal_hold_reason != "",
            Person.hold_until >= today,
            Person.hold_until <= today + timedelta(days=UPCOMING_DAYS),
        )
        .order_by(Person.hold_until, Person.case_number)
    ).all()
    return [
        DashboardWarning(
            HOLD_ENDING,
            "info",
            f"{case}: legal hold ({reason}) ends {until:%Y-%m-%d}",
            case_number=case,
            when=until,
        )
        for case, reason, until in rows
    ]


def _pending_verifications(uow: UnitOfWork, examples: int = 5) -> tuple[int, list[str]]:
    """How many people (not removed) have PENDING as their latest verification, and the first
    ``examples`` case numbers. Counted by the database: fetching every case number row by row
    would only keep the window's thread waiting for the interpreter lock."""
    v = NationalityVerification
    ranked = sa.select(
        v.person_id,
        v.result,
        sa.func.row_number()
        .over(partition_by=v.person_id, order_by=(v.verified_on.desc(), v.id.desc()))
        .label("n"),
    ).subquery()
    rows = uow.session.execute(
        sa.select(Person.case_number, sa.func.count().over())
        .join(ranked, ranked.c.person_id == Person.id)
        .where(
            ranked.c.n == 1,
            ranked.c.result == "PENDING",
            Person.custody_status != CustodyStatus.REMOVED.value,
        )
        .order_by(Person.case_number)
        .limit(examples)
    ).all()
    return (rows[0][1] if rows else 0), [case for case, _total in rows]


def _default_rule_countries(uow: UnitOfWork, flights: list[FlightRow]) -> list[str]:
    """Countries of ``flights``' stops and of the nationalities of people in custody that have no
    stored rule (they run on the default rule), sorted."""
    nationalities = uow.session.execute(
        sa.select(Person.nationality)
        .where(Person.custody_status == CustodyStatus.IN_CUSTODY.value)
        .distinct()
    ).scalars()
    return countries_without_rule(
        uow, {st.country for row in flights for st in row.stops} | set(nationalities)
    )


def _strictest(row: FlightRow) -> str:
    stop = max(row.stops, key=lambda st: st.notice_days)
    return f"{stop.airport}, {stop.country}: {stop.notice_days} days' notice"


def dashboard(uow: UnitOfWork, actor: Actor, *, now: datetime | None = None) -> Dashboard:
    """Officer and above: the snapshot described in the module docstring (read-only)."""
    authorize(uow, actor, Role.OFFICER, "dashboard.read")
    now = now or utc_now()
    s = uow.session
    by_status = _people_by_status(uow)
    plan_id = current_draft_plan_id(uow)
    run = s.get(PlanRun, plan_id) if plan_id is not None else None
    counts = json.loads(run.counts_json or "{}") if run is not None else {}
    reasons: list[ReasonCount] = []
    placed = 0
    if plan_id is not None:
        reasons = [
            ReasonCount(reason, n, reason_text(reason))
            for reason, n in s.execute(
                sa.select(PlanExclusion.reason, sa.func.count())
                .where(PlanExclusion.plan_run_id == plan_id)
                .group_by(PlanExclusion.reason)
            )
        ]
        if not reasons:  # older runs: fall back to the run's own counts
            reasons = [
                ReasonCount(r, n, reason_text(r)) for r, n in counts.get("not_placed_by_reason", {}).items()
            ]
        reasons.sort(key=lambda r: (-r.count, r.reason))
        placed = s.execute(
            sa.select(sa.func.count()).select_from(Assignment).where(Assignment.plan_run_id == plan_id)
        ).scalar_one()
    future = [row for row in list_flights(uow, actor, now=now) if row.status == FlightStatus.PLANNED.value]
    horizon = now + timedelta(days=UPCOMING_DAYS)
    upcoming = [row for row in future if row.departure_utc < horizon]
    warnings: dict[str, list[DashboardWarning]] = {}
    warnings[FLIGHT_AFTER_CUTOFF] = [
        DashboardWarning(
            FLIGHT_AFTER_CUTOFF,
            "error" if row.placed else "warning",
            f"{row.code} departs {row.departure_airport} {row.local_short}; the notice cut-off "
            f"{local_time_text(row.notice_cutoff, row.timezone)} ({_strictest(row)}) has passed and its "
            f"manifest is {(row.manifest_status or 'not prepared').lower()} ({plural(row.placed, 'person')} placed)",
            row.code,
            when=local_date(row.departure_utc, row.timezone),
        )
        for row in future
        if row.notice_cutoff <= now and row.manifest_in_force is None
    ]
    warnings[DOCUMENT_EXPIRES] = (
        _document_warnings(uow, plan_id, {r.id: r for r in upcoming}) if plan_id is not None else []
    )
    warnings[HOLD_ENDING] = _hold_warnings(uow, now.date())
    pending_count, pending = _pending_verifications(uow)
    warnings[VERIFICATION_PENDING] = (
        [
            DashboardWarning(
                VERIFICATION_PENDING,
                "info",
                (f"{pending_count:,} × " if pending_count > 1 else "")
                + "waiting for the receiving country's verification"
                + (f" (e.g. {', '.join(pending[:5])})" if pending else ""),
                count=pending_count,
            )
        ]
        if pending
        else []
    )
    warning_counts = {kind: len(items) for kind, items in warnings.items()}
    warning_counts[VERIFICATION_PENDING] = pending_count
    listed: list[DashboardWarning] = []
    for kind, items in warnings.items():
        listed.extend(items[:MAX_WARNINGS_PER_KIND])
        if len(items) > MAX_WARNINGS_PER_KIND:
            listed.append(
                DashboardWarning(
                    kind,
                    "info",
                    f"… and {len(items) - MAX_WARNINGS_PER_KIND:,} more ({kind})",
                    count=len(items) - MAX_WARNINGS_PER_KIND,
                )
            )
    not_placed = sum(r.count for r in reasons)
    return Dashboard(
        now=now,
        people_total=sum(sc.count for sc in by_status),
        people_by_status=by_status,
        plan_run_id=plan_id,
        plan_created_by=run.created_by if run is not None else None,
        plan_finished_at=run.finished_at if run is not None else None,
        considered=int(counts.get("people_considered", 0)),
        eligible=int(counts.get("eligible", 0)),
        placed=placed,
        not_placed=not_placed,
        not_placed_by_reason=tuple(reasons),
        upcoming=tuple(upcoming),
        warnings=tuple(listed),
        warning_counts=warning_counts,
        default_rule_countries=tuple(_default_rule_countries(uow, future)),
        pipeline=pipeline_snapshot(uow, now),
    )


__all__ = ["GROUPED_KINDS", "Dashboard", "DashboardWarning", "ReasonCount", "StatusCount", "dashboard"]
