"""The demo's removals: REMOVED people leave with the departed demo flight that took them.

Without this, REMOVED demo people have no custody history, so nothing in the demo was ever
"flown" (the funnel's last stage, the as-flown counts). Each REMOVED person whose claimed country
confirmed them is given to a DEPARTED demo flight stopping in that country (seats permitting,
drawn with its own seeded generator): one ``CustodyEvent`` IN_CUSTODY → REMOVED on that flight at
its departure time. Deterministic for a seed.
"""

from __future__ import annotations

import random
from collections import defaultdict

import sqlalchemy as sa

from planner.demo.flights import DemoFlight
from planner.domain.enums import CustodyStatus, FlightStatus, VerificationResult
from planner.persistence import audit
from planner.persistence.bulk import bulk_insert
from planner.persistence.models import Airport, CustodyEvent, NationalityVerification, Person
from planner.persistence.uow import UnitOfWork


def write_removals(uow: UnitOfWork, user: str, rng: random.Random, flights: list[DemoFlight]) -> int:
    """Custody events for the REMOVED people a departed flight took; how many were written."""
    session = uow.session
    departed = [f for f in flights if f.status == FlightStatus.DEPARTED.value]
    if not departed:
        return 0
    country_of: dict[str, str] = {
        iata: country for iata, country in session.execute(sa.select(Airport.iata, Airport.country))
    }
    to_country: dict[str, list[DemoFlight]] = defaultdict(list)
    for f in departed:
        for country in sorted({country_of.get(stop, "") for stop in f.stops} - {""}):
            to_country[country].append(f)
    confirmed = (
        sa.select(NationalityVerification.person_id)
        .where(
            NationalityVerification.person_id == Person.id,
            NationalityVerification.country == Person.nationality,
            NationalityVerification.result == VerificationResult.CONFIRMED.value,
        )
        .exists()
    )
    removed = session.execute(
        sa.select(Person.id, Person.case_number, Person.nationality)
        .where(Person.custody_status == CustodyStatus.REMOVED.value, confirmed)
        .order_by(Person.id)
    ).all()
    seats_left = {f.id: f.seats for f in departed}
    events: list[dict] = []
    entries: list[audit.AuditEntry] = []
    for person_id, case_number, nationality in removed:
        options = [f for f in to_country.get(nationality, ()) if seats_left[f.id] > 0]
        if not options:
            continue
        flight = rng.choice(options)
        seats_left[flight.id] -= 1
        events.append(
            {
                "person_id": person_id,
                "from_status": CustodyStatus.IN_CUSTODY.value,
                "to_status": CustodyStatus.REMOVED.value,
                "flight_id": flight.id,
                "changed_at": flight.departure_utc,
                "changed_by": user,
                "note": f"departed on {flight.code}",
            }
        )
        entries.append(
            audit.AuditEntry(
                user,
                "person.custody",
                "person",
                case_number,
                {
                    "custody_status": [CustodyStatus.IN_CUSTODY.value, CustodyStatus.REMOVED.value],
                    "flight": flight.code,
                    "at": flight.departure_utc,
                },
            )
        )
    bulk_insert(session, CustodyEvent.__table__, events)
    audit.record_many(uow, entries, returning=False)
    return len(events)
