"""The ten eligibility rules of DESIGN.md as pure functions over plain facts (no database).

``check_person`` evaluates rules 1–9 for one person × one flight stop and returns every failed
rule's ``ReasonCode`` in rule order (the declaration order of ``ReasonCode``); an empty tuple means
eligible. ``apply_family_rule`` adds rule 10 for the members of one stop's candidates.
``planner.domain.eligibility.matrix`` is the vectorised twin for the planner; both must agree exactly.

Precise semantics (all dates are UTC dates; every ``datetime`` must be timezone-aware):

1. ``NOT_IN_CUSTODY`` — fails unless ``custody_status == IN_CUSTODY``.
2. ``NO_FINAL_ORDER`` — fails unless ``order_status == FINAL``.
3. ``LEGAL_HOLD`` — a hold is in force on the departure date D (UTC date of ``departure_utc``) when
   a reason is set (non-blank) and there is no until-date or ``hold_until >= D``. A hold until the
   departure day itself therefore blocks; a hold that ended the day before does not. An until-date
   without a reason is no hold.
4. ``NATIONALITY_NOT_VERIFIED`` — only where receiving country C requires verification: fails
   unless the *latest* verification for C is CONFIRMED (none at all fails). The latest per country
   is the one with the greatest ``(verified_on, sequence)``; on a full tie the least favourable
   result counts (NOT_CONFIRMED, then PENDING, then CONFIRMED), so ties can never help a person.
5. ``NATIONALITY_MISMATCH`` — the confirmed nationalities are the countries whose latest
   verification is CONFIRMED. Rule 5 passes when C is confirmed. Otherwise it fails when some other
   country is confirmed, or C differs from the claimed nationality, or C's latest answer is
   NOT_CONFIRMED (C itself said the person is not its national). Hence an unverified person flying
   to the claimed country gets only ``NATIONALITY_NOT_VERIFIED`` (where C requires verification) and
   passes where C needs no verification; a person C has refused gets both codes.
6. ``NO_VALID_DOCUMENT`` — passes when some document is VALID, of a type C accepts, issued by C and
   ``expires_on >= arrival date + min_validity_days``, where the arrival date is conservatively the
   departure UTC date + 1 day. (An expiry exactly on that limit passes.)
7. ``FACILITY_CANNOT_REACH`` — passes when the person's facility transfers to the stop's departure
   airport and ``now + transfer_hours <= departure_utc`` (computed as
   ``transfer_hours * 3600 <= (departure_utc - now).total_seconds()``). No facility fails.
8. ``NO_MEDICAL_CAPACITY`` when the need is MEDICAL_ESCORT and the flight has no medical slot;
   ``NO_WHEELCHAIR_CAPACITY`` when the need is WHEELCHAIR and it has no wheelchair slot.
9. ``AFTER_NOTICE_CUTOFF`` — fails when ``now >= departure_utc - notice_days`` (the cut-off instant
   itself is too late), unless the person is already on the manifest sent for that stop.
10. ``FAMILY_MEMBER_INELIGIBLE`` — for one stop S: a person fails rule 10 when some *other* member
   of the same family group fails any of rules 1–9 for S. A person whose only failure is their
   family gets exactly ``(FAMILY_MEMBER_INELIGIBLE,)``; a lone failing member does not get it (the
   rest of the family does). The caller decides who belongs to the group (every member passed in).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol, TypeVar

from planner.domain.enums import (
    CustodyStatus,
    DocumentStatus,
    MedicalNeed,
    OrderStatus,
    ReasonCode,
    VerificationResult,
)

#: Days added to the departure UTC date to get the (conservative) arrival date for rule 6.
ARRIVAL_DAYS_AFTER_DEPARTURE = 1

#: Tie-break among verifications with equal (verified_on, sequence): higher rank wins (is "later").
RESULT_TIE_RANK: Mapping[str, int] = {
    VerificationResult.CONFIRMED.value: 0,
    VerificationResult.PENDING.value: 1,
    VerificationResult.NOT_CONFIRMED.value: 2,
}

K = TypeVar("K", bound=Hashable)


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
        """The latest verification per country (see rule 4 in the module docstring)."""
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
    return _require_aware(stop.departure_utc, "departure_utc").astimezone(UTC).date()


def hold_in_force(reason: str | None, hold_until: date | None, on: date) -> bool:
    """Rule 3: a hold with a non-blank reason and no until-date, or an until-date on/after ``on``."""
    if reason is None or not reason.strip():
        return False
    return hold_until is None or hold_until >= on


def minimum_expiry(stop: StopFacts, rule: CountryRuleFacts) -> date:
    """Rule 6: the earliest ``expires_on`` a document may have for this stop."""
    return departure_date(stop) + timedelta(days=ARRIVAL_DAYS_AFTER_DEPARTURE + rule.min_validity_days)


def notice_cutoff(stop: StopFacts, rule: CountryRuleFacts) -> datetime:
    """Rule 9: from this instant on nobody may be added to the stop."""
    return stop.departure_utc - timedelta(days=rule.notice_days)


def document_accepted(doc: DocumentFacts, rule: CountryRuleFacts, earliest_expiry: date) -> bool:
    """Rule 6 for one document."""
    return (
        doc.status == DocumentStatus.VALID
        and doc.doc_type in rule.accepted_document_types
        and doc.issuing_country == rule.country
        and doc.expires_on >= earliest_expiry
    )


def facility_reaches(transfer_hours: Mapping[str, float], stop: StopFacts, now: datetime) -> bool:
    """Rule 7: the facility transfers to the departure airport and arrives by departure time."""
    hours = transfer_hours.get(stop.departure_airport)
    if hours is None:
        return False
    return hours * 3600.0 <= (stop.departure_utc - now).total_seconds()


def check_person(
    person: PersonFacts,
    stop: StopFacts,
    rule: CountryRuleFacts,
    *,
    now: datetime,
    on_sent_manifest: bool = False,
) -> tuple[ReasonCode, ...]:
    """All failed rules 1–9 for ``person`` at ``stop`` (receiving country ``rule.country``), in rule
    order; empty means eligible (before the family rule). ``now`` must be timezone-aware."""
    _require_aware(now, "now")
    if rule.country != stop.country:
        raise ValueError(f"rule for {rule.country} given for a stop in {stop.country}")
    country = stop.country
    reasons: list[ReasonCode] = []

    if person.custody_status != CustodyStatus.IN_CUSTODY:
        reasons.append(ReasonCode.NOT_IN_CUSTODY)
    if person.order_status != OrderStatus.FINAL:
        reasons.append(ReasonCode.NO_FINAL_ORDER)
    if hold_in_force(person.legal_hold_reason, person.hold_until, departure_date(stop)):
        reasons.append(ReasonCode.LEGAL_HOLD)

    latest = person.latest_verifications()
    latest_for_country = latest.get(country)
    latest_result = latest_for_country.result if latest_for_country is not None else None
    confirmed = {c for c, v in latest.items() if v.result == VerificationResult.CONFIRMED}
    if rule.verification_required and latest_result != VerificationResult.CONFIRMED:
        reasons.append(ReasonCode.NATIONALITY_NOT_VERIFIED)
    if country not in confirmed and (
        confirmed or country != person.nationality or latest_result == VerificationResult.NOT_CONFIRMED
    ):
        reasons.append(ReasonCode.NATIONALITY_MISMATCH)

    earliest_expiry = minimum_expiry(stop, rule)
    if not any(document_accepted(doc, rule, earliest_expiry) for doc in person.documents):
        reasons.append(ReasonCode.NO_VALID_DOCUMENT)
    if not facility_reaches(person.facility_transfer_hours, stop, now):
        reasons.append(ReasonCode.FACILITY_CANNOT_REACH)
    if person.medical_need == MedicalNeed.MEDICAL_ESCORT and stop.medical_slots <= 0:
        reasons.append(ReasonCode.NO_MEDICAL_CAPACITY)
    if person.medical_need == MedicalNeed.WHEELCHAIR and stop.wheelchair_slots <= 0:
        reasons.append(ReasonCode.NO_WHEELCHAIR_CAPACITY)
    if not on_sent_manifest and now >= notice_cutoff(stop, rule):
        reasons.append(ReasonCode.AFTER_NOTICE_CUTOFF)
    return tuple(reasons)


def apply_family_rule(
    own_reasons: Mapping[K, Sequence[ReasonCode]],
    family_groups: Mapping[K, str | None],
) -> dict[K, tuple[ReasonCode, ...]]:
    """Rule 10 for ONE stop. ``own_reasons`` holds each person's rules 1–9 result for that stop and
    must include every member of every family group involved; ``family_groups`` gives each key's
    group (None or missing = no family). Returns the reasons with ``FAMILY_MEMBER_INELIGIBLE``
    appended for everybody with another member who fails."""
    failing_per_group: dict[str, int] = {}
    for key, reasons in own_reasons.items():
        group = family_groups.get(key)
        if group is not None and reasons:
            failing_per_group[group] = failing_per_group.get(group, 0) + 1
    result: dict[K, tuple[ReasonCode, ...]] = {}
    for key, reasons in own_reasons.items():
        group = family_groups.get(key)
        failing = failing_per_group.get(group, 0) if group is not None else 0
        others_failing = failing - (1 if reasons else 0)
        own = tuple(reasons)
        result[key] = (*own, ReasonCode.FAMILY_MEMBER_INELIGIBLE) if others_failing > 0 else own
    return result


def check_people(
    people: Iterable[PersonFacts],
    stop: StopFacts,
    rule: CountryRuleFacts,
    *,
    now: datetime,
    on_sent_manifest: Collection[int] = frozenset(),
) -> dict[int, tuple[ReasonCode, ...]]:
    """Rules 1–10 for every person (by ``person_id``) at one stop; ``people`` must contain whole
    families. ``on_sent_manifest`` holds the person ids already on the manifest sent for the stop."""
    people = list(people)
    own = {
        p.person_id: check_person(p, stop, rule, now=now, on_sent_manifest=p.person_id in on_sent_manifest)
        for p in people
    }
    return apply_family_rule(own, {p.person_id: p.family_group for p in people})


def _require_aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment!r}")
    return moment
