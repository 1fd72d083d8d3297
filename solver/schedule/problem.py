"""The mission-scheduling problem and its answer, as plain data (no database, no Qt).

Days are counted from the proposal date (day 0); weeks are the 7-day blocks from day 0
(``week_of``). A *unit* of a demand group is one single adult (``size`` 1) or one whole family
(``size`` people, never split); its waiting cost is ``cost_per_day`` per day from day 0 to the
departure of its mission, or to the end of the horizon plus ``unserved_penalty`` per person when no
mission takes it (``cost``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

#: Weekday numbers as ``date.weekday()`` gives them, and their names in rules and files.
WEEKDAY_NAMES: tuple[str, ...] = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
#: Local time of departure from the first pickup, hours after midnight.
DEPARTURE_HOUR_LOCAL = 8.0
#: Most pickups and most stops of one mission.
MAX_PICKUPS = 3
MAX_STOPS = 3


@dataclass(frozen=True)
class Place:
    """An airport: IATA code, position (degrees) and IANA time zone."""

    iata: str
    latitude: float
    longitude: float
    timezone: str = "UTC"


@dataclass(frozen=True)
class AircraftType:
    """A charterable aircraft type (``aircraft`` table). ``available_per_week``: missions it may
    fly per week (all aircraft of the type together)."""

    name: str
    seats: int
    cost_per_block_hour: float
    cruise_kmh: float
    available_per_week: int


@dataclass(frozen=True)
class CountryLimits:
    """A receiving state's rules for missions.

    ``airports``: accepted arrival airports; ``region``: countries of one non-empty region may share
    a mission (empty: alone); ``max_per_mission``: returnees per mission (None: seats only);
    ``max_missions_per_week``: missions arriving per week (None: no limit); ``arrival_weekdays``:
    weekdays (0 = Monday) on which an arrival (local date at the stop) is accepted, empty = every
    day; ``first_day``: earliest departure day (the notice the state wants)."""

    country: str
    airports: tuple[str, ...]
    region: str = ""
    max_per_mission: int | None = None
    max_missions_per_week: int | None = None
    arrival_weekdays: frozenset[int] = frozenset()
    first_day: int = 0


@dataclass(frozen=True)
class DemandGroup:
    """``units`` units of ``size`` people each (1: single adults; more: whole families of that
    size) of ``country``, staged at pickup airport ``hub``, ready to fly from day ``ready_day``."""

    country: str
    hub: str
    ready_day: int
    size: int
    units: int
    cost_per_day: float

    @property
    def people(self) -> int:
        return self.size * self.units


@dataclass(frozen=True)
class ScheduleProblem:
    """Everything the scheduler decides from. ``days``: the horizon (missions depart on days
    ``0 .. days - 1``); ``hubs``: pickup airports; ``places``: every airport named anywhere."""

    start: date
    days: int
    places: Mapping[str, Place]
    hubs: tuple[str, ...]
    aircraft: tuple[AircraftType, ...]
    countries: Mapping[str, CountryLimits]
    demand: tuple[DemandGroup, ...]
    unserved_penalty: float = 5000.0

    @property
    def weeks(self) -> int:
        return -(-self.days // 7)

    def aircraft_named(self, name: str) -> AircraftType:
        for a in self.aircraft:
            if a.name == name:
                return a
        raise KeyError(name)


def week_of(day: int) -> int:
    """The week (0-based, 7-day blocks from day 0) of ``day``."""
    return day // 7


@dataclass(frozen=True)
class Mission:
    """One mission: departure ``day``, aircraft, pickups and stops in flying order, and the units of
    each demand group (index into ``ScheduleProblem.demand``) it carries."""

    day: int
    aircraft: str
    pickups: tuple[str, ...]
    stops: tuple[str, ...]
    load: Mapping[int, int] = field(default_factory=dict)

    def people(self, problem: ScheduleProblem) -> int:
        return sum(problem.demand[g].size * n for g, n in self.load.items())

    def people_by_country(self, problem: ScheduleProblem) -> dict[str, int]:
        out: dict[str, int] = {}
        for g, n in self.load.items():
            group = problem.demand[g]
            out[group.country] = out.get(group.country, 0) + group.size * n
        return out


@dataclass(frozen=True)
class Totals:
    """The figures of a schedule (``cost.totals``). ``cost`` = ``flight_cost`` + ``waiting_cost``
    (waiting of everybody, the unserved to the horizon's end, plus their penalty);
    ``cost_per_removal`` is None when nobody is removed; ``load_factor`` people / seats."""

    cost: float
    flight_cost: float
    waiting_cost: float
    removed: int
    cost_per_removal: float | None
    mean_wait_days: float | None
    load_factor: float | None
    missions: int = 0
    unserved: int = 0

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "cost": self.cost,
            "flight_cost": self.flight_cost,
            "waiting_cost": self.waiting_cost,
            "removed": self.removed,
            "cost_per_removal": self.cost_per_removal,
            "mean_wait_days": self.mean_wait_days,
            "load_factor": self.load_factor,
            "missions": self.missions,
            "unserved": self.unserved,
        }


@dataclass(frozen=True)
class ScheduleSolution:
    """The scheduler's answer: the missions, their totals, the proven lower bound on the total cost
    of any schedule (None when none was proven) and the relative gap ``(cost - bound) / cost``;
    ``status`` ``OPTIMAL`` / ``FEASIBLE`` / ``CANCELLED``; ``notes``: what a reader should know (a
    rule that forces a mission under 80 %, a time limit reached)."""

    missions: tuple[Mission, ...]
    totals: Totals
    bound: float | None
    gap: float | None
    status: str
    seconds: float
    notes: tuple[str, ...] = ()
