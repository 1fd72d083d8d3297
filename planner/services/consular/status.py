"""Where the requests to receiving states stand: per-country status, overdue requests, forecasts.

Read-only (officer and above); nothing here commits. Everything is read in bulk — a few queries
whatever the number of people — so the dashboard can show it on a 100,000-person database.

- :func:`pipeline_status`: per country and kind, open / overdue / answered requests, the median
  lead time of the answers and the expected lead time (``records.lead_times``), and every batch.
- :func:`overdue_requests`: OPEN requests past their expected answer date
  (``planner.domain.requests.is_overdue``), most overdue first.
- :func:`forecast_people`: for every person with an OPEN request, the date they are expected to
  become eligible as far as the receiving state is concerned — the latest of the expected
  verification answer (while one is open) and the expected travel document (none needed when a
  VALID accepted document issued by the country is valid long enough after that date; the open
  travel-document request's expected answer; for a country that issues documents on request and
  none requested yet, the verification date plus the travel-document lead time; otherwise no known
  path: ``None``) — with the country's confirmation rate.
- :func:`forecast_by_cutoff`: per PLANNED flight departing after ``now`` and per stop country, the
  date rule 9's notice cut-off falls on and how many requested people are expected eligible by it.
- :func:`pipeline_dashboard`: what the dashboard shows of all this.

Expected answers never lie in the past: an overdue request is expected "today"
(``expected_answer_on``).
"""

from __future__ import annotations

import bisect
import dataclasses
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from planner.domain.countries import country_name
from planner.domain.eligibility.facts import DocumentFacts, departure_dates
from planner.domain.eligibility.rules.document import ARRIVAL_DAYS_AFTER_DEPARTURE, document_accepted
from planner.domain.eligibility.rules.notice_cutoff import notice_cutoff
from planner.domain.enums import DocumentStatus, FlightStatus, RequestKind, RequestOutcome, Role
from planner.domain.requests import (
    ANSWERS,
    CLOSING_OUTCOMES,
    MIN_HISTORY,
    POSITIVE,
    LeadTime,
    days_overdue,
    due_on,
    expected_answer_on,
    is_overdue,
    issues_on_request,
    lead_days,
)
from planner.persistence.models import (
    Airport,
    Flight,
    FlightStop,
    Person,
    RequestBatch,
    RequestItem,
    TravelDocument,
    utc_now,
)
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.consular import records
from planner.services.eligibility_facts import UNKNOWN_ZONE, stop_facts
from planner.services.reference import rule_facts

# ------------------------------------------------------------------------------------------ status


@dataclass(frozen=True)
class KindStatus:
    """One country, one kind of request. ``positive``/``negative``: CONFIRMED/NOT_CONFIRMED (or
    ISSUED/REFUSED); ``median_lead_days``: of the answered requests (None without any)."""

    requested_open: int
    overdue: int
    positive: int
    negative: int
    withdrawn: int
    median_lead_days: float | None
    expected: LeadTime

    def as_json(self) -> dict[str, Any]:
        return {
            "requested_open": self.requested_open,
            "overdue": self.overdue,
            "median_lead_days": self.median_lead_days,
            "expected_lead_days": self.expected.days,
        }


@dataclass(frozen=True)
class BatchStatus:
    reference: str
    kind: RequestKind
    country: str
    sent_on: date
    due_on: date
    people: int
    open: int
    overdue: int
    answered: int
    closed: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "kind": self.kind.value,
            "sent_on": self.sent_on.isoformat(),
            "due_on": self.due_on.isoformat(),
            "people": self.people,
            "open": self.open,
            "overdue": self.overdue,
            "answered": self.answered,
            "closed": self.closed,
        }


@dataclass(frozen=True)
class CountryStatus:
    country: str
    name: str
    verification: KindStatus
    travel_documents: KindStatus
    batches: list[BatchStatus]

    def as_json(self) -> dict[str, Any]:
        """The object ``verification status --json`` prints for the country."""
        v, td = self.verification, self.travel_documents
        return {
            "country": self.country,
            "name": self.name,
            "requested_open": v.requested_open,
            "overdue": v.overdue,
            "confirmed": v.positive,
            "not_confirmed": v.negative,
            "median_lead_days": v.median_lead_days,
            "expected_lead_days": v.expected.days,
            "batches": [b.as_json() for b in self.batches],
            "travel_documents": {
                "requested_open": td.requested_open,
                "overdue": td.overdue,
                "issued": td.positive,
                "refused": td.negative,
                "median_lead_days": td.median_lead_days,
                "expected_lead_days": td.expected.days,
            },
        }


