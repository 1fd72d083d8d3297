"""The last re-check before a manifest revision leaves the office (``sign``, ``paxlst``): may every
person it lists still fly, as the facts stand now?

Facts come from the one loader (:func:`planner.services.eligibility_facts.load_person_facts`) and
the words from the rule registry. Checked per listed person at their stop: rules 1–6 and 8, and
rule 10 over the family members listed at that stop. Exempt: rule 9 (the notice cut-off; everybody
listed is on the manifest that was sent) and rule 7 (facility transfer time: the person may be on
the way already). A family is also *split* when a member who has not left (custody not REMOVED)
is not listed at the same stop.

Every problem is one line naming the person and the failed rule in words, with the strike-off
command to use (``charter-planner strike FLIGHT CASE --reason CODE``; the whole family comes off
together).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from planner.domain.eligibility import CountryRuleFacts, apply_family_rule, check_person, reason_label
from planner.domain.enums import CustodyStatus, FlightStatus, ReasonCode, StrikeReason
from planner.persistence.models import Flight, FlightStop, Person
from planner.persistence.uow import UnitOfWork
from planner.services.eligibility_facts import (
    CHUNK,
    flight_pickups,
    load_person_facts,
    rule_facts,
    stop_facts,
)
from planner.services.manifests.content import ManifestContent

#: Rules a listed person is not re-checked against (see the module docstring).
EXEMPT = frozenset({ReasonCode.FACILITY_CANNOT_REACH, ReasonCode.AFTER_NOTICE_CUTOFF})

#: The strike-off reason suggested for a failed rule (the officer decides; OTHER otherwise).
SUGGESTED_STRIKE: dict[ReasonCode, StrikeReason] = {
    ReasonCode.LEGAL_HOLD: StrikeReason.LEGAL_STAY,
    ReasonCode.NO_FINAL_ORDER: StrikeReason.LEGAL_STAY,
    ReasonCode.NATIONALITY_NOT_VERIFIED: StrikeReason.REFUSED_BY_RECEIVING_STATE,
    ReasonCode.NATIONALITY_MISMATCH: StrikeReason.REFUSED_BY_RECEIVING_STATE,
    ReasonCode.NO_VALID_DOCUMENT: StrikeReason.DOCUMENT_PROBLEM,
}


def strike_command(flight_code: str, case_number: str, reason: StrikeReason | str = "CODE") -> str:
    """The command line that strikes ``case_number`` off ``flight_code``."""
    return f"charter-planner strike {flight_code} {case_number} --reason {reason}"


def refusal_message(flight_code: str, count: int) -> str:
    """The one-line refusal for ``count`` problems found by :func:`listed_but_unfit`."""
    return (
        f"{count} listed on {flight_code} may no longer fly as listed: strike them off "
        f"({strike_command(flight_code, 'CASE')}; the whole family comes off together) and approve "
        "the new revision"
    )


def _people_by_case(uow: UnitOfWork, cases: list[str]) -> dict[str, Person]:
    out: dict[str, Person] = {}
    for start in range(0, len(cases), CHUNK):
        out.update(
            (p.case_number, p)
            for p in uow.session.execute(
                sa.select(Person).where(Person.case_number.in_(cases[start : start + CHUNK]))
            ).scalars()
        )
    return out


def _family_members(uow: UnitOfWork, groups: list[str]) -> dict[str, list[tuple[str, str]]]:
    """family group -> [(case number, custody status)] of every member."""
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for start in range(0, len(groups), CHUNK):
        for group, case, custody in uow.session.execute(
            sa.select(Person.family_group, Person.case_number, Person.custody_status).where(
                Person.family_group.in_(groups[start : start + CHUNK])
            )
        ).all():
            if group is not None:
                out[group].append((case, custody))
    return out


@dataclass(frozen=True, slots=True)
class ListedAt:
    """A person listed at one stop of a flight (``stop_id`` 0 when the stop row is gone)."""

    person_id: int
    stop_id: int
    country: str


@dataclass(frozen=True, slots=True)
class Unfit:
    """Why a listed person may no longer fly: ``reasons`` after the family rule (rule 10), and the
    person's ``own`` failed rules (empty when only a family member fails)."""

    reasons: tuple[ReasonCode, ...]
    own: tuple[ReasonCode, ...]

    @property
    def suggested_strike(self) -> StrikeReason:
        """The strike-off reason to suggest (the officer decides; OTHER when nothing fits)."""
        return next((SUGGESTED_STRIKE[r] for r in self.own if r in SUGGESTED_STRIKE), StrikeReason.OTHER)

    def words(self) -> str:
        """The failed rules in words, comma-separated."""
        return ", ".join(reason_label(r) for r in self.reasons)


