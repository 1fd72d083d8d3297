"""Eligibility facts straight from the database, for tests that check plans with the pure rules
(independently of the planner's vectorised evaluator)."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm

from planner.domain.eligibility import CountryRuleFacts, StopFacts
from planner.persistence.models import Airport, Flight, FlightStop
from planner.persistence.uow import UnitOfWork
from planner.services.eligibility_facts import airport_zones, pickup_facts
from planner.services.reference import rule_facts
from planner.services.routes import routes_of


def stops_and_rules(uow: UnitOfWork) -> tuple[dict[int, StopFacts], dict[str, CountryRuleFacts]]:
    """Every flight stop as ``StopFacts`` (by stop id, with its departure airport's zone and its
    flight's pickups) and the rules of every country involved."""
    departure = sa.orm.aliased(Airport)
    zones = airport_zones(uow.session)
    routes = routes_of(uow, uow.session.execute(sa.select(Flight.id)).scalars())
    stops = {
        stop.id: StopFacts(
            flight.id,
            stop.id,
            flight.departure_airport,
            flight.departure_utc,
            country,
            flight.medical_slots,
            flight.wheelchair_slots,
            zone,
            pickup_facts(routes[flight.id], zones),
        )
        for stop, flight, country, zone in uow.session.execute(
            sa.select(FlightStop, Flight, Airport.country, departure.timezone)
            .join(Flight, Flight.id == FlightStop.flight_id)
            .join(Airport, Airport.iata == FlightStop.airport)
            .join(departure, departure.iata == Flight.departure_airport)
        )
    }
    return stops, rule_facts(uow, {s.country for s in stops.values()})
