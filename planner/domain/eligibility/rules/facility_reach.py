"""Rule 7, ``FACILITY_CANNOT_REACH``: passes when the person's facility transfers to the stop's
departure airport and ``now + transfer_hours <= departure_utc`` (computed as
``transfer_hours * 3600 <= (departure_utc - now).total_seconds()``). No facility fails.
Instants only (no calendar day), so time zones cannot shift it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import numpy as np

from planner.domain.eligibility.encoding import BoolArray, IntArray
from planner.domain.eligibility.facts import StopFacts
from planner.domain.eligibility.rule import Case, CountryView, Evaluation, StopRule
from planner.domain.enums import ReasonCode


def facility_reaches(transfer_hours: Mapping[str, float], stop: StopFacts, now: datetime) -> bool:
    """The facility transfers to the departure airport and arrives by departure time."""
    hours = transfer_hours.get(stop.departure_airport)
    if hours is None:
        return False
    return hours * 3600.0 <= (stop.departure_utc - now).total_seconds()


def fails(case: Case) -> bool:
    return not facility_reaches(case.person.facility_transfer_hours, case.stop, case.now)


def reach_by_stop(evaluation: Evaluation) -> BoolArray:
    """bool[S, F + 1]: the facility's transfer reaches the stop's departure in time; the extra last
    column (no facility) is all False."""

    def compute() -> BoolArray:
        tables = evaluation.tables
        # Pad with an unreachable last row/column: index NO_INDEX (-1) then selects it.
        hours = np.pad(
            np.asarray(tables.facility_hours, np.float64), ((0, 1), (0, 1)), constant_values=np.inf
        )
        slack_seconds = (tables.stops.departure_us - evaluation.now_us) / 1e6
        return np.ascontiguousarray((hours[:, tables.stops.departure_airport] * 3600.0 <= slack_seconds).T)

    return evaluation.memo("facility_reach.reach", compute)


def facility_column(evaluation: Evaluation, person_rows: IntArray) -> IntArray:
    """Each person's column in ``reach_by_stop`` (the last one when they have no facility)."""
    facility = evaluation.tables.people.facility[person_rows]
    return np.where(facility >= 0, facility, reach_by_stop(evaluation).shape[1] - 1)


def block_mask(view: CountryView, stop_rows: IntArray, person_rows: IntArray) -> BoolArray:
    reach = reach_by_stop(view.evaluation)[stop_rows]
    return ~reach[:, facility_column(view.evaluation, person_rows)]


def summary_mask(view: CountryView, rows: IntArray) -> tuple[BoolArray, BoolArray]:
    reach = reach_by_stop(view.evaluation)[view.stops]
    column = facility_column(view.evaluation, rows)
    reached_everywhere = np.asarray(reach.all(axis=0))
    reached_somewhere = np.asarray(reach.any(axis=0))
    return ~reached_everywhere[column], ~reached_somewhere[column]


RULE = StopRule(
    ReasonCode.FACILITY_CANNOT_REACH,
    "the facility cannot bring the person to the departure airport in time",
    fails,
    block_mask,
    summary_mask,
)