def unfit_listed(
    uow: UnitOfWork,
    flight: Flight,
    listed: Iterable[ListedAt],
    now: datetime,
    rules: Mapping[str, CountryRuleFacts] | None = None,
) -> dict[int, Unfit]:
    """person id -> why they may no longer fly, for every person in ``listed`` who fails a rule at
    ``now`` (rules exempt for listed people left out; the family rule applied among the people
    listed at the same stop). The one re-check behind sign, paxlst and closing the doors. A read.
    ``rules`` (default: the stored rules, ``rule_facts``) lets a rule change be judged before it is
    saved (``planner.services.country_rules.rule_impact``)."""
    entries = list(listed)
    if not entries:
        return {}
    facts = load_person_facts(uow, [e.person_id for e in entries])
    if rules is None:
        rules = rule_facts(uow, {e.country for e in entries})
    by_stop: dict[tuple[int, str], dict[int, tuple[ReasonCode, ...]]] = defaultdict(dict)
    pickups = flight_pickups(flight)  # once for the flight, not per person
    for e in entries:
        reasons = check_person(
            facts[e.person_id],
            stop_facts(flight, e.stop_id, e.country, pickups=pickups),
            rules[e.country],
            now=now,
            on_sent_manifest=True,
        )
        by_stop[(e.stop_id, e.country)][e.person_id] = tuple(r for r in reasons if r not in EXEMPT)
    out: dict[int, Unfit] = {}
    for own in by_stop.values():
        groups = {pid: facts[pid].family_group for pid in own}
        for pid, reasons in apply_family_rule(own, groups).items():
            if reasons:
                out[pid] = Unfit(tuple(reasons), own[pid])
    return out


def listed_but_unfit(uow: UnitOfWork, flight: Flight, content: ManifestContent, now: datetime) -> list[str]:
    """One line per problem with the people ``content`` (a revision of ``flight``, read through
    ``revisions.stored_content``, which checks its hash) lists, as the
    facts stand at ``now``: failed rules and split families (see the module docstring); [] = all
    may fly. Only a PLANNED flight is checked (after the departure its people are REMOVED: the
    record of who flew is not re-judged). A read: no role check, nothing written."""
    if flight.status != FlightStatus.PLANNED.value:
        return []
    listed = {row.case_number: stop.sequence for stop in content.stops for row in stop.rows}
    if not listed:
        return []
    people = _people_by_case(uow, sorted(listed))
    stop_ids = dict(
        uow.session.execute(
            sa.select(FlightStop.sequence, FlightStop.id).where(FlightStop.flight_id == flight.id)
        ).all()
    )
    at_stop = {
        stop.sequence: [people[row.case_number] for row in stop.rows if row.case_number in people]
        for stop in content.stops
    }
    unfit = unfit_listed(
        uow,
        flight,
        (
            ListedAt(p.id, stop_ids.get(stop.sequence, 0), stop.country)
            for stop in content.stops
            for p in at_stop[stop.sequence]
        ),
        now,
    )
    groups = sorted({p.family_group for p in people.values() if p.family_group})
    members = _family_members(uow, groups)
    problems: list[str] = []
    for stop in content.stops:
        here = at_stop[stop.sequence]
        where = f"stop {stop.sequence} {stop.airport}"
        for p in here:
            if p.id in unfit:
                problem = unfit[p.id]
                problems.append(
                    f"{p.case_number} ({where}): {problem.words()} — "
                    f"{strike_command(flight.code, p.case_number, problem.suggested_strike)}"
                )
        for group in sorted({p.family_group for p in here if p.family_group}):
            listed_here = {p.case_number for p in here if p.family_group == group}
            for case, custody in sorted(members.get(group, [])):
                if case not in listed_here and custody != CustodyStatus.REMOVED.value:
                    problems.append(
                        f"{case}: family {group} is split — listed at {where} of {flight.code} without "
                        f"{case}; reopen {flight.code} for additions or strike the family off "
                        f"({strike_command(flight.code, min(listed_here), 'CODE')})"
                    )
    return problems


__all__ = [
    "EXEMPT",
    "SUGGESTED_STRIKE",
    "ListedAt",
    "Unfit",
    "listed_but_unfit",
    "refusal_message",
    "strike_command",
    "unfit_listed",
]
