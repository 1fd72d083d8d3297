"""Set-based eligibility for the planner: every eligible (person, stop) pair at once, with numpy.

Pure (no database). Same semantics as ``planner.domain.eligibility.scalar`` (see its module docstring); a
hypothesis test proves ``evaluate`` returns exactly the pairs ``check_person`` +
``apply_family_rule`` allow.

How it stays fast: a person can only pass rule 5 for receiving country C when C is a confirmed
nationality or (nothing is confirmed, C is the claimed nationality and C has not refused). So for
each country C only those people — further narrowed by the person-level rules 1, 2, 4 and the
best document for C — are *candidates*, and the stop-level rules (3, 6, 7, 8, 9) and the family
rule (10) are evaluated as boolean matrices over C's stops × C's candidates, in blocks of stops
so memory stays bounded. Nobody else is eligible for C's stops; the planner explains them lazily
with ``reasons_per_stop``.

``evaluate_with_reasons`` also returns, in the same pass, a ``ReasonSummary`` per person: bit masks
of the reasons failing at every / at some of the person's candidate stops (the stops to
``related_countries``) and their number; ``headline_codes`` picks the reason to show. Rules 1–9 need
no people × stops matrix for that (each compares a person value with per-stop extremes); rule 10 is
counted from the candidate matrix blocks before the family rule is applied.

Encoding: strings become small integers. ``countries`` and ``airports`` are the vocabularies;
document types, verification results and medical needs use the declaration order of their enums
(``-1`` = unknown value, which never helps a person). Dates are proleptic ordinals
(``date.toordinal()``), instants are microseconds since the Unix epoch (UTC).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from planner.domain.eligibility.scalar import (
    ARRIVAL_DAYS_AFTER_DEPARTURE,
    RESULT_TIE_RANK,
    CountryRuleFacts,
    PersonFacts,
    StopFacts,
    apply_family_rule,
    check_person,
    hold_in_force,
)
from planner.domain.enums import (
    CustodyStatus,
    DocumentStatus,
    DocumentType,
    MedicalNeed,
    OrderStatus,
    ReasonCode,
    VerificationResult,
    enum_values,
)

log = logging.getLogger(__name__)

NO_INDEX = -1
#: ``PeopleTable.hold_until`` for "no hold" and for "hold without until-date".
HOLD_NONE = np.iinfo(np.int64).min
HOLD_INDEFINITE = np.iinfo(np.int64).max
DOCUMENT_TYPES: tuple[str, ...] = enum_values(DocumentType)
VERIFICATION_RESULTS: tuple[str, ...] = enum_values(VerificationResult)
MEDICAL_NEEDS: tuple[str, ...] = enum_values(MedicalNeed)

_CONFIRMED = VERIFICATION_RESULTS.index(VerificationResult.CONFIRMED)
_NOT_CONFIRMED = VERIFICATION_RESULTS.index(VerificationResult.NOT_CONFIRMED)
_MEDICAL_ESCORT = MEDICAL_NEEDS.index(MedicalNeed.MEDICAL_ESCORT)
_WHEELCHAIR = MEDICAL_NEEDS.index(MedicalNeed.WHEELCHAIR)
#: Tie rank per result code, plus one more entry (last) for unknown codes (-1).
_TIE_RANK = np.array([RESULT_TIE_RANK[r] for r in VERIFICATION_RESULTS] + [len(RESULT_TIE_RANK)])
US_PER_DAY = 86_400_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
#: Upper bound on the cells of one stops × candidates block (bounds memory to a few tens of MB).
BLOCK_CELLS = 4_000_000


@dataclass(frozen=True, eq=False)
class PeopleTable:
    """One row per person; index arrays refer to ``EligibilityTables`` vocabularies."""

    person_id: np.ndarray  # int64[N]
    in_custody: np.ndarray  # bool[N]   rule 1
    final_order: np.ndarray  # bool[N]  rule 2
    hold_until: np.ndarray  # int64[N] ordinal of the last day a hold is in force; HOLD_NONE/HOLD_INDEFINITE
    claimed_country: np.ndarray  # int32[N] index into countries
    facility: np.ndarray  # int32[N] row of facility_hours, NO_INDEX = no facility
    medical_need: np.ndarray  # int8[N] index into MEDICAL_NEEDS
    family: np.ndarray  # int32[N] family index, NO_INDEX = none

    def __len__(self) -> int:
        return len(self.person_id)


@dataclass(frozen=True, eq=False)
class DocumentsTable:
    person: np.ndarray  # int32[D] row in PeopleTable
    doc_type: np.ndarray  # int8[D] index into DOCUMENT_TYPES
    issuing_country: np.ndarray  # int32[D]
    expires_on: np.ndarray  # int64[D] ordinal
    valid: np.ndarray  # bool[D] status == VALID


@dataclass(frozen=True, eq=False)
class VerificationsTable:
    person: np.ndarray  # int32[V] row in PeopleTable
    country: np.ndarray  # int32[V]
    result: np.ndarray  # int8[V] index into VERIFICATION_RESULTS
    verified_on: np.ndarray  # int64[V] ordinal
    sequence: np.ndarray  # int64[V]


@dataclass(frozen=True, eq=False)
class StopsTable:
    stop_id: np.ndarray  # int64[S]
    flight_id: np.ndarray  # int64[S]
    country: np.ndarray  # int32[S]
    departure_airport: np.ndarray  # int32[S] index into airports
    departure_us: np.ndarray  # int64[S] microseconds since the epoch, UTC
    medical_slots: np.ndarray  # int32[S]
    wheelchair_slots: np.ndarray  # int32[S]

    def __len__(self) -> int:
        return len(self.stop_id)


@dataclass(frozen=True, eq=False)
class RulesTable:
    """Country rules by country index; ``has_rule`` is False where none was given."""

    has_rule: np.ndarray  # bool[K]
    verification_required: np.ndarray  # bool[K]
    accepted: np.ndarray  # bool[K, len(DOCUMENT_TYPES)]
    min_validity_days: np.ndarray  # int64[K]
    notice_days: np.ndarray  # int64[K]

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
    """Everything ``evaluate`` needs. ``facility_hours[f, a]`` is the transfer time in hours from
    facility f to airport a (``inf`` = no transfer). ``sent_person``/``sent_stop`` are the
    (person row, stop row) pairs already on a manifest sent to the receiving country (rule 9)."""

    countries: tuple[str, ...]
    airports: tuple[str, ...]
    people: PeopleTable
    documents: DocumentsTable
    verifications: VerificationsTable
    facility_hours: np.ndarray  # float64[F, A]
    stops: StopsTable
    rules: RulesTable
    sent_person: np.ndarray  # int32[M]
    sent_stop: np.ndarray  # int32[M]


@dataclass(frozen=True, eq=False)
class EligiblePairs:
    """The eligible (person row, stop row) pairs after rules 1–10, CSR by stop: the people of stop
    s are ``person[stop_ptr[s]:stop_ptr[s + 1]]``, ascending."""

    stop_ptr: np.ndarray  # int64[S + 1]
    person: np.ndarray  # int32[nnz]

    def __len__(self) -> int:
        return len(self.person)

    def for_stop(self, stop: int) -> np.ndarray:
        """Person rows eligible for stop row ``stop``."""
        return self.person[self.stop_ptr[stop] : self.stop_ptr[stop + 1]]

    @property
    def stop(self) -> np.ndarray:
        """Stop row of each pair (parallel to ``person``)."""
        return np.repeat(np.arange(len(self.stop_ptr) - 1, dtype=np.int32), np.diff(self.stop_ptr))

    def pair_set(self) -> set[tuple[int, int]]:
        """All pairs as a Python set of (person row, stop row); for tests and small data."""
        return set(zip(self.person.tolist(), self.stop.tolist(), strict=True))


#: ``ReasonCode`` in rule (declaration) order: bit ``i`` of a reason mask stands for ``REASON_CODES[i]``.
REASON_CODES: tuple[ReasonCode, ...] = tuple(ReasonCode)
#: The mask bit of each reason code.
REASON_BITS: Mapping[ReasonCode, int] = {code: 1 << i for i, code in enumerate(REASON_CODES)}
#: Every reason bit set.
ALL_REASONS_MASK = (1 << len(REASON_CODES)) - 1
#: Headline code: no reason (eligible at every candidate stop, or — from ``headline_codes`` alone —
#: no candidate stop at all).
NO_REASON = -1
#: Headline code of ``ReasonSummary.headline_codes`` for a person without any candidate stop; the
#: planner reports it as ``NO_FLIGHT_TO_COUNTRY`` (not a ``ReasonCode``: no stop to explain).
NO_FLIGHT_CODE = -2
NO_FLIGHT_TO_COUNTRY = "NO_FLIGHT_TO_COUNTRY"
#: Index of the lowest set bit of every possible mask (``NO_REASON`` for 0).
_FIRST_BIT = np.array(
    [NO_REASON] + [(m & -m).bit_length() - 1 for m in range(1, ALL_REASONS_MASK + 1)], np.int8
)


@dataclass(frozen=True, eq=False)
class ReasonSummary:
    """Why each person (row-aligned with ``EligibilityTables.people``) is not eligible, over the
    person's *candidate stops*: every stop whose country is a related country of the person (the
    claimed nationality or a confirmed one — ``related_countries``); exactly the stops
    ``reasons_per_stop`` is asked to explain. Every other stop fails rule 5 anyway.

    - ``all_mask``: bit ``i`` (see ``REASON_CODES``) set when reason i fails at EVERY candidate stop;
    - ``any_mask``: bit ``i`` set when reason i fails at SOME candidate stop (``all ⊆ any``);
    - ``candidate_stops``: the number of candidate stops; 0 = no flight to any of the person's
      countries (both masks are then 0).

    A person with ``candidate_stops > 0`` and ``any_mask == 0`` is eligible at every candidate stop.
    Rule 10 is included: a stop's ``FAMILY_MEMBER_INELIGIBLE`` is as ``apply_family_rule`` gives it."""

    all_mask: np.ndarray  # uint16[N]
    any_mask: np.ndarray  # uint16[N]
    candidate_stops: np.ndarray  # int32[N]

    def __len__(self) -> int:
        return len(self.candidate_stops)

    def headline_codes(self) -> np.ndarray:
        """int8[N]: ``headline_codes(all_mask, any_mask)``, but ``NO_FLIGHT_CODE`` for people
        without candidate stops."""
        codes = headline_codes(self.all_mask, self.any_mask)
        codes[self.candidate_stops == 0] = NO_FLIGHT_CODE
        return codes

    def headline(self, row: int) -> ReasonCode | str | None:
        """The headline of one person row: a ``ReasonCode``, ``NO_FLIGHT_TO_COUNTRY`` or None
        (eligible at every candidate stop)."""
        if self.candidate_stops[row] == 0:
            return NO_FLIGHT_TO_COUNTRY
        return headline_reason(int(self.all_mask[row]), int(self.any_mask[row]))


