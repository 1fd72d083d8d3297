"""Strike-off with a coded reason, and reserves moving up into the freed places.

:func:`strike` (officer+) takes a person — with every member of their family listed on the flight —
off the flight. *Listed* is on the in-force (approved or signed) revision, or in the current plan on
the flight (a flight never approved, or a reserve moved up since the last approval). It writes one
``strike_off`` row per person (reason ``StrikeReason``; ``OTHER`` needs a note); their assignments
leave the current plan (each gets a ``STRUCK_OFF`` exclusion naming the flight and reason, so the
plan's lists show why), and they go back to planning for *other* flights (the planner never puts a
person back on a flight they were struck off). A ``LEGAL_STAY`` person is excluded by
the rules anyway while the stay lasts.

Then reserves move up (:func:`move_up_reserves`): the flight's ranked reserves
(:func:`planner.services.reserves.ranked_reserves`, which already applies every eligibility rule at
``now`` — after a stop's notice cut-off only the reserves listed on the manifest the receiving
country received) are taken in rank order, whole units only, while they fit the freed places and the
flight's capacities (seats, escort officers, medical and wheelchair slots, per-country cap). A
reserve placed on a later flight is moved from there. Finally the workflow prepares the next DRAFT
revision from the current plan (its PAXLST follows once approved).

Everything is one transaction: a refused revision (``ManifestRefused``) leaves nothing but its audit
event. Audited as ``departure.strike`` (entity flight) with the people, reason, note and the
reserves moved up.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

import solver
from planner.domain.eligibility.facts import PickupFacts
from planner.domain.eligibility.rules.facility_reach import pickup_reached
from planner.domain.enums import Role, StrikeReason, enum_values
from planner.domain.errors import InvalidInput
from planner.domain.route import Route
from planner.persistence import audit
from planner.persistence.models import (
    Airport,
    Assignment,
    Flight,
    FlightStop,
    Manifest,
    Person,
    PlanExclusion,
    PlanRun,
    StrikeOff,
)
from planner.persistence.uow import UnitOfWork
from planner.services import office_settings
from planner.services.auth import Actor, authorize
from planner.services.current_plan import current_draft_plan_id
from planner.services.departure.listing import (
    Listed,
    aware_now,
    flight_named,
    in_force_revision,
    manifest_listing,
    plan_listing,
    require_open,
    struck_off,
)
from planner.services.eligibility_facts import transfer_hours
from planner.services.manifests import workflow
from planner.services.manifests.revisions import ManifestInfo
from planner.services.planning import STRUCK_OFF
from planner.services.reference import rule_facts
from planner.services.reserves import ranked_reserves
from planner.services.routes import route_of
from solver.problem import escort_tenths

log = logging.getLogger(__name__)

_NOTE_LENGTH = 1000


@dataclass(frozen=True)
class StrikeResult:
    """What a strike did: who came off, which reserves moved up (``"A123 -> stop 1 PEK"``), and the
    revision prepared (None when the flight has no manifest yet)."""

    flight_code: str
    reason: str
    struck: tuple[str, ...]
    moved_up: tuple[str, ...] = ()
    manifest: ManifestInfo | None = None
    messages: tuple[str, ...] = field(default=())


def parse_reason(reason: str, note: str | None) -> tuple[StrikeReason, str]:
    """The reason code (``InvalidInput`` listing the codes when unknown) and the cleaned note
    (required for OTHER)."""
    code = (reason or "").strip().upper()
    if code not in enum_values(StrikeReason):
        raise InvalidInput(f"unknown reason {reason!r}: use one of {', '.join(enum_values(StrikeReason))}")
    text = (note or "").strip()
    if code == StrikeReason.OTHER and not text:
        raise InvalidInput("reason OTHER needs a note (--note TEXT)")
    if len(text) > _NOTE_LENGTH:
        raise InvalidInput(f"the note is {len(text)} characters long; at most {_NOTE_LENGTH}")
    return StrikeReason(code), text


def strike(
    uow: UnitOfWork,
    actor: Actor,
    flight_code: str,
    case_number: str,
    reason: str,
    note: str | None = None,
    *,
    now: datetime | None = None,
) -> StrikeResult:
    """Officer+: strike ``case_number`` and their family off ``flight_code`` (see the module doc).

    ``InvalidInput`` (nothing written): unknown reason, OTHER without a note, unknown flight or
    case, a flight not PLANNED or already closed, a person not listed on the flight or already
    struck off it. ``ManifestRefused`` when the workflow refuses the next revision. Commits.
    """
    authorize(uow, actor, Role.OFFICER, f"strike people off {flight_code}")
    code, text = parse_reason(reason, note)
    now = aware_now(now)
    flight = flight_named(uow, flight_code)
    require_open(flight, "strike people off it")
    case = case_number.strip().upper()
    person = uow.session.execute(sa.select(Person).where(Person.case_number == case)).scalar_one_or_none()
    if person is None:
        raise InvalidInput(f"no person with case number {case_number}")
    already = struck_off(uow, flight.id)
    if person.id in already:
        s = already[person.id]
        raise InvalidInput(
            f"{case} was already struck off {flight.code} ({s.reason}) at {s.struck_at:%Y-%m-%d %H:%M} UTC"
        )
    manifest = in_force_revision(uow, flight.id)
    listed = {
        **plan_listing(uow, flight),
        **(manifest_listing(uow, actor, flight, manifest) if manifest else {}),
    }
    if person.id not in listed:
        where = f"revision {manifest.revision} of its manifest" if manifest else "the current plan"
        raise InvalidInput(f"{case} is not listed on {flight.code} ({where})")
    family = [
        entry
        for pid, entry in listed.items()
        if pid not in already
        and (pid == person.id or (person.family_group and entry.family_group == person.family_group))
    ]
    family.sort(key=lambda e: e.case_number)
    plan = current_draft_plan_id(uow)
    freed = _take_off(uow, flight, plan, family, why=(code, text), actor=actor, now=now, manifest=manifest)
    moved: list[str] = []
    if plan is not None and freed:
        moved = move_up_reserves(uow, flight, plan, freed_seats=freed, now=now)
    audit.record(
        uow,
        audit.AuditEntry(
            actor=actor.username,
            action="departure.strike",
            entity="flight",
            entity_id=flight.code,
            changes={
                "struck": [e.case_number for e in family],
                "reason": code.value,
                "note": text,
                "manifest_revision": manifest.revision if manifest else None,
                "plan_run": plan,
                "moved_up": moved,
            },
        ),
    )
    info = None
    has_revision = uow.session.execute(
        sa.select(sa.func.count()).select_from(Manifest).where(Manifest.flight_id == flight.id)
    ).scalar_one()
    if has_revision and plan is not None:
        info = workflow._prepare(uow, actor, flight.code, now)
    uow.commit()
    log.info("struck %s off %s (%s); moved up %s", [e.case_number for e in family], flight.code, code, moved)
    return StrikeResult(flight.code, code.value, tuple(e.case_number for e in family), tuple(moved), info)


def _take_off(
    uow: UnitOfWork,
    flight: Flight,
    plan: int | None,
    family: list[Listed],
    *,
    why: tuple[StrikeReason, str],
    actor: Actor,
    now: datetime,
    manifest: Manifest | None,
) -> int:
    """Write the strike-off rows and remove the people's assignments on ``flight`` from the current
    plan (each gets a STRUCK_OFF exclusion). Returns the seats freed in the plan."""
    code, note = why
    session = uow.session
    stop_ids = list(
        session.execute(sa.select(FlightStop.id).where(FlightStop.flight_id == flight.id)).scalars()
    )
    freed = 0
    for entry in family:
        session.add(
            StrikeOff(
                flight_id=flight.id,
                person_id=entry.person_id,
                stop_sequence=entry.stop_sequence,
                reason=code.value,
                note=note,
                struck_by=actor.username,
                struck_at=now,
                manifest_revision=manifest.revision if manifest else None,
            )
        )
        if plan is None:
            continue
        assignment = session.execute(
            sa.select(Assignment).where(
                Assignment.plan_run_id == plan,
                Assignment.person_id == entry.person_id,
                Assignment.flight_stop_id.in_(stop_ids),
            )
        ).scalar_one_or_none()
        if assignment is None:
            continue
        session.delete(assignment)
        freed += 1
        session.flush()
        session.execute(
            sa.delete(PlanExclusion).where(
                PlanExclusion.plan_run_id == plan, PlanExclusion.person_id == entry.person_id
            )
        )
        session.add(
            PlanExclusion(
                plan_run_id=plan,
                person_id=entry.person_id,
                reason=STRUCK_OFF,
                detail_json=json.dumps(
                    {"flight": flight.code, "strike_reason": code.value, "note": note}, separators=(",", ":")
                ),
            )
        )
    session.flush()
    return freed


@dataclass
class _Load:
    """What the current plan puts on a flight: seats, escort tenths, slots, people per country."""

    seats: int = 0
    escort: int = 0
    medical: int = 0
    wheelchair: int = 0
    per_country: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _escort_loads(uow: UnitOfWork, plan: int) -> dict[str, float]:
    raw = uow.session.execute(sa.select(PlanRun.settings_json).where(PlanRun.id == plan)).scalar()
    try:
        recorded = json.loads(raw or "{}").get("escort_load") or {}
    except (ValueError, AttributeError):
        recorded = {}
    return {**office_settings.load(uow).escort_load(), **recorded}


def _flight_load(uow: UnitOfWork, flight: Flight, plan: int, escort: dict[str, float]) -> _Load:
    load = _Load()
    rows = uow.session.execute(
        sa.select(Person.risk_level, Person.medical_need, Airport.country)
        .join(Assignment, Assignment.person_id == Person.id)
        .join(FlightStop, FlightStop.id == Assignment.flight_stop_id)
        .join(Airport, Airport.iata == FlightStop.airport)
        .where(Assignment.plan_run_id == plan, FlightStop.flight_id == flight.id)
    ).all()
    for risk, medical, country in rows:
        load.seats += 1
        load.escort += escort_tenths(escort.get(risk, 0.0))
        load.medical += medical == "MEDICAL_ESCORT"
        load.wheelchair += medical == "WHEELCHAIR"
        load.per_country[country] += 1
    return load


def move_up_reserves(
    uow: UnitOfWork, flight: Flight, plan: int, *, freed_seats: int, now: datetime
) -> list[str]:
    """Place the flight's ranked reserves into the current plan ``plan`` while they fit (see the
    module doc); returns ``"CASE -> stop N IATA"`` per person moved up. No role check, no commit."""
    reserves = ranked_reserves(uow, flight.code, now=now, plan_run_id=plan)
    escort = _escort_loads(uow, plan)
    load = _flight_load(uow, flight, plan, escort)
    caps = {c: r.max_per_flight for c, r in rule_facts(uow, {s.country for s in reserves.stops}).items()}
    budget = min(freed_seats, flight.seats - load.seats)
    route = route_of(uow, flight.id)
    session = uow.session
    moved: list[str] = []
    for unit in reserves.units:
        if budget <= 0:
            break
        seats = unit.seats
        escort_needed = sum(escort_tenths(escort.get(m.risk_level, 0.0)) for m in unit.members)
        cap = caps.get(unit.country)
        fits = (
            seats <= budget
            and load.escort + escort_needed <= flight.escort_officers * 10
            and load.medical + unit.medical <= flight.medical_slots
            and load.wheelchair + unit.wheelchair <= flight.wheelchair_slots
            and (cap is None or load.per_country[unit.country] + seats <= cap)
        )
        if not fits:
            continue
        ids = list(unit.person_ids)
        boards = _reserve_pickups(uow, route, ids, now)
        session.execute(
            sa.delete(Assignment).where(Assignment.plan_run_id == plan, Assignment.person_id.in_(ids))
        )
        session.execute(
            sa.delete(PlanExclusion).where(
                PlanExclusion.plan_run_id == plan, PlanExclusion.person_id.in_(ids)
            )
        )
        for pid in ids:
            session.add(
                Assignment(
                    plan_run_id=plan,
                    person_id=pid,
                    flight_stop_id=unit.stop_id,
                    frozen=False,
                    pickup_sequence=boards.get(pid, 0),
                )
            )
        session.flush()
        budget -= seats
        load.seats += seats
        load.escort += escort_needed
        load.medical += unit.medical
        load.wheelchair += unit.wheelchair
        load.per_country[unit.country] += seats
        suffix = f" (from {unit.placed_on})" if unit.placed_on else ""
        moved.extend(f"{c} -> stop {unit.stop_sequence} {unit.airport}{suffix}" for c in unit.case_numbers)
    return moved


def _reserve_pickups(
    uow: UnitOfWork, route: Route | None, person_ids: list[int], now: datetime
) -> dict[int, int]:
    """person id -> the pickup sequence a reserve unit moving up boards at, chosen by the planner's
    own rule (:func:`solver.choose_pickups`, the unit as one family) over the pickups each member's
    facility reaches in time (rule 7 at ``now``); empty for a single-pickup flight."""
    if route is None or len(route.pickups) < 2:
        return {}
    facility = dict(
        uow.session.execute(sa.select(Person.id, Person.facility_id).where(Person.id.in_(person_ids))).all()
    )
    hours = transfer_hours(uow, {f for f in facility.values() if f is not None})
    flight = stop = 0  # one flight, one stop: only the pickups matter here
    pickups = []
    for p in route.pickups:
        facts = PickupFacts(p.sequence, p.airport, p.departure_utc)
        reached_by = frozenset(f for f, link in hours.items() if pickup_reached(link, facts, now))
        pickups.append(solver.Pickup(id=p.sequence, flight=flight, order=p.sequence, reached_by=reached_by))
    problem = solver.Problem(
        people=tuple(
            solver.Person(id=pid, priority=3, escort_load=0.0, facility=facility.get(pid), family="unit")
            for pid in person_ids
        ),
        flights=(solver.Flight(id=flight, seats=len(person_ids), escort_officers=0),),
        stops=(solver.Stop(id=stop, flight=flight, country=""),),
        pickups=tuple(pickups),
    )
    return solver.choose_pickups(problem, dict.fromkeys(person_ids, stop))
