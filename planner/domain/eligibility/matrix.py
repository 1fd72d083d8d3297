"""Set-based eligibility for the planner: every eligible (person, stop) pair at once, with numpy.

Pure (no database). Same semantics as ``planner.domain.eligibility.scalar`` (see its module
docstring); a hypothesis test proves ``evaluate`` returns exactly the pairs ``check_person`` +
``apply_family_rule`` allow. The evaluator knows no rule: it walks ``registry.RULES`` and calls
each rule's masks (``planner.domain.eligibility.rule`` says what they are).

How it stays fast: a person can only pass the nationality rule for receiving country C when C is
a confirmed nationality or the claimed one. So for each country C only the people passing the
person rules (``PersonRule``: one verdict per person for all of C's stops), and not failing a stop
rule at every stop (``StopRule.never_passes``), are *candidates*; the stop rules and the family rule
are evaluated as boolean matrices over C's stops × C's candidates, in blocks of stops so memory
stays bounded. Nobody else is eligible for C's stops; the planner explains them lazily with
``reasons_per_stop``.

``evaluate_with_reasons`` also returns, in the same pass, a ``ReasonSummary`` per person: bit masks
of the reasons failing at every / at some of the person's candidate stops (the stops to
``related_countries``) and their number; ``headline_codes`` picks the reason to show. Person rules
need no matrix for that, stop rules give it by ``StopRule.summary`` (from per-stop extremes), and
the family rule counts it from the candidate matrix blocks before it is applied.

The tables and their encoding are in ``planner.domain.eligibility.tables`` (re-exported here).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

import numpy as np

from planner.domain.eligibility.encoding import (
    DOCUMENT_TYPES,
    EPOCH,
    EPOCH_ORDINAL,
    HOLD_INDEFINITE,
    HOLD_NONE,
    MEDICAL_NEEDS,
    NO_INDEX,
    US_PER_DAY,
    VERIFICATION_RESULTS,
    BoolArray,
    IntArray,
    encode,
    epoch_us,
)
from planner.domain.eligibility.facts import CountryRuleFacts, PersonFacts, StopFacts
from planner.domain.eligibility.registry import RULES, Registry
from planner.domain.eligibility.rule import (
    CountryView,
    Evaluation,
    GroupExplainer,
    PersonRule,
    StopRule,
)
from planner.domain.eligibility.scalar import apply_family_rule, check_person
from planner.domain.eligibility.tables import (
    DocumentsTable,
    EligibilityTables,
    PeopleColumns,
    PeopleTable,
    RulesTable,
    StopsTable,
    VerificationsTable,
    encode_tables,
    tables_from_facts,
)
from planner.domain.enums import ReasonCode

log = logging.getLogger(__name__)

#: Upper bound on the cells of one stops × candidates block (bounds memory to a few tens of MB).
BLOCK_CELLS = 4_000_000


@dataclass(frozen=True, eq=False)
class EligiblePairs:
    """The eligible (person row, stop row) pairs after rules 1–10, CSR by stop: the people of stop
    s are ``person[stop_ptr[s]:stop_ptr[s + 1]]``, ascending."""

    stop_ptr: IntArray  # int64[S + 1]
    person: IntArray  # int32[nnz]

    def __len__(self) -> int:
        return len(self.person)

    def for_stop(self, stop: int) -> IntArray:
        """Person rows eligible for stop row ``stop``."""
        return self.person[self.stop_ptr[stop] : self.stop_ptr[stop + 1]]

    @property
    def stop(self) -> IntArray:
        """Stop row of each pair (parallel to ``person``)."""
        return np.repeat(np.arange(len(self.stop_ptr) - 1, dtype=np.int32), np.diff(self.stop_ptr))

    def pair_set(self) -> set[tuple[int, int]]:
        """All pairs as a Python set of (person row, stop row); for tests and small data."""
        return set(zip(self.person.tolist(), self.stop.tolist(), strict=True))


#: ``ReasonCode`` in rule (registry) order: bit ``i`` of a reason mask stands for ``REASON_CODES[i]``.
REASON_CODES: tuple[ReasonCode, ...] = RULES.codes
#: The mask bit of each reason code.
REASON_BITS: Mapping[ReasonCode, int] = RULES.bits
#: Every reason bit set.
ALL_REASONS_MASK = RULES.all_reasons_mask
#: Headline code: no reason (eligible at every candidate stop, or — from ``headline_codes`` alone —
#: no candidate stop at all).
NO_REASON = -1
#: Headline code of ``ReasonSummary.headline_codes`` for a person without any candidate stop; the
#: planner reports it as ``NO_FLIGHT_TO_COUNTRY`` (not a ``ReasonCode``: no stop to explain).
NO_FLIGHT_CODE = -2
NO_FLIGHT_TO_COUNTRY = "NO_FLIGHT_TO_COUNTRY"


@cache
def _first_bit(rule_count: int) -> IntArray:
    """Index of the lowest set bit of every mask of ``rule_count`` bits (``NO_REASON`` for 0)."""
    return np.array([NO_REASON] + [(m & -m).bit_length() - 1 for m in range(1, 1 << rule_count)], np.int8)


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

    all_mask: IntArray  # uint16[N]
    any_mask: IntArray  # uint16[N]
    candidate_stops: IntArray  # int32[N]
    registry: Registry = field(default=RULES)

    def __len__(self) -> int:
        return len(self.candidate_stops)

    def headline_codes(self) -> IntArray:
        """int8[N]: ``headline_codes(all_mask, any_mask)``, but ``NO_FLIGHT_CODE`` for people
        without candidate stops."""
        codes = headline_codes(self.all_mask, self.any_mask, registry=self.registry)
        codes[self.candidate_stops == 0] = NO_FLIGHT_CODE
        return codes

    def headline(self, row: int) -> ReasonCode | str | None:
        """The headline of one person row: a ``ReasonCode``, ``NO_FLIGHT_TO_COUNTRY`` or None
        (eligible at every candidate stop)."""
        if self.candidate_stops[row] == 0:
            return NO_FLIGHT_TO_COUNTRY
        return headline_reason(int(self.all_mask[row]), int(self.any_mask[row]), registry=self.registry)


def headline_codes(all_mask: IntArray, any_mask: IntArray, *, registry: Registry = RULES) -> IntArray:
    """Vectorised headline, int8 per element: the index in ``REASON_CODES`` of the first reason (rule
    order) set in ``all_mask``, else of the first set in ``any_mask``, else ``NO_REASON``. Masks must
    hold only reason bits (``0 <= mask <= ALL_REASONS_MASK``)."""
    first = _first_bit(len(registry.rules))
    all_mask, any_mask = np.asarray(all_mask), np.asarray(any_mask)
    return np.where(all_mask != 0, first[all_mask], first[any_mask]).astype(np.int8)


def headline_reason(all_mask: int, any_mask: int, *, registry: Registry = RULES) -> ReasonCode | None:
    """Scalar ``headline_codes``: the first reason failing at every candidate stop, else the first
    failing at some stop, else None."""
    code = int(_first_bit(len(registry.rules))[all_mask if all_mask else any_mask])
    return None if code == NO_REASON else registry.codes[code]


def decode_reasons(mask: int) -> tuple[ReasonCode, ...]:
    """The reason codes of ``mask``, in rule order."""
    return RULES.decode(mask)


def reason_mask(reasons: Iterable[ReasonCode]) -> int:
    """The mask of ``reasons`` (inverse of ``decode_reasons``)."""
    return RULES.mask(reasons)


def evaluate(tables: EligibilityTables, *, now: datetime, registry: Registry = RULES) -> EligiblePairs:
    """Every (person row, stop row) pair that passes rules 1–10 at instant ``now`` (timezone-aware).
    Raises ``ValueError`` when a stop's country has no rule."""
    return _evaluate(tables, now, with_reasons=False, registry=registry)[0]


