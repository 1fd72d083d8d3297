"""Rule 10, ``FAMILY_MEMBER_INELIGIBLE``: for one stop S, a person fails when some *other* member of
the same family group fails any of the other rules at S. A person whose only failure is their
family gets exactly ``(FAMILY_MEMBER_INELIGIBLE,)``; a lone failing member does not get it (the rest
of the family does). The caller decides who belongs to the group (every member passed in).

Vectorised over one country's candidate matrix (stops × candidates, the verdicts of the other
rules): a family's columns become the AND over its members, and false unless every member is a
candidate (``FamilyLayout``). ``FamilyExplainer`` gives the some-stop / every-stop failures of the
country's related people for the reason summary.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from planner.domain.eligibility.encoding import BoolArray, IntArray
from planner.domain.eligibility.rule import CountryView, Evaluation, FamilyRule, GroupLayout
from planner.domain.enums import ReasonCode

K = TypeVar("K", bound=Hashable)
CODE = ReasonCode.FAMILY_MEMBER_INELIGIBLE


def apply_family_rule(
    own_reasons: Mapping[K, Sequence[ReasonCode]],
    family_groups: Mapping[K, str | None],
    code: ReasonCode = CODE,
) -> dict[K, tuple[ReasonCode, ...]]:
    """The rule for ONE stop. ``own_reasons`` holds each person's other rules' result for that stop
    and must include every member of every family group involved; ``family_groups`` gives each
    key's group (None or missing = no family). Returns the reasons with ``code`` appended for
    everybody with another member who fails."""
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
        result[key] = (*own, code) if others_failing > 0 else own
    return result


def family_size(evaluation: Evaluation) -> IntArray:
    """int[families]: the number of members of each family (in the tables)."""

    def compute() -> IntArray:
        family = evaluation.tables.people.family
        return np.bincount(family[family >= 0], minlength=1)

    return evaluation.memo("family.size", compute)


@dataclass(frozen=True, eq=False)
class FamilyLayout:
    """Columns of one country's candidate matrix grouped by family."""

    order: IntArray  # candidate columns that belong to a family, grouped by family
    starts: IntArray  # first position of each family within ``order``
    counts: IntArray  # candidate members per family
    whole: BoolArray  # every member of the family is a candidate

    @classmethod
    def of(cls, family: IntArray, sizes: IntArray) -> FamilyLayout:
        columns = np.flatnonzero(family >= 0)
        order = columns[np.argsort(family[columns], kind="stable")]
        grouped = family[order]
        starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]]) if order.size else order
        counts = np.diff(np.r_[starts, order.size])
        return cls(order, starts, counts, counts == sizes[grouped[starts]])

    def apply(self, matrix: BoolArray) -> None:
        """A family's columns become the AND over its members (False unless the family is whole)."""
        if self.order.size == 0:
            return
        together = np.logical_and.reduceat(matrix[:, self.order], self.starts, axis=1) & self.whole
        matrix[:, self.order] = np.repeat(together, self.counts, axis=1)


def layout_mask(view: CountryView, candidates: IntArray) -> FamilyLayout:
    return FamilyLayout.of(view.tables.people.family[candidates], family_size(view.evaluation))


class FamilyExplainer:
    """The rule over one country's related people ``rows``.

    Related person p in family G fails at stop S iff some other member fails the other rules at S,
    i.e. iff ``ok_G(S) - ok_p(S) < |G| - 1`` where ``ok`` counts the members passing them. Only
    candidates can pass, so a family without candidates fails at every stop (for members with
    |G| >= 2); the others are counted from the candidate matrix blocks."""

    def __init__(self, view: CountryView, rows: IntArray) -> None:
        self.people = view.tables.people
        self.sizes = family_size(view.evaluation)
        self.rows = rows
        family = self.people.family[rows]
        self.family = family
        in_family = family >= 0
        with_others = np.zeros(rows.size, bool)
        with_others[in_family] = self.sizes[family[in_family]] >= 2
        self.family_any = with_others.copy()
        self.family_all = with_others
        # Filled by candidates(): the members (positions in rows) whose family has candidates, each
        # one's family slot among the candidate families, the other members it needs passing, and
        # (own_at, own_column): which members are candidates themselves, at which column.
        empty: IntArray = np.zeros(0, np.int64)
        self.order, self.starts = empty, empty
        self.members, self.member_family, self.others_needed = empty, empty, empty
        self.own_at, self.own_column = empty, empty
        #: Columns of the widest family matrix per stop (bounds the block size).
        self.width = 0

    def candidates(self, candidates: IntArray, layout: GroupLayout) -> None:
        """Prepare for the candidate matrix whose columns are ``candidates`` (ascending)."""
        assert isinstance(layout, FamilyLayout)
        if layout.order.size == 0:
            return
        self.order, self.starts = layout.order, layout.starts
        candidate_families = self.people.family[candidates[layout.order[layout.starts]]]
        members = np.flatnonzero(self.family_any)
        family = self.family[members]
        slot = np.minimum(np.searchsorted(candidate_families, family), candidate_families.size - 1)
        counted = candidate_families[slot] == family
        self.members, self.member_family = members[counted], slot[counted]
        self.others_needed = self.sizes[family[counted]] - 1
        person = self.rows[self.members]
        column = np.minimum(np.searchsorted(candidates, person), candidates.size - 1)
        is_candidate = candidates[column] == person
        self.own_column, self.own_at = column[is_candidate], np.flatnonzero(is_candidate)
        self.family_any[self.members] = False
        self.family_all[self.members] = True
        self.width = max(self.members.size, candidate_families.size)

    def block(self, matrix: BoolArray) -> None:
        """One block of stops: ``matrix`` = the other rules' verdicts (stops × candidates)."""
        if self.members.size == 0:
            return
        ok = np.add.reduceat(matrix[:, self.order].astype(np.int32), self.starts, axis=1)
        others_ok = ok[:, self.member_family]
        others_ok[:, self.own_at] -= matrix[:, self.own_column]
        fails = others_ok < self.others_needed
        self.family_any[self.members] |= fails.any(axis=0)
        self.family_all[self.members] &= fails.all(axis=0)

    def masks(self) -> tuple[BoolArray, BoolArray]:
        """(fails at some stop, fails at every stop) per row."""
        return self.family_any, self.family_all


RULE = FamilyRule(
    CODE,
    "a family member may not travel on the same flight",
    apply_family_rule,
    layout_mask,
    FamilyExplainer,
)