def headline_codes(all_mask: np.ndarray, any_mask: np.ndarray) -> np.ndarray:
    """Vectorised headline, int8 per element: the index in ``REASON_CODES`` of the first reason (rule
    order) set in ``all_mask``, else of the first set in ``any_mask``, else ``NO_REASON``. Masks must
    hold only reason bits (``0 <= mask <= ALL_REASONS_MASK``)."""
    all_mask, any_mask = np.asarray(all_mask), np.asarray(any_mask)
    return np.where(all_mask != 0, _FIRST_BIT[all_mask], _FIRST_BIT[any_mask]).astype(np.int8)


def headline_reason(all_mask: int, any_mask: int) -> ReasonCode | None:
    """Scalar ``headline_codes``: the first reason failing at every candidate stop, else the first
    failing at some stop, else None."""
    code = int(_FIRST_BIT[all_mask if all_mask else any_mask])
    return None if code == NO_REASON else REASON_CODES[code]


def decode_reasons(mask: int) -> tuple[ReasonCode, ...]:
    """The reason codes of ``mask``, in rule order."""
    return tuple(code for i, code in enumerate(REASON_CODES) if mask >> i & 1)


def reason_mask(reasons: Iterable[ReasonCode]) -> int:
    """The mask of ``reasons`` (inverse of ``decode_reasons``)."""
    mask = 0
    for code in reasons:
        mask |= REASON_BITS[code]
    return mask


