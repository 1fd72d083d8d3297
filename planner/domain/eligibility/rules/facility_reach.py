"""Rule 7, ``FACILITY_CANNOT_REACH``, per pickup: passes when the person's facility transfers to
at least one pickup airport of the stop's flight (``StopFacts.route_pickups``; by default just the
departure airport) and arrives in time for *that* pickup: ``now + transfer_hours <= pickup
departure`` (computed as ``transfer_hours * 3600 <= (departure_utc - now).total_seconds()``). No
facility fails. Instants only (no calendar day), so time zones cannot shift it.

Vectorised: the stops table carries each stop's pickups as padded arrays (``pickup_airport``,
``pickup_us``, padding ``NO_INDEX``), ``reach_by_pickup`` is bool[S, P, F + 1] and ``reach_by_stop``
its any over the pickups."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from planner.domain.eligibility.encoding import BoolArray, IntArray
from planner.domain.eligibility.facts import PickupFacts, StopFacts
from planner.domain.eligibility.rule import Case, CountryView, Evaluation, StopRule
from planner.domain.enums import ReasonCode

if TYPE_CHECKING:  # tables imports the rules
    from planner.domain.eligibility.tables import EligibilityTables


def pickup_reached(transfer_hours: Mapping[str, float], pickup: PickupFacts, now: datetime) -> bool:
    """The facility transfers to ``pickup``'s airport and arrives by its departure."""
    hours = transfer_hours.get(pickup.airport)
    if hours is None:
        return False
    return hours * 3600.0 <= (pickup.departure_utc - now).total_seconds()


def reached_pickups(
    transfer_hours: Mapping[str, float], stop: StopFacts, now: datetime
) -> tuple[PickupFacts, ...]:
    """The pickups of ``stop``'s flight the facility reaches in time, in flying order."""
    return tuple(p for p in stop.route_pickups if pickup_reached(transfer_hours, p, now))


def facility_reaches(transfer_hours: Mapping[str, float], stop: StopFacts, now: datetime) -> bool:
    """The facility reaches at least one pickup of the stop's flight in time."""
    return any(pickup_reached(transfer_hours, p, now) for p in stop.route_pickups)


def fails(case: Case) -> bool:
    return not facility_reaches(case.person.facility_transfer_hours, case.stop, case.now)


def reach_by_pickup(tables: EligibilityTables, now_us: int) -> BoolArray:
    """bool[S, P, F + 1]: facility f's transfer reaches pickup p of stop s in time (``now_us``:
    microseconds since the epoch); padding pickups and the extra last column (no facility) are
    all False."""
    # Pad with an unreachable last row/column: index NO_INDEX (-1) then selects it.
    hours = np.pad(np.asarray(tables.facility_hours, np.float64), ((0, 1), (0, 1)), constant_values=np.inf)
    stops = tables.stops
    slack_seconds = (stops.pickup_us - now_us) / 1e6  # [S, P]
    need = hours[:, stops.pickup_airport] * 3600.0  # [F + 1, S, P]
    return np.ascontiguousarray(np.moveaxis(need <= slack_seconds[None, :, :], 0, -1))


def reach_by_stop(evaluation: Evaluation) -> BoolArray:
    """bool[S, F + 1]: the facility's transfer reaches at least one pickup of the stop's flight in
    time; the extra last column (no facility) is all False."""

    def compute() -> BoolArray:
        return np.ascontiguousarray(reach_by_pickup(evaluation.tables, evaluation.now_us).any(axis=1))

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
    "the facility cannot bring the person to any pickup airport in time",
    fails,
    block_mask,
    summary_mask,
)
