"""Who is listed on a flight, as the departure services see it (reads only, no role check).

*Listed* means on the flight's **in-force** manifest revision (the newest APPROVED or SIGNED one:
what the receiving countries and the crew have). A flight whose manifest was never approved lists
the people of the current plan on it instead (the strike-off works before approval too); boarding
and closing need an in-force revision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from planner.domain.enums import FlightStatus
from planner.domain.errors import InvalidInput
from planner.persistence.models import (
    Airport,
    Assignment,
    Boarding,
    Flight,
    FlightStop,
    Manifest,
    Person,
    StrikeOff,
    utc_now,
)
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor
from planner.services.current_plan import current_draft_plan_id
from planner.services.manifests.revisions import IN_FORCE, stored_content
from planner.services.routes import route_of


class DepartureRefused(InvalidInput):
    """A departure step was refused for reasons ``details`` lists, one per person (exit 2).

    Raised through ``audit.refuse`` by ``close``: the refusal itself is the only thing written."""


@dataclass(frozen=True)
class Listed:
    """A person listed on the flight: where (stop sequence, flight stop id, receiving country) and
    the pickup they board at (sequence, 0 = the departure airport, and its airport; ``""`` when
    the route no longer has it)."""

    person_id: int
    case_number: str
    stop_sequence: int
    stop_id: int
    country: str
    family_group: str | None
    pickup_sequence: int = 0
    pickup_airport: str = ""


def aware_now(now: datetime | None) -> datetime:
    """``now`` (timezone-aware) or the current UTC time."""
    if now is None:
        return utc_now()
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now


def flight_named(uow: UnitOfWork, flight_code: str) -> Flight:
    """The flight ``flight_code``; ``InvalidInput`` (exit 2) when there is none."""
    flight = uow.session.execute(
        sa.select(Flight).where(Flight.code == flight_code.strip())
    ).scalar_one_or_none()
    if flight is None:
        raise InvalidInput(f"no flight {flight_code}")
    return flight


def require_open(flight: Flight, doing: str) -> None:
    """``InvalidInput`` unless ``flight`` is PLANNED and its doors are not closed."""
    if flight.status != FlightStatus.PLANNED:
        raise InvalidInput(f"flight {flight.code} is {flight.status}: cannot {doing}")
    if flight.closed_at is not None:
        raise InvalidInput(
            f"flight {flight.code} was closed at {flight.closed_at:%Y-%m-%d %H:%M} UTC by "
            f"{flight.closed_by}: cannot {doing}"
        )


def in_force_revision(uow: UnitOfWork, flight_id: int) -> Manifest | None:
    """The flight's newest APPROVED or SIGNED revision, or None."""
    return uow.session.execute(
        sa.select(Manifest)
        .where(Manifest.flight_id == flight_id, Manifest.status.in_(IN_FORCE))
        .order_by(Manifest.revision.desc())
        .limit(1)
    ).scalar_one_or_none()


def _stops(uow: UnitOfWork, flight_id: int) -> dict[int, tuple[int, str]]:
    """stop sequence -> (flight stop id, receiving country)."""
    return {
        seq: (sid, country)
        for sid, seq, country in uow.session.execute(
            sa.select(FlightStop.id, FlightStop.sequence, Airport.country)
            .join(Airport, Airport.iata == FlightStop.airport)
            .where(FlightStop.flight_id == flight_id)
        ).all()
    }


def _people_by_case(uow: UnitOfWork, cases: set[str]) -> dict[str, Person]:
    values = sorted(cases)
    out: dict[str, Person] = {}
    for start in range(0, len(values), 900):
        out.update(
            (p.case_number, p)
            for p in uow.session.execute(
                sa.select(Person).where(Person.case_number.in_(values[start : start + 900]))
            ).scalars()
        )
    return out


def manifest_listing(uow: UnitOfWork, actor: Actor, flight: Flight, manifest: Manifest) -> dict[int, Listed]:
    """person id -> where ``manifest`` lists them (passengers only, not its reserves). The content
    is read through ``revisions.stored_content``: an edited row is refused (``ManifestTampered``,
    audited for ``actor``)."""
    stops = _stops(uow, flight.id)
    content = stored_content(uow, actor, manifest, action=f"use the manifest of {flight.code} at departure")
    seq_of = {
        row.case_number: (stop.sequence, row.pickup_sequence) for stop in content.stops for row in stop.rows
    }
    people = _people_by_case(uow, set(seq_of))
    pickups = {p.sequence: p.airport for p in content.route_pickups()}
    out: dict[int, Listed] = {}
    for case, (seq, pickup) in seq_of.items():
        person = people.get(case)
        if person is None or seq not in stops:
            continue
        sid, country = stops[seq]
        out[person.id] = Listed(
            person.id, case, seq, sid, country, person.family_group, pickup, pickups.get(pickup, "")
        )
    return out


def plan_listing(uow: UnitOfWork, flight: Flight) -> dict[int, Listed]:
    """person id -> where the current plan puts them on ``flight`` (empty without a plan)."""
    plan = current_draft_plan_id(uow)
    if plan is None:
        return {}
    stops = _stops(uow, flight.id)
    by_id = {sid: (seq, country) for seq, (sid, country) in stops.items()}
    rows = uow.session.execute(
        sa.select(
            Assignment.flight_stop_id,
            Person.id,
            Person.case_number,
            Person.family_group,
            Assignment.pickup_sequence,
        )
        .join(Person, Person.id == Assignment.person_id)
        .where(Assignment.plan_run_id == plan, Assignment.flight_stop_id.in_(list(by_id)))
    ).all()
    route = route_of(uow, flight.id)
    pickups = {p.sequence: p.airport for p in route.pickups} if route else {}
    return {
        pid: Listed(pid, case, by_id[sid][0], sid, by_id[sid][1], group, seq or 0, pickups.get(seq or 0, ""))
        for sid, pid, case, group, seq in rows
    }


def struck_off(uow: UnitOfWork, flight_id: int) -> dict[int, StrikeOff]:
    """person id -> their strike-off from the flight."""
    rows = uow.session.execute(
        sa.select(StrikeOff).where(StrikeOff.flight_id == flight_id).order_by(StrikeOff.id)
    ).scalars()
    return {s.person_id: s for s in rows}


def boarded(uow: UnitOfWork, flight_id: int) -> dict[int, Boarding]:
    """person id -> their boarding of the flight."""
    rows = uow.session.execute(sa.select(Boarding).where(Boarding.flight_id == flight_id)).scalars()
    return {b.person_id: b for b in rows}


def case_numbers(uow: UnitOfWork, person_ids: set[int]) -> dict[int, str]:
    """person id -> case number."""
    values = sorted(person_ids)
    out: dict[int, str] = {}
    for start in range(0, len(values), 900):
        out.update(
            uow.session.execute(
                sa.select(Person.id, Person.case_number).where(Person.id.in_(values[start : start + 900]))
            ).all()
        )
    return out
