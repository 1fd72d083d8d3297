"""The current draft plan as export rows (``charter-planner export plan``): one row per person
placed, ``case_number, flight_id, stop_airport, departure_utc, pickup_airport`` — the first four
columns as before routes had pickups, the fifth where the person boards."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import sqlalchemy as sa

from planner.domain.enums import Role
from planner.domain.errors import NotFound
from planner.persistence.models import Assignment, Flight, FlightPickup, FlightStop, Person
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.current_plan import current_draft_plan_id


def assignments_for_export(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    """The current draft plan as rows ``case_number, flight_id, stop_airport, departure_utc,
    pickup_airport``: ``departure_utc`` is the flight's departure (its first pickup), whatever
    pickup the person boards at; ``pickup_airport`` is where they board (the flight's departure
    airport for pickup 0)."""
    authorize(uow, actor, Role.OFFICER, "plan.export")
    plan_id = current_draft_plan_id(uow)
    if plan_id is None:
        raise NotFound("there is no plan yet: run 'plan' first")
    rows = uow.session.execute(
        sa.select(
            Person.case_number,
            Flight.code,
            FlightStop.airport,
            Flight.departure_utc,
            sa.func.coalesce(FlightPickup.airport, Flight.departure_airport),
        )
        .join(Assignment, Assignment.person_id == Person.id)
        .join(FlightStop, FlightStop.id == Assignment.flight_stop_id)
        .join(Flight, Flight.id == FlightStop.flight_id)
        .outerjoin(
            FlightPickup,
            sa.and_(FlightPickup.flight_id == Flight.id, FlightPickup.sequence == Assignment.pickup_sequence),
        )
        .where(Assignment.plan_run_id == plan_id)
        .order_by(Flight.departure_utc, Flight.code, FlightStop.sequence, Person.case_number)
    ).all()
    return [
        {
            "case_number": c,
            "flight_id": f,
            "stop_airport": a,
            "departure_utc": d.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "pickup_airport": p,
        }
        for c, f, a, d, p in rows
    ]