def _kind_status(
    kind: RequestKind,
    items: list[tuple[records.BatchRow, records.ItemRow]],
    expected: LeadTime,
    today: date,
) -> KindStatus:
    open_items = [(b, i) for b, i in items if i.outcome == RequestOutcome.OPEN]
    outcomes = Counter(i.outcome for _, i in items)
    positive = sum(outcomes[o] for o in CLOSING_OUTCOMES[kind] if o in POSITIVE)
    negative = sum(outcomes[o] for o in CLOSING_OUTCOMES[kind] if o not in POSITIVE)
    answered = [
        lead_days(b.sent_on, i.answered_on)
        for b, i in items
        if i.outcome in ANSWERS and i.answered_on is not None
    ]
    return KindStatus(
        requested_open=len(open_items),
        overdue=sum(1 for b, _ in open_items if is_overdue(b.sent_on, expected.days, today)),
        positive=positive,
        negative=negative,
        withdrawn=outcomes[RequestOutcome.WITHDRAWN],
        median_lead_days=float(statistics.median(answered)) if answered else None,
        expected=expected,
    )


def pipeline_status(
    uow: UnitOfWork, actor: Actor, country: str | None = None, today: date | None = None
) -> list[CountryStatus]:
    """One :class:`CountryStatus` per country that has any batch, by country; with ``country``,
    just that one (zeros and no batches when it has none). ``InvalidInput`` for an unknown code."""
    authorize(uow, actor, Role.OFFICER, "verification.status")
    wanted = records.check_country(country) if country is not None else None
    today = today or utc_now().date()
    s = uow.session
    batches = records.load_batches(s, wanted)
    items = records.load_items(s, [b.id for b in batches])
    countries = sorted({b.country for b in batches} | ({wanted} if wanted else set()))
    leads = records.lead_times(s, countries)
    by_batch: dict[int, list[records.ItemRow]] = defaultdict(list)
    for item in items:
        by_batch[item.batch_id].append(item)
    pairs: dict[tuple[str, RequestKind], list[tuple[records.BatchRow, records.ItemRow]]] = defaultdict(list)
    batch_rows: dict[str, list[BatchStatus]] = defaultdict(list)
    for b in batches:
        lead = leads[(b.kind, b.country)].days
        mine = by_batch.get(b.id, [])
        pairs[(b.country, b.kind)].extend((b, i) for i in mine)
        still_open = sum(1 for i in mine if i.outcome == RequestOutcome.OPEN)
        batch_rows[b.country].append(
            BatchStatus(
                reference=b.reference,
                kind=b.kind,
                country=b.country,
                sent_on=b.sent_on,
                due_on=due_on(b.sent_on, lead),
                people=b.people,
                open=still_open,
                overdue=still_open if is_overdue(b.sent_on, lead, today) else 0,
                answered=sum(1 for i in mine if i.outcome in ANSWERS),
                closed=b.closed,
            )
        )
    return [
        CountryStatus(
            country=c,
            name=country_name(c),
            verification=_kind_status(
                RequestKind.VERIFICATION,
                pairs.get((c, RequestKind.VERIFICATION), []),
                leads[(RequestKind.VERIFICATION, c)],
                today,
            ),
            travel_documents=_kind_status(
                RequestKind.TRAVEL_DOCUMENT,
                pairs.get((c, RequestKind.TRAVEL_DOCUMENT), []),
                leads[(RequestKind.TRAVEL_DOCUMENT, c)],
                today,
            ),
            batches=batch_rows.get(c, []),
        )
        for c in countries
    ]


# ----------------------------------------------------------------------------------------- overdue


@dataclass(frozen=True)
class OverdueRequest:
    reference: str
    kind: RequestKind
    country: str
    person_id: int
    case_number: str
    family_name: str
    given_names: str
    sent_on: date
    due_on: date
    days_overdue: int