def epoch_us(moment: datetime) -> int:
    """Microseconds since the Unix epoch of a timezone-aware ``moment`` (exact)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got {moment!r}")
    return (moment - EPOCH) // timedelta(microseconds=1)


def encode(values: Iterable[str | None], index: Mapping[str, int]) -> np.ndarray:
    """Codes of ``values`` in ``index`` as int32; unknown or None -> ``NO_INDEX``."""
    return np.fromiter((index.get(v, NO_INDEX) if v is not None else NO_INDEX for v in values), np.int32)


def evaluate(tables: EligibilityTables, *, now: datetime) -> EligiblePairs:
    """Every (person row, stop row) pair that passes rules 1–10 at instant ``now`` (timezone-aware).
    Raises ``ValueError`` when a stop's country has no rule."""
    return _evaluate(tables, now, with_reasons=False)[0]


def evaluate_with_reasons(tables: EligibilityTables, *, now: datetime) -> tuple[EligiblePairs, ReasonSummary]:
    """``evaluate`` plus, in the same pass, the ``ReasonSummary`` of every person (see there).
    Same arguments, same errors."""
    pairs, summary = _evaluate(tables, now, with_reasons=True)
    assert summary is not None
    return pairs, summary


def reason_summary(tables: EligibilityTables, *, now: datetime) -> ReasonSummary:
    """Only the ``ReasonSummary`` of ``evaluate_with_reasons`` (the eligible pairs are discarded)."""
    return evaluate_with_reasons(tables, now=now)[1]