def evaluate_with_reasons(
    tables: EligibilityTables, *, now: datetime, registry: Registry = RULES
) -> tuple[EligiblePairs, ReasonSummary]:
    """``evaluate`` plus, in the same pass, the ``ReasonSummary`` of every person (see there).
    Same arguments, same errors."""
    pairs, summary = _evaluate(tables, now, with_reasons=True, registry=registry)
    assert summary is not None
    return pairs, summary


def reason_summary(tables: EligibilityTables, *, now: datetime, registry: Registry = RULES) -> ReasonSummary:
    """Only the ``ReasonSummary`` of ``evaluate_with_reasons`` (the eligible pairs are discarded)."""
    return evaluate_with_reasons(tables, now=now, registry=registry)[1]


def _evaluate(
    tables: EligibilityTables, now: datetime, *, with_reasons: bool, registry: Registry
) -> tuple[EligiblePairs, ReasonSummary | None]:
    evaluation = Evaluation(tables, epoch_us(now))
    stops, rules = tables.stops, tables.rules
    n_people = len(tables.people)
    stop_countries = np.unique(stops.country)
    missing = [int(c) for c in stop_countries if c < 0 or not rules.has_rule[c]]
    if missing:
        raise ValueError(f"no country rule for stop countries {[tables.countries[c] for c in missing]}")
    family = registry.family_rule
    summary = _SummaryBuilder(n_people, registry) if with_reasons else None

    people_of_stop: list[IntArray | None] = [None] * len(stops)
    for country in stop_countries.tolist():
        view = CountryView(evaluation, country, np.flatnonzero(stops.country == country))
        person_fails = {rule.code: rule.mask(view) for rule in registry.person_rules}
        candidate = np.ones(n_people, bool)
        for fails in person_fails.values():
            candidate &= ~fails
        for stop_rule in registry.stop_rules:
            if stop_rule.never_passes is not None:
                candidate &= ~stop_rule.never_passes(view)
        reasons = summary.country(view, person_fails) if summary is not None else None
        candidates = np.flatnonzero(candidate).astype(np.int32)
        if candidates.size == 0:
            if reasons is not None:
                reasons.finish()
            continue
        layout = family.layout(view, candidates) if family is not None else None
        if reasons is not None and reasons.family is not None and layout is not None:
            reasons.family.candidates(candidates, layout)
        width = max(candidates.size, reasons.family.width if reasons is not None and reasons.family else 0)
        block = max(1, BLOCK_CELLS // width)
        for start in range(0, view.stops.size, block):
            rows = view.stops[start : start + block]
            matrix = np.ones((rows.size, candidates.size), bool)
            for stop_rule in registry.stop_rules:
                matrix &= ~stop_rule.block(view, rows, candidates)
            if reasons is not None and reasons.family is not None:
                reasons.family.block(matrix)  # rule 10 explained, from the other rules' verdicts
            if layout is not None:
                layout.apply(matrix)  # rule 10
            for row, stop in enumerate(rows.tolist()):
                people_of_stop[stop] = candidates[matrix[row]]
        if reasons is not None:
            reasons.finish()
    result = _to_csr(people_of_stop)
    log.debug("eligibility: %d people x %d stops -> %d pairs", n_people, len(stops), len(result))
    return result, summary.build() if summary is not None else None


def _bit(condition: BoolArray, position: int) -> IntArray:
    """uint16 mask: bit ``position`` where ``condition`` holds, else 0."""
    return condition.astype(np.uint16) << np.uint16(position)


class _SummaryBuilder:
    """Accumulates the ``ReasonSummary`` while ``_evaluate`` walks the countries."""

    def __init__(self, n_people: int, registry: Registry) -> None:
        self.registry = registry
        self.all_mask = np.full(n_people, registry.all_reasons_mask, np.uint16)
        self.any_mask = np.zeros(n_people, np.uint16)
        self.candidate_stops = np.zeros(n_people, np.int32)

    def country(self, view: CountryView, person_fails: Mapping[ReasonCode, BoolArray]) -> _CountryReasons:
        """Every rule but the family rule over the stops of ``view`` for the people related to its
        country (``person_fails``: each person rule's mask); the family rule follows via the result."""
        rows = view.related
        self.candidate_stops[rows] += view.stops.size
        some = np.zeros(rows.size, np.uint16)
        every = np.zeros(rows.size, np.uint16)
        for position, rule in enumerate(self.registry.rules):
            if isinstance(rule, PersonRule):
                fails = person_fails[rule.code][rows]
                some |= _bit(fails, position)
                every |= _bit(fails, position)
            elif isinstance(rule, StopRule):
                fails_some, fails_every = rule.summary(view, rows)
                some |= _bit(fails_some, position)
                every |= _bit(fails_every, position)
        family = self.registry.family_rule
        explainer = family.explainer(view, rows) if family is not None else None
        return _CountryReasons(self, rows, some, every, explainer)

    def build(self) -> ReasonSummary:
        self.all_mask[self.candidate_stops == 0] = 0
        return ReasonSummary(self.all_mask, self.any_mask, self.candidate_stops, self.registry)


@dataclass(eq=False)
class _CountryReasons:
    """One country's masks for its related people (``rows``); the family rule's part pending in
    ``family`` until ``finish``."""

    owner: _SummaryBuilder
    rows: IntArray
    any_mask: IntArray
    all_mask: IntArray
    family: GroupExplainer | None

    def finish(self) -> None:
        """Merge this country's masks into the person masks."""
        any_mask, all_mask = self.any_mask, self.all_mask
        if self.family is not None:
            position = len(self.owner.registry.rules) - 1
            family_any, family_all = self.family.masks()
            any_mask = any_mask | _bit(family_any, position)
            all_mask = all_mask | _bit(family_all, position)
        self.owner.any_mask[self.rows] |= any_mask
        self.owner.all_mask[self.rows] &= all_mask


def _to_csr(people_of_stop: list[IntArray | None]) -> EligiblePairs:
    """Concatenate each stop's eligible people (None = nobody) in stop order."""
    stop_ptr = np.zeros(len(people_of_stop) + 1, np.int64)
    stop_ptr[1:] = np.cumsum([0 if rows is None else rows.size for rows in people_of_stop])
    present = [rows for rows in people_of_stop if rows is not None and rows.size]
    person = np.concatenate(present) if present else np.zeros(0, np.int32)
    return EligiblePairs(stop_ptr, person)


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
    registry: Registry = RULES,
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
            pid: check_person(
                m,
                stop,
                rule,
                now=now,
                on_sent_manifest=(pid, stop.stop_id) in sent_manifest,
                registry=registry,
            )
            for pid, m in members.items()
        }
        explained[stop.stop_id] = apply_family_rule(own, groups, registry=registry)[person.person_id]
    return explained


__all__ = [
    "ALL_REASONS_MASK",
    "BLOCK_CELLS",
    "DOCUMENT_TYPES",
    "EPOCH",
    "EPOCH_ORDINAL",
    "HOLD_INDEFINITE",
    "HOLD_NONE",
    "MEDICAL_NEEDS",
    "NO_FLIGHT_CODE",
    "NO_FLIGHT_TO_COUNTRY",
    "NO_INDEX",
    "NO_REASON",
    "REASON_BITS",
    "REASON_CODES",
    "US_PER_DAY",
    "VERIFICATION_RESULTS",
    "DocumentsTable",
    "EligibilityTables",
    "EligiblePairs",
    "PeopleColumns",
    "PeopleTable",
    "ReasonSummary",
    "RulesTable",
    "StopsTable",
    "VerificationsTable",
    "decode_reasons",
    "encode",
    "encode_tables",
    "evaluate",
    "evaluate_with_reasons",
    "headline_codes",
    "headline_reason",
    "reason_mask",
    "reason_summary",
    "reasons_per_stop",
    "related_countries",
    "tables_from_facts",
]