@dataclass(frozen=True)
class OverdueBatch:
    """A batch with overdue requests: its OPEN items, all past the same expected answer date."""

    id: int
    reference: str
    kind: RequestKind
    country: str
    sent_on: date
    due_on: date
    days_overdue: int
    open: int


Leads = dict[tuple[RequestKind, str], LeadTime]


def overdue_batches(
    uow: UnitOfWork, country: str | None, today: date, leads: Leads | None = None
) -> list[OverdueBatch]:
    """Batches whose OPEN items are overdue as of ``today``, the oldest expected answer first: one
    query grouped per batch (``leads``: ``records.lead_times`` when the caller has them)."""
    s = uow.session
    query = (
        sa.select(
            RequestBatch.id,
            RequestBatch.reference,
            RequestBatch.kind,
            RequestBatch.country,
            RequestBatch.sent_on,
            sa.func.count(),
        )
        .join(RequestItem, RequestItem.batch_id == RequestBatch.id)
        .where(RequestItem.outcome == RequestOutcome.OPEN.value)
        .group_by(
            RequestBatch.id,
            RequestBatch.reference,
            RequestBatch.kind,
            RequestBatch.country,
            RequestBatch.sent_on,
        )
    )
    if country is not None:
        query = query.where(RequestBatch.country == country)
    rows = s.execute(query).all()
    if leads is None:
        leads = records.lead_times(s, {r.country for r in rows})
    out = []
    for batch_id, reference, kind_value, batch_country, sent_on, n in rows:
        kind = RequestKind(kind_value)
        lead = leads[(kind, batch_country)].days
        if is_overdue(sent_on, lead, today):
            out.append(
                OverdueBatch(
                    id=batch_id,
                    reference=reference,
                    kind=kind,
                    country=batch_country,
                    sent_on=sent_on,
                    due_on=due_on(sent_on, lead),
                    days_overdue=days_overdue(sent_on, lead, today),
                    open=n,
                )
            )
    out.sort(key=lambda b: (b.due_on, b.sent_on, b.reference))
    return out


def find_overdue(uow: UnitOfWork, country: str | None, today: date) -> list[OverdueRequest]:
    """:func:`overdue_requests` without the role check (for services that checked already)."""
    batches = {b.id: b for b in overdue_batches(uow, country, today)}
    if not batches:
        return []
    rows = uow.session.execute(
        sa.select(
            RequestItem.batch_id,
            RequestItem.person_id,
            Person.case_number,
            Person.family_name,
            Person.given_names,
        )
        .join(Person, Person.id == RequestItem.person_id)
        .where(RequestItem.outcome == RequestOutcome.OPEN.value, RequestItem.batch_id.in_(sorted(batches)))
    ).all()
    out = [
        OverdueRequest(
            reference=(b := batches[batch_id]).reference,
            kind=b.kind,
            country=b.country,
            person_id=person_id,
            case_number=case_number,
            family_name=family_name,
            given_names=given_names,
            sent_on=b.sent_on,
            due_on=b.due_on,
            days_overdue=b.days_overdue,
        )
        for batch_id, person_id, case_number, family_name, given_names in rows
    ]
    out.sort(key=lambda o: (o.due_on, o.sent_on, o.reference, o.case_number))
    return out


def overdue_requests(
    uow: UnitOfWork, actor: Actor, country: str | None = None, today: date | None = None
) -> list[OverdueRequest]:
    """OPEN requests (both kinds) past their expected answer date as of ``today``, with the
    people's names; the oldest expected answer first. ``InvalidInput`` for an unknown country."""
    authorize(uow, actor, Role.OFFICER, "verification.status")
    wanted = records.check_country(country) if country is not None else None
    return find_overdue(uow, wanted, today or utc_now().date())


# ---------------------------------------------------------------------------------------- forecast


@dataclass(frozen=True)
class PersonForecast:
    """``expected_eligible_on``: None when no way to a document is known. ``confirm_rate``: the
    country's CONFIRMED / answered verifications once ``MIN_HISTORY`` are answered, else None."""

    person_id: int
    case_number: str
    country: str
    expected_eligible_on: date | None
    confirm_rate: float | None
    waiting_for: tuple[str, ...]
    #: Whether a verification request is open (the confirmation rate applies to the person).
    verification_open: bool = True


