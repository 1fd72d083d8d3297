"""Flights' routes from the database (``planner.domain.route``): the flight's own departure as
pickup 0, its ``flight_pickup`` rows as later pickups, its ``flight_stop`` rows as stops. Bulk: one
query per table whatever the number of flights. Reads only; no authorisation (callers check it)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa

from planner.domain.route import Drop, Pickup, Route
from planner.persistence.models import Flight, FlightPickup, FlightStop
from planner.persistence.uow import UnitOfWork

#: SQLite's limit on bound parameters is far above this; PostgreSQL has none that matters.
_CHUNK = 900


def routes_of(uow: UnitOfWork, flight_ids: Iterable[int]) -> dict[int, Route]:
    """flight id -> its route, for each of ``flight_ids`` that exists."""
    ids = sorted(set(flight_ids))
    s = uow.session
    first: dict[int, Pickup] = {}
    later: dict[int, list[Pickup]] = defaultdict(list)
    drops: dict[int, list[Drop]] = defaultdict(list)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for fid, airport, departure in s.execute(
            sa.select(Flight.id, Flight.departure_airport, Flight.departure_utc).where(Flight.id.in_(chunk))
        ):
            first[fid] = Pickup(0, airport, departure)
        for fid, seq, airport, departure in s.execute(
            sa.select(
                FlightPickup.flight_id,
                FlightPickup.sequence,
                FlightPickup.airport,
                FlightPickup.departure_utc,
            )
            .where(FlightPickup.flight_id.in_(chunk))
            .order_by(FlightPickup.flight_id, FlightPickup.sequence)
        ):
            later[fid].append(Pickup(seq, airport, departure))
        for fid, seq, airport, arrival in s.execute(
            sa.select(FlightStop.flight_id, FlightStop.sequence, FlightStop.airport, FlightStop.arrival_utc)
            .where(FlightStop.flight_id.in_(chunk))
            .order_by(FlightStop.flight_id, FlightStop.sequence)
        ):
            drops[fid].append(Drop(seq, airport, arrival))
    return {fid: Route((p0, *later[fid]), tuple(drops[fid])) for fid, p0 in first.items()}


def route_of(uow: UnitOfWork, flight_id: int) -> Route | None:
    """One flight's route (None when there is no such flight)."""
    return routes_of(uow, [flight_id]).get(flight_id)
