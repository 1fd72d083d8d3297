"""What an eligibility rule is: a reason code, the words an officer reads, a scalar check over the
facts of one person at one stop, and its vectorised twin over the numpy tables.

Three kinds, by what the verdict depends on:

- ``PersonRule``: the person and the receiving country only (the same at every stop of a country),
  e.g. custody. Vectorised as ``person_mask(view) -> bool[N]`` over every person.
- ``StopRule``: the person and the stop, e.g. the notice cut-off. Vectorised as
  ``block_mask(view, stop_rows, person_rows) -> bool[len(stop_rows), len(person_rows)]``; optionally
  ``summary_mask`` (fails at some / at every stop of the country, without a matrix; by default
  computed from ``block_mask``) and ``never_passes`` (people failing at every stop of the country,
  used only to narrow the candidates).
- ``FamilyRule``: the other members' verdicts (rule 10); at most one, always the last rule.

Every mask answers "fails" (True = the rule refuses the person), like the scalar check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np

from planner.domain.eligibility.encoding import (
    EARLIEST_OFFSET_US,
    EPOCH_ORDINAL,
    LATEST_OFFSET_US,
    US_PER_DAY,
    VERIFICATION_RESULTS,
    BoolArray,
    IntArray,
)
from planner.domain.eligibility.facts import (
    RESULT_TIE_RANK,
    CountryRuleFacts,
    PersonFacts,
    StopFacts,
    VerificationFacts,
    departure_date,
    departure_dates,
    local_departure_date,
)
from planner.domain.enums import ReasonCode, VerificationResult

if TYPE_CHECKING:
    from planner.domain.eligibility.tables import EligibilityTables

T = TypeVar("T")
#: Upper bound on the cells of one stops × people block (bounds memory to a few tens of MB).
BLOCK_CELLS = 4_000_000


class MissingPart(LookupError):
    """A rule lacks its scalar check or its mask (see ``Registry.problems``)."""


# ---------------------------------------------------------------- scalar side


@dataclass(frozen=True, eq=False)
class Case:
    """One person at one stop under the stop country's ``rule``: what a scalar check reads.
    Facts several rules derive (the latest verifications, the departure dates) are computed once."""

    person: PersonFacts
    stop: StopFacts
    rule: CountryRuleFacts
    now: datetime
    on_sent_manifest: bool = False

    @cached_property
    def latest(self) -> dict[str, VerificationFacts]:
        """The latest verification per country."""
        return self.person.latest_verifications()

    @cached_property
    def latest_result(self) -> str | None:
        """The result of the latest verification for the stop's country (None: never asked)."""
        latest = self.latest.get(self.stop.country)
        return latest.result if latest is not None else None

    @cached_property
    def confirmed(self) -> frozenset[str]:
        """The countries whose latest verification is CONFIRMED."""
        return frozenset(c for c, v in self.latest.items() if v.result == VerificationResult.CONFIRMED)

    @cached_property
    def departure_date(self) -> date:
        """The UTC date of the stop's departure."""
        return departure_date(self.stop)

    @cached_property
    def local_departure_date(self) -> date:
        """The date of the stop's departure at its departure airport."""
        return local_departure_date(self.stop)

    @cached_property
    def earliest_departure_date(self) -> date:
        """The earlier of the local and the UTC departure date (see ``facts.departure_dates``)."""
        return departure_dates(self.stop)[0]

    @cached_property
    def latest_departure_date(self) -> date:
        """The later of the local and the UTC departure date (see ``facts.departure_dates``)."""
        return departure_dates(self.stop)[1]


ScalarCheck = Callable[[Case], bool]
#: Rule 10's scalar form: (own reasons per key, family group per key, its code) -> reasons with it.
FamilyCheck = Callable[
    [Mapping[Any, Sequence[ReasonCode]], Mapping[Any, "str | None"], ReasonCode],
    "dict[Any, tuple[ReasonCode, ...]]",
]


# ---------------------------------------------------------------- vectorised side


def _memoised(memo: dict[str, Any], key: str, compute: Callable[[], T]) -> T:
    """``memo[key]``, computed by ``compute()`` the first time."""
    if key not in memo:
        memo[key] = compute()
    value: T = memo[key]
    return value


