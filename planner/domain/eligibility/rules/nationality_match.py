"""Rule 5, ``NATIONALITY_MISMATCH``: passes when the receiving country C is a confirmed nationality
(its latest verification is CONFIRMED). Otherwise it fails when some other country is confirmed, or
C differs from the claimed nationality, or C's latest answer is NOT_CONFIRMED."""

from __future__ import annotations

from planner.domain.eligibility.encoding import BoolArray
from planner.domain.eligibility.rule import Case, CountryView, PersonRule
from planner.domain.enums import ReasonCode, VerificationResult


def fails(case: Case) -> bool:
    country = case.stop.country
    return country not in case.confirmed and (
        bool(case.confirmed)
        or country != case.person.nationality
        or case.latest_result == VerificationResult.NOT_CONFIRMED
    )


def person_mask(view: CountryView) -> BoolArray:
    others_confirmed = view.evaluation.confirmed_count > 0
    return ~view.confirmed & (others_confirmed | ~view.claimed | view.refused)


RULE = PersonRule(
    ReasonCode.NATIONALITY_MISMATCH,
    "confirmed nationality differs from the flight's country",
    fails,
    person_mask,
)
