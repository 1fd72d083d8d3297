"""Benchmark: vectorised eligibility on 100,000 synthetic people × 800 flights (~1,600 stops).

Run with ``pytest tests/bench/bench_eligibility.py -m bench -s`` (the file name is not ``test_*``, so
name it explicitly) or ``python -m tests.bench.bench_eligibility``. Prints the seconds, and the extra
seconds of ``evaluate_with_reasons`` (per-person reason summary + headline codes).
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import numpy as np
import pytest

from planner.domain.eligibility.matrix import (
    DOCUMENT_TYPES,
    HOLD_INDEFINITE,
    HOLD_NONE,
    MEDICAL_NEEDS,
    NO_FLIGHT_CODE,
    NO_REASON,
    REASON_CODES,
    US_PER_DAY,
    VERIFICATION_RESULTS,
    DocumentsTable,
    EligibilityTables,
    PeopleTable,
    RulesTable,
    StopsTable,
    VerificationsTable,
    epoch_us,
    evaluate,
    evaluate_with_reasons,
)
from planner.domain.eligibility.scalar import CountryRuleFacts

COUNTRIES = ("CHN", "COL", "DOM", "ECU", "GTM", "HND", "IND", "MEX", "NIC", "SLV")
HUBS = ("IAH", "MIA", "AEX", "ELP", "SAT", "BRO", "PHX", "MSP")
NOW = datetime(2025, 1, 6, 12, tzinfo=UTC)


def synthetic_tables(n_people: int, n_flights: int, seed: int = 7) -> EligibilityTables:
    """Plausible proportions: most people eligible somewhere, a real share not."""
    rng = np.random.default_rng(seed)
    n_countries, n_facilities = len(COUNTRIES), 40
    claimed = rng.integers(0, n_countries, n_people).astype(np.int32)
    family_of = np.full(n_people, -1, np.int32)
    in_family = rng.random(n_people) < 0.3
    family_ids = np.flatnonzero(in_family)
    # Families of 2–4 consecutive people of one nationality.
    family_of[family_ids] = (family_ids // 3).astype(np.int32)
    claimed[family_ids] = claimed[(family_ids // 3) * 3]
    facility = rng.integers(0, n_facilities, n_people).astype(np.int32)
    facility[family_ids] = facility[(family_ids // 3) * 3]
    today = NOW.date().toordinal()
    hold = np.full(n_people, HOLD_NONE, np.int64)
    held = rng.random(n_people) < 0.05
    hold[held] = np.where(
        rng.random(held.sum()) < 0.5, HOLD_INDEFINITE, today + rng.integers(0, 60, held.sum())
    )
    people = PeopleTable(
        person_id=np.arange(1, n_people + 1, dtype=np.int64),
        in_custody=rng.random(n_people) < 0.95,
        final_order=rng.random(n_people) < 0.9,
        hold_until=hold,
        claimed_country=claimed,
        facility=facility,
        medical_need=rng.choice(len(MEDICAL_NEEDS), n_people, p=[0.94, 0.04, 0.02]).astype(np.int8),
        family=family_of,
    )
    # ~1.1 documents and ~1.3 verifications per person.
    doc_person = np.concatenate([np.arange(n_people), rng.integers(0, n_people, n_people // 10)]).astype(
        np.int32
    )
    documents = DocumentsTable(
        person=doc_person,
        doc_type=rng.choice(len(DOCUMENT_TYPES), doc_person.size, p=[0.75, 0.15, 0.05, 0.05]).astype(np.int8),
        issuing_country=claimed[doc_person],
        expires_on=today + rng.integers(-100, 2000, doc_person.size),
        valid=rng.random(doc_person.size) < 0.95,
    )
    ver_person = np.concatenate([np.arange(n_people), rng.integers(0, n_people, 3 * n_people // 10)]).astype(
        np.int32
    )
    verifications = VerificationsTable(
        person=ver_person,
        country=claimed[ver_person],
        result=rng.choice(len(VERIFICATION_RESULTS), ver_person.size, p=[0.8, 0.1, 0.1]).astype(np.int8),
        verified_on=today - rng.integers(0, 400, ver_person.size),
        sequence=np.arange(ver_person.size, dtype=np.int64),
    )
    facility_hours = np.full((n_facilities, len(HUBS)), np.inf)
    for f in range(n_facilities):
        for hub in rng.choice(len(HUBS), rng.integers(2, 4), replace=False):
            facility_hours[f, hub] = float(rng.integers(2, 30))
    stops_per_flight = rng.integers(1, 4, n_flights)
    flight_of_stop = np.repeat(np.arange(n_flights), stops_per_flight)
    flight_departure = epoch_us(NOW) + rng.integers(0, 90 * US_PER_DAY, n_flights)
    flight_hub = rng.integers(0, len(HUBS), n_flights)
    stops = StopsTable(
        stop_id=np.arange(flight_of_stop.size, dtype=np.int64),
        flight_id=flight_of_stop.astype(np.int64),
        country=rng.integers(0, n_countries, flight_of_stop.size).astype(np.int32),
        departure_airport=flight_hub[flight_of_stop].astype(np.int32),
        departure_us=flight_departure[flight_of_stop],
        # Hubs in US Central time (UTC-6 in winter): the local date of each departure.
        departure_local_day=(flight_departure[flight_of_stop] - 6 * 3_600_000_000) // US_PER_DAY
        + date(1970, 1, 1).toordinal(),
        zone_known=np.ones(flight_of_stop.size, bool),
        medical_slots=rng.integers(0, 3, n_flights)[flight_of_stop].astype(np.int32),
        wheelchair_slots=rng.integers(0, 3, n_flights)[flight_of_stop].astype(np.int32),
    )
    accepted = frozenset({"PASSPORT", "TRAVEL_DOCUMENT"})
    rules = {
        c: CountryRuleFacts(c, True, accepted, 30 if c in {"CHN", "IND"} else 0, None, 7) for c in COUNTRIES
    }
    return EligibilityTables(
        countries=COUNTRIES,
        airports=HUBS,
        people=people,
        documents=documents,
        verifications=verifications,
        facility_hours=facility_hours,
        stops=stops,
        rules=RulesTable.build(COUNTRIES, rules),
        sent_person=np.zeros(0, np.int32),
        sent_stop=np.zeros(0, np.int32),
    )


@pytest.mark.bench
def test_bench_eligibility_100k_people_800_flights() -> None:
    tables = synthetic_tables(100_000, 800)
    evaluate(tables, now=NOW)  # warm-up
    started = time.perf_counter()
    pairs = evaluate(tables, now=NOW)
    seconds = time.perf_counter() - started
    eligible_people = np.unique(pairs.person).size
    print(
        f"\neligibility: {len(tables.people):,} people x {len(tables.stops):,} stops "
        f"({np.unique(tables.stops.flight_id).size} flights) -> {len(pairs):,} eligible pairs, "
        f"{eligible_people:,} people eligible somewhere, {seconds:.3f} s"
    )
    assert seconds < 3.0

    evaluate_with_reasons(tables, now=NOW)  # warm-up
    started = time.perf_counter()
    pairs_too, summary = evaluate_with_reasons(tables, now=NOW)
    codes = summary.headline_codes()
    with_reasons = time.perf_counter() - started
    assert len(pairs_too) == len(pairs)
    named = {NO_REASON: "eligible everywhere", NO_FLIGHT_CODE: "NO_FLIGHT_TO_COUNTRY"}
    named |= dict(enumerate(REASON_CODES))
    values, counts = np.unique(codes, return_counts=True)
    headlines = ", ".join(f"{named[int(v)]} {c:,}" for v, c in zip(values, counts, strict=True))
    print(
        f"with per-person reason summary + headlines: {with_reasons:.3f} s "
        f"(+{with_reasons - seconds:.3f} s); headlines: {headlines}"
    )
    assert with_reasons - seconds < 1.0


if __name__ == "__main__":
    test_bench_eligibility_100k_people_800_flights()
