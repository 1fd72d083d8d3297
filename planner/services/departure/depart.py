"""Departure: the flight leaves, the people who boarded it are removed, everybody else stays.

:func:`depart` (supervisor) is accepted only after ``close`` and from the scheduled departure minus
a margin (the office setting ``depart_margin_minutes``, default 60). The flight becomes DEPARTED with
``departed_at``; each person who boarded (and was not struck off) becomes custody REMOVED with a
``custody_event`` naming the flight; the people of the current plan on the flight who did not board
lose that assignment and are back in planning like any other person in custody. A departed flight and
its people take no further part in planning. Audited as ``departure.depart`` (entity flight) plus a
``person.custody`` event per person removed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from planner.domain.enums import CustodyStatus, FlightStatus, Role
from planner.domain.errors import InvalidInput
from planner.persistence import audit
from planner.persistence.models import Assignment, CustodyEvent, FlightStop, Person
from planner.persistence.uow import UnitOfWork
from planner.services import office_settings
from planner.services.auth import Actor, authorize
from planner.services.current_plan import current_draft_plan_id
from planner.services.departure.listing import aware_now, boarded, flight_named, struck_off

log = logging.getLogger(__name__)

#: Default of the office setting ``depart_margin_minutes`` (:mod:`planner.services.office_settings`).
DEFAULT_MARGIN_MINUTES = office_settings.DEFAULTS.depart_margin_minutes


@dataclass(frozen=True)
class DepartResult:
    flight_code: str
    departed_at: datetime
    removed: tuple[str, ...]
    back_to_planning: tuple[str, ...]


def depart(
    uow: UnitOfWork,
    actor: Actor,
    flight_code: str,
    *,
    at: datetime | None = None,
    now: datetime | None = None,
    margin_minutes: int | None = None,
) -> DepartResult:
    """Supervisor: ``flight_code`` departed at ``at`` (default ``now``); see the module doc.

    ``InvalidInput`` (nothing written): unknown flight, a flight not PLANNED, not closed yet, ``at``
    without a time zone or after ``now``, or earlier than the scheduled departure minus
    ``margin_minutes`` (default: the office setting ``depart_margin_minutes``). Commits.
    """
    authorize(uow, actor, Role.SUPERVISOR, f"mark {flight_code} departed")
    now = aware_now(now)
    if at is not None and at.utcoffset() is None:
        raise InvalidInput("--at needs a time zone (e.g. 2030-03-31T09:00+00:00)")
    when = at or now
    if when > now:
        raise InvalidInput(f"departure time {when.isoformat()} is in the future")
    flight = flight_named(uow, flight_code)
    if flight.status != FlightStatus.PLANNED:
        raise InvalidInput(f"flight {flight.code} is {flight.status}")
    if flight.closed_at is None:
        raise InvalidInput(f"{flight.code} is not closed: close it first (close {flight.code})")
    if margin_minutes is None:
        margin_minutes = office_settings.load(uow).depart_margin_minutes
    earliest = flight.departure_utc - timedelta(minutes=margin_minutes)
    if when < earliest:
        raise InvalidInput(
            f"{flight.code} is scheduled at {flight.departure_utc:%Y-%m-%d %H:%M} UTC: it cannot depart "
            f"before {earliest:%Y-%m-%d %H:%M} UTC"
        )
    session = uow.session
    struck = struck_off(uow, flight.id)
    on_board = sorted(pid for pid in boarded(uow, flight.id) if pid not in struck)
    people = (
        {p.id: p for p in session.execute(sa.select(Person).where(Person.id.in_(on_board))).scalars()}
        if on_board
        else {}
    )
    entries: list[audit.AuditEntry] = []
    for pid in on_board:
        person = people[pid]
        old = person.custody_status
        person.custody_status = CustodyStatus.REMOVED.value
        person.updated_at = now
        person.version += 1
        session.add(
            CustodyEvent(
                person_id=pid,
                from_status=old,
                to_status=CustodyStatus.REMOVED.value,
                flight_id=flight.id,
                changed_at=when,
                changed_by=actor.username,
                note=f"departed on {flight.code}",
            )
        )
        entries.append(
            audit.AuditEntry(
                actor.username,
                "person.custody",
                "person",
                str(pid),
                {"custody_status": [old, CustodyStatus.REMOVED.value], "flight": flight.code, "at": when},
            )
        )
    back: list[str] = []
    plan = current_draft_plan_id(uow)
    if plan is not None:
        stop_ids = list(
            session.execute(sa.select(FlightStop.id).where(FlightStop.flight_id == flight.id)).scalars()
        )
        rows = session.execute(
            sa.select(Assignment, Person.case_number)
            .join(Person, Person.id == Assignment.person_id)
            .where(Assignment.plan_run_id == plan, Assignment.flight_stop_id.in_(stop_ids))
        ).all()
        for assignment, case in rows:
            if assignment.person_id not in people:
                session.delete(assignment)
                back.append(case)
    flight.status = FlightStatus.DEPARTED.value
    flight.departed_at = when
    flight.version += 1
    session.flush()
    removed = sorted(p.case_number for p in people.values())
    entries.insert(
        0,
        audit.AuditEntry(
            actor.username,
            "departure.depart",
            "flight",
            flight.code,
            {
                "status": [FlightStatus.PLANNED.value, FlightStatus.DEPARTED.value],
                "departed_at": when,
                "removed": removed,
                "struck": len(struck),
                "back_to_planning": sorted(back),
            },
        ),
    )
    audit.record_many(uow, entries)
    uow.commit()
    log.info("%s departed at %s with %d people", flight.code, when, len(removed))
    return DepartResult(flight.code, when, tuple(removed), tuple(sorted(back)))
