"""The plain facts the eligibility rules read (no database): a person, a flight stop, a receiving
country's rule, plus the helpers several rules share (latest verification per country, the stop's
departure date). The rules themselves live in ``planner.domain.eligibility.rules``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol

from planner.domain.enums import DocumentStatus, MedicalNeed, VerificationResult

#: Tie-break among verifications with equal (verified_on, sequence): higher rank wins (is "later").
RESULT_TIE_RANK: Mapping[str, int] = {
    VerificationResult.CONFIRMED.value: 0,
    VerificationResult.PENDING.value: 1,
    VerificationResult.NOT_CONFIRMED.value: 2,
}


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    """One travel document of a person."""

    doc_type: str
    issuing_country: str
    expires_on: date
    status: str = DocumentStatus.VALID.value


@dataclass(frozen=True, slots=True)
class VerificationFacts:
    """One entry of the append-only verification history; ``sequence`` (e.g. the row id) orders
    entries of the same day, higher = later."""

    country: str
    result: str
    verified_on: date
    sequence: int = 0


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """What the rules need to know about a person. ``nationality`` is the claimed one;
    ``facility_transfer_hours`` maps airport IATA -> transfer hours of the person's facility
    (empty when the person has no facility)."""

    person_id: int
    custody_status: str
    order_status: str
    nationality: str
    legal_hold_reason: str | None = None
    hold_until: date | None = None
    facility_transfer_hours: Mapping[str, float] = field(default_factory=dict, hash=False)
    medical_need: str = MedicalNeed.NONE.value
    family_group: str | None = None
    documents: tuple[DocumentFacts, ...] = ()
    verifications: tuple[VerificationFacts, ...] = ()

    def latest_verifications(self) -> dict[str, VerificationFacts]:
        """The latest verification per country (see rule 4 in ``scalar``'s module docstring)."""
        return latest_verifications(self.verifications)

    def confirmed_nationalities(self) -> frozenset[str]:
        """Countries whose latest verification is CONFIRMED."""
        return frozenset(
            country
            for country, v in self.latest_verifications().items()
            if v.result == VerificationResult.CONFIRMED
        )


@dataclass(frozen=True, slots=True)
class StopFacts:
    """One stop of a flight; ``country`` is the receiving country of the stop's airport."""

    flight_id: int
    stop_id: int
    departure_airport: str
    departure_utc: datetime
    country: str
    medical_slots: int = 0
    wheelchair_slots: int = 0


class _CountryRuleLike(Protocol):
    country: str
    verification_required: bool
    accepted_document_types: str
    min_validity_days: int
    max_per_flight: int | None
    notice_days: int


@dataclass(frozen=True, slots=True)
class CountryRuleFacts:
    """A receiving country's rule (see ``planner.persistence.models.CountryRule``)."""

    country: str
    verification_required: bool = True
    accepted_document_types: frozenset[str] = frozenset()
    min_validity_days: int = 0
    max_per_flight: int | None = None
    notice_days: int = 0

    @classmethod
    def from_model(cls, rule: _CountryRuleLike) -> CountryRuleFacts:
        """From a ``CountryRule`` row (comma-separated ``accepted_document_types``)."""
        accepted = frozenset(t.strip() for t in (rule.accepted_document_types or "").split(",") if t.strip())
        return cls(
            country=rule.country,
            verification_required=bool(rule.verification_required),
            accepted_document_types=accepted,
            min_validity_days=int(rule.min_validity_days or 0),
            max_per_flight=rule.max_per_flight,
            notice_days=int(rule.notice_days or 0),
        )


def verification_order_key(v: VerificationFacts) -> tuple[date, int, int]:
    """Sort key under which the last verification of a country is the one that counts."""
    return (v.verified_on, v.sequence, RESULT_TIE_RANK.get(v.result, len(RESULT_TIE_RANK)))


def latest_verifications(verifications: Iterable[VerificationFacts]) -> dict[str, VerificationFacts]:
    """The latest verification per country."""
    latest: dict[str, VerificationFacts] = {}
    for v in verifications:
        current = latest.get(v.country)
        if current is None or verification_order_key(v) > verification_order_key(current):
            latest[v.country] = v
    return latest


def departure_date(stop: StopFacts) -> date:
    """The UTC calendar date of the stop's flight departure."""
    return require_aware(stop.departure_utc, "departure_utc").astimezone(UTC).date()


def require_aware(moment: datetime, name: str) -> datetime:
    """``moment`` itself; ``ValueError`` when it is naive."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment!r}")
    return moment