@dataclass
class _Open:
    case_number: str
    verification: tuple[str, date] | None = None
    travel_document: tuple[str, date] | None = None


def confirm_rates(uow: UnitOfWork) -> dict[str, float]:
    """``country -> confirmed / answered`` verification requests, for countries with at least
    ``MIN_HISTORY`` answers (one grouped query)."""
    counts: dict[str, Counter[RequestOutcome]] = defaultdict(Counter)
    for country, outcome, n in uow.session.execute(
        sa.select(RequestBatch.country, RequestItem.outcome, sa.func.count())
        .join(RequestBatch, RequestBatch.id == RequestItem.batch_id)
        .where(
            RequestBatch.kind == RequestKind.VERIFICATION.value,
            RequestItem.outcome.in_([o.value for o in CLOSING_OUTCOMES[RequestKind.VERIFICATION]]),
        )
        .group_by(RequestBatch.country, RequestItem.outcome)
    ):
        counts[country][RequestOutcome(outcome)] += n
    rates = {}
    for country, c in counts.items():
        answered = sum(c.values())
        if answered >= MIN_HISTORY:
            rates[country] = c[RequestOutcome.CONFIRMED] / answered
    return rates


def forecasts(uow: UnitOfWork, today: date, leads: Leads | None = None) -> list[PersonForecast]:
    """:func:`forecast_people` without the role check (``leads``: ``records.lead_times`` when the
    caller has them)."""
    s = uow.session
    open_rows = s.execute(
        sa.select(
            RequestItem.person_id,
            Person.case_number,
            RequestBatch.kind,
            RequestBatch.country,
            RequestBatch.reference,
            RequestBatch.sent_on,
        )
        .join(RequestBatch, RequestBatch.id == RequestItem.batch_id)
        .join(Person, Person.id == RequestItem.person_id)
        .where(RequestItem.outcome == RequestOutcome.OPEN.value)
    ).all()
    if not open_rows:
        return []
    people: dict[tuple[int, str], _Open] = {}
    for pid, case, kind, country, reference, sent_on in open_rows:
        entry = people.setdefault((pid, country), _Open(case))
        request = (reference, sent_on)
        if kind == RequestKind.VERIFICATION.value:
            if entry.verification is None or sent_on > entry.verification[1]:
                entry.verification = request
        elif entry.travel_document is None or sent_on > entry.travel_document[1]:
            entry.travel_document = request
    countries = {c for _, c in people}
    if leads is None:
        leads = records.lead_times(s, countries)
    rules = rule_facts(uow, countries)
    rates = confirm_rates(uow)
    open_people = sa.select(RequestItem.person_id).where(RequestItem.outcome == RequestOutcome.OPEN.value)
    documents: dict[int, list[DocumentFacts]] = defaultdict(list)
    for pid, doc_type, issuing, expires_on in s.execute(
        sa.select(
            TravelDocument.person_id,
            TravelDocument.doc_type,
            TravelDocument.issuing_country,
            TravelDocument.expires_on,
        ).where(
            TravelDocument.person_id.in_(open_people),
            TravelDocument.status == DocumentStatus.VALID.value,
            TravelDocument.issuing_country.in_(sorted(countries)),
        )
    ):
        documents[pid].append(DocumentFacts(doc_type, issuing, expires_on, DocumentStatus.VALID))
    out = []
    for (pid, country), entry in people.items():
        rule = rules[country]
        waiting: list[str] = []
        dates: list[date] = []
        basis = today
        if entry.verification is not None:
            reference, sent_on = entry.verification
            basis = expected_answer_on(sent_on, leads[(RequestKind.VERIFICATION, country)].days, today)
            dates.append(basis)
            waiting.append(f"verification {reference}")
        earliest_expiry = basis + timedelta(days=ARRIVAL_DAYS_AFTER_DEPARTURE + rule.min_validity_days)
        td_lead = leads[(RequestKind.TRAVEL_DOCUMENT, country)].days
        path_known = True
        if any(document_accepted(d, rule, earliest_expiry) for d in documents.get(pid, ())):
            pass
        elif entry.travel_document is not None:
            reference, sent_on = entry.travel_document
            dates.append(expected_answer_on(sent_on, td_lead, today))
            waiting.append(f"travel document {reference}")
        elif issues_on_request(rule.accepted_document_types):
            dates.append(basis + timedelta(days=td_lead))
            waiting.append("travel document (not requested yet)")
        else:
            path_known = False
            waiting.append(f"a travel document ({country} issues none on request)")
        out.append(
            PersonForecast(
                person_id=pid,
                case_number=entry.case_number,
                country=country,
                expected_eligible_on=max(dates, default=basis) if path_known else None,
                confirm_rate=rates.get(country),
                waiting_for=tuple(waiting),
                verification_open=entry.verification is not None,
            )
        )
    out.sort(key=lambda f: (f.country, f.case_number))
    return out


