"""A flight's route: ordered pickups, then ordered drop-off stops, and the legs between them.

Every route point is a place on the flight's path, in flying order: first the pickups (index 0 is
the flight's own departure airport and time, then its later pickups), then the stops (where people
leave the flight). A **leg** joins two consecutive points; leg ``k`` flies from point ``k`` to
point ``k + 1``. A person who boards at pickup ``i`` and leaves at stop ``j`` is aboard on legs
``i … P + j - 1`` (``P`` pickups). Seats, escorts and slots are counted per leg
(:func:`leg_loads`); with every pickup before every stop the leg from the last pickup to the first
stop carries everybody, so a flight-wide count equals that leg's count, and the other legs carry
no more. A transfer leg (a drop-off before a pickup) would only change :meth:`Route.points`.

Pure: no database, no clock. Times are timezone-aware UTC ``datetime``s.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Pickup:
    """Pickup ``sequence`` (0 = the flight's departure airport) at ``airport``, leaving at
    ``departure_utc``."""

    sequence: int
    airport: str
    departure_utc: datetime


@dataclass(frozen=True, slots=True)
class Drop:
    """Stop ``sequence`` (1, 2, …) at ``airport``; ``arrival_utc`` None when not known."""

    sequence: int
    airport: str
    arrival_utc: datetime | None = None


@dataclass(frozen=True, slots=True)
class Leg:
    """Leg ``index`` from ``origin`` to ``destination`` (IATA), leaving at ``departure_utc`` (None
    when it leaves a stop whose times are not known)."""

    index: int
    origin: str
    destination: str
    departure_utc: datetime | None
    arrival_utc: datetime | None


@dataclass(frozen=True, slots=True)
class Route:
    """A flight's pickups (at least one; sequence 0 first) and stops (at least one), in order."""

    pickups: tuple[Pickup, ...]
    drops: tuple[Drop, ...]

    @property
    def first(self) -> Pickup:
        return self.pickups[0]

    @property
    def points(self) -> tuple[str, ...]:
        """Airports in flying order: pickups, then stops."""
        return tuple(p.airport for p in self.pickups) + tuple(d.airport for d in self.drops)

    def legs(self) -> tuple[Leg, ...]:
        """The legs between consecutive points."""
        times: list[tuple[datetime | None, datetime | None]] = [
            (p.departure_utc, p.departure_utc) for p in self.pickups
        ] + [(d.arrival_utc, None) for d in self.drops]
        return tuple(
            Leg(k, a, b, times[k][1], times[k + 1][0])
            for k, (a, b) in enumerate(itertools.pairwise(self.points))
        )

    def pickup(self, sequence: int) -> Pickup:
        """Pickup ``sequence``; ``KeyError`` when the route has none."""
        for p in self.pickups:
            if p.sequence == sequence:
                return p
        raise KeyError(sequence)

    def pickup_index(self, sequence: int) -> int:
        """Point index of pickup ``sequence``."""
        for i, p in enumerate(self.pickups):
            if p.sequence == sequence:
                return i
        raise KeyError(sequence)

    def drop_index(self, sequence: int) -> int:
        """Point index of stop ``sequence``."""
        for j, d in enumerate(self.drops):
            if d.sequence == sequence:
                return len(self.pickups) + j
        raise KeyError(sequence)

    def legs_aboard(self, pickup_sequence: int, stop_sequence: int) -> range:
        """Indices of the legs a person boarding at ``pickup_sequence`` and leaving at
        ``stop_sequence`` is aboard."""
        return range(self.pickup_index(pickup_sequence), self.drop_index(stop_sequence))

    def is_single_pickup(self) -> bool:
        return len(self.pickups) == 1


def leg_loads(
    route: Route, journeys: Iterable[tuple[int, int]], weights: Sequence[int] | None = None
) -> list[int]:
    """Load of each leg of ``route``: the number of ``journeys`` (``(pickup_sequence,
    stop_sequence)`` pairs) aboard it, or the sum of their ``weights`` (e.g. escort tenths)."""
    n_legs = len(route.pickups) + len(route.drops) - 1
    delta = [0] * (n_legs + 1)
    pickup_at = {p.sequence: i for i, p in enumerate(route.pickups)}
    drop_at = {d.sequence: len(route.pickups) + j for j, d in enumerate(route.drops)}
    for k, (pickup, stop) in enumerate(journeys):
        w = 1 if weights is None else weights[k]
        delta[pickup_at[pickup]] += w
        delta[drop_at[stop]] -= w
    return list(itertools.accumulate(delta[:n_legs]))


def route_problems(route: Route) -> list[str]:
    """Why ``route`` is not a valid route (empty when it is): at least one pickup and one stop;
    pickup times strictly increasing; no airport twice among the pickups or among the stops; no
    pickup that is also a stop; the last pickup leaves before the first stop's arrival (when
    known)."""
    problems: list[str] = []
    if not route.pickups:
        problems.append("a route needs at least one pickup")
    if not route.drops:
        problems.append("a route needs at least one stop")
    seen: set[str] = set()
    for p in route.pickups:
        if p.airport in seen:
            problems.append(f"pickup {p.airport} is listed twice")
        seen.add(p.airport)
    for a, b in itertools.pairwise(route.pickups):
        if b.departure_utc <= a.departure_utc:
            problems.append(
                f"pickup {b.airport} leaves at {b.departure_utc:%Y-%m-%d %H:%M} UTC, not after "
                f"{a.airport} ({a.departure_utc:%Y-%m-%d %H:%M} UTC)"
            )
    drops = [d.airport for d in route.drops]
    for airport in sorted(seen & set(drops)):
        problems.append(f"pickup {airport} is also a drop-off stop")
    if route.pickups and route.drops and route.drops[0].arrival_utc is not None:
        last, first_stop = route.pickups[-1], route.drops[0]
        assert first_stop.arrival_utc is not None
        if last.departure_utc >= first_stop.arrival_utc:
            problems.append(
                f"pickup {last.airport} leaves at {last.departure_utc:%Y-%m-%d %H:%M} UTC, not before "
                f"the arrival at the first stop {first_stop.airport}"
            )
    return problems
