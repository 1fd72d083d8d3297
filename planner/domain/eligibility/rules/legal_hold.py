"""Rule 3, ``LEGAL_HOLD``: a hold is in force on the departure date D (UTC date of
``departure_utc``) when a reason is set (non-blank) and there is no until-date or ``hold_until >= D``.

Vectorised through ``PeopleTable.hold_until``: the ordinal of the last day a hold is in force
(``HOLD_NONE`` / ``HOLD_INDEFINITE``), so the hold blocks a stop iff ``hold_until >= departure day``.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from planner.domain.eligibility.encoding import BoolArray, IntArray
from planner.domain.eligibility.rule import Case, CountryView, StopRule
from planner.domain.enums import ReasonCode


def hold_in_force(reason: str | None, hold_until: date | None, on: date) -> bool:
    """A hold with a non-blank reason and no until-date, or an until-date on/after ``on``."""
    if reason is None or not reason.strip():
        return False
    return hold_until is None or hold_until >= on


def fails(case: Case) -> bool:
    return hold_in_force(case.person.legal_hold_reason, case.person.hold_until, case.departure_date)


def block_mask(view: CountryView, stop_rows: IntArray, person_rows: IntArray) -> BoolArray:
    hold = view.tables.people.hold_until[person_rows]
    result: BoolArray = hold[None, :] >= view.evaluation.departure_day[stop_rows, None]
    return result


def summary_mask(view: CountryView, rows: IntArray) -> tuple[BoolArray, BoolArray]:
    days = view.evaluation.departure_day[view.stops]
    hold = view.tables.people.hold_until[rows]
    return np.asarray(hold >= days.min()), np.asarray(hold >= days.max())


RULE = StopRule(ReasonCode.LEGAL_HOLD, "a legal hold is in force", fails, block_mask, summary_mask)