def forecast_people(uow: UnitOfWork, actor: Actor, today: date | None = None) -> list[PersonForecast]:
    """Every person with an OPEN request (one forecast per person and country), by country and
    case number: when they are expected to become eligible as far as the receiving state is
    concerned (module docstring), and what is awaited."""
    authorize(uow, actor, Role.OFFICER, "verification.forecast")
    return forecasts(uow, today or utc_now().date())


@dataclass(frozen=True)
class CutoffForecast:
    country: str
    flight_id: int
    flight_code: str
    departure_utc: datetime
    cutoff_on: date
    #: REQUESTED people expected eligible on or before the cut-off.
    expected_people: int
    #: The same, each person with an open verification weighted by the country's confirmation
    #: rate (1.0 without enough history); people awaiting only a document count whole.
    expected_confirmed: float


@dataclass
class _Flight:
    """What ``stop_facts`` needs of a flight."""

    id: int
    departure_airport: str
    departure_utc: datetime
    medical_slots: int
    wheelchair_slots: int


def stop_cutoffs_after(uow: UnitOfWork, now: datetime) -> list[tuple[str, int, str, datetime, date]]:
    """``(country, flight id, code, departure, cut-off date)`` per PLANNED flight departing after
    ``now`` and stop country: rule 9's cut-off instant (``notice_cutoff``) and the earliest calendar
    date it falls on (at the departure airport or in UTC, ``departure_dates``). One query."""
    stop_airport = aliased(Airport)
    departure_airport = aliased(Airport)
    rows = uow.session.execute(
        sa.select(
            Flight.id,
            Flight.code,
            Flight.departure_airport,
            Flight.departure_utc,
            Flight.medical_slots,
            Flight.wheelchair_slots,
            FlightStop.id,
            stop_airport.country,
            departure_airport.timezone,
        )
        .join(FlightStop, FlightStop.flight_id == Flight.id)
        .join(stop_airport, stop_airport.iata == FlightStop.airport)
        .outerjoin(departure_airport, departure_airport.iata == Flight.departure_airport)
        .where(Flight.status == FlightStatus.PLANNED.value, Flight.departure_utc > now)
        .order_by(Flight.departure_utc, Flight.id, FlightStop.sequence)
    ).all()
    rules = rule_facts(uow, {r[7] for r in rows})
    seen: set[tuple[int, str]] = set()
    out = []
    for fid, code, airport, departure, medical, wheelchair, stop_id, country, zone in rows:
        if (fid, country) in seen:
            continue
        seen.add((fid, country))
        flight = _Flight(fid, airport, departure, medical, wheelchair)
        stop = stop_facts(flight, stop_id, country, timezone=zone or UNKNOWN_ZONE, pickups=())
        cutoff = notice_cutoff(stop, rules[country])
        cutoff_on = departure_dates(dataclasses.replace(stop, departure_utc=cutoff))[0]
        out.append((country, fid, code, departure, cutoff_on))
    return out


