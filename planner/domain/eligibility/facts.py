"""The plain facts the eligibility rules read (no database): a person, a flight stop, a receiving
country's rule, plus the helpers several rules share (latest verification per country, the stop's
departure dates). The rules themselves live in ``planner.domain.eligibility.rules``.

Departure dates. A departure is one instant (``departure_utc``), but the day a traveller, a court
order or a passport speaks of is a calendar date, and that depends on where it is read: 20:00 on
the 1st in New York is the 2nd in UTC. A stop carries its departure airport's IANA zone
(``departure_timezone``), and a rule that compares calendar days reads the departure on the
*local date at the departure airport* and, where it differs, on the UTC date too, taking whichever
of the two is the conservative one for that rule (``departure_dates``): the earlier for "is a hold
still in force", the later for "is a document still valid". A zone that is not a known IANA name
could put the local date anywhere from UTC−12 to UTC+14, so that span is used instead.

Pickups. A flight may pick people up at several airports before its stops (``StopFacts.pickups``,
in flying order; by default just its departure). Rule 7 (facility reach) is per pickup: a person
may take a stop when their facility reaches at least one pickup of its flight in time. Every other
date-based rule reads the first pickup's departure (``departure_utc``, the earliest, so the
conservative one: a hold must have ended, the notice cut-off is reckoned, from the first moment
the flight leaves)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
class PickupFacts:
    """Pickup ``sequence`` (0 = the flight's departure) of a flight at ``airport``, leaving at
    ``departure_utc``; ``timezone`` is the airport's IANA zone (for the words only)."""

    sequence: int
    airport: str
    departure_utc: datetime
    timezone: str = "UTC"


@dataclass(frozen=True, slots=True)
class StopFacts:
    """One stop of a flight; ``country`` is the receiving country of the stop's airport;
    ``departure_timezone`` is the IANA zone of the flight's departure airport (its local dates).
    ``departure_airport`` / ``departure_utc`` are the first pickup; ``pickups`` the flight's
    pickups in flying order (empty = just the departure, see :attr:`route_pickups`)."""

    flight_id: int
    stop_id: int
    departure_airport: str
    departure_utc: datetime
    country: str
    medical_slots: int = 0
    wheelchair_slots: int = 0
    departure_timezone: str = "UTC"
    pickups: tuple[PickupFacts, ...] = ()

    @property
    def route_pickups(self) -> tuple[PickupFacts, ...]:
        """The flight's pickups in flying order: ``pickups``, or the departure alone."""
        if self.pickups:
            return self.pickups
        return (PickupFacts(0, self.departure_airport, self.departure_utc, self.departure_timezone),)

    @property
    def has_several_pickups(self) -> bool:
        return len(self.pickups) > 1


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


#: The widest offsets from UTC any zone uses (Etc/GMT+12 and Pacific/Kiritimati): the local date of
#: a departure in an unknown zone lies between the dates at these offsets.
EARLIEST_UTC_OFFSET = timedelta(hours=-12)
LATEST_UTC_OFFSET = timedelta(hours=14)


@cache
def known_zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone ``name``; None when it is empty or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def departure_date(stop: StopFacts) -> date:
    """The UTC calendar date of the stop's flight departure."""
    return require_aware(stop.departure_utc, "departure_utc").astimezone(UTC).date()


def local_departure_date(stop: StopFacts) -> date:
    """The calendar date of the departure at the departure airport (``departure_timezone``); the
    UTC date when the zone is unknown."""
    zone = known_zone(stop.departure_timezone)
    moment = require_aware(stop.departure_utc, "departure_utc")
    return moment.astimezone(zone or UTC).date()


def departure_dates(stop: StopFacts) -> tuple[date, date]:
    """(earliest, latest) calendar date the departure falls on, read at the departure airport or in
    UTC: the earliest is the day a legal hold must have ended before, the latest the day a document
    must still be valid after. An unknown zone spans UTC−12 … UTC+14."""
    moment = require_aware(stop.departure_utc, "departure_utc").astimezone(UTC)
    if known_zone(stop.departure_timezone) is None:
        return (moment + EARLIEST_UTC_OFFSET).date(), (moment + LATEST_UTC_OFFSET).date()
    utc, local = moment.date(), local_departure_date(stop)
    return min(utc, local), max(utc, local)


def require_aware(moment: datetime, name: str) -> datetime:
    """``moment`` itself; ``ValueError`` when it is naive."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment!r}")
    return moment
