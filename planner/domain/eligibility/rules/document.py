"""Rule 6, ``NO_VALID_DOCUMENT``: passes when some document is VALID, of a type the receiving
country C accepts, issued by C and ``expires_on >= arrival date + min_validity_days``, where the
arrival date is conservatively the departure day + 1 day (an expiry exactly on that limit passes).

The departure day is the local date at the departure airport, read conservatively: where the UTC
date differs, the *later* of the two (``Case.latest_departure_date``), so a document is never
counted valid on a day the flight could still be in the air. (The stops carry no arrival time; the
day added for the journey covers it.)

Vectorised: per country, each person's best expiry among acceptable documents is compared with
each stop's earliest acceptable expiry."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from planner.domain.eligibility.encoding import BoolArray, IntArray
from planner.domain.eligibility.facts import CountryRuleFacts, DocumentFacts, StopFacts, departure_dates
from planner.domain.eligibility.rule import Case, CountryView, StopRule
from planner.domain.enums import DocumentStatus, ReasonCode

#: Days added to the (later) departure date to get the (conservative) arrival date.
ARRIVAL_DAYS_AFTER_DEPARTURE = 1


def minimum_expiry(stop: StopFacts, rule: CountryRuleFacts) -> date:
    """The earliest ``expires_on`` a document may have for this stop: the later of the local and
    the UTC departure date, plus the journey day and the country's minimum validity."""
    latest = departure_dates(stop)[1]
    return latest + timedelta(days=ARRIVAL_DAYS_AFTER_DEPARTURE + rule.min_validity_days)


def document_accepted(doc: DocumentFacts, rule: CountryRuleFacts, earliest_expiry: date) -> bool:
    """The rule for one document."""
    return (
        doc.status == DocumentStatus.VALID
        and doc.doc_type in rule.accepted_document_types
        and doc.issuing_country == rule.country
        and doc.expires_on >= earliest_expiry
    )


def fails(case: Case) -> bool:
    earliest_expiry = minimum_expiry(case.stop, case.rule)
    return not any(document_accepted(doc, case.rule, earliest_expiry) for doc in case.person.documents)


def best_expiry(view: CountryView) -> IntArray:
    """int64[N]: the latest expiry (ordinal) among each person's documents acceptable to the
    country whatever the date (int64 min when there is none)."""

    def compute() -> IntArray:
        docs, rules = view.tables.documents, view.tables.rules
        known = docs.doc_type >= 0
        acceptable = (
            (docs.issuing_country == view.country)
            & docs.valid
            & known
            & rules.accepted[view.country][np.where(known, docs.doc_type, 0)]
        )
        best = np.full(len(view.evaluation), np.iinfo(np.int64).min, np.int64)
        np.maximum.at(best, docs.person[acceptable], docs.expires_on[acceptable])
        return best

    return view.memo("document.best_expiry", compute)


def minimum_expiries(view: CountryView, stop_rows: IntArray) -> IntArray:
    """int64[len(stop_rows)]: each stop's earliest acceptable expiry (ordinal)."""
    extra = ARRIVAL_DAYS_AFTER_DEPARTURE + int(view.tables.rules.min_validity_days[view.country])
    result: IntArray = view.evaluation.latest_departure_day[stop_rows] + extra
    return result


def block_mask(view: CountryView, stop_rows: IntArray, person_rows: IntArray) -> BoolArray:
    result: BoolArray = best_expiry(view)[person_rows][None, :] < minimum_expiries(view, stop_rows)[:, None]
    return result


def summary_mask(view: CountryView, rows: IntArray) -> tuple[BoolArray, BoolArray]:
    limits = minimum_expiries(view, view.stops)
    expiry = best_expiry(view)[rows]
    return np.asarray(expiry < limits.max()), np.asarray(expiry < limits.min())


def never_passes(view: CountryView) -> BoolArray:
    return np.asarray(best_expiry(view) < minimum_expiries(view, view.stops).min())


RULE = StopRule(
    ReasonCode.NO_VALID_DOCUMENT,
    "no valid travel document the country accepts (validity counted from the local departure date "
    "at the departure airport or UTC if later)",
    fails,
    block_mask,
    summary_mask,
    never_passes,
)