def cutoff_forecasts(uow: UnitOfWork, now: datetime, leads: Leads | None = None) -> list[CutoffForecast]:
    """:func:`forecast_by_cutoff` without the role check (``leads`` as for :func:`forecasts`)."""
    stops = stop_cutoffs_after(uow, now)
    if not stops:
        return []
    people = forecasts(uow, now.date(), leads)
    dates: dict[str, list[date]] = defaultdict(list)
    weights: dict[str, list[float]] = defaultdict(list)
    for f in sorted(people, key=lambda f: (f.country, f.expected_eligible_on or date.max)):
        if f.expected_eligible_on is None:
            continue
        dates[f.country].append(f.expected_eligible_on)
        rate = f.confirm_rate if f.confirm_rate is not None and f.verification_open else 1.0
        weights[f.country].append(weights[f.country][-1] + rate if weights[f.country] else rate)
    out = []
    for country, fid, code, departure, cutoff_on in stops:
        if cutoff_on < now.date():
            continue  # nobody can be added any more: not a question of the forecast
        n = bisect.bisect_right(dates.get(country, []), cutoff_on)
        out.append(
            CutoffForecast(
                country=country,
                flight_id=fid,
                flight_code=code,
                departure_utc=departure,
                cutoff_on=cutoff_on,
                expected_people=n,
                expected_confirmed=weights[country][n - 1] if n else 0.0,
            )
        )
    out.sort(key=lambda c: (c.cutoff_on, c.departure_utc, c.flight_code, c.country))
    return out


def forecast_by_cutoff(uow: UnitOfWork, actor: Actor, now: datetime | None = None) -> list[CutoffForecast]:
    """Per PLANNED flight departing after ``now`` and per country of its stops whose notice cut-off
    is not past (falls today or later): the date the cut-off falls on and the people with an open request for that country expected eligible on or
    before it (see :class:`CutoffForecast`); by cut-off date."""
    authorize(uow, actor, Role.OFFICER, "verification.forecast")
    return cutoff_forecasts(uow, now or utc_now())


# --------------------------------------------------------------------------------------- dashboard


@dataclass(frozen=True)
class OverdueCountry:
    country: str
    name: str
    overdue: int
    oldest_days_overdue: int
    references: tuple[str, ...]


@dataclass(frozen=True)
class PipelineDashboard:
    """The dashboard's view of the pipeline: overdue requests per country (most overdue first) and
    the forecast per upcoming cut-off (``forecast_by_cutoff``)."""

    overdue: tuple[OverdueCountry, ...]
    by_cutoff: tuple[CutoffForecast, ...]

    @property
    def overdue_total(self) -> int:
        return sum(o.overdue for o in self.overdue)


def overdue_by_country(batches: Iterable[OverdueBatch]) -> list[OverdueCountry]:
    """Overdue batches grouped per country, the country with the oldest first."""
    grouped: dict[str, list[OverdueBatch]] = defaultdict(list)
    for b in batches:
        grouped[b.country].append(b)
    rows = [
        OverdueCountry(
            country=c,
            name=country_name(c),
            overdue=sum(b.open for b in bs),
            oldest_days_overdue=max(b.days_overdue for b in bs),
            references=tuple(sorted(b.reference for b in bs)),
        )
        for c, bs in grouped.items()
    ]
    rows.sort(key=lambda o: (-o.oldest_days_overdue, o.country))
    return rows


def pipeline_dashboard(uow: UnitOfWork, actor: Actor, now: datetime | None = None) -> PipelineDashboard:
    """Officer and above: overdue requests per country and the forecast per upcoming cut-off."""
    authorize(uow, actor, Role.OFFICER, "dashboard.read")
    return pipeline_snapshot(uow, now or utc_now())


def pipeline_snapshot(uow: UnitOfWork, now: datetime) -> PipelineDashboard:
    """:func:`pipeline_dashboard` without the role check (the dashboard checked already)."""
    leads = records.lead_times(uow.session)
    return PipelineDashboard(
        overdue=tuple(overdue_by_country(overdue_batches(uow, None, now.date(), leads))),
        by_cutoff=tuple(cutoff_forecasts(uow, now, leads)),
    )


__all__ = [
    "BatchStatus",
    "CountryStatus",
    "CutoffForecast",
    "KindStatus",
    "OverdueBatch",
    "OverdueCountry",
    "OverdueRequest",
    "PersonForecast",
    "PipelineDashboard",
    "confirm_rates",
    "cutoff_forecasts",
    "find_overdue",
    "forecast_by_cutoff",
    "forecast_people",
    "forecasts",
    "overdue_batches",
    "overdue_by_country",
    "overdue_requests",
    "pipeline_dashboard",
    "pipeline_snapshot",
    "pipeline_status",
    "stop_cutoffs_after",
]