def _evaluate(
    tables: EligibilityTables, now: datetime, *, with_reasons: bool
) -> tuple[EligiblePairs, ReasonSummary | None]:
    now_us = epoch_us(now)
    people, stops, rules, docs = tables.people, tables.stops, tables.rules, tables.documents
    n_people = len(people)
    stop_countries = np.unique(stops.country)
    missing = [int(c) for c in stop_countries if c < 0 or not rules.has_rule[c]]
    if missing:
        raise ValueError(f"no country rule for stop countries {[tables.countries[c] for c in missing]}")

    latest = _latest_verifications(tables.verifications)
    latest_person, latest_country, latest_result = latest
    is_confirmed = latest_result == _CONFIRMED
    confirmed_count = np.bincount(latest_person[is_confirmed], minlength=n_people)
    person_ok = people.in_custody & people.final_order
    family_size = np.bincount(people.family[people.family >= 0], minlength=1)
    departure_day = stops.departure_us // US_PER_DAY + EPOCH_ORDINAL
    reach = _reach_by_stop(tables, now_us)  # bool[S, F + 1]; last column = no facility
    facility_col = np.where(people.facility >= 0, people.facility, reach.shape[1] - 1)
    need_ok = _need_ok_by_stop(stops)  # bool[S, len(MEDICAL_NEEDS)]
    need_col = np.where(people.medical_need >= 0, people.medical_need, 0)
    open_for_new = now_us < stops.departure_us - rules.notice_days[stops.country] * US_PER_DAY
    doc_type_known = docs.doc_type >= 0
    doc_type_col = np.where(doc_type_known, docs.doc_type, 0)
    summary = (
        _SummaryBuilder(
            tables,
            latest=latest,
            confirmed_count=confirmed_count,
            family_size=family_size,
            departure_day=departure_day,
            reach=reach,
            facility_col=facility_col,
            need_ok=need_ok,
            need_col=need_col,
            open_for_new=open_for_new,
        )
        if with_reasons
        else None
    )

    people_of_stop: list[np.ndarray | None] = [None] * len(stops)
    for country in stop_countries.tolist():
        # Rules 1, 2, 4, 5: person-level for this country.
        in_country = latest_country == country
        candidate = (people.claimed_country == country) & (confirmed_count == 0)
        candidate[latest_person[in_country & (latest_result == _NOT_CONFIRMED)]] = False
        if rules.verification_required[country]:
            candidate[:] = False
        candidate[latest_person[in_country & is_confirmed]] = True
        candidate &= person_ok
        # Rule 6, person part: the latest expiry among acceptable documents for this country.
        acceptable = (
            (docs.issuing_country == country)
            & docs.valid
            & doc_type_known
            & rules.accepted[country][doc_type_col]
        )
        best_expiry = np.full(n_people, np.iinfo(np.int64).min, np.int64)
        np.maximum.at(best_expiry, docs.person[acceptable], docs.expires_on[acceptable])
        country_stops = np.flatnonzero(stops.country == country)
        min_expiry = (
            departure_day[country_stops] + ARRIVAL_DAYS_AFTER_DEPARTURE + rules.min_validity_days[country]
        )
        reasons = summary.country(country, country_stops, min_expiry, best_expiry) if summary else None
        candidate &= best_expiry >= min_expiry.min()
        candidates = np.flatnonzero(candidate).astype(np.int32)
        if candidates.size == 0:
            if reasons is not None:
                reasons.finish()
            continue
        cand_expiry = best_expiry[candidates]
        cand_hold = people.hold_until[candidates]
        cand_facility = facility_col[candidates]
        cand_need = need_col[candidates]
        families = _FamilyLayout.of(people.family[candidates], family_size)
        if reasons is not None:
            reasons.family_candidates(candidates, families)
        width = max(candidates.size, reasons.family_width if reasons is not None else 0)
        block = max(1, BLOCK_CELLS // width)
        for start in range(0, country_stops.size, block):
            rows = country_stops[start : start + block]
            matrix = cand_expiry[None, :] >= min_expiry[start : start + block, None]  # rule 6
            matrix &= cand_hold[None, :] < departure_day[rows, None]  # rule 3
            matrix &= reach[rows][:, cand_facility]  # rule 7
            matrix &= need_ok[rows][:, cand_need]  # rule 8
            _apply_notice_rule(matrix, rows, candidates, open_for_new, tables)  # rule 9
            if reasons is not None:
                reasons.family_block(matrix)  # rule 10 explained, from the rules 1-9 verdicts
            families.apply(matrix)  # rule 10
            for row, stop in enumerate(rows.tolist()):
                people_of_stop[stop] = candidates[matrix[row]]
        if reasons is not None:
            reasons.finish()
    result = _to_csr(people_of_stop)
    log.debug("eligibility: %d people x %d stops -> %d pairs", n_people, len(stops), len(result))
    return result, summary.build() if summary is not None else None


def _latest_verifications(v: VerificationsTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(person, country, result) of the latest verification per (person, country)."""
    if len(v.person) == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0, np.int8)
    rank = _TIE_RANK[np.where(v.result >= 0, v.result, len(_TIE_RANK) - 1)]
    order = np.lexsort((rank, v.sequence, v.verified_on, v.country, v.person))
    person, country = v.person[order], v.country[order]
    last = np.ones(len(order), bool)
    last[:-1] = (person[1:] != person[:-1]) | (country[1:] != country[:-1])
    return person[last].astype(np.int64), country[last].astype(np.int64), v.result[order][last]


def _reach_by_stop(tables: EligibilityTables, now_us: int) -> np.ndarray:
    """Rule 7 per stop × facility: bool[S, F + 1], the extra last column (no facility) all False."""
    # Pad with an unreachable last row/column: index NO_INDEX (-1) then selects it.
    hours = np.pad(
        np.asarray(tables.facility_hours, np.float64),
        ((0, 1), (0, 1)),
        constant_values=np.inf,
    )
    slack_seconds = (tables.stops.departure_us - now_us) / 1e6
    return np.ascontiguousarray((hours[:, tables.stops.departure_airport] * 3600.0 <= slack_seconds).T)


def _need_ok_by_stop(stops: StopsTable) -> np.ndarray:
    """Rule 8 per stop × medical need: bool[S, len(MEDICAL_NEEDS)]."""
    need_ok = np.ones((len(stops), len(MEDICAL_NEEDS)), bool)
    need_ok[:, _MEDICAL_ESCORT] = stops.medical_slots > 0
    need_ok[:, _WHEELCHAIR] = stops.wheelchair_slots > 0
    return need_ok


def _apply_notice_rule(
    matrix: np.ndarray,
    rows: np.ndarray,
    candidates: np.ndarray,
    open_for_new: np.ndarray,
    tables: EligibilityTables,
) -> None:
    """Rule 9 in place: on stops past the cut-off only people on the sent manifest stay."""
    closed = np.flatnonzero(~open_for_new[rows])
    if closed.size == 0:
        return
    allowed = np.zeros((closed.size, candidates.size), bool)
    closed_stops = rows[closed]  # ascending, as rows are
    on_closed = np.isin(tables.sent_stop, closed_stops)
    sent_people = tables.sent_person[on_closed]
    col = np.searchsorted(candidates, sent_people)
    is_candidate = (col < candidates.size) & (candidates[np.minimum(col, candidates.size - 1)] == sent_people)
    row = np.searchsorted(closed_stops, tables.sent_stop[on_closed])
    allowed[row[is_candidate], col[is_candidate]] = True
    matrix[closed] &= allowed


@dataclass(frozen=True, eq=False)
class _FamilyLayout:
    """Columns of one country's candidate matrix grouped by family, for rule 10."""

    order: np.ndarray  # candidate columns that belong to a family, grouped by family
    starts: np.ndarray  # first position of each family within ``order``
    counts: np.ndarray  # candidate members per family
    whole: np.ndarray  # bool: every member of the family is a candidate

    @classmethod
    def of(cls, family: np.ndarray, family_size: np.ndarray) -> _FamilyLayout:
        columns = np.flatnonzero(family >= 0)
        order = columns[np.argsort(family[columns], kind="stable")]
        grouped = family[order]
        starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]]) if order.size else order
        counts = np.diff(np.r_[starts, order.size])
        return cls(order, starts, counts, counts == family_size[grouped[starts]])

    def apply(self, matrix: np.ndarray) -> None:
        """A family's columns become the AND over its members (False unless the family is whole)."""
        if self.order.size == 0:
            return
        together = np.logical_and.reduceat(matrix[:, self.order], self.starts, axis=1) & self.whole
        matrix[:, self.order] = np.repeat(together, self.counts, axis=1)


