"""The rule registry (planner.domain.eligibility.registry): complete, consistent bit positions, one
text per reason — and the walk-through of docs/adding-a-rule.md done for real with two test-only
rules registered in a temporary registry ("adding nothing but a test")."""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings

from planner.domain import eligibility
from planner.domain.eligibility import (
    RULES,
    Case,
    CountryView,
    PersonRule,
    Registry,
    StopRule,
    check_people,
    evaluate,
    evaluate_with_reasons,
    reasons_per_stop,
    related_countries,
    tables_from_facts,
)
from planner.domain.eligibility.rule import MissingPart
from planner.domain.enums import ReasonCode
from tests.unit.eligibility_facts import NOW, instances, person, rule, stop

# ---------------------------------------------------------------- the real registry


def test_every_reason_code_has_one_complete_rule_at_its_bit_position() -> None:
    assert RULES.problems() == []
    assert RULES.codes == tuple(ReasonCode)
    assert [RULES.position(code) for code in ReasonCode] == list(range(len(ReasonCode)))
    assert sorted(RULES.bits.values()) == [1 << i for i in range(len(ReasonCode))]
    assert tuple(ReasonCode) == eligibility.REASON_CODES


def test_one_distinct_text_per_reason_code() -> None:
    texts = [eligibility.reason_text(code) for code in ReasonCode]
    assert all(t.strip() and "," not in t for t in texts)  # listed with ", " between reasons
    assert len(set(texts)) == len(texts)
    assert eligibility.reason_label(ReasonCode.LEGAL_HOLD) == (
        "a legal hold is in force on the departure day (local date at the departure airport or UTC if "
        "earlier) (LEGAL_HOLD)"
    )
    with pytest.raises(KeyError):
        eligibility.reason_text("CAPACITY")


def test_colliding_codes_and_a_family_rule_not_last_are_refused() -> None:
    with pytest.raises(ValueError, match="collide"):
        Registry((*RULES.rules, RULES.rules[0]))
    family = RULES.family_rule
    assert family is not None
    with pytest.raises(ValueError, match="last"):
        Registry((family, *RULES.own_rules))


def test_plan_results_and_dashboard_word_reasons_with_the_registry() -> None:
    from planner.services import dashboard, plan_results, planning

    for code in ReasonCode:
        assert planning.reason_text(code.value) == eligibility.reason_text(code)
    assert plan_results.reason_text is planning.reason_text is dashboard.reason_text


# ---------------------------------------------------------------- adding a rule, for real


class ToyCode(StrEnum):
    """Stand-ins for new ``ReasonCode`` members (declared in rule order, before the family rule)."""

    NOT_A_SERVED_COUNTRY = "NOT_A_SERVED_COUNTRY"
    WEEKEND_DEPARTURE = "WEEKEND_DEPARTURE"


UNSERVED = "CHN"


def _unserved_fails(case: Case) -> bool:
    return case.person.nationality == UNSERVED


def _unserved_mask(view: CountryView) -> Any:
    countries = view.tables.countries
    if UNSERVED not in countries:
        return np.zeros(len(view.evaluation), bool)
    return view.tables.people.claimed_country == countries.index(UNSERVED)


def _weekend_fails(case: Case) -> bool:
    return case.departure_date.weekday() >= 5


def _weekend_mask(view: CountryView, stop_rows: Any, person_rows: Any) -> Any:
    weekday = (view.evaluation.departure_day[stop_rows] + 6) % 7  # date.weekday() of an ordinal
    return np.repeat((weekday >= 5)[:, None], person_rows.size, axis=1)


#: Toy rules with only the parts a rule must have (the stop rule's summary comes from its block mask).
UNSERVED_RULE = PersonRule(
    ToyCode.NOT_A_SERVED_COUNTRY,  # type: ignore[arg-type]
    "the person's country is not served",
    _unserved_fails,
    _unserved_mask,
)
WEEKEND_RULE = StopRule(
    ToyCode.WEEKEND_DEPARTURE,  # type: ignore[arg-type]
    "no removals on weekends",
    _weekend_fails,
    _weekend_mask,
)
TOY = Registry((*RULES.own_rules, UNSERVED_RULE, WEEKEND_RULE, *filter(None, [RULES.family_rule])))
TOY_CODES = [*list(ReasonCode)[:-1], *ToyCode, ReasonCode.FAMILY_MEMBER_INELIGIBLE]


def test_the_toy_registry_is_complete_for_the_extended_codes() -> None:
    assert TOY.problems(TOY_CODES) == []
    # The real registry lacks them: that is what the completeness test reports for a new code.
    assert RULES.problems(TOY_CODES) == [f"reason codes without a rule: {[str(c) for c in ToyCode]}"]
    assert TOY.position(ToyCode.WEEKEND_DEPARTURE) == len(ReasonCode)  # type: ignore[arg-type]


def test_a_missing_mask_is_caught() -> None:
    no_mask = Registry((*RULES.own_rules, replace(WEEKEND_RULE, block_mask=None)))
    assert no_mask.problems([*list(ReasonCode)[:-1], ToyCode.WEEKEND_DEPARTURE]) == [
        "rule WEEKEND_DEPARTURE has no block_mask"
    ]
    tables = tables_from_facts([person()], [stop()], {"MEX": rule()})
    with pytest.raises(MissingPart, match="WEEKEND_DEPARTURE has no block_mask"):
        evaluate(tables, now=NOW, registry=no_mask)


def test_toy_rules_fail_where_they_should() -> None:
    saturday = stop(departure_utc=stop().departure_utc.replace(day=22))
    assert saturday.departure_utc.weekday() == 5
    reasons = check_people(
        [person(), person(person_id=2, nationality="CHN")], saturday, rule(), now=NOW, registry=TOY
    )
    assert reasons[1] == (ToyCode.WEEKEND_DEPARTURE,)
    assert ToyCode.NOT_A_SERVED_COUNTRY in reasons[2] and ToyCode.WEEKEND_DEPARTURE in reasons[2]


@settings(max_examples=100, deadline=None)
@given(instance=instances())
def test_toy_rules_scalar_and_matrix_agree(instance: Any) -> None:
    """The same equivalence the real rules pass (test_eligibility_matrix), under the toy registry."""
    people, stops, rules, sent = instance
    tables = tables_from_facts(people, stops, rules, sent_manifest=sent)
    pairs, summary = evaluate_with_reasons(tables, now=NOW, registry=TOY)
    expected = set()
    for stop_row, s in enumerate(stops):
        on_sent = {pid for pid, sid in sent if sid == s.stop_id}
        verdicts = check_people(people, s, rules[s.country], now=NOW, on_sent_manifest=on_sent, registry=TOY)
        expected |= {(row, stop_row) for row, p in enumerate(people) if verdicts[p.person_id] == ()}
    assert pairs.pair_set() == expected
    for row, p in enumerate(people):
        candidate_stops = [s for s in stops if s.country in related_countries(p)]
        explained = reasons_per_stop(
            p, candidate_stops, rules, now=NOW, family=people, sent_manifest=sent, registry=TOY
        )
        masks = [TOY.mask(reasons) for reasons in explained.values()]
        all_mask = TOY.all_reasons_mask if masks else 0
        any_mask = 0
        for mask in masks:
            all_mask &= mask
            any_mask |= mask
        assert (int(summary.all_mask[row]), int(summary.any_mask[row])) == (all_mask, any_mask)
        assert int(summary.candidate_stops[row]) == len(candidate_stops)
