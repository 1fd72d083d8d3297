"""The funnel per receiving country: claimed → requested → confirmed → document valid → placed → flown.

:func:`funnel` counts, for each country somebody claims as their nationality, the people claiming it
(every custody status; anonymised people are left out) by the furthest stage they reached
(``planner.domain.requests.funnel_stage``):

- **requested**: any request item (either kind) in a batch to the country, or any verification row
  for the country on record;
- **confirmed**: the latest verification for the country is CONFIRMED (latest in the order of
  ``planner.domain.eligibility.facts.latest_verifications``: date, then row id), or the country's
  rule requires no verification;
- **document valid**: confirmed, and a VALID document of a type the rule accepts, issued by the
  country, not expired on ``today`` (rule 6's ``document_accepted`` with ``today`` as the earliest
  expiry: no flight's departure is known here);
- **placed**: on the current plan (``planner.services.current_plan``) at a stop in the country;
- **flown**: REMOVED, with a custody event naming a DEPARTED flight that stops in the country.

``counts`` are ``funnel_counts`` (people at that stage or beyond: never growing from one stage to
the next); ``stopped`` the people whose furthest stage is that one (adding up to ``counts[CLAIMED]``).
``lead_days`` are the answered requests' lead times per kind (``records.answered_lead_days``), for
the lead-time histogram.

Read-only, officer and above. The facts are read in one query that the database groups (people
sharing the same facts are one row with their count; ``_grouped_facts``), so 100,000 people cost a
few hundred rows; the rules (``funnel_stage``, ``document_accepted``, the country rules) are then
applied in Python to each group.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from planner.domain.countries import country_name
from planner.domain.eligibility.facts import DocumentFacts
from planner.domain.eligibility.rules.document import document_accepted
from planner.domain.enums import (
    CustodyStatus,
    DocumentStatus,
    DocumentType,
    FlightStatus,
    RequestKind,
    Role,
    VerificationResult,
)
from planner.domain.requests import FunnelStage, funnel_counts, funnel_stage
from planner.persistence.models import (
    Airport,
    Assignment,
    CustodyEvent,
    Flight,
    FlightStop,
    NationalityVerification,
    Person,
    RequestBatch,
    RequestItem,
    TravelDocument,
    utc_now,
)
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.consular.records import answered_lead_days, check_country
from planner.services.current_plan import current_draft_plan_id
from planner.services.reference import rule_facts


@dataclass(frozen=True)
class CountryFunnel:
    """One country's funnel: ``counts[stage]`` people at that stage or beyond, ``stopped[stage]``
    people whose furthest stage it is, ``lead_days[kind]`` the answered requests' lead times."""

    country: str
    name: str
    counts: dict[FunnelStage, int]
    stopped: dict[FunnelStage, int]
    lead_days: dict[RequestKind, list[int]]

    @property
    def claimed(self) -> int:
        return self.counts[FunnelStage.CLAIMED]

    def share(self, stage: FunnelStage) -> float | None:
        """``counts[stage]`` as a fraction of the people claiming the country (None when nobody)."""
        return self.counts[stage] / self.claimed if self.claimed else None


#: The document types, each a column of the grouped query (``_grouped_facts``).
DOCUMENT_TYPES: tuple[DocumentType, ...] = tuple(DocumentType)


