"""The ten eligibility rules of docs/design.md as pure functions over plain facts (no database).

``check_person`` evaluates rules 1–9 for one person × one flight stop and returns every failed
rule's ``ReasonCode`` in rule order (the order of ``registry.RULES``, which is the declaration order
of ``ReasonCode``); an empty tuple means eligible. ``apply_family_rule`` adds rule 10 for the members
of one stop's candidates. Each rule is one module of ``planner.domain.eligibility.rules`` (its scalar
check and its mask side by side); ``planner.domain.eligibility.matrix`` is the vectorised evaluator
for the planner; both must agree exactly.

Precise semantics (every ``datetime`` must be timezone-aware). Instants are compared in UTC. A
calendar day of the departure is the *local date at the departure airport* (``StopFacts.
departure_timezone``), read conservatively where the UTC date differs (``facts.departure_dates``):
the earlier of the two for legal holds, the later for document validity; an unknown zone spans
UTC−12 … UTC+14.

1. ``NOT_IN_CUSTODY`` — fails unless ``custody_status == IN_CUSTODY``.
2. ``NO_FINAL_ORDER`` — fails unless ``order_status == FINAL``.
3. ``LEGAL_HOLD`` — a hold is in force on the departure day D (the local date at the departure
   airport, or the UTC date if that is earlier) when a reason is set (non-blank) and there is no
   until-date or ``hold_until >= D``. A hold until the departure day itself therefore blocks (20:00
   on the 1st in New York is the 1st); a hold that ended the day before every reading of the
   departure does not. An until-date without a reason is no hold.
4. ``NATIONALITY_NOT_VERIFIED`` — only where receiving country C requires verification: fails
   unless the *latest* verification for C is CONFIRMED (none at all fails). The latest per country
   is the one with the greatest ``(verified_on, sequence)``; on a full tie the least favourable
   result counts (NOT_CONFIRMED, then PENDING, then CONFIRMED), so ties can never help a person.
5. ``NATIONALITY_MISMATCH`` — the confirmed nationalities are the countries whose latest
   verification is CONFIRMED. Rule 5 passes when C is confirmed. Otherwise it fails when some other
   country is confirmed, or C differs from the claimed nationality, or C's latest answer is
   NOT_CONFIRMED (C itself said the person is not its national). Hence an unverified person flying
   to the claimed country gets only ``NATIONALITY_NOT_VERIFIED`` (where C requires verification) and
   passes where C needs no verification; a person C has refused gets both codes.
6. ``NO_VALID_DOCUMENT`` — passes when some document is VALID, of a type C accepts, issued by C and
   ``expires_on >= arrival date + min_validity_days``, where the arrival date is conservatively the
   departure day + 1 day, the departure day being the local date at the departure airport or the
   UTC date if that is later. (An expiry exactly on that limit passes.)
7. ``FACILITY_CANNOT_REACH`` — passes when the person's facility transfers to the stop's departure
   airport and ``now + transfer_hours <= departure_utc`` (computed as
   ``transfer_hours * 3600 <= (departure_utc - now).total_seconds()``). No facility fails.
8. ``NO_MEDICAL_CAPACITY`` when the need is MEDICAL_ESCORT and the flight has no medical slot;
   ``NO_WHEELCHAIR_CAPACITY`` when the need is WHEELCHAIR and it has no wheelchair slot.
9. ``AFTER_NOTICE_CUTOFF`` — fails when ``now >= departure_utc - notice_days`` (the cut-off instant
   itself is too late), unless the person is already on the manifest sent for that stop. Rules 7
   and 9 compare instants only, so no time zone enters them.
10. ``FAMILY_MEMBER_INELIGIBLE`` — for one stop S: a person fails rule 10 when some *other* member
   of the same family group fails any of rules 1–9 for S. A person whose only failure is their
   family gets exactly ``(FAMILY_MEMBER_INELIGIBLE,)``; a lone failing member does not get it (the
   rest of the family does). The caller decides who belongs to the group (every member passed in).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TypeVar

from planner.domain.eligibility.facts import (
    RESULT_TIE_RANK,
    CountryRuleFacts,
    DocumentFacts,
    PersonFacts,
    StopFacts,
    VerificationFacts,
    departure_date,
    departure_dates,
    latest_verifications,
    local_departure_date,
    require_aware,
    verification_order_key,
)
from planner.domain.eligibility.registry import RULES, Registry
from planner.domain.eligibility.rule import Case
from planner.domain.eligibility.rules.document import (
    ARRIVAL_DAYS_AFTER_DEPARTURE,
    document_accepted,
    minimum_expiry,
)
from planner.domain.eligibility.rules.facility_reach import facility_reaches
from planner.domain.eligibility.rules.legal_hold import hold_in_force
from planner.domain.eligibility.rules.notice_cutoff import notice_cutoff
from planner.domain.enums import ReasonCode

K = TypeVar("K", bound=Hashable)


def check_person(
    person: PersonFacts,
    stop: StopFacts,
    rule: CountryRuleFacts,
    *,
    now: datetime,
    on_sent_manifest: bool = False,
    registry: Registry = RULES,
) -> tuple[ReasonCode, ...]:
    """All failed rules 1–9 for ``person`` at ``stop`` (receiving country ``rule.country``), in rule
    order; empty means eligible (before the family rule). ``now`` must be timezone-aware."""
    require_aware(now, "now")
    if rule.country != stop.country:
        raise ValueError(f"rule for {rule.country} given for a stop in {stop.country}")
    case = Case(person, stop, rule, now, on_sent_manifest)
    return tuple(r.code for r in registry.own_rules if r.check(case))


def apply_family_rule(
    own_reasons: Mapping[K, Sequence[ReasonCode]],
    family_groups: Mapping[K, str | None],
    *,
    registry: Registry = RULES,
) -> dict[K, tuple[ReasonCode, ...]]:
    """Rule 10 for ONE stop. ``own_reasons`` holds each person's rules 1–9 result for that stop and
    must include every member of every family group involved; ``family_groups`` gives each key's
    group (None or missing = no family). Returns the reasons with ``FAMILY_MEMBER_INELIGIBLE``
    appended for everybody with another member who fails (unchanged without a family rule)."""
    family = registry.family_rule
    if family is None:
        return {key: tuple(reasons) for key, reasons in own_reasons.items()}
    return family.apply(own_reasons, family_groups)


def check_people(
    people: Iterable[PersonFacts],
    stop: StopFacts,
    rule: CountryRuleFacts,
    *,
    now: datetime,
    on_sent_manifest: Collection[int] = frozenset(),
    registry: Registry = RULES,
) -> dict[int, tuple[ReasonCode, ...]]:
    """Rules 1–10 for every person (by ``person_id``) at one stop; ``people`` must contain whole
    families. ``on_sent_manifest`` holds the person ids already on the manifest sent for the stop."""
    people = list(people)
    own = {
        p.person_id: check_person(
            p, stop, rule, now=now, on_sent_manifest=p.person_id in on_sent_manifest, registry=registry
        )
        for p in people
    }
    return apply_family_rule(own, {p.person_id: p.family_group for p in people}, registry=registry)


__all__ = [
    "ARRIVAL_DAYS_AFTER_DEPARTURE",
    "RESULT_TIE_RANK",
    "CountryRuleFacts",
    "DocumentFacts",
    "PersonFacts",
    "StopFacts",
    "VerificationFacts",
    "apply_family_rule",
    "check_people",
    "check_person",
    "departure_date",
    "departure_dates",
    "document_accepted",
    "facility_reaches",
    "hold_in_force",
    "latest_verifications",
    "local_departure_date",
    "minimum_expiry",
    "notice_cutoff",
    "verification_order_key",
]
