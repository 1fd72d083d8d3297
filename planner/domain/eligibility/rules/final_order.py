"""Rule 2, ``NO_FINAL_ORDER``: fails unless ``order_status == FINAL``."""

from __future__ import annotations

from planner.domain.eligibility.encoding import BoolArray
from planner.domain.eligibility.rule import Case, CountryView, PersonRule
from planner.domain.enums import OrderStatus, ReasonCode


def fails(case: Case) -> bool:
    return case.person.order_status != OrderStatus.FINAL


def person_mask(view: CountryView) -> BoolArray:
    return ~view.tables.people.final_order


RULE = PersonRule(ReasonCode.NO_FINAL_ORDER, "no final removal order", fails, person_mask)
