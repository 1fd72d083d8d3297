"""Why a person is placed where they are, or why not: the current plan's decision plus the
eligibility rules evaluated now for every flight stop to the person's countries, each failed rule
said with its facts (``planner.domain.reasons``): the facility and the airports it reaches, the
departure airport and local time with its UTC offset, the document's expiry and the date it must
be valid to, the hold's end date, the cut-off time, the verification state, the blocking family
member."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

import sqlalchemy as sa

from planner.domain.countries import country_name
from planner.domain.eligibility import (
    CountryRuleFacts,
    PersonFacts,
    StopFacts,
    check_person,
    reasons_per_stop,
    related_countries,
)
from planner.domain.enums import CustodyStatus, FlightStatus, ReasonCode, Role
from planner.domain.errors import NotFound
from planner.domain.reasons import (
    FamilyBlocker,
    ReasonFacts,
    reason_label,
    reason_sentence,
    resource_words,
    verification_state,
)
from planner.domain.route import Pickup, Route
from planner.domain.wording import join_words, local_time_text, utc_text
from planner.persistence.models import (
    Airport,
    Assignment,
    Facility,
    Flight,
    FlightStop,
    Person,
    PlanExclusion,
    PlanRun,
    utc_now,
)
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.current_plan import current_draft_plan_id  # not .planning: it loads the solver
from planner.services.eligibility_facts import load_person_facts, rule_facts, stop_facts
from planner.services.reference import (
    DEFAULT_VERSION,
    default_rule_summary,
    rule_versions,
    stored_default_notice_days,
)
from planner.services.routes import route_of


@dataclass(frozen=True)
class StopVerdict:
    """One flight stop and the verdict there: ``reasons`` (codes, empty = eligible) and, in the
    same order, ``sentences`` (each reason with its facts)."""

    flight_code: str
    airport: str
    country: str
    departure_utc: datetime
    reasons: tuple[str, ...]  # empty = eligible
    departure_airport: str = ""
    zone: str | None = None
    sentences: tuple[str, ...] = ()
    #: The flight's later pickups, each ``"SAT 2027-03-01 09:00 UTC−06:00"`` (empty: one pickup).
    later_pickups: tuple[str, ...] = ()
    #: Where the placed person boards (``"SAT 2027-03-01 09:00 UTC−06:00"``; empty: not placed).
    boards_at: str = ""

    @property
    def departure_text(self) -> str:
        """``"departs IAH 2027-03-01 20:00 UTC−06:00 (America/Chicago)"``, then the later pickups."""
        airport = f"{self.departure_airport} " if self.departure_airport else ""
        text = f"departs {airport}{local_time_text(self.departure_utc, self.zone, with_zone_name=True)}"
        if self.later_pickups:
            text += ", then picks up at " + ", ".join(self.later_pickups)
        return text

    @property
    def heading(self) -> str:
        """``"RF0002 to PEK (CHN), departs IAH …"``."""
        return f"{self.flight_code} to {self.airport} ({self.country}), {self.departure_text}"


@dataclass(frozen=True)
class Explanation:
    case_number: str
    name: str
    plan_run_id: int | None
    placed_on: StopVerdict | None
    frozen: bool
    plan_reason: str | None  # the plan run's headline reason when not placed
    plan_detail: dict = field(default_factory=dict)
    stops: tuple[StopVerdict, ...] = ()
    #: "claims CHN · facility … · verification: …" (empty for explanations built without it).
    profile: str = ""
    as_of: datetime | None = None
    #: One line per country of the person's stops and countries: the rule version in force (and the
    #: one the plan run used when it differs), or that the country runs on the default rule.
    rule_notes: tuple[str, ...] = ()

    def text(self) -> str:
        """The explanation in words, one line per failed rule per flight stop."""
        lines = [f"{self.case_number} {self.name}"]
        if self.profile:
            lines.append(self.profile)
        lines += self._plan_lines()
        if self.stops:
            when = f" as of {utc_text(self.as_of)}" if self.as_of else " now"
            lines.append(f"eligibility{when}, per flight stop to the person's countries:")
            for v in self.stops:
                if not v.reasons:
                    lines.append(f"  {v.heading}: eligible")
                    continue
                lines.append(f"  {v.heading}: not eligible")
                sentences = v.sentences or tuple(reason_label(r) for r in v.reasons)
                lines += [f"    - {sentence}" for sentence in sentences]
        else:
            lines.append("no planned flight goes to any of the person's countries")
        if self.rule_notes:
            lines.append("country rules:")
            lines += [f"  {note}" for note in self.rule_notes]
        return "\n".join(lines)

    def _plan_lines(self) -> list[str]:
        if self.plan_run_id is None:
            return ["no plan has been run yet"]
        if self.placed_on is not None:
            p = self.placed_on
            frozen = " — frozen by an approved manifest" if self.frozen else ""
            boards = f"; boards at {p.boards_at}" if p.boards_at else ""
            return [f"placed by plan {self.plan_run_id} on {p.heading}{boards}{frozen}"]
        reason = reason_label(self.plan_reason) if self.plan_reason else "not considered"
        lines = [f"not placed by plan {self.plan_run_id}: {reason}"]
        for block in self.plan_detail.get("stops", []):
            binding = (
                join_words(resource_words(r) for r in block["binding"])
                or "no single resource (the run stopped early or a family member is frozen elsewhere)"
            )
            lines.append(f"  {block['stop'].replace('/', ' to ')} is full: no {binding} left")
        return lines


@dataclass(frozen=True)
class _PlanDecision:
    placed_on: StopVerdict | None = None
    frozen: bool = False
    reason: str | None = None
    detail: dict = field(default_factory=dict)


def _plan_decision(uow: UnitOfWork, plan_id: int | None, person_id: int) -> _PlanDecision:
    if plan_id is None:
        return _PlanDecision()
    s = uow.session
    row = s.execute(
        sa.select(
            Assignment.frozen,
            Flight.code,
            FlightStop.airport,
            Airport.country,
            Flight.departure_utc,
            Flight.departure_airport,
            Flight.id,
            Assignment.pickup_sequence,
        )
        .join(FlightStop, FlightStop.id == Assignment.flight_stop_id)
        .join(Flight, Flight.id == FlightStop.flight_id)
        .join(Airport, Airport.iata == FlightStop.airport)
        .where(Assignment.plan_run_id == plan_id, Assignment.person_id == person_id)
    ).first()
    if row is not None:
        frozen, code, airport, country, departure, departure_airport, flight_id, sequence = row
        route = route_of(uow, flight_id)
        zones = _zones(uow, route.points if route is not None else [departure_airport])
        later, boards = _route_words(route, zones, int(sequence or 0))
        return _PlanDecision(
            StopVerdict(
                code,
                airport,
                country,
                departure,
                (),
                departure_airport,
                zones.get(departure_airport),
                later_pickups=later,
                boards_at=boards,
            ),
            bool(frozen),
        )
    exclusion = s.execute(
        sa.select(PlanExclusion).where(
            PlanExclusion.plan_run_id == plan_id, PlanExclusion.person_id == person_id
        )
    ).scalar_one_or_none()
    if exclusion is None:
        return _PlanDecision()
    return _PlanDecision(reason=exclusion.reason, detail=json.loads(exclusion.detail_json or "{}"))


def _route_words(route: Route | None, zones: Mapping[str, str], sequence: int) -> tuple[tuple[str, ...], str]:
    """(the route's later pickups, the pickup ``sequence``) in words, each ``"SAT <local time>"``;
    the boarding pickup is said only when the route has several."""
    if route is None or route.is_single_pickup():
        return (), ""

    def words(p: Pickup) -> str:
        return f"{p.airport} {local_time_text(p.departure_utc, zones.get(p.airport))}"

    later = tuple(words(p) for p in route.pickups[1:])
    try:
        boards = route.pickup(sequence)
    except KeyError:
        return later, ""
    return later, words(boards)


def _pickup_words(stop: StopFacts) -> tuple[str, ...]:
    """A stop's later pickups in words (empty for a flight with one pickup)."""
    return tuple(
        f"{p.airport} {local_time_text(p.departure_utc, p.timezone or None)}" for p in stop.route_pickups[1:]
    )


def _zones(uow: UnitOfWork, airports: Collection[str]) -> dict[str, str]:
    """IATA -> IANA zone of ``airports``."""
    if not airports:
        return {}
    return dict(
        uow.session.execute(
            sa.select(Airport.iata, Airport.timezone).where(Airport.iata.in_(set(airports)))
        ).all()
    )


def _facility_label(uow: UnitOfWork, facility_id: int | None) -> str:
    if facility_id is None:
        return ""
    facility = uow.session.get(Facility, facility_id)
    if facility is None:
        return ""
    return (
        f"{facility.code} ({facility.name}, {facility.city})"
        if facility.city
        else f"{facility.code} ({facility.name})"
    )


def _family_members(uow: UnitOfWork, person: Person) -> list[int]:
    if not person.family_group:
        return [person.id]
    return list(
        uow.session.execute(
            sa.select(Person.id).where(
                Person.family_group == person.family_group,
                Person.custody_status != CustodyStatus.REMOVED.value,
            )
        ).scalars()
    ) or [person.id]


@dataclass(frozen=True)
class _Context:
    """What the sentences of one person need besides the stop."""

    person: PersonFacts
    family: Mapping[int, PersonFacts]
    cases: Mapping[int, str]
    rules: Mapping[str, CountryRuleFacts]
    sent: Collection[tuple[int, int]]
    facility: str
    zones: Mapping[str, str]
    now: datetime


def _blockers(ctx: _Context, stop: StopFacts) -> tuple[FamilyBlocker, ...]:
    """The other family members who fail a rule at ``stop``, with those rules."""
    found = []
    for pid, member in ctx.family.items():
        if pid == ctx.person.person_id or member.family_group != ctx.person.family_group:
            continue
        own = check_person(
            member,
            stop,
            ctx.rules[stop.country],
            now=ctx.now,
            on_sent_manifest=(pid, stop.stop_id) in ctx.sent,
        )
        if own:
            found.append(FamilyBlocker(ctx.cases.get(pid, str(pid)), tuple(r.value for r in own)))
    return tuple(sorted(found, key=lambda b: b.case_number))


def _sentences(
    ctx: _Context, stop: StopFacts, flight_code: str, reasons: tuple[ReasonCode, ...]
) -> tuple[str, ...]:
    blockers = _blockers(ctx, stop) if ReasonCode.FAMILY_MEMBER_INELIGIBLE in reasons else ()
    facts = ReasonFacts(
        person=ctx.person,
        stop=stop,
        rule=ctx.rules[stop.country],
        now=ctx.now,
        flight_code=flight_code,
        zone=ctx.zones.get(stop.departure_airport),
        facility=ctx.facility,
        family_blockers=blockers,
    )
    return tuple(reason_sentence(r.value, facts) for r in reasons)


def _rule_notes(uow: UnitOfWork, plan_id: int | None, countries: Collection[str]) -> tuple[str, ...]:
    """Per country (sorted): the stored rule's version, and the version the current plan run
    recorded when it differs (``PlanRun.settings_json["country_rules"]``); for a country without a
    rule, that it is planned under the conservative default rule, in words."""
    if not countries:
        return ()
    settings = uow.session.execute(sa.select(PlanRun.settings_json).where(PlanRun.id == plan_id)).scalar()
    used = json.loads(settings or "{}").get("country_rules", {}) if plan_id is not None else {}
    default_notice = stored_default_notice_days(uow)
    notes = []
    for country, version in rule_versions(uow, countries).items():
        name = country_name(country)
        recorded = used.get(country)
        if version == DEFAULT_VERSION:
            note = (
                f"{country} ({name}) has no rule of its own: planned under the conservative default "
                f"rule ({default_rule_summary(default_notice)})"
            )
        else:
            note = f"{country} ({name}): rule version {version}"
        if recorded is not None and recorded != version:
            note += f"; plan {plan_id} was run under {_version_words(recorded)}"
        elif recorded is not None:
            note += f", as in plan {plan_id}"
        notes.append(note)
    return tuple(notes)


def _version_words(version: int | str) -> str:
    return "the default rule" if version == DEFAULT_VERSION else f"rule version {version}"


def explain(uow: UnitOfWork, actor: Actor, case_number: str, *, now: datetime | None = None) -> Explanation:
    """Officer and above. Raises ``NotFound`` for an unknown case number."""
    authorize(uow, actor, Role.OFFICER, "plan.explain")
    now = now or utc_now()
    s = uow.session
    person = s.execute(
        sa.select(Person).where(Person.case_number == case_number.strip().upper())
    ).scalar_one_or_none()
    if person is None:
        raise NotFound(f"no person with case number {case_number!r}")
    plan_id = current_draft_plan_id(uow)
    decision = _plan_decision(uow, plan_id, person.id)

    members = _family_members(uow, person)
    facts = load_person_facts(uow, members)
    me = facts[person.id]
    stop_rows = s.execute(
        sa.select(FlightStop, Flight, Airport.country)
        .join(Flight, Flight.id == FlightStop.flight_id)
        .join(Airport, Airport.iata == FlightStop.airport)
        .where(
            Flight.status == FlightStatus.PLANNED.value,
            Flight.departure_utc > now,
            Airport.country.in_(related_countries(me)),
        )
        .order_by(Flight.departure_utc, Flight.code, FlightStop.sequence)
    ).all()
    zones = _zones(uow, {flight.departure_airport for _stop, flight, _country in stop_rows})
    # The rules read local dates in the departure airport's zone.
    stops = [
        (
            replace(
                stop_facts(flight, stop.id, country),
                departure_timezone=zones.get(flight.departure_airport) or "UTC",
            ),
            flight.code,
            stop.airport,
        )
        for stop, flight, country in stop_rows
    ]
    sent: set[tuple[int, int]] = set()
    if plan_id is not None:
        sent = {
            (pid, sid)
            for pid, sid in s.execute(
                sa.select(Assignment.person_id, Assignment.flight_stop_id).where(
                    Assignment.plan_run_id == plan_id,
                    Assignment.frozen.is_(True),
                    Assignment.person_id.in_(members),
                )
            ).all()
        }
    ctx = _Context(
        person=me,
        family=facts,
        cases=dict(s.execute(sa.select(Person.id, Person.case_number).where(Person.id.in_(members))).all()),
        rules=rule_facts(uow, {country for _stop, _flight, country in stop_rows}),
        sent=sent,
        facility=_facility_label(uow, person.facility_id),
        zones=zones,
        now=now,
    )
    reasons = reasons_per_stop(
        me, [st for st, _, _ in stops], ctx.rules, now=now, family=facts.values(), sent_manifest=sent
    )
    verdicts = tuple(
        StopVerdict(
            code,
            airport,
            st.country,
            st.departure_utc,
            tuple(r.value for r in reasons[st.stop_id]),
            st.departure_airport,
            ctx.zones.get(st.departure_airport),
            _sentences(ctx, st, code, reasons[st.stop_id]),
            later_pickups=_pickup_words(st),
        )
        for st, code, airport in stops
    )
    profile = [f"claims {person.nationality}"]
    profile.append(f"facility {ctx.facility}" if ctx.facility else "no facility recorded")
    profile.append(f"verification: {verification_state(me)}")
    return Explanation(
        case_number=person.case_number,
        name=f"{person.family_name}, {person.given_names}"
        + (f" ({person.native_name})" if person.native_name else ""),
        plan_run_id=plan_id,
        placed_on=decision.placed_on,
        frozen=decision.frozen,
        plan_reason=decision.reason,
        plan_detail=decision.detail,
        stops=verdicts,
        profile=" · ".join(profile),
        as_of=now,
        rule_notes=_rule_notes(
            uow,
            plan_id,
            {c for _stop, _flight, c in stop_rows}
            | set(related_countries(me))
            | ({decision.placed_on.country} if decision.placed_on is not None else set()),
        ),
    )
