"""Rule 8: ``NO_MEDICAL_CAPACITY`` when the need is MEDICAL_ESCORT and the flight has no medical
slot; ``NO_WHEELCHAIR_CAPACITY`` when the need is WHEELCHAIR and it has no wheelchair slot."""

from __future__ import annotations

import numpy as np

from planner.domain.eligibility.encoding import MEDICAL_NEEDS, BoolArray, IntArray
from planner.domain.eligibility.rule import Case, CountryView, StopRule
from planner.domain.enums import MedicalNeed, ReasonCode


def _capacity_rule(code: ReasonCode, text: str, need: MedicalNeed, slots: str) -> StopRule:
    """The rule for people with ``need``: it fails on stops whose ``slots`` attribute is 0."""
    need_code = MEDICAL_NEEDS.index(need)

    def fails(case: Case) -> bool:
        return case.person.medical_need == need and int(getattr(case.stop, slots)) <= 0

    def block_mask(view: CountryView, stop_rows: IntArray, person_rows: IntArray) -> BoolArray:
        no_slot = getattr(view.tables.stops, slots)[stop_rows] <= 0
        needs = view.tables.people.medical_need[person_rows] == need_code
        result: BoolArray = no_slot[:, None] & needs[None, :]
        return result

    def summary_mask(view: CountryView, rows: IntArray) -> tuple[BoolArray, BoolArray]:
        no_slot = getattr(view.tables.stops, slots)[view.stops] <= 0
        needs = np.asarray(view.tables.people.medical_need[rows] == need_code)
        return needs & bool(no_slot.any()), needs & bool(no_slot.all())

    return StopRule(code, text, fails, block_mask, summary_mask)


MEDICAL_RULE = _capacity_rule(
    ReasonCode.NO_MEDICAL_CAPACITY,
    "needs a medical escort but the flight has no medical slot",
    MedicalNeed.MEDICAL_ESCORT,
    "medical_slots",
)
WHEELCHAIR_RULE = _capacity_rule(
    ReasonCode.NO_WHEELCHAIR_CAPACITY,
    "needs a wheelchair slot but the flight has none",
    MedicalNeed.WHEELCHAIR,
    "wheelchair_slots",
)
