"""Rule 1, ``NOT_IN_CUSTODY``: fails unless ``custody_status == IN_CUSTODY``."""

from __future__ import annotations

from planner.domain.eligibility.encoding import BoolArray
from planner.domain.eligibility.rule import Case, CountryView, PersonRule
from planner.domain.enums import CustodyStatus, ReasonCode


def fails(case: Case) -> bool:
    return case.person.custody_status != CustodyStatus.IN_CUSTODY


def person_mask(view: CountryView) -> BoolArray:
    return ~view.tables.people.in_custody


RULE = PersonRule(ReasonCode.NOT_IN_CUSTODY, "not in custody", fails, person_mask)
