"""The eligibility rules in rule order: the one list the scalar checks, the vectorised evaluator,
the reason bits and the reason texts are driven by.

A rule's position in ``RULES`` is its rule number minus one and the bit of its code in a reason
mask (``planner.domain.eligibility.matrix.ReasonSummary``). ``Registry.problems`` lists what is
missing or inconsistent (a ``ReasonCode`` without a rule, a rule without its words, scalar check or
mask, codes out of declaration order); a unit test requires it to be empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from planner.domain.eligibility.rule import FamilyRule, PersonRule, Rule, StopRule
from planner.domain.eligibility.rules import (
    custody,
    document,
    facility_reach,
    family,
    final_order,
    legal_hold,
    medical,
    nationality_match,
    nationality_verified,
    notice_cutoff,
)
from planner.domain.enums import ReasonCode

#: Reason masks are uint16: at most this many rules.
MAX_RULES = 16


@dataclass(frozen=True)
class Registry:
    """Rules in rule order. Codes must be unique; a ``FamilyRule`` may only come last."""

    rules: tuple[Rule, ...]

    def __post_init__(self) -> None:
        codes = [rule.code for rule in self.rules]
        duplicates = sorted({str(c) for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(
                f"eligibility reason codes registered twice (bit positions collide): {duplicates}"
            )
        if len(codes) > MAX_RULES:
            raise ValueError(f"{len(codes)} eligibility rules: reason masks hold at most {MAX_RULES}")
        if any(isinstance(rule, FamilyRule) for rule in self.rules[:-1]):
            raise ValueError("the family rule must be the last eligibility rule")

    @cached_property
    def codes(self) -> tuple[ReasonCode, ...]:
        """The reason codes in rule order: bit ``i`` of a reason mask stands for ``codes[i]``."""
        return tuple(rule.code for rule in self.rules)

    @cached_property
    def bits(self) -> Mapping[ReasonCode, int]:
        """The mask bit of each reason code."""
        return {code: 1 << i for i, code in enumerate(self.codes)}

    @cached_property
    def all_reasons_mask(self) -> int:
        """Every reason bit set."""
        return (1 << len(self.rules)) - 1

    @cached_property
    def own_rules(self) -> tuple[PersonRule | StopRule, ...]:
        """Every rule but the family rule, in rule order (what ``check_person`` evaluates)."""
        return tuple(rule for rule in self.rules if not isinstance(rule, FamilyRule))

    @cached_property
    def person_rules(self) -> tuple[PersonRule, ...]:
        return tuple(rule for rule in self.rules if isinstance(rule, PersonRule))

    @cached_property
    def stop_rules(self) -> tuple[StopRule, ...]:
        return tuple(rule for rule in self.rules if isinstance(rule, StopRule))

    @cached_property
    def family_rule(self) -> FamilyRule | None:
        last = self.rules[-1] if self.rules else None
        return last if isinstance(last, FamilyRule) else None

    @cached_property
    def texts(self) -> Mapping[str, str]:
        """Reason code value -> the words an officer reads."""
        return {rule.code.value: rule.text for rule in self.rules}

    def position(self, code: ReasonCode) -> int:
        """The rule (and bit) position of ``code``."""
        return self.codes.index(code)

    def decode(self, mask: int) -> tuple[ReasonCode, ...]:
        """The reason codes of ``mask``, in rule order."""
        return tuple(code for i, code in enumerate(self.codes) if mask >> i & 1)

    def mask(self, reasons: Iterable[ReasonCode]) -> int:
        """The mask of ``reasons`` (inverse of ``decode``)."""
        mask = 0
        for code in reasons:
            mask |= self.bits[code]
        return mask

    def problems(self, declared: Iterable[ReasonCode] = ReasonCode) -> list[str]:
        """What keeps this registry from covering ``declared`` (in that order) completely: each
        code needs exactly one rule at its declaration position, with words, a scalar check and
        its mask(s). Empty = complete."""
        declared = list(declared)
        found: list[str] = []
        missing = [str(c) for c in declared if c not in self.codes]
        if missing:
            found.append(f"reason codes without a rule: {missing}")
        unknown = [str(c) for c in self.codes if c not in declared]
        if unknown:
            found.append(f"rules for codes ReasonCode does not declare: {unknown}")
        registered = [c for c in declared if c in self.codes]
        if registered != [c for c in self.codes if c in declared]:
            found.append("rules are not in ReasonCode's declaration order (the bit positions would differ)")
        for rule in self.rules:
            parts: dict[str, object] = {"text": rule.text.strip(), "scalar check": rule.fails}
            if isinstance(rule, PersonRule):
                parts["person_mask"] = rule.person_mask
            elif isinstance(rule, StopRule):
                parts["block_mask"] = rule.block_mask
            else:
                parts["layout_mask"], parts["explain_mask"] = rule.layout_mask, rule.explain_mask
            found += [f"rule {rule.code} has no {name}" for name, part in parts.items() if not part]
        return found


RULES = Registry(
    (
        custody.RULE,
        final_order.RULE,
        legal_hold.RULE,
        nationality_verified.RULE,
        nationality_match.RULE,
        document.RULE,
        facility_reach.RULE,
        medical.MEDICAL_RULE,
        medical.WHEELCHAIR_RULE,
        notice_cutoff.RULE,
        family.RULE,
    )
)

#: Reason code value -> the words an officer reads (every place that words a reason uses these).
REASON_TEXT: Mapping[str, str] = RULES.texts


def reason_text(code: str) -> str:
    """The words for reason code ``code`` (a ``ReasonCode`` or its value); ``KeyError`` otherwise."""
    return REASON_TEXT[str(code)]


def reason_label(code: str) -> str:
    """``"<words> (<CODE>)"``: the words with the stored code, for lists shown to officers."""
    return f"{reason_text(code)} ({code})"
