"""The eligibility rules: one module per rule (``rules/``), listed in rule order by ``registry``;
the scalar checks (``scalar``) and the vectorised evaluator (``matrix``) are both driven by it.

The public API is re-exported here; ``docs/adding-a-rule.md`` walks through adding a rule."""

from planner.domain.eligibility.encoding import MEDICAL_NEEDS
from planner.domain.eligibility.facts import (
    RESULT_TIE_RANK,
    CountryRuleFacts,
    DocumentFacts,
    PersonFacts,
    PickupFacts,
    StopFacts,
    VerificationFacts,
    departure_date,
    departure_dates,
    latest_verifications,
    local_departure_date,
)
from planner.domain.eligibility.matrix import (
    ALL_REASONS_MASK,
    NO_FLIGHT_CODE,
    NO_FLIGHT_TO_COUNTRY,
    NO_REASON,
    REASON_BITS,
    REASON_CODES,
    EligiblePairs,
    ReasonSummary,
    decode_reasons,
    evaluate,
    evaluate_with_reasons,
    headline_codes,
    headline_reason,
    reason_mask,
    reason_summary,
    reasons_per_stop,
    related_countries,
)
from planner.domain.eligibility.registry import REASON_TEXT, RULES, Registry, reason_label, reason_text
from planner.domain.eligibility.rule import Case, CountryView, FamilyRule, PersonRule, Rule, StopRule
from planner.domain.eligibility.rules.document import ARRIVAL_DAYS_AFTER_DEPARTURE, minimum_expiry
from planner.domain.eligibility.rules.facility_reach import reach_by_pickup, reached_pickups
from planner.domain.eligibility.rules.legal_hold import hold_in_force
from planner.domain.eligibility.rules.notice_cutoff import notice_cutoff
from planner.domain.eligibility.scalar import apply_family_rule, check_people, check_person
from planner.domain.eligibility.tables import (
    EligibilityTables,
    PeopleColumns,
    encode_tables,
    tables_from_facts,
)

__all__ = [
    "ALL_REASONS_MASK",
    "ARRIVAL_DAYS_AFTER_DEPARTURE",
    "MEDICAL_NEEDS",
    "NO_FLIGHT_CODE",
    "NO_FLIGHT_TO_COUNTRY",
    "NO_REASON",
    "REASON_BITS",
    "REASON_CODES",
    "REASON_TEXT",
    "RESULT_TIE_RANK",
    "RULES",
    "Case",
    "CountryRuleFacts",
    "CountryView",
    "DocumentFacts",
    "EligibilityTables",
    "EligiblePairs",
    "FamilyRule",
    "PeopleColumns",
    "PersonFacts",
    "PersonRule",
    "PickupFacts",
    "ReasonSummary",
    "Registry",
    "Rule",
    "StopFacts",
    "StopRule",
    "VerificationFacts",
    "apply_family_rule",
    "check_people",
    "check_person",
    "decode_reasons",
    "departure_date",
    "departure_dates",
    "encode_tables",
    "evaluate",
    "evaluate_with_reasons",
    "headline_codes",
    "headline_reason",
    "hold_in_force",
    "latest_verifications",
    "local_departure_date",
    "minimum_expiry",
    "notice_cutoff",
    "reach_by_pickup",
    "reached_pickups",
    "reason_label",
    "reason_mask",
    "reason_summary",
    "reason_text",
    "reasons_per_stop",
    "related_countries",
    "tables_from_facts",
]