def _bit(condition: np.ndarray, code: ReasonCode) -> np.ndarray:
    """uint16 mask: ``code``'s bit where ``condition`` holds, else 0."""
    return condition.astype(np.uint16) << np.uint16(REASON_CODES.index(code))


_LatestVerifications = tuple[np.ndarray, np.ndarray, np.ndarray]


class _SummaryBuilder:
    """Accumulates the ``ReasonSummary`` while ``_evaluate`` walks the countries.

    Every reason except rule 10 fails at a stop through a per-person value compared with a per-stop
    value (or a person-level constant), so its AND/OR over a country's stops needs only that
    country's extreme stop values. Rule 10 needs the other members' rules 1–9 verdicts, i.e. the
    candidate matrix of ``_evaluate`` before ``_FamilyLayout.apply`` (see ``_CountryReasons``)."""

    def __init__(
        self,
        tables: EligibilityTables,
        *,
        latest: _LatestVerifications,
        confirmed_count: np.ndarray,
        family_size: np.ndarray,
        departure_day: np.ndarray,
        reach: np.ndarray,
        facility_col: np.ndarray,
        need_ok: np.ndarray,
        need_col: np.ndarray,
        open_for_new: np.ndarray,
    ) -> None:
        people = tables.people
        n = len(people)
        self.tables = tables
        self.latest = latest
        self.confirmed_count = confirmed_count
        self.family_size = family_size
        self.departure_day = departure_day
        self.reach = reach
        self.facility_col = facility_col
        self.need_ok = need_ok
        self.need_col = need_col
        self.closed = ~open_for_new
        self.all_mask = np.full(n, ALL_REASONS_MASK, np.uint16)
        self.any_mask = np.zeros(n, np.uint16)
        self.candidate_stops = np.zeros(n, np.int32)
        self.person_bits = _bit(~people.in_custody, ReasonCode.NOT_IN_CUSTODY) | _bit(
            ~people.final_order, ReasonCode.NO_FINAL_ORDER
        )
        self.need_bits = np.zeros(len(MEDICAL_NEEDS), np.uint16)
        self.need_bits[_MEDICAL_ESCORT] = REASON_BITS[ReasonCode.NO_MEDICAL_CAPACITY]
        self.need_bits[_WHEELCHAIR] = REASON_BITS[ReasonCode.NO_WHEELCHAIR_CAPACITY]
        # Distinct (person, stop) pairs on sent manifests of stops past their cut-off (rule 9).
        sent_person = np.asarray(tables.sent_person, np.int64)
        sent_stop = np.asarray(tables.sent_stop, np.int64)
        on_closed = self.closed[sent_stop]
        pair = np.unique(sent_person[on_closed] * max(1, len(tables.stops)) + sent_stop[on_closed])
        self.sent_closed_person = pair // max(1, len(tables.stops))
        self.sent_closed_country = tables.stops.country[pair % max(1, len(tables.stops))]

    def country(
        self,
        country: int,
        country_stops: np.ndarray,
        min_expiry: np.ndarray,
        best_expiry: np.ndarray,
    ) -> _CountryReasons:
        """Rules 1–9 over the stops of ``country`` (all of them, ascending rows) for the people related
        to it; ``min_expiry``/``best_expiry`` as in ``_evaluate``. Rule 10 follows via the result."""
        people, rules = self.tables.people, self.tables.rules
        n = len(people)
        latest_person, latest_country, latest_result = self.latest
        in_country = latest_country == country
        confirmed = np.zeros(n, bool)
        confirmed[latest_person[in_country & (latest_result == _CONFIRMED)]] = True
        refused = np.zeros(n, bool)
        refused[latest_person[in_country & (latest_result == _NOT_CONFIRMED)]] = True
        claimed = people.claimed_country == country
        rows = np.flatnonzero(claimed | confirmed)
        self.candidate_stops[rows] += country_stops.size

        confirmed, refused, claimed = confirmed[rows], refused[rows], claimed[rows]
        constant = self.person_bits[rows]  # rules 1, 2
        if rules.verification_required[country]:
            constant |= _bit(~confirmed, ReasonCode.NATIONALITY_NOT_VERIFIED)  # rule 4
        mismatch = ~confirmed & ((self.confirmed_count[rows] > 0) | ~claimed | refused)
        constant |= _bit(mismatch, ReasonCode.NATIONALITY_MISMATCH)  # rule 5
        any_mask, all_mask = constant.copy(), constant

        days = self.departure_day[country_stops]  # rule 3: fails where hold_until >= day
        hold = people.hold_until[rows]
        any_mask |= _bit(hold >= days.min(), ReasonCode.LEGAL_HOLD)
        all_mask |= _bit(hold >= days.max(), ReasonCode.LEGAL_HOLD)
        expiry = best_expiry[rows]  # rule 6: fails where best expiry < min_expiry
        any_mask |= _bit(expiry < min_expiry.max(), ReasonCode.NO_VALID_DOCUMENT)
        all_mask |= _bit(expiry < min_expiry.min(), ReasonCode.NO_VALID_DOCUMENT)
        reach = self.reach[country_stops]  # rule 7, per facility column
        facility = self.facility_col[rows]
        any_mask |= _bit(~reach.all(axis=0)[facility], ReasonCode.FACILITY_CANNOT_REACH)
        all_mask |= _bit(~reach.any(axis=0)[facility], ReasonCode.FACILITY_CANNOT_REACH)
        need_fail = ~self.need_ok[country_stops]  # rule 8, per need column
        need = self.need_col[rows]
        any_mask |= (self.need_bits * need_fail.any(axis=0))[need]
        all_mask |= (self.need_bits * need_fail.all(axis=0))[need]
        # Rule 9 fails at the closed stops where the person is not on the sent manifest.
        sent = np.bincount(self.sent_closed_person[self.sent_closed_country == country], minlength=n)
        failing = int(self.closed[country_stops].sum()) - sent[rows]
        any_mask |= _bit(failing > 0, ReasonCode.AFTER_NOTICE_CUTOFF)
        all_mask |= _bit(failing == country_stops.size, ReasonCode.AFTER_NOTICE_CUTOFF)
        return _CountryReasons(self, rows, any_mask, all_mask)

    def build(self) -> ReasonSummary:
        self.all_mask[self.candidate_stops == 0] = 0
        return ReasonSummary(self.all_mask, self.any_mask, self.candidate_stops)


