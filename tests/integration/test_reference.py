"""Country rules as the planner, explanations and manifests all see them."""

from __future__ import annotations

from planner.domain.eligibility import CountryRuleFacts
from planner.persistence.context import AppContext
from planner.services.reference import default_country_rule, rule_facts


def test_rule_facts_are_the_stored_rules_plus_the_default_for_unknown_countries(ctx: AppContext) -> None:
    with ctx.uow(write=False) as uow:
        rules = rule_facts(uow, {"CHN", "ZZZ"})
    assert (
        rules["CHN"].notice_days == 14 and rules["CHN"].min_validity_days == 30
    )  # resources/country_rules.csv
    assert rules["ZZZ"] == CountryRuleFacts.from_model(default_country_rule("ZZZ"))
    assert rules["ZZZ"].verification_required and "PASSPORT" in rules["ZZZ"].accepted_document_types
