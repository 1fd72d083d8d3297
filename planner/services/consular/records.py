"""Shared reads of request batches and items: what every part of the pipeline looks up.

Read-only; none of these commit. Everything is read in bulk (one query per table), so the status
and funnel of 100,000 people cost a handful of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from planner.domain.countries import ISO_3166_ALPHA3
from planner.domain.enums import RequestKind, RequestOutcome
from planner.domain.errors import InvalidInput
from planner.domain.requests import ANSWERS, LeadTime, expected_lead_time
from planner.persistence.models import CountryRule, RequestBatch, RequestItem


def check_country(country: str) -> str:
    """``country`` upper-cased; ``InvalidInput`` naming it unless it is an ISO 3166-1 alpha-3 code."""
    code = (country or "").strip().upper()
    if code not in ISO_3166_ALPHA3:
        raise InvalidInput(f"unknown country {country!r}: give an ISO 3166-1 alpha-3 code such as CHN")
    return code


@dataclass(frozen=True)
class BatchRow:
    id: int
    reference: str
    kind: RequestKind
    country: str
    sent_on: date
    created_by: str
    people: int
    csv_name: str
    csv_sha256: str
    pdf_sha256: str
    closed: bool


@dataclass(frozen=True)
class ItemRow:
    id: int
    batch_id: int
    person_id: int
    outcome: RequestOutcome
    answered_on: date | None


def _batch_row(b: RequestBatch) -> BatchRow:
    return BatchRow(
        id=int(b.id or 0),
        reference=b.reference,
        kind=RequestKind(b.kind),
        country=b.country,
        sent_on=b.sent_on,
        created_by=b.created_by,
        people=b.people,
        csv_name=b.csv_name,
        csv_sha256=b.csv_sha256,
        pdf_sha256=b.pdf_sha256,
        closed=b.closed_at is not None,
    )


def load_batches(
    session: Session, country: str | None = None, kind: RequestKind | None = None
) -> list[BatchRow]:
    """Batches, oldest first (by sent date, then id), optionally of one country and kind."""
    query = sa.select(RequestBatch).order_by(RequestBatch.sent_on, RequestBatch.id)
    if country is not None:
        query = query.where(RequestBatch.country == country)
    if kind is not None:
        query = query.where(RequestBatch.kind == kind.value)
    return [_batch_row(b) for b in session.execute(query).scalars()]


def batch_by_reference(session: Session, reference: str) -> BatchRow | None:
    found = session.execute(
        sa.select(RequestBatch).where(RequestBatch.reference == reference)
    ).scalar_one_or_none()
    return None if found is None else _batch_row(found)


def load_items(session: Session, batch_ids: Iterable[int] | None = None) -> list[ItemRow]:
    """Items of the given batches (all batches when None), by batch then id."""
    query = sa.select(
        RequestItem.id,
        RequestItem.batch_id,
        RequestItem.person_id,
        RequestItem.outcome,
        RequestItem.answered_on,
    ).order_by(RequestItem.batch_id, RequestItem.id)
    if batch_ids is not None:
        wanted = list(batch_ids)
        if not wanted:
            return []
        query = query.where(RequestItem.batch_id.in_(wanted))
    return [ItemRow(i, b, p, RequestOutcome(o), a) for i, b, p, o, a in session.execute(query)]


def open_request_people(
    session: Session, kind: RequestKind, country: str | None = None
) -> dict[tuple[int, str], str]:
    """``(person id, country) -> batch reference`` of every OPEN request of ``kind``."""
    query = (
        sa.select(RequestItem.person_id, RequestBatch.country, RequestBatch.reference)
        .join(RequestBatch, RequestBatch.id == RequestItem.batch_id)
        .where(RequestItem.outcome == RequestOutcome.OPEN.value, RequestBatch.kind == kind.value)
    )
    if country is not None:
        query = query.where(RequestBatch.country == country)
    return {(pid, c): ref for pid, c, ref in session.execute(query)}


def next_batch_number(session: Session, kind: RequestKind, country: str, year: int) -> int:
    """The next free number for a reference of ``kind``, ``country`` and ``year`` (1 for the first).

    The caller holds the audit chain's lock (``audit.lock_head``) while it inserts, so two desks
    never draw the same number; the unique constraint refuses it if they somehow did.
    """
    top = session.execute(
        sa.select(sa.func.max(RequestBatch.number)).where(
            RequestBatch.kind == kind.value, RequestBatch.country == country, RequestBatch.year == year
        )
    ).scalar_one()
    return int(top or 0) + 1


def answered_lead_days(
    session: Session, countries: Iterable[str] | None = None
) -> dict[tuple[RequestKind, str], list[int]]:
    """``(kind, country) -> lead days`` of every answered request (WITHDRAWN ones are no answer),
    of the given countries only when ``countries`` is not None."""
    # ``requests.lead_days`` (answer date - sent date) computed and grouped by the database: a few
    # hundred rows for 100,000 answers instead of one per answer.
    if session.get_bind().dialect.name == "sqlite":
        days: sa.ColumnElement[int] = sa.cast(
            sa.func.julianday(RequestItem.answered_on) - sa.func.julianday(RequestBatch.sent_on), sa.Integer
        )
    else:  # PostgreSQL: date - date is a whole number of days
        days = sa.cast(RequestItem.answered_on - RequestBatch.sent_on, sa.Integer)
    query = (
        sa.select(RequestBatch.kind, RequestBatch.country, days, sa.func.count())
        .join(RequestBatch, RequestBatch.id == RequestItem.batch_id)
        .where(
            RequestItem.outcome.in_([o.value for o in ANSWERS]),
            RequestItem.answered_on.is_not(None),
        )
        .group_by(RequestBatch.kind, RequestBatch.country, days)
    )
    if countries is not None:
        query = query.where(RequestBatch.country.in_(sorted(set(countries))))
    history: dict[tuple[RequestKind, str], list[int]] = defaultdict(list)
    for kind, country, lead, n in session.execute(query):
        history[(RequestKind(kind), country)].extend([int(lead)] * n)
    return dict(history)


def rule_lead_days(session: Session) -> dict[str, int]:
    """The stored rules' ``lead_time_days`` (a country without a rule uses the default)."""
    return dict(session.execute(sa.select(CountryRule.country, CountryRule.lead_time_days)).all())


def lead_times(
    session: Session, countries: Iterable[str] | None = None
) -> dict[tuple[RequestKind, str], LeadTime]:
    """The expected lead time of every kind for the given countries (every country with a rule or
    a batch when None): history median once there is enough, else the rule (``expected_lead_time``)."""
    wanted_only = None if countries is None else set(countries)
    history = answered_lead_days(session, wanted_only)
    rules = rule_lead_days(session)
    if countries is None:
        wanted = (
            set(rules)
            | {c for _, c in history}
            | set(session.execute(sa.select(RequestBatch.country).distinct()).scalars())
        )
    else:
        wanted = wanted_only or set()
    return {
        (kind, country): expected_lead_time(rules.get(country), history.get((kind, country), ()))
        for country in sorted(wanted)
        for kind in RequestKind
    }


__all__ = [
    "BatchRow",
    "ItemRow",
    "answered_lead_days",
    "batch_by_reference",
    "check_country",
    "lead_times",
    "load_batches",
    "load_items",
    "next_batch_number",
    "open_request_people",
    "rule_lead_days",
]
