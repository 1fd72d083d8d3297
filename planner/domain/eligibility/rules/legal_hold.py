"""Rule 3, ``LEGAL_HOLD``: a hold is in force on the departure day D when a reason is set
(non-blank) and there is no until-date or ``hold_until >= D``.

The departure day D is the local date at the departure airport, read conservatively: where the UTC
date differs, the *earlier* of the two (``Case.earliest_departure_date``). A stay "until the 1st"
therefore blocks a departure at 20:00 on the 1st in New York (the 2nd in UTC) and one at 07:00 on
the 2nd in Shanghai (still the 1st in UTC): the departure is the 1st wherever it could be read.

Vectorised through ``PeopleTable.hold_until``: the ordinal of the last day a hold is in force
(``HOLD_NONE`` / ``HOLD_INDEFINITE``), so the hold blocks a stop iff
``hold_until >= earliest_departure_day``.
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
    return hold_in_force(case.person.legal_hold_reason, case.person.hold_until, case.earliest_departure_date)


def block_mask(view: CountryView, stop_rows: IntArray, person_rows: IntArray) -> BoolArray:
    hold = view.tables.people.hold_until[person_rows]
    result: BoolArray = hold[None, :] >= view.evaluation.earliest_departure_day[stop_rows, None]
    return result


def summary_mask(view: CountryView, rows: IntArray) -> tuple[BoolArray, BoolArray]:
    days = view.evaluation.earliest_departure_day[view.stops]
    hold = view.tables.people.hold_until[rows]
    return np.asarray(hold >= days.min()), np.asarray(hold >= days.max())


RULE = StopRule(
    ReasonCode.LEGAL_HOLD,
    "a legal hold is in force on the departure day (local date at the departure airport or UTC if earlier)",
    fails,
    block_mask,
    summary_mask,
)
