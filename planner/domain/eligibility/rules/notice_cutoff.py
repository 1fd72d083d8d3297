"""Rule 9, ``AFTER_NOTICE_CUTOFF``: fails when ``now >= departure_utc - notice_days`` (the cut-off
instant itself is too late), unless the person is already on the manifest sent for that stop.

Instants, not dates: the cut-off is the departure instant minus ``notice_days`` × 24 hours, compared
with ``now`` in UTC, so no calendar day (local or UTC) enters the rule and time zones cannot shift
it. Shown to an officer, the cut-off is printed in the departure airport's local time."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from planner.domain.eligibility.encoding import US_PER_DAY, BoolArray, IntArray
from planner.domain.eligibility.facts import CountryRuleFacts, StopFacts
from planner.domain.eligibility.rule import Case, CountryView, Evaluation, StopRule
from planner.domain.enums import ReasonCode


def notice_cutoff(stop: StopFacts, rule: CountryRuleFacts) -> datetime:
    """From this instant on nobody may be added to the stop."""
    return stop.departure_utc - timedelta(days=rule.notice_days)


def fails(case: Case) -> bool:
    return not case.on_sent_manifest and case.now >= notice_cutoff(case.stop, case.rule)


def closed_stops(evaluation: Evaluation) -> BoolArray:
    """bool[S]: the stop's cut-off has passed."""

    def compute() -> BoolArray:
        stops, rules = evaluation.tables.stops, evaluation.tables.rules
        cutoff = stops.departure_us - rules.notice_days[stops.country] * US_PER_DAY
        return np.asarray(evaluation.now_us >= cutoff)

    return evaluation.memo("notice_cutoff.closed", compute)


def block_mask(view: CountryView, stop_rows: IntArray, person_rows: IntArray) -> BoolArray:
    """Fails on closed stops except for the people on the stop's sent manifest (``stop_rows`` and
    ``person_rows`` ascending)."""
    tables = view.tables
    fails = np.zeros((stop_rows.size, person_rows.size), bool)
    closed = np.flatnonzero(closed_stops(view.evaluation)[stop_rows])
    if closed.size == 0 or person_rows.size == 0:
        return fails
    fails[closed] = True
    closed_rows = stop_rows[closed]
    on_closed = np.isin(tables.sent_stop, closed_rows)
    sent_people = tables.sent_person[on_closed]
    column = np.searchsorted(person_rows, sent_people)
    known = (column < person_rows.size) & (
        person_rows[np.minimum(column, person_rows.size - 1)] == sent_people
    )
    row = np.searchsorted(closed_rows, tables.sent_stop[on_closed])
    fails[closed[row[known]], column[known]] = False
    return fails


def _sent_on_closed(evaluation: Evaluation) -> tuple[IntArray, IntArray]:
    """(person row, country) of each distinct (person, stop) on a sent manifest of a closed stop."""

    def compute() -> tuple[IntArray, IntArray]:
        tables = evaluation.tables
        person = np.asarray(tables.sent_person, np.int64)
        stop = np.asarray(tables.sent_stop, np.int64)
        on_closed = closed_stops(evaluation)[stop]
        width = max(1, len(tables.stops))
        pair = np.unique(person[on_closed] * width + stop[on_closed])
        return pair // width, tables.stops.country[pair % width]

    return evaluation.memo("notice_cutoff.sent", compute)


def summary_mask(view: CountryView, rows: IntArray) -> tuple[BoolArray, BoolArray]:
    person, country = _sent_on_closed(view.evaluation)
    sent = np.bincount(person[country == view.country], minlength=len(view.evaluation))
    failing = int(closed_stops(view.evaluation)[view.stops].sum()) - sent[rows]
    return np.asarray(failing > 0), np.asarray(failing == view.stops.size)


RULE = StopRule(
    ReasonCode.AFTER_NOTICE_CUTOFF,
    "the receiving country's notice cut-off has passed",
    fails,
    block_mask,
    summary_mask,
)