def _grouped_facts(uow: UnitOfWork, country: str | None, today: date) -> list[Any]:
    """One row per combination of the facts the stages depend on, with how many people share it:
    ``(nationality, asked, latest result, types held, placed, flown, people)``.

    Per claimant (not anonymised; only ``country`` when given), all about the claimed country:
    ``asked`` — a request item of a batch to it; ``latest`` — the result of the latest verification
    for it (the order of ``latest_verifications``: verification date, then row id), None without
    one; ``holds`` — the types of the VALID documents it issued, not expired on ``today``, as a bit
    mask (bit n: ``DOCUMENT_TYPES[n]``); ``placed`` — on the current plan at a stop in it;
    ``flown`` — REMOVED with a custody event naming a DEPARTED flight that stops in it. Grouping in
    the database keeps 100,000 people to a few hundred rows."""
    p, v, d = Person, NationalityVerification, TravelDocument
    # The batch's country as a scalar subquery, so the database starts from the person's items
    # (indexed by person) rather than from every batch to the country.
    batch_country = (
        sa.select(RequestBatch.country).where(RequestBatch.id == RequestItem.batch_id).scalar_subquery()
    )
    asked = (
        sa.select(RequestItem.id)
        .where(RequestItem.person_id == p.id, batch_country == p.nationality)
        .exists()
    )
    latest = (
        sa.select(v.result)
        .where(v.person_id == p.id, v.country == p.nationality)
        .order_by(v.verified_on.desc(), v.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    # The types held, as a bit mask (bit n: DOCUMENT_TYPES[n]); None without any.
    holds = (
        sa.select(
            sa.func.sum(
                sa.distinct(
                    sa.case(*((d.doc_type == t.value, 1 << n) for n, t in enumerate(DOCUMENT_TYPES)), else_=0)
                )
            )
        )
        .where(
            d.person_id == p.id,
            d.issuing_country == p.nationality,
            d.status == DocumentStatus.VALID.value,
            d.expires_on >= today,
        )
        .scalar_subquery()
    )
    plan_id = current_draft_plan_id(uow)
    placed: sa.ColumnElement[bool] = (
        sa.select(Assignment.id)
        .join(FlightStop, FlightStop.id == Assignment.flight_stop_id)
        .join(Airport, Airport.iata == FlightStop.airport)
        .where(
            Assignment.plan_run_id == plan_id, Assignment.person_id == p.id, Airport.country == p.nationality
        )
        .exists()
        if plan_id is not None
        else sa.false()
    )
    departed_to = (
        sa.select(CustodyEvent.id)
        .join(Flight, Flight.id == CustodyEvent.flight_id)
        .join(FlightStop, FlightStop.flight_id == Flight.id)
        .join(Airport, Airport.iata == FlightStop.airport)
        .where(
            CustodyEvent.person_id == p.id,
            Flight.status == FlightStatus.DEPARTED.value,
            Airport.country == p.nationality,
        )
        .exists()
    )
    # CASE, not AND: the custody events are looked up for REMOVED people only.
    flown = sa.case((p.custody_status == CustodyStatus.REMOVED.value, departed_to), else_=sa.false())
    per_person = sa.select(
        p.nationality.label("nationality"),
        asked.label("asked"),
        latest.label("latest"),
        holds.label("holds"),
        placed.label("placed"),
        flown.label("flown"),
    ).where(p.anonymised_at.is_(None))
    if country is not None:
        per_person = per_person.where(p.nationality == country)
    facts = per_person.subquery()
    columns = [c for c in facts.c]
    return list(uow.session.execute(sa.select(*columns, sa.func.count()).group_by(*columns)))


def funnel(
    uow: UnitOfWork, actor: Actor, country: str | None = None, today: date | None = None
) -> list[CountryFunnel]:
    """The funnel of every claimed nationality, by country code (only ``country`` when given: then
    always one funnel, all zero when nobody claims it; ``InvalidInput`` for an unknown code). ``today`` (default: the UTC date) decides
    which documents are still valid. Read-only, officer and above."""
    authorize(uow, actor, Role.OFFICER, "request.funnel")
    if today is None:
        today = utc_now().date()
    wanted = check_country(country) if country is not None else None
    grouped = _grouped_facts(uow, wanted, today)
    countries = sorted({row[0] for row in grouped} | ({wanted} if wanted else set()))
    rules = rule_facts(uow, countries)
    stages: dict[str, Counter[FunnelStage]] = {c: Counter() for c in countries}
    for nationality, asked, latest, holds, placed, flown, people in grouped:
        rule = rules[nationality]
        confirmed = not rule.verification_required or latest == VerificationResult.CONFIRMED.value
        mask = int(holds or 0)
        documents = [
            DocumentFacts(t.value, nationality, today) for n, t in enumerate(DOCUMENT_TYPES) if mask >> n & 1
        ]
        stage = funnel_stage(
            requested=bool(asked) or latest is not None,
            confirmed=confirmed,
            document_valid=confirmed and any(document_accepted(doc, rule, today) for doc in documents),
            placed=bool(placed),
            flown=bool(flown),
        )
        stages[nationality][stage] += int(people)
    history = answered_lead_days(uow.session, None if wanted is None else [wanted])
    return [
        CountryFunnel(
            country=c,
            name=country_name(c),
            counts=funnel_counts(stages[c].elements()),
            stopped={stage: stages[c][stage] for stage in FunnelStage},
            lead_days={kind: sorted(history.get((kind, c), [])) for kind in RequestKind},
        )
        for c in countries
    ]


__all__ = ["CountryFunnel", "funnel"]
