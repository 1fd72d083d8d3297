"""Builders and hypothesis strategies for eligibility facts, shared by the eligibility tests.

Baseline: ``person()`` is eligible for ``stop()`` under ``rule()``; each test changes one thing.
The strategies draw values near every rule's boundary so random instances hit the edges.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

from hypothesis import strategies as st

from planner.domain.eligibility import (
    CountryRuleFacts,
    DocumentFacts,
    PersonFacts,
    PickupFacts,
    StopFacts,
    VerificationFacts,
)
from planner.domain.eligibility.facts import known_zone
from planner.domain.enums import (
    CustodyStatus,
    DocumentStatus,
    DocumentType,
    MedicalNeed,
    OrderStatus,
    VerificationResult,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DEPARTURE = datetime(2025, 3, 20, 8, 0, tzinfo=UTC)
DEPARTURE_DATE = DEPARTURE.date()
#: The conservative arrival date (departure UTC date + 1).
ARRIVAL_DATE = DEPARTURE_DATE + timedelta(days=1)


def rule(**changes: Any) -> CountryRuleFacts:
    base = CountryRuleFacts(
        country="MEX",
        verification_required=True,
        accepted_document_types=frozenset({DocumentType.PASSPORT.value, DocumentType.TRAVEL_DOCUMENT.value}),
        min_validity_days=0,
        max_per_flight=None,
        notice_days=3,
    )
    return replace(base, **changes)


def stop(**changes: Any) -> StopFacts:
    base = StopFacts(
        flight_id=1,
        stop_id=10,
        departure_airport="IAH",
        departure_utc=DEPARTURE,
        country="MEX",
        medical_slots=1,
        wheelchair_slots=1,
    )
    return replace(base, **changes)


def passport(**changes: Any) -> DocumentFacts:
    return replace(DocumentFacts("PASSPORT", "MEX", date(2030, 1, 1), "VALID"), **changes)


def verified(country: str = "MEX", result: str = "CONFIRMED", on: date = date(2025, 1, 10), seq: int = 1):
    return VerificationFacts(country, result, on, seq)


def person(**changes: Any) -> PersonFacts:
    base = PersonFacts(
        person_id=1,
        custody_status=CustodyStatus.IN_CUSTODY.value,
        order_status=OrderStatus.FINAL.value,
        nationality="MEX",
        legal_hold_reason=None,
        hold_until=None,
        facility_transfer_hours={"IAH": 6.0},
        medical_need=MedicalNeed.NONE.value,
        family_group=None,
        documents=(passport(),),
        verifications=(verified(),),
    )
    return replace(base, **changes)


# ---------------------------------------------------------------- strategies for small random instances

COUNTRIES = ("MEX", "GTM", "CHN")
AIRPORTS = ("IAH", "MIA")
BASE_DAY = NOW.date()


@cache
def mostly(good: Any, *bad: Any) -> st.SearchStrategy[Any]:
    """``good`` about 9 times in 10, else one of ``bad``."""
    return st.sampled_from([good] * (9 * max(1, len(bad))) + list(bad))


@cache
def day_near(low: int, high: int) -> st.SearchStrategy[date]:
    return st.integers(low, high).map(lambda d: BASE_DAY + timedelta(days=d))


def others(country: str) -> list[str]:
    return [c for c in COUNTRIES if c != country]


@cache
def documents(home: str) -> st.SearchStrategy[DocumentFacts]:
    return st.builds(
        DocumentFacts,
        doc_type=mostly("PASSPORT", *[t.value for t in DocumentType if t != DocumentType.PASSPORT], "VISA"),
        issuing_country=mostly(home, *others(home)),
        expires_on=day_near(40, 80) | day_near(0, 60),
        status=mostly("VALID", DocumentStatus.REVOKED.value, DocumentStatus.LOST.value),
    )


@cache
def verifications(home: str) -> st.SearchStrategy[VerificationFacts]:
    return st.builds(
        VerificationFacts,
        country=mostly(home, *others(home)),
        result=mostly("CONFIRMED", "NOT_CONFIRMED", "PENDING", "UNKNOWN"),
        verified_on=day_near(-3, -1),
        sequence=st.integers(0, 2),
    )


@cache
def document_lists(home: str) -> st.SearchStrategy[list[DocumentFacts]]:
    return st.lists(documents(home), min_size=1, max_size=3)


@cache
def verification_lists(home: str) -> st.SearchStrategy[list[VerificationFacts]]:
    return st.lists(verifications(home), min_size=1, max_size=3)


transfer_hours = st.sampled_from([0.0, 2.5, 6.0, 6.0, 24.0, 48.0, 72.0, 200.0])


@st.composite
def facility_hours(draw: st.DrawFn) -> dict[str, float]:
    return {a: draw(transfer_hours) for a in AIRPORTS if draw(mostly(True, False))}


@st.composite
def people_facts(draw: st.DrawFn, person_id: int) -> PersonFacts:
    """A person who is, more often than not, eligible for some stop to their home country."""
    home = draw(st.sampled_from(COUNTRIES))
    return PersonFacts(
        person_id=person_id,
        custody_status=draw(mostly("IN_CUSTODY", "RELEASED", "REMOVED")),
        order_status=draw(mostly("FINAL", "PENDING", "NONE")),
        nationality=draw(mostly(home, *others(home))),
        legal_hold_reason=draw(mostly(None, "", "  ", "court stay")),
        hold_until=draw(st.none() | day_near(0, 22)),
        facility_transfer_hours=draw(facility_hours()),
        medical_need=draw(mostly("NONE", "MEDICAL_ESCORT", "WHEELCHAIR")),
        family_group=draw(st.sampled_from([None, None, "F1", "F2"])),
        documents=tuple(draw(document_lists(home))),
        verifications=tuple(draw(verification_lists(home))),
    )


#: Departure airport zones, from UTC+14 to UTC−11, plus a name that is no IANA zone (read as "could
#: be anywhere"); every local date differs from the UTC date at some time of day.
ZONES = (
    "UTC",
    "America/New_York",
    "Asia/Shanghai",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "America/Chicago",
    "Not/A_Zone",
)
#: Local departure times near midnight (and a few ordinary ones).
LOCAL_TIMES = (time(0, 0), time(0, 30), time(7, 0), time(12, 0), time(20, 0), time(23, 30), time(23, 59))


@st.composite
def departures(draw: st.DrawFn, zone: str) -> datetime:
    """A departure instant: hours from ``NOW`` on hour and midnight boundaries (the past included,
    cut-off passed), or a local time near midnight at the departure airport a few weeks ahead."""
    if draw(st.booleans()):
        boundaries = st.sampled_from([-1, 0, 2.5, 6, 12, 24, 36, 48, 72, 84, 96, 200])
        return NOW + timedelta(hours=draw(st.sampled_from([24 * 14, 24 * 20]) | boundaries))
    day = BASE_DAY + timedelta(days=draw(st.integers(0, 21)))
    local = datetime.combine(day, draw(st.sampled_from(LOCAL_TIMES)), tzinfo=known_zone(zone) or UTC)
    return local.astimezone(UTC)


@st.composite
def stops_facts(draw: st.DrawFn, stop_id: int) -> StopFacts:
    """A stop; often its flight picks people up at one or two more airports after its departure
    (rule 7 is per pickup)."""
    zone = draw(st.sampled_from(ZONES))
    airport = draw(st.sampled_from(AIRPORTS))
    departure = draw(departures(zone))
    later = draw(st.lists(st.sampled_from([a for a in AIRPORTS if a != airport]), max_size=2, unique=True))
    pickups: tuple[PickupFacts, ...] = ()
    if later:
        when = departure
        pickups = (PickupFacts(0, airport, departure, zone),)
        for sequence, code in enumerate(later, 1):
            when += timedelta(hours=draw(st.sampled_from([0.5, 2.5, 6, 24])))
            pickups += (PickupFacts(sequence, code, when, "UTC"),)
    return StopFacts(
        flight_id=stop_id // 2,
        stop_id=stop_id,
        departure_airport=airport,
        departure_utc=departure,
        country=draw(st.sampled_from(COUNTRIES)),
        medical_slots=draw(st.sampled_from([0, 1])),
        wheelchair_slots=draw(st.sampled_from([0, 1])),
        departure_timezone=zone,
        pickups=pickups,
    )


country_rules = st.fixed_dictionaries(
    {
        c: st.builds(
            CountryRuleFacts,
            country=st.just(c),
            verification_required=mostly(True, False),
            accepted_document_types=st.frozensets(st.sampled_from([t.value for t in DocumentType])).map(
                lambda types: types | {"PASSPORT"}
            )
            | st.just(frozenset({"TRAVEL_DOCUMENT"})),
            min_validity_days=st.sampled_from([0, 1, 30]),
            max_per_flight=st.none(),
            notice_days=st.sampled_from([0, 1, 3]),
        )
        for c in COUNTRIES
    }
)

VERIFICATION_RESULTS = [r.value for r in VerificationResult]


@st.composite
def instances(
    draw: st.DrawFn,
) -> tuple[list[PersonFacts], list[StopFacts], dict[str, CountryRuleFacts], set[tuple[int, int]]]:
    """A few people, stops, every country's rule and some (person_id, stop_id) pairs on sent manifests."""
    people = [draw(people_facts(100 + i)) for i in range(draw(st.integers(1, 8)))]
    stops = [draw(stops_facts(10 + i)) for i in range(draw(st.integers(1, 5)))]
    rules = draw(country_rules)
    pairs = [(p.person_id, s.stop_id) for p in people for s in stops]
    sent = draw(st.sets(st.sampled_from(pairs), max_size=4)) if pairs else set()
    return people, stops, rules, sent
