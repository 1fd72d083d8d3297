"""Flights' routes from the database (``planner.domain.route``): the flight's own departure as
pickup 0, its ``flight_pickup`` rows as later pickups, its ``flight_stop`` rows as stops. Bulk: one
query per table whatever the number of flights; and the one writer of a flight's later pickups, with
their CSV/editor text form. No authorisation here (callers check it)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from planner.domain import fields as f
from planner.domain.route import Drop, Pickup, Route
from planner.persistence.models import Assignment, Flight, FlightPickup, FlightStop
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


def parse_pickups(value: str, parse_airport: Callable[[str], str]) -> tuple[tuple[str, datetime], ...]:
    """The flights CSV / editor text of later pickups: ``IATA@ISO8601;IATA@ISO8601`` (each time with
    a UTC offset, stored in UTC), in order; empty text = none. ``parse_airport`` checks one code
    (e.g. ``AirportCatalog.parse``). ``FieldError`` (one message) on the first bad item."""
    pickups: list[tuple[str, datetime]] = []
    for item in (part.strip() for part in (value or "").split(";")):
        if not item:
            if value.strip():
                raise f.FieldError(f"{f.show(value)} has an empty pickup")
            continue
        airport, at, when = item.partition("@")
        if not at:
            raise f.FieldError(f"pickup {f.show(item)} must be IATA@TIME, e.g. SAT@2027-01-05T09:00-06:00")
        code = parse_airport(airport.strip())
        try:
            moment = f.iso_datetime_with_offset(when.strip())
        except f.FieldError as exc:
            raise f.FieldError(f"pickup {code}: {exc}") from None
        if any(code == seen for seen, _ in pickups):
            raise f.FieldError(f"pickup {code} is listed twice")
        pickups.append((code, moment))
    return tuple(pickups)


def pickups_text(pickups: Iterable[Pickup]) -> str:
    """The later pickups of a route (sequence ≥ 1) as ``IATA@ISO8601;…`` in UTC (``Z``): the
    flights CSV column and the audit form."""
    return ";".join(
        f"{p.airport}@{p.departure_utc.astimezone(UTC).isoformat().replace('+00:00', 'Z')}"
        for p in pickups
        if p.sequence >= 1
    )


def boarding_pickups_in_use(uow: UnitOfWork, flight_id: int) -> dict[int, int]:
    """pickup sequence -> people of the current draft plan boarding there, for ``flight_id``."""
    from planner.services.current_plan import current_draft_plan_id

    plan_id = current_draft_plan_id(uow)
    if plan_id is None:
        return {}
    rows = uow.session.execute(
        sa.select(Assignment.pickup_sequence, sa.func.count())
        .join(FlightStop, FlightStop.id == Assignment.flight_stop_id)
        .where(Assignment.plan_run_id == plan_id, FlightStop.flight_id == flight_id)
        .group_by(Assignment.pickup_sequence)
    ).all()
    return {int(seq): int(n) for seq, n in rows}


def pickup_change_problems(
    uow: UnitOfWork, flight_id: int, old: Sequence[str], new: Sequence[str]
) -> list[str]:
    """Why the later pickups ``old`` (airports, sequence 1…) of ``flight_id`` cannot become ``new``:
    a pickup where people of the current draft plan board cannot be removed or moved to another
    place in the order (re-plan first). Empty when the change is fine."""
    problems = []
    for seq, n in sorted(boarding_pickups_in_use(uow, flight_id).items()):
        if seq == 0:
            continue
        airport = old[seq - 1] if seq - 1 < len(old) else "?"
        if seq - 1 >= len(new) or new[seq - 1] != airport:
            problems.append(
                f"pickup {airport} has {n} {'person' if n == 1 else 'people'} of the plan boarding there; "
                "re-plan before removing or moving it"
            )
    return problems


def write_pickups(uow: UnitOfWork, flight_id: int, pickups: Sequence[tuple[str, datetime]]) -> None:
    """Replace the later pickups of ``flight_id`` by ``pickups`` (airport, departure), numbered 1…
    in order. No audit (the caller audits the flight change, pickups in ``pickups_text`` form), no
    commit; airports must exist in the database (``AirportCatalog.ensure_in_database``)."""
    table = FlightPickup.__table__
    uow.session.execute(sa.delete(table).where(table.c.flight_id == flight_id))
    if pickups:
        uow.session.execute(
            sa.insert(table),
            [
                {"flight_id": flight_id, "sequence": i, "airport": airport, "departure_utc": when}
                for i, (airport, when) in enumerate(pickups, 1)
            ],
        )