class Evaluation:
    """One evaluation of ``tables`` at ``now_us`` (microseconds since the epoch): the arrays several
    rules derive, computed on first use, plus ``memo`` for a rule's own derived arrays."""

    def __init__(self, tables: EligibilityTables, now_us: int) -> None:
        self.tables = tables
        self.now_us = now_us
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per evaluation under ``key``."""
        return _memoised(self._memo, key, compute)

    @cached_property
    def latest(self) -> tuple[IntArray, IntArray, IntArray]:
        """(person row, country, result) of the latest verification per (person, country)."""
        v = self.tables.verifications
        if len(v.person) == 0:
            empty = np.zeros(0, np.int64)
            return empty, empty, np.zeros(0, np.int8)
        tie_rank = np.array([_tie_rank(r) for r in VERIFICATION_RESULTS] + [_tie_rank(None)])
        rank = tie_rank[np.where(v.result >= 0, v.result, len(tie_rank) - 1)]
        order = np.lexsort((rank, v.sequence, v.verified_on, v.country, v.person))
        person, country = v.person[order], v.country[order]
        last = np.ones(len(order), bool)
        last[:-1] = (person[1:] != person[:-1]) | (country[1:] != country[:-1])
        return person[last].astype(np.int64), country[last].astype(np.int64), v.result[order][last]

    @cached_property
    def confirmed_count(self) -> IntArray:
        """int[N]: how many countries confirmed each person's nationality."""
        person, _country, result = self.latest
        return np.bincount(person[result == _result_code(VerificationResult.CONFIRMED)], minlength=len(self))

    @cached_property
    def departure_day(self) -> IntArray:
        """int64[S]: the UTC departure date of each stop, as an ordinal."""
        day: IntArray = self.tables.stops.departure_us // US_PER_DAY + EPOCH_ORDINAL
        return day

    @cached_property
    def local_departure_day(self) -> IntArray:
        """int64[S]: the departure date of each stop at its departure airport, as an ordinal."""
        return self.tables.stops.departure_local_day

    @cached_property
    def earliest_departure_day(self) -> IntArray:
        """int64[S]: the earlier of the local and the UTC departure date (the UTC−12 date where the
        zone is unknown), as an ordinal; the twin of ``Case.earliest_departure_date``."""
        stops = self.tables.stops
        unknown = (stops.departure_us + EARLIEST_OFFSET_US) // US_PER_DAY + EPOCH_ORDINAL
        known = np.minimum(self.departure_day, self.local_departure_day)
        day: IntArray = np.where(stops.zone_known, known, unknown)
        return day

    @cached_property
    def latest_departure_day(self) -> IntArray:
        """int64[S]: the later of the local and the UTC departure date (the UTC+14 date where the
        zone is unknown), as an ordinal; the twin of ``Case.latest_departure_date``."""
        stops = self.tables.stops
        unknown = (stops.departure_us + LATEST_OFFSET_US) // US_PER_DAY + EPOCH_ORDINAL
        known = np.maximum(self.departure_day, self.local_departure_day)
        day: IntArray = np.where(stops.zone_known, known, unknown)
        return day

    def __len__(self) -> int:
        return len(self.tables.people)


class CountryView:
    """The stops of one receiving country (``stops``: their rows, ascending) in an evaluation."""

    def __init__(self, evaluation: Evaluation, country: int, stops: IntArray) -> None:
        self.evaluation = evaluation
        self.tables = evaluation.tables
        self.country = country
        self.stops = stops
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per country under ``key``."""
        return _memoised(self._memo, key, compute)

    def _latest_is(self, result: VerificationResult) -> BoolArray:
        person, country, results = self.evaluation.latest
        flags = np.zeros(len(self.evaluation), bool)
        flags[person[(country == self.country) & (results == _result_code(result))]] = True
        return flags

    @cached_property
    def confirmed(self) -> BoolArray:
        """bool[N]: the country's latest verification of the person is CONFIRMED."""
        return self._latest_is(VerificationResult.CONFIRMED)

    @cached_property
    def refused(self) -> BoolArray:
        """bool[N]: the country's latest verification of the person is NOT_CONFIRMED."""
        return self._latest_is(VerificationResult.NOT_CONFIRMED)

    @cached_property
    def claimed(self) -> BoolArray:
        """bool[N]: the person claims the country's nationality."""
        claimed: BoolArray = self.tables.people.claimed_country == self.country
        return claimed

    @cached_property
    def related(self) -> IntArray:
        """Rows (ascending) of the people related to the country: claimed or confirmed nationality.
        Nobody else can pass the nationality rule there."""
        return np.flatnonzero(self.claimed | self.confirmed)


