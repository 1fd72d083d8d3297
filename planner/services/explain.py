"""Why a person is placed where they are, or why not: the current plan's decision plus the
eligibility rules evaluated now for every flight stop to the person's countries."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from planner.domain.eligibility import REASON_TEXT, reason_label, reasons_per_stop, related_countries
from planner.domain.enums import CustodyStatus, FlightStatus, Role
from planner.domain.errors import NotFound
from planner.persistence.models import (
    Airport,
    Assignment,
    Flight,
    FlightStop,
    Person,
    PlanExclusion,
    utc_now,
)
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.eligibility_facts import load_person_facts, rule_facts, stop_facts
from planner.services.planning import current_draft_plan_id


@dataclass(frozen=True)
class StopVerdict:
    flight_code: str
    airport: str
    country: str
    departure_utc: datetime
    reasons: tuple[str, ...]  # empty = eligible


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

    def text(self) -> str:
        lines = [f"{self.case_number} {self.name}"]
        if self.plan_run_id is None:
            lines.append("no plan has been run yet")
        elif self.placed_on is not None:
            p = self.placed_on
            lines.append(
                f"placed by plan {self.plan_run_id} on {p.flight_code} to {p.airport} ({p.country}), "
                f"departing {p.departure_utc:%Y-%m-%d %H:%M} UTC"
                + (" — frozen by an approved manifest" if self.frozen else "")
            )
        else:
            reason = self.plan_reason or "not considered"
            if reason in REASON_TEXT:
                reason = reason_label(reason)
            lines.append(f"not placed by plan {self.plan_run_id}: {reason}")
            for block in self.plan_detail.get("stops", []):
                binding = (
                    ", ".join(block["binding"])
                    or "no single resource (the run stopped early or a family member is frozen elsewhere)"
                )
                lines.append(f"  {block['stop']}: full — {binding}")
        if self.stops:
            lines.append("eligibility now, per flight stop to the person's countries:")
            for v in self.stops:
                verdict = "eligible" if not v.reasons else ", ".join(reason_label(r) for r in v.reasons)
                lines.append(
                    f"  {v.flight_code} {v.airport} ({v.country}) {v.departure_utc:%Y-%m-%d}: {verdict}"
                )
        else:
            lines.append("no planned flight goes to any of the person's countries")
        return "\n".join(lines)


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
    placed_on, frozen, plan_reason, plan_detail = None, False, None, {}
    if plan_id is not None:
        row = s.execute(
            sa.select(
                Assignment.frozen, Flight.code, FlightStop.airport, Airport.country, Flight.departure_utc
            )
            .join(FlightStop, FlightStop.id == Assignment.flight_stop_id)
            .join(Flight, Flight.id == FlightStop.flight_id)
            .join(Airport, Airport.iata == FlightStop.airport)
            .where(Assignment.plan_run_id == plan_id, Assignment.person_id == person.id)
        ).first()
        if row is not None:
            frozen = bool(row[0])
            placed_on = StopVerdict(row[1], row[2], row[3], row[4], ())
        else:
            exclusion = s.execute(
                sa.select(PlanExclusion).where(
                    PlanExclusion.plan_run_id == plan_id, PlanExclusion.person_id == person.id
                )
            ).scalar_one_or_none()
            if exclusion is not None:
                plan_reason, plan_detail = exclusion.reason, json.loads(exclusion.detail_json or "{}")

    members = [person.id]
    if person.family_group:
        members = list(
            s.execute(
                sa.select(Person.id).where(
                    Person.family_group == person.family_group,
                    Person.custody_status != CustodyStatus.REMOVED.value,
                )
            ).scalars()
        ) or [person.id]
    facts = load_person_facts(uow, members)
    me = facts[person.id]
    countries = related_countries(me)
    stop_rows = s.execute(
        sa.select(FlightStop, Flight, Airport.country)
        .join(Flight, Flight.id == FlightStop.flight_id)
        .join(Airport, Airport.iata == FlightStop.airport)
        .where(
            Flight.status == FlightStatus.PLANNED.value,
            Flight.departure_utc > now,
            Airport.country.in_(countries),
        )
        .order_by(Flight.departure_utc, Flight.code, FlightStop.sequence)
    ).all()
    rules = rule_facts(uow, {country for _stop, _flight, country in stop_rows})
    stops = [
        (stop_facts(flight, stop.id, country), flight.code, stop.airport)
        for stop, flight, country in stop_rows
    ]
    sent = set()
    if plan_id is not None:
        sent = set(
            s.execute(
                sa.select(Assignment.person_id, Assignment.flight_stop_id).where(
                    Assignment.plan_run_id == plan_id,
                    Assignment.frozen.is_(True),
                    Assignment.person_id.in_(members),
                )
            ).all()
        )
    reasons = reasons_per_stop(
        me, [st for st, _, _ in stops], rules, now=now, family=facts.values(), sent_manifest=sent
    )
    verdicts = tuple(
        StopVerdict(code, airport, st.country, st.departure_utc, tuple(r.value for r in reasons[st.stop_id]))
        for st, code, airport in stops
    )
    return Explanation(
        case_number=person.case_number,
        name=f"{person.family_name}, {person.given_names}"
        + (f" ({person.native_name})" if person.native_name else ""),
        plan_run_id=plan_id,
        placed_on=placed_on,
        frozen=frozen,
        plan_reason=plan_reason,
        plan_detail=plan_detail,
        stops=verdicts,
    )
