"""The API deadline clock: by when each receiving state must have a flight's PAXLST.

Each stop's receiving country has ``CountryRule.api_deadline_minutes`` (China: 120, i.e. at least
2 hours before arrival; a country without a rule or figure: the conservative 24 hours of
``planner.services.reference.DEFAULT_API_DEADLINE_MINUTES``). The data is due that long before the
stop's scheduled arrival; where the arrival time is not known, before the flight's departure from
its last pickup instead — earlier than any arrival, so the clock never runs late (for a flight that
leaves from one airport: its departure). On a route with several pickups, an international leg
*into* a later pickup (e.g. IAH → MEX pickup) also needs the data: due before the flight leaves
the pickup before it (``pickup_sequence`` set).

:func:`api_deadlines` is pure (content, minutes per country, ``now``); :func:`flight_api_deadlines`
reads a flight's itinerary and rules and calls it (read-only, officer+); :func:`set_stop_arrival`
records a stop's scheduled arrival (``charter-planner arrival``).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from planner.domain.enums import FlightStatus, ManifestStatus, Role
from planner.domain.errors import InvalidInput
from planner.persistence import audit
from planner.persistence.models import Airport, Flight, FlightStop, utc_now
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.manifests.content import ManifestContent, PickupSection, StopSection
from planner.services.manifests.revisions import _flight
from planner.services.reference import DEFAULT_API_DEADLINE_MINUTES, country_rules
from planner.services.routes import route_of


@dataclass(frozen=True)
class ApiDeadline:
    """When stop ``stop_sequence``'s receiving ``country`` must have the API data, as seen at ``now``.

    ``before_arrival`` is False when the stop's arrival time is unknown and the deadline counts
    back from the departure. ``timezone`` is the zone the deadline is shown in (the stop's airport,
    else the departure airport's)."""

    stop_sequence: int
    airport: str
    country: str
    timezone: str
    minutes_before: int
    before_arrival: bool
    due_utc: datetime
    now: datetime
    #: Set for the arrival at a later pickup (an international leg into it); None for a stop.
    pickup_sequence: int | None = None

    @property
    def remaining(self) -> timedelta:
        """Time left until the deadline (negative once it has passed)."""
        return self.due_utc - self.now

    @property
    def overdue(self) -> bool:
        return self.now > self.due_utc

    @property
    def due_local(self) -> datetime:
        return self.due_utc.astimezone(ZoneInfo(self.timezone))

    def when_text(self) -> str:
        """``in 3 h 20 min`` or ``overdue by 25 min``."""
        if self.overdue:
            return f"overdue by {duration_text(-self.remaining)}"
        return f"in {duration_text(self.remaining)}"

    def short(self) -> str:
        """E.g. ``CHN 2027-03-01 14:00 at PEK (UTC+08:00), in 3 h 20 min`` (for a screen line)."""
        local = self.due_local
        return f"{self.country} {local:%Y-%m-%d %H:%M} at {self.airport} ({utc_offset_text(local)}), {self.when_text()}"

    def describe(self) -> str:
        """E.g. ``CHN data due 2027-03-01 14:00 local time at PEK (UTC+08:00), 2 h before arrival —
        in 3 h 20 min`` (or ``— overdue by 25 min``)."""
        local = self.due_local
        anchor = "arrival" if self.before_arrival else "departure (arrival time unknown)"
        return (
            f"{self.country} data due {local:%Y-%m-%d %H:%M} local time at {self.airport} "
            f"({utc_offset_text(local)}), {duration_text(timedelta(minutes=self.minutes_before))} "
            f"before {anchor} — {self.when_text()}"
        )


def duration_text(value: timedelta) -> str:
    """``2 d 4 h``, ``3 h 20 min``, ``45 min`` (whole minutes, rounded down; never negative)."""
    minutes = max(0, int(value.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def utc_offset_text(local: datetime) -> str:
    """``UTC+08:00`` / ``UTC-05:00`` / ``UTC`` for an aware datetime (no ambiguous abbreviations)."""
    offset = local.utcoffset() or timedelta(0)
    if not offset:
        return "UTC"
    sign = "+" if offset > timedelta(0) else "-"
    minutes = abs(int(offset.total_seconds() // 60))
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def api_deadlines(
    content: ManifestContent, minutes_by_country: Mapping[str, int], now: datetime
) -> tuple[ApiDeadline, ...]:
    """One :class:`ApiDeadline` per stop of ``content`` (its itinerary; rows are not looked at).

    ``minutes_by_country`` maps a receiving country to its ``api_deadline_minutes``; a country not
    in it gets ``DEFAULT_API_DEADLINE_MINUTES``. ``now`` must be timezone-aware."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    out = []
    pickups = content.route_pickups()
    for before, pickup in itertools.pairwise(pickups):
        if content.has_route and before.country != pickup.country:
            minutes = minutes_by_country.get(pickup.country, DEFAULT_API_DEADLINE_MINUTES)
            out.append(
                ApiDeadline(
                    stop_sequence=0,
                    airport=pickup.airport,
                    country=pickup.country,
                    timezone=pickup.timezone,
                    minutes_before=minutes,
                    before_arrival=False,
                    due_utc=before.departure_utc - timedelta(minutes=minutes),
                    now=now,
                    pickup_sequence=pickup.sequence,
                )
            )
    for stop in content.stops:
        minutes = minutes_by_country.get(stop.country, DEFAULT_API_DEADLINE_MINUTES)
        anchor = stop.arrival_utc if stop.arrival_utc is not None else pickups[-1].departure_utc
        out.append(
            ApiDeadline(
                stop_sequence=stop.sequence,
                airport=stop.airport,
                country=stop.country,
                timezone=stop.timezone or content.departure_timezone,
                minutes_before=minutes,
                before_arrival=stop.arrival_utc is not None,
                due_utc=anchor - timedelta(minutes=minutes),
                now=now,
            )
        )
    return tuple(out)


def flight_itinerary(uow: UnitOfWork, flight: Flight) -> ManifestContent:
    """The flight's itinerary as manifest content without people (revision 0, DRAFT): code,
    carrier, aircraft, departure airport and time, every stop with its country and zone, and on a
    route with several pickups every pickup."""
    session = uow.session
    stops = list(
        session.execute(
            sa.select(FlightStop).where(FlightStop.flight_id == flight.id).order_by(FlightStop.sequence)
        ).scalars()
    )
    route = route_of(uow, flight.id)
    later = list(route.pickups) if route is not None and not route.is_single_pickup() else []
    codes = {flight.departure_airport, *(s.airport for s in stops), *(p.airport for p in later)}
    airports = {
        a.iata: a for a in session.execute(sa.select(Airport).where(Airport.iata.in_(codes))).scalars()
    }
    departure = airports[flight.departure_airport]
    pickups = tuple(
        PickupSection(
            p.sequence,
            p.airport,
            airports[p.airport].name,
            airports[p.airport].country,
            airports[p.airport].timezone,
            p.departure_utc,
        )
        for p in later
    )
    return ManifestContent(
        flight_code=flight.code,
        revision=0,
        status=ManifestStatus.DRAFT.value,
        carrier=flight.carrier,
        aircraft=flight.aircraft,
        departure_airport=departure.iata,
        departure_airport_name=departure.name,
        departure_utc=flight.departure_utc,
        departure_timezone=departure.timezone,
        stops=tuple(
            StopSection(
                sequence=s.sequence,
                airport=s.airport,
                airport_name=airports[s.airport].name,
                country=airports[s.airport].country,
                timezone=airports[s.airport].timezone,
                arrival_utc=s.arrival_utc,
            )
            for s in stops
        ),
        pickups=pickups,
    )


def flight_api_deadlines(
    uow: UnitOfWork, actor: Actor, flight_code: str, *, now: datetime | None = None
) -> tuple[ApiDeadline, ...]:
    """Officer+, read-only: the API deadlines of ``flight_code``'s stops at ``now`` (default: the
    current time). ``NotFound`` for an unknown flight."""
    authorize(uow, actor, Role.OFFICER, f"see the API deadlines of {flight_code}")
    flight = _flight(uow, flight_code)
    rules = {code: rule.api_deadline_minutes for code, rule in country_rules(uow).items()}
    return api_deadlines(flight_itinerary(uow, flight), rules, utc_now() if now is None else now)


def set_stop_arrival(
    uow: UnitOfWork, actor: Actor, flight_code: str, airport: str, arrival_utc: datetime | None
) -> None:
    """Officer+: record (or, with ``None``, clear) the scheduled arrival of ``flight_code`` at its
    stop ``airport`` — PAXLST ``DTM+232`` of the next draft and the deadline clock use it.

    ``InvalidInput`` when the flight has departed or is cancelled, the airport is not one of its
    stops, the time is not timezone-aware, or it is not after the departure and the earlier stops'
    arrivals. ``NotFound`` for an unknown flight. Audited as ``flight.stop_arrival``; commits."""
    authorize(uow, actor, Role.OFFICER, f"set the arrival times of {flight_code}")
    flight = _flight(uow, flight_code)
    if flight.status in (FlightStatus.DEPARTED.value, FlightStatus.CANCELLED.value):
        raise InvalidInput(f"{flight_code} is {flight.status}: its arrival times cannot change")
    stops = list(
        uow.session.execute(
            sa.select(FlightStop).where(FlightStop.flight_id == flight.id).order_by(FlightStop.sequence)
        ).scalars()
    )
    stop = next((s for s in stops if s.airport == airport.upper()), None)
    if stop is None:
        listed = ", ".join(s.airport for s in stops) or "none"
        raise InvalidInput(f"{airport} is not a stop of {flight_code} (stops: {listed})")
    if arrival_utc is not None:
        if arrival_utc.utcoffset() is None:
            raise InvalidInput("the arrival time needs a UTC offset, e.g. 2027-03-02T06:30+08:00")
        arrival_utc = arrival_utc.astimezone(UTC)
        # every pickup happens before the first stop: the arrival follows the last pickup's departure
        route = route_of(uow, flight.id)
        pickups = [p.departure_utc for p in route.pickups] if route is not None else []
        earlier = [
            flight.departure_utc,
            *pickups,
            *(s.arrival_utc for s in stops if s.sequence < stop.sequence),
        ]
        latest = max(t for t in earlier if t is not None)
        if arrival_utc <= latest:
            raise InvalidInput(
                f"arrival at {stop.airport} {arrival_utc:%Y-%m-%d %H:%M} UTC is not after "
                f"{latest:%Y-%m-%d %H:%M} UTC (the departure, a later pickup's departure or an "
                "earlier stop's arrival)"
            )
        later = [s.arrival_utc for s in stops if s.sequence > stop.sequence and s.arrival_utc is not None]
        if later and arrival_utc >= min(later):
            raise InvalidInput(
                f"arrival at {stop.airport} {arrival_utc:%Y-%m-%d %H:%M} UTC is not before a later "
                f"stop's arrival ({min(later):%Y-%m-%d %H:%M} UTC)"
            )
    old = stop.arrival_utc
    if old == arrival_utc:
        return
    stop.arrival_utc = arrival_utc
    audit.record(
        uow,
        audit.AuditEntry(
            actor.username,
            "flight.stop_arrival",
            "flight",
            flight_code,
            {"stop": stop.airport, "arrival_utc": [_iso(old), _iso(arrival_utc)]},
        ),
    )
    uow.commit()


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


__all__ = [
    "ApiDeadline",
    "api_deadlines",
    "duration_text",
    "flight_api_deadlines",
    "flight_itinerary",
    "set_stop_arrival",
    "utc_offset_text",
]