def _result_code(result: VerificationResult) -> int:
    return VERIFICATION_RESULTS.index(result)


def _tie_rank(result: str | None) -> int:
    return RESULT_TIE_RANK.get(result or "", len(RESULT_TIE_RANK))


PersonMask = Callable[[CountryView], BoolArray]
BlockMask = Callable[[CountryView, IntArray, IntArray], BoolArray]
SummaryMask = Callable[[CountryView, IntArray], tuple[BoolArray, BoolArray]]


class GroupLayout(Protocol):
    """Rule 10 over one country's candidate matrix (stops × candidates, the rules 1–9 verdicts)."""

    def apply(self, matrix: BoolArray) -> None:
        """In place: a family's columns become the AND over its members."""


class GroupExplainer(Protocol):
    """Rule 10's some-stop / every-stop failures of the related people of one country."""

    width: int

    def candidates(self, candidates: IntArray, layout: GroupLayout) -> None: ...

    def block(self, matrix: BoolArray) -> None: ...

    def masks(self) -> tuple[BoolArray, BoolArray]: ...


# ---------------------------------------------------------------- the three kinds of rule


@dataclass(frozen=True)
class PersonRule:
    """A rule whose verdict depends on the person and the receiving country only."""

    code: ReasonCode
    text: str
    fails: ScalarCheck | None = None
    person_mask: PersonMask | None = None

    def check(self, case: Case) -> bool:
        return _require(self.fails, self.code, "scalar check")(case)

    def mask(self, view: CountryView) -> BoolArray:
        return _require(self.person_mask, self.code, "person_mask")(view)


@dataclass(frozen=True)
class StopRule:
    """A rule whose verdict depends on the person and the stop."""

    code: ReasonCode
    text: str
    fails: ScalarCheck | None = None
    block_mask: BlockMask | None = None
    summary_mask: SummaryMask | None = None
    never_passes: PersonMask | None = None

    def check(self, case: Case) -> bool:
        return _require(self.fails, self.code, "scalar check")(case)

    def block(self, view: CountryView, stop_rows: IntArray, person_rows: IntArray) -> BoolArray:
        return _require(self.block_mask, self.code, "block_mask")(view, stop_rows, person_rows)

    def summary(self, view: CountryView, rows: IntArray) -> tuple[BoolArray, BoolArray]:
        """(fails at some stop of ``view``, fails at every stop) for each of ``rows``."""
        if self.summary_mask is not None:
            return self.summary_mask(view, rows)
        some, every = np.zeros(rows.size, bool), np.ones(rows.size, bool)
        step = max(1, BLOCK_CELLS // max(1, rows.size))
        for start in range(0, view.stops.size, step):
            fails = self.block(view, view.stops[start : start + step], rows)
            some |= fails.any(axis=0)
            every &= fails.all(axis=0)
        return some, every


@dataclass(frozen=True)
class FamilyRule:
    """Rule 10: fails when another member of the person's family fails any other rule there."""

    code: ReasonCode
    text: str
    fails: FamilyCheck | None = None
    layout_mask: Callable[[CountryView, IntArray], GroupLayout] | None = None
    explain_mask: Callable[[CountryView, IntArray], GroupExplainer] | None = None

    def apply(
        self, own: Mapping[Any, Sequence[ReasonCode]], groups: Mapping[Any, str | None]
    ) -> dict[Any, tuple[ReasonCode, ...]]:
        return _require(self.fails, self.code, "scalar check")(own, groups, self.code)

    def layout(self, view: CountryView, candidates: IntArray) -> GroupLayout:
        return _require(self.layout_mask, self.code, "layout_mask")(view, candidates)

    def explainer(self, view: CountryView, rows: IntArray) -> GroupExplainer:
        return _require(self.explain_mask, self.code, "explain_mask")(view, rows)


Rule = PersonRule | StopRule | FamilyRule


def _require(part: T | None, code: ReasonCode, what: str) -> T:
    if part is None:
        raise MissingPart(f"eligibility rule {code} has no {what}")
    return part