class _CountryReasons:
    """One country's masks for its related people (``rows``), rules 1–9 done; rule 10 pending.

    Rule 10 for related person p in family G at stop S fails iff some other member fails rules 1–9
    at S, i.e. iff ``ok_G(S) - ok_p(S) < |G| - 1`` where ``ok`` counts the members passing rules
    1–9. Only ``_evaluate``'s candidates can pass, so a family without candidates fails at every
    stop (for members with |G| >= 2); the others are counted from the candidate matrix blocks."""

    def __init__(self, owner: _SummaryBuilder, rows: np.ndarray, any_mask: np.ndarray, all_mask: np.ndarray):
        self.owner, self.rows, self.any_mask, self.all_mask = owner, rows, any_mask, all_mask
        family = owner.tables.people.family[rows]
        self.family = family
        in_family = family >= 0
        with_others = np.zeros(rows.size, bool)
        with_others[in_family] = owner.family_size[family[in_family]] >= 2
        self.family_any = with_others.copy()
        self.family_all = with_others
        # Filled by family_candidates: the members (positions in rows) whose family has candidates,
        # each one's family slot among the candidate families, the other members it needs passing,
        # and (own_at, own_column): which members are candidates themselves, at which column.
        empty = np.zeros(0, np.int64)
        self.order, self.starts = empty, empty
        self.members, self.member_family, self.others_needed = empty, empty, empty
        self.own_at, self.own_column = empty, empty
        #: Columns of the widest family matrix per stop (bounds the block size with BLOCK_CELLS).
        self.family_width = 0

    def family_candidates(self, candidates: np.ndarray, families: _FamilyLayout) -> None:
        """Prepare rule 10 for the candidate matrix whose columns are ``candidates`` (ascending)."""
        if families.order.size == 0:
            return
        self.order, self.starts = families.order, families.starts
        candidate_families = self.owner.tables.people.family[candidates[families.order[families.starts]]]
        members = np.flatnonzero(self.family_any)
        family = self.family[members]
        slot = np.minimum(np.searchsorted(candidate_families, family), candidate_families.size - 1)
        counted = candidate_families[slot] == family
        self.members, self.member_family = members[counted], slot[counted]
        self.others_needed = self.owner.family_size[family[counted]] - 1
        person = self.rows[self.members]
        column = np.minimum(np.searchsorted(candidates, person), candidates.size - 1)
        is_candidate = candidates[column] == person
        self.own_column, self.own_at = column[is_candidate], np.flatnonzero(is_candidate)
        self.family_any[self.members] = False
        self.family_all[self.members] = True
        self.family_width = max(self.members.size, candidate_families.size)

    def family_block(self, matrix: np.ndarray) -> None:
        """Rule 10 over one block of stops: ``matrix`` = rules 1–9 verdicts (stops × candidates)."""
        if self.members.size == 0:
            return
        ok = np.add.reduceat(matrix[:, self.order].astype(np.int32), self.starts, axis=1)
        others_ok = ok[:, self.member_family]
        others_ok[:, self.own_at] -= matrix[:, self.own_column]
        fails = others_ok < self.others_needed
        self.family_any[self.members] |= fails.any(axis=0)
        self.family_all[self.members] &= fails.all(axis=0)

    def finish(self) -> None:
        """Merge this country's masks into the person masks."""
        any_mask = self.any_mask | _bit(self.family_any, ReasonCode.FAMILY_MEMBER_INELIGIBLE)
        all_mask = self.all_mask | _bit(self.family_all, ReasonCode.FAMILY_MEMBER_INELIGIBLE)
        self.owner.any_mask[self.rows] |= any_mask
        self.owner.all_mask[self.rows] &= all_mask


