"""Rule 4, ``NATIONALITY_NOT_VERIFIED``: only where the receiving country C requires verification,
fails unless the *latest* verification for C is CONFIRMED (none at all fails). The latest per
country is the one with the greatest ``(verified_on, sequence)``; on a full tie the least favourable
result counts (see ``planner.domain.eligibility.facts.RESULT_TIE_RANK``)."""

from __future__ import annotations

import numpy as np

from planner.domain.eligibility.encoding import BoolArray
from planner.domain.eligibility.rule import Case, CountryView, PersonRule
from planner.domain.enums import ReasonCode, VerificationResult


def fails(case: Case) -> bool:
    return case.rule.verification_required and case.latest_result != VerificationResult.CONFIRMED


def person_mask(view: CountryView) -> BoolArray:
    if not view.tables.rules.verification_required[view.country]:
        return np.zeros(len(view.evaluation), bool)
    return ~view.confirmed


RULE = PersonRule(
    ReasonCode.NATIONALITY_NOT_VERIFIED,
    "nationality not confirmed by the receiving country",
    fails,
    person_mask,
)
