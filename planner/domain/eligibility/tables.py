"""The eligibility facts of many people and stops as numpy tables, for the vectorised evaluator.

``countries`` and ``airports`` are the vocabularies of a set of tables; the rest of the encoding is
in ``planner.domain.eligibility.encoding``.

``encode_tables`` is the one encoder: the planner feeds it columns read in bulk from the database
(``PeopleColumns``), the tests feed it ``PersonFacts`` through ``tables_from_facts``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np

from planner.domain.eligibility.encoding import (
    DOCUMENT_TYPES,
    HOLD_INDEFINITE,
    HOLD_NONE,
    MEDICAL_NEEDS,
    NO_INDEX,
    VERIFICATION_RESULTS,
    BoolArray,
    FloatArray,
    IntArray,
    encode,
    epoch_us,
)
from planner.domain.eligibility.facts import (
    CountryRuleFacts,
    PersonFacts,
    StopFacts,
    known_zone,
    local_departure_date,
)
from planner.domain.eligibility.rules.legal_hold import hold_in_force
from planner.domain.enums import CustodyStatus, DocumentStatus, OrderStatus


@dataclass(frozen=True, eq=False)
class PeopleTable:
    """One row per person; index arrays refer to ``EligibilityTables`` vocabularies."""

    person_id: IntArray  # int64[N]
    in_custody: BoolArray  # bool[N]   rule 1
    final_order: BoolArray  # bool[N]  rule 2
    hold_until: IntArray  # int64[N] ordinal of the last day a hold is in force; HOLD_NONE/HOLD_INDEFINITE
    claimed_country: IntArray  # int32[N] index into countries
    facility: IntArray  # int32[N] row of facility_hours, NO_INDEX = no facility
    medical_need: IntArray  # int8[N] index into MEDICAL_NEEDS
    family: IntArray  # int32[N] family index, NO_INDEX = none

    def __len__(self) -> int:
        return len(self.person_id)


@dataclass(frozen=True, eq=False)
class DocumentsTable:
    person: IntArray  # int32[D] row in PeopleTable
    doc_type: IntArray  # int8[D] index into DOCUMENT_TYPES
    issuing_country: IntArray  # int32[D]
    expires_on: IntArray  # int64[D] ordinal
    valid: BoolArray  # bool[D] status == VALID


@dataclass(frozen=True, eq=False)
class VerificationsTable:
    person: IntArray  # int32[V] row in PeopleTable
    country: IntArray  # int32[V]
    result: IntArray  # int8[V] index into VERIFICATION_RESULTS
    verified_on: IntArray  # int64[V] ordinal
    sequence: IntArray  # int64[V]


@dataclass(frozen=True, eq=False)
class StopsTable:
    stop_id: IntArray  # int64[S]
    flight_id: IntArray  # int64[S]
    country: IntArray  # int32[S]
    departure_airport: IntArray  # int32[S] index into airports
    departure_us: IntArray  # int64[S] microseconds since the epoch, UTC (the first pickup)
    departure_local_day: IntArray  # int64[S] ordinal of the departure date at the departure airport
    zone_known: BoolArray  # bool[S] departure_timezone is a known IANA zone (else local day = UTC day)
    medical_slots: IntArray  # int32[S]
    wheelchair_slots: IntArray  # int32[S]
    #: The flight's pickups in flying order, padded to the most pickups of any stop (rule 7 only;
    #: the other date rules read ``departure_us``, the first pickup).
    pickup_airport: IntArray  # int32[S, P] index into airports, NO_INDEX = padding
    pickup_us: IntArray  # int64[S, P] microseconds since the epoch, UTC (padding: 0)

    def __len__(self) -> int:
        return len(self.stop_id)


@dataclass(frozen=True, eq=False)
class RulesTable:
    """Country rules by country index; ``has_rule`` is False where none was given."""

    has_rule: BoolArray  # bool[K]
    verification_required: BoolArray  # bool[K]
    accepted: BoolArray  # bool[K, len(DOCUMENT_TYPES)]
    min_validity_days: IntArray  # int64[K]
    notice_days: IntArray  # int64[K]

    @classmethod
    def build(cls, countries: Sequence[str], rules: Mapping[str, CountryRuleFacts]) -> RulesTable:
        k = len(countries)
        table = cls(
            has_rule=np.zeros(k, bool),
            verification_required=np.ones(k, bool),
            accepted=np.zeros((k, len(DOCUMENT_TYPES)), bool),
            min_validity_days=np.zeros(k, np.int64),
            notice_days=np.zeros(k, np.int64),
        )
        for i, country in enumerate(countries):
            rule = rules.get(country)
            if rule is None:
                continue
            table.has_rule[i] = True
            table.verification_required[i] = rule.verification_required
            table.accepted[i] = [t in rule.accepted_document_types for t in DOCUMENT_TYPES]
            table.min_validity_days[i] = rule.min_validity_days
            table.notice_days[i] = rule.notice_days
        return table


@dataclass(frozen=True, eq=False)
class EligibilityTables:
    """Everything the evaluator needs. ``facility_hours[f, a]`` is the transfer time in hours from
    facility f to airport a (``inf`` = no transfer). ``sent_person``/``sent_stop`` are the
    (person row, stop row) pairs already on a manifest sent to the receiving country (rule 9)."""

    countries: tuple[str, ...]
    airports: tuple[str, ...]
    people: PeopleTable
    documents: DocumentsTable
    verifications: VerificationsTable
    facility_hours: FloatArray  # float64[F, A]
    stops: StopsTable
    rules: RulesTable
    sent_person: IntArray  # int32[M]
    sent_stop: IntArray  # int32[M]


#: (person_id, doc_type, issuing_country, expires_on, status): one row of ``TravelDocument``.
DocumentRow = tuple[int, str, str, date, str]
#: (person_id, country, result, verified_on, sequence): one row of the verification history.
VerificationRow = tuple[int, str, str, date, int]
#: (facility, airport, transfer hours): one row of ``FacilityAirport``.
TransferRow = tuple[int, str, float]


@dataclass(frozen=True, eq=False)
class PeopleColumns:
    """The facts of many people as parallel columns: the bulk form of ``PersonFacts`` (one entry per
    person in each people column, ids unique). ``facility`` refers to ``TransferRow``'s facility
    (None = no facility); document and verification rows of unknown person ids are ignored."""

    person_id: Sequence[int]
    custody_status: Sequence[str]
    order_status: Sequence[str]
    nationality: Sequence[str]
    legal_hold_reason: Sequence[str | None]
    hold_until: Sequence[date | None]
    facility: Sequence[int | None]
    medical_need: Sequence[str]
    family_group: Sequence[str | None]
    documents: Sequence[DocumentRow]
    verifications: Sequence[VerificationRow]
    transfers: Sequence[TransferRow]

    def __len__(self) -> int:
        return len(self.person_id)


def hold_code(reason: str | None, until: date | None) -> int:
    """``PeopleTable.hold_until`` value: a hold is in force on day D iff code >= D.toordinal()."""
    if not hold_in_force(reason, until, date.min):
        return HOLD_NONE
    return HOLD_INDEFINITE if until is None else until.toordinal()


def _index(values: Iterable[str]) -> dict[str, int]:
    return {v: i for i, v in enumerate(values)}


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[tuple[Any, ...]]:
    return list(zip(*rows, strict=True)) if rows else [()] * width


def encode_tables(
    people: PeopleColumns,
    stops: Sequence[StopFacts],
    rules: Mapping[str, CountryRuleFacts],
    *,
    sent_manifest: Collection[tuple[int, int]] = (),
    airports: Iterable[str] = (),
) -> EligibilityTables:
    """Encode ``people`` and ``stops`` (rows keep their order) for the evaluator. ``sent_manifest``
    holds (person_id, stop_id) pairs already on a sent manifest (unknown ids are ignored);
    ``airports`` may add airport codes to the vocabulary."""
    doc_person, doc_type, doc_country, doc_expires, doc_status = _columns(people.documents, 5)
    ver_person, ver_country, ver_result, ver_on, ver_sequence = _columns(people.verifications, 5)
    countries = sorted(
        set(people.nationality)
        | set(doc_country)
        | set(ver_country)
        | {s.country for s in stops}
        | set(rules)
    )
    country_index = _index(countries)
    airport_codes = sorted(
        {s.departure_airport for s in stops}
        | {p.airport for s in stops for p in s.pickups}
        | {airport for _, airport, _ in people.transfers}
        | set(airports)
    )
    airport_index = _index(airport_codes)
    facility_index = {f: i for i, f in enumerate(sorted({facility for facility, _, _ in people.transfers}))}
    facility_hours = np.full((len(facility_index), len(airport_codes)), np.inf)
    for facility, airport, hours in people.transfers:
        facility_hours[facility_index[facility], airport_index[airport]] = hours
    family_index = _index(sorted({f for f in people.family_group if f}))

    person_id = np.array(people.person_id, np.int64)
    by_id = np.argsort(person_id, kind="stable")
    sorted_ids = person_id[by_id]

    def rows_of(ids: Sequence[int]) -> tuple[IntArray, BoolArray]:
        """Person rows of ``ids`` and which ids are known."""
        wanted = np.array(ids, np.int64)
        if not len(sorted_ids):
            return np.zeros(len(wanted), np.int32), np.zeros(len(wanted), bool)
        pos = np.minimum(np.searchsorted(sorted_ids, wanted), len(sorted_ids) - 1)
        return by_id[pos].astype(np.int32), sorted_ids[pos] == wanted

    people_table = PeopleTable(
        person_id=person_id,
        in_custody=np.array([c == CustodyStatus.IN_CUSTODY for c in people.custody_status], bool),
        final_order=np.array([o == OrderStatus.FINAL for o in people.order_status], bool),
        hold_until=np.array(
            [hold_code(r, u) for r, u in zip(people.legal_hold_reason, people.hold_until, strict=True)],
            np.int64,
        ),
        claimed_country=encode(people.nationality, country_index),
        facility=np.array(
            [facility_index.get(f, NO_INDEX) if f is not None else NO_INDEX for f in people.facility],
            np.int32,
        ),
        medical_need=encode(people.medical_need, _index(MEDICAL_NEEDS)).astype(np.int8),
        family=np.array([family_index[f] if f else NO_INDEX for f in people.family_group], np.int32),
    )
    d_row, d_known = rows_of(doc_person)
    documents = DocumentsTable(
        person=d_row[d_known],
        doc_type=encode(doc_type, _index(DOCUMENT_TYPES)).astype(np.int8)[d_known],
        issuing_country=encode(doc_country, country_index)[d_known],
        expires_on=np.fromiter((d.toordinal() for d in doc_expires), np.int64, len(doc_expires))[d_known],
        valid=np.array([s == DocumentStatus.VALID for s in doc_status], bool)[d_known],
    )
    v_row, v_known = rows_of(ver_person)
    verifications = VerificationsTable(
        person=v_row[v_known],
        country=encode(ver_country, country_index)[v_known],
        result=encode(ver_result, _index(VERIFICATION_RESULTS)).astype(np.int8)[v_known],
        verified_on=np.fromiter((d.toordinal() for d in ver_on), np.int64, len(ver_on))[v_known],
        sequence=np.array(ver_sequence, np.int64)[v_known],
    )
    stops_table = StopsTable(
        stop_id=np.array([s.stop_id for s in stops], np.int64),
        flight_id=np.array([s.flight_id for s in stops], np.int64),
        country=encode((s.country for s in stops), country_index),
        departure_airport=encode((s.departure_airport for s in stops), airport_index),
        departure_us=np.array([epoch_us(s.departure_utc) for s in stops], np.int64),
        departure_local_day=np.array([local_departure_date(s).toordinal() for s in stops], np.int64),
        zone_known=np.array([known_zone(s.departure_timezone) is not None for s in stops], bool),
        medical_slots=np.array([s.medical_slots for s in stops], np.int32),
        wheelchair_slots=np.array([s.wheelchair_slots for s in stops], np.int32),
        pickup_airport=np.zeros((len(stops), 0), np.int32),
        pickup_us=np.zeros((len(stops), 0), np.int64),
    )
    stops_table = _with_pickups(stops_table, stops, airport_index)
    stop_row = {s.stop_id: row for row, s in enumerate(stops)}
    sent = [(p, stop_row[s]) for p, s in sent_manifest if s in stop_row]
    s_row, s_known = rows_of([p for p, _ in sent])
    return EligibilityTables(
        countries=tuple(countries),
        airports=tuple(airport_codes),
        people=people_table,
        documents=documents,
        verifications=verifications,
        facility_hours=facility_hours,
        stops=stops_table,
        rules=RulesTable.build(countries, rules),
        sent_person=s_row[s_known],
        sent_stop=np.array([r for _, r in sent], np.int32)[s_known],
    )


def _with_pickups(
    table: StopsTable, stops: Sequence[StopFacts], airport_index: Mapping[str, int]
) -> StopsTable:
    """``table`` with each stop's pickups (``StopFacts.route_pickups``) as padded arrays. Stops of
    one flight share their pickups, so they are encoded once per distinct pickup tuple."""
    width = max((len(s.route_pickups) for s in stops), default=1)
    airport = np.full((len(stops), width), NO_INDEX, np.int32)
    moment = np.zeros((len(stops), width), np.int64)
    encoded: dict[tuple[Any, ...], tuple[list[int], list[int]]] = {}
    for row, stop in enumerate(stops):
        pickups = stop.route_pickups
        key = tuple((p.airport, p.departure_utc) for p in pickups)
        codes = encoded.get(key)
        if codes is None:
            codes = encoded[key] = (
                [airport_index[p.airport] for p in pickups],
                [epoch_us(p.departure_utc) for p in pickups],
            )
        airport[row, : len(pickups)] = codes[0]
        moment[row, : len(pickups)] = codes[1]
    return replace(table, pickup_airport=airport, pickup_us=moment)


def columns_from_facts(people: Sequence[PersonFacts]) -> PeopleColumns:
    """``people`` as columns; people with equal ``facility_transfer_hours`` share one facility."""
    facility_of_hours: dict[tuple[tuple[str, float], ...], int] = {}
    facility: list[int | None] = []
    for p in people:
        key = tuple(sorted(p.facility_transfer_hours.items()))
        facility.append(facility_of_hours.setdefault(key, len(facility_of_hours)) if key else None)
    return PeopleColumns(
        person_id=[p.person_id for p in people],
        custody_status=[p.custody_status for p in people],
        order_status=[p.order_status for p in people],
        nationality=[p.nationality for p in people],
        legal_hold_reason=[p.legal_hold_reason for p in people],
        hold_until=[p.hold_until for p in people],
        facility=facility,
        medical_need=[p.medical_need for p in people],
        family_group=[p.family_group for p in people],
        documents=[
            (p.person_id, d.doc_type, d.issuing_country, d.expires_on, d.status)
            for p in people
            for d in p.documents
        ],
        verifications=[
            (p.person_id, v.country, v.result, v.verified_on, v.sequence)
            for p in people
            for v in p.verifications
        ],
        transfers=[(f, airport, hours) for key, f in facility_of_hours.items() for airport, hours in key],
    )


def tables_from_facts(
    people: Sequence[PersonFacts],
    stops: Sequence[StopFacts],
    rules: Mapping[str, CountryRuleFacts],
    *,
    sent_manifest: Collection[tuple[int, int]] = (),
) -> EligibilityTables:
    """Encode plain facts as tables (rows keep the order of ``people`` and ``stops``).
    ``sent_manifest`` holds (person_id, stop_id) pairs already on a sent manifest."""
    return encode_tables(columns_from_facts(people), stops, rules, sent_manifest=sent_manifest)