def _to_csr(people_of_stop: list[np.ndarray | None]) -> EligiblePairs:
    """Concatenate each stop's eligible people (None = nobody) in stop order."""
    stop_ptr = np.zeros(len(people_of_stop) + 1, np.int64)
    stop_ptr[1:] = np.cumsum([0 if rows is None else rows.size for rows in people_of_stop])
    present = [rows for rows in people_of_stop if rows is not None and rows.size]
    person = np.concatenate(present) if present else np.zeros(0, np.int32)
    return EligiblePairs(stop_ptr, person)


def tables_from_facts(
    people: Sequence[PersonFacts],
    stops: Sequence[StopFacts],
    rules: Mapping[str, CountryRuleFacts],
    *,
    sent_manifest: Collection[tuple[int, int]] = (),
) -> EligibilityTables:
    """Encode plain facts as tables (rows keep the order of ``people`` and ``stops``).
    ``sent_manifest`` holds (person_id, stop_id) pairs already on a sent manifest."""
    countries = sorted(
        {p.nationality for p in people}
        | {d.issuing_country for p in people for d in p.documents}
        | {v.country for p in people for v in p.verifications}
        | {s.country for s in stops}
        | set(rules)
    )
    country_index = {c: i for i, c in enumerate(countries)}
    airports = sorted(
        {s.departure_airport for s in stops} | {a for p in people for a in p.facility_transfer_hours}
    )
    airport_index = {a: i for i, a in enumerate(airports)}
    facility_index: dict[tuple[tuple[str, float], ...], int] = {}
    family_index: dict[str, int] = {}
    facility_of = []
    for p in people:
        key = tuple(sorted(p.facility_transfer_hours.items()))
        facility_of.append(facility_index.setdefault(key, len(facility_index)) if key else NO_INDEX)
    facility_hours = np.full((len(facility_index), len(airports)), np.inf)
    for key, row in facility_index.items():
        for airport, hours in key:
            facility_hours[row, airport_index[airport]] = hours
    people_table = PeopleTable(
        person_id=np.array([p.person_id for p in people], np.int64),
        in_custody=np.array([p.custody_status == CustodyStatus.IN_CUSTODY for p in people], bool),
        final_order=np.array([p.order_status == OrderStatus.FINAL for p in people], bool),
        hold_until=np.array([_hold_code(p) for p in people], np.int64),
        claimed_country=encode((p.nationality for p in people), country_index),
        facility=np.array(facility_of, np.int32),
        medical_need=encode((p.medical_need for p in people), _index(MEDICAL_NEEDS)).astype(np.int8),
        family=np.array(
            [
                family_index.setdefault(p.family_group, len(family_index)) if p.family_group else NO_INDEX
                for p in people
            ],
            np.int32,
        ),
    )
    docs = [(row, d) for row, p in enumerate(people) for d in p.documents]
    documents = DocumentsTable(
        person=np.array([row for row, _ in docs], np.int32),
        doc_type=encode((d.doc_type for _, d in docs), _index(DOCUMENT_TYPES)).astype(np.int8),
        issuing_country=encode((d.issuing_country for _, d in docs), country_index),
        expires_on=np.array([d.expires_on.toordinal() for _, d in docs], np.int64),
        valid=np.array([d.status == DocumentStatus.VALID for _, d in docs], bool),
    )
    vers = [(row, v) for row, p in enumerate(people) for v in p.verifications]
    verifications = VerificationsTable(
        person=np.array([row for row, _ in vers], np.int32),
        country=encode((v.country for _, v in vers), country_index),
        result=encode((v.result for _, v in vers), _index(VERIFICATION_RESULTS)).astype(np.int8),
        verified_on=np.array([v.verified_on.toordinal() for _, v in vers], np.int64),
        sequence=np.array([v.sequence for _, v in vers], np.int64),
    )
    stops_table = StopsTable(
        stop_id=np.array([s.stop_id for s in stops], np.int64),
        flight_id=np.array([s.flight_id for s in stops], np.int64),
        country=encode((s.country for s in stops), country_index),
        departure_airport=encode((s.departure_airport for s in stops), airport_index),
        departure_us=np.array([epoch_us(s.departure_utc) for s in stops], np.int64),
        medical_slots=np.array([s.medical_slots for s in stops], np.int32),
        wheelchair_slots=np.array([s.wheelchair_slots for s in stops], np.int32),
    )
    person_row = {p.person_id: row for row, p in enumerate(people)}
    stop_row = {s.stop_id: row for row, s in enumerate(stops)}
    sent = [(person_row[p], stop_row[s]) for p, s in sent_manifest if p in person_row and s in stop_row]
    return EligibilityTables(
        countries=tuple(countries),
        airports=tuple(airports),
        people=people_table,
        documents=documents,
        verifications=verifications,
        facility_hours=facility_hours,
        stops=stops_table,
        rules=RulesTable.build(countries, rules),
        sent_person=np.array([p for p, _ in sent], np.int32),
        sent_stop=np.array([s for _, s in sent], np.int32),
    )


def _hold_code(person: PersonFacts) -> int:
    """``PeopleTable.hold_until`` value: a hold is in force on day D iff code >= D.toordinal()."""
    if not hold_in_force(person.legal_hold_reason, person.hold_until, date.min):
        return int(HOLD_NONE)
    return int(HOLD_INDEFINITE) if person.hold_until is None else person.hold_until.toordinal()


def _index(values: Sequence[str]) -> dict[str, int]:
    return {v: i for i, v in enumerate(values)}


def related_countries(person: PersonFacts) -> frozenset[str]:
    """The claimed and the confirmed nationalities: the receiving countries whose stops are worth
    explaining to an officer (every other country fails rule 5 for the person)."""
    return person.confirmed_nationalities() | {person.nationality}


def reasons_per_stop(
    person: PersonFacts,
    stops: Iterable[StopFacts],
    rules: Mapping[str, CountryRuleFacts],
    *,
    now: datetime,
    family: Iterable[PersonFacts] = (),
    sent_manifest: Collection[tuple[int, int]] = frozenset(),
) -> dict[int, tuple[ReasonCode, ...]]:
    """For ONE person: the failed rules 1–10 at each of ``stops`` (by stop_id; empty = eligible).
    ``family`` holds the person's family members (the person may be among them); ``sent_manifest``
    the (person_id, stop_id) pairs already on a sent manifest. Every stop's country needs a rule."""
    members = {
        m.person_id: m for m in family if person.family_group and m.family_group == person.family_group
    }
    members[person.person_id] = person
    groups = {pid: m.family_group for pid, m in members.items()}
    explained: dict[int, tuple[ReasonCode, ...]] = {}
    for stop in stops:
        rule = rules[stop.country]
        own = {
            pid: check_person(m, stop, rule, now=now, on_sent_manifest=(pid, stop.stop_id) in sent_manifest)
            for pid, m in members.items()
        }
        explained[stop.stop_id] = apply_family_rule(own, groups)[person.person_id]
    return explained
