"""A solver-independent check of a schedule against every rule and the cost model (plain loops,
no OR-Tools): what a reader, a test or the service can run on any proposal."""

from __future__ import annotations

from collections.abc import Sequence

from solver.schedule import cost
from solver.schedule.problem import (
    MAX_PICKUPS,
    MAX_STOPS,
    WEEKDAY_NAMES,
    AircraftType,
    Mission,
    ScheduleProblem,
    ScheduleSolution,
    week_of,
)

#: Totals figures that may differ from a recomputation by rounding only.
TOLERANCE = 1e-6


def check_schedule(
    problem: ScheduleProblem, solution: ScheduleSolution, *, seats: Sequence[int] | None = None
) -> list[str]:
    """Every broken rule of ``solution`` as one line (empty: the schedule is sound). ``seats[i]``:
    mission ``i``'s seats when they are not its aircraft's (flights already scheduled), as given
    to ``evaluate.load_missions``."""
    problems: list[str] = []
    country_of: dict[str, str] = {}
    for limits in problem.countries.values():
        for airport in limits.airports:
            country_of.setdefault(airport, limits.country)
    aircraft_names = {a.name for a in problem.aircraft}
    carried = [0] * len(problem.demand)
    per_aircraft_week: dict[tuple[str, int], int] = {}
    per_country_week: dict[tuple[str, int], int] = {}
    for index, m in enumerate(solution.missions):
        label = f"M{index + 1}"
        if m.aircraft not in aircraft_names:
            problems.append(f"{label}: unknown aircraft {m.aircraft}")
            continue
        aircraft = problem.aircraft_named(m.aircraft)
        countries = _check_route(problem, m, label, country_of, problems)
        if countries is None:
            continue
        week = week_of(m.day)
        per_aircraft_week[m.aircraft, week] = per_aircraft_week.get((m.aircraft, week), 0) + 1
        for country in set(countries):
            per_country_week[country, week] = per_country_week.get((country, week), 0) + 1
        capacity = seats[index] if seats is not None else aircraft.seats
        _check_load(
            problem,
            m,
            label=label,
            countries=countries,
            capacity=capacity,
            carried=carried,
            problems=problems,
        )
    for (name, week), n in sorted(per_aircraft_week.items()):
        available = problem.aircraft_named(name).available_per_week
        if n > available:
            problems.append(f"{name}: {n} missions in week {week + 1}, {available} available")
    for (country, week), n in sorted(per_country_week.items()):
        limit = problem.countries[country].max_missions_per_week
        if limit is not None and n > limit:
            problems.append(f"{country}: {n} missions in week {week + 1}, at most {limit}")
    over = False
    for g, n in enumerate(carried):
        if n > problem.demand[g].units:
            problems.append(f"group {g}: {n} units carried of {problem.demand[g].units}")
            over = True
    if not over:
        problems.extend(_check_totals(problem, solution, seats))
    return problems


def _check_route(
    problem: ScheduleProblem, m: Mission, label: str, country_of: dict[str, str], problems: list[str]
) -> list[str] | None:
    """The day, pickups, stops, region, weekdays and first days of one mission; the countries of
    its stops (None when its airports are unknown)."""
    if not 0 <= m.day < problem.days:
        problems.append(f"{label}: day {m.day} outside the horizon 0..{problem.days - 1}")
    if not 1 <= len(m.pickups) <= MAX_PICKUPS or len(set(m.pickups)) != len(m.pickups):
        problems.append(f"{label}: {len(m.pickups)} pickups (1–{MAX_PICKUPS} distinct)")
    if not 1 <= len(m.stops) <= MAX_STOPS or len(set(m.stops)) != len(m.stops):
        problems.append(f"{label}: {len(m.stops)} stops (1–{MAX_STOPS} distinct)")
    unknown = [a for a in (*m.pickups, *m.stops) if a not in problem.places]
    if unknown:
        problems.append(f"{label}: unknown airports {', '.join(unknown)}")
        return None
    not_hubs = [h for h in m.pickups if h not in problem.hubs]
    if not_hubs:
        problems.append(f"{label}: {', '.join(not_hubs)} not a pickup airport")
    countries = []
    for stop in m.stops:
        country = country_of.get(stop)
        if country is None:
            problems.append(f"{label}: no country accepts arrivals at {stop}")
        else:
            countries.append(country)
    if len(set(countries)) != len(countries):
        problems.append(f"{label}: a country visited twice")
    regions = {problem.countries[c].region for c in countries}
    if len(countries) > 1 and (len(regions) != 1 or "" in regions):
        problems.append(f"{label}: stops {', '.join(countries)} not in one region")
    if countries and len(countries) == len(m.stops):
        aircraft = problem.aircraft_named(m.aircraft)
        _check_weekdays(problem, m, aircraft, label, countries, problems)
    for country in countries:
        first = problem.countries[country].first_day
        if m.day < first:
            problems.append(f"{label}: departs day {m.day}, {country} wants day {first} or later")
    return countries


def _check_weekdays(
    problem: ScheduleProblem,
    m: Mission,
    aircraft: AircraftType,
    label: str,
    countries: list[str],
    problems: list[str],
) -> None:
    weekdays = cost.arrival_weekdays(problem, aircraft, m.pickups, m.stops, m.day)
    for country, stop, weekday in zip(countries, m.stops, weekdays, strict=True):
        accepted = problem.countries[country].arrival_weekdays
        if accepted and weekday not in accepted:
            problems.append(
                f"{label}: arrives at {stop} on {WEEKDAY_NAMES[weekday]}, {country} does not accept"
            )


def _check_load(
    problem: ScheduleProblem,
    m: Mission,
    *,
    label: str,
    countries: list[str],
    capacity: int,
    carried: list[int],
    problems: list[str],
) -> None:
    """Seats, caps, whole families, ready days and which groups a mission may carry; adds its
    units to ``carried``."""
    people = 0
    by_country: dict[str, int] = {}
    for g, units in m.load.items():
        if not 0 <= g < len(problem.demand):
            problems.append(f"{label}: unknown demand group {g}")
            continue
        group = problem.demand[g]
        if not isinstance(units, int) or units < 0:
            problems.append(f"{label}: {units!r} units of group {g} (whole families only)")
            continue
        carried[g] += units
        people += group.size * units
        by_country[group.country] = by_country.get(group.country, 0) + group.size * units
        if units == 0:
            continue
        if group.country not in countries:
            problems.append(f"{label}: carries {group.country} but does not stop there")
        if group.hub not in m.pickups:
            problems.append(f"{label}: carries people staged at {group.hub}, not a pickup")
        if group.ready_day > m.day:
            problems.append(f"{label}: group {g} ready on day {group.ready_day}, mission departs day {m.day}")
    if people > capacity:
        problems.append(f"{label}: {people} people on {capacity} seats")
    for country, n in by_country.items():
        cap = problem.countries[country].max_per_mission if country in problem.countries else None
        if cap is not None and n > cap:
            problems.append(f"{label}: {n} people of {country}, at most {cap} per mission")


def _check_totals(
    problem: ScheduleProblem, solution: ScheduleSolution, seats: Sequence[int] | None
) -> list[str]:
    seat_map = dict(enumerate(seats)) if seats is not None else None
    try:
        expected = cost.totals(problem, solution.missions, seat_map).as_dict()
    except (KeyError, ValueError, IndexError) as error:
        return [f"totals: cannot be recomputed ({error})"]
    out = []
    for name, value in solution.totals.as_dict().items():
        want = expected[name]
        if value is None or want is None:
            if value != want:
                out.append(f"totals {name}: {value}, recomputed {want}")
        elif abs(float(value) - float(want)) > TOLERANCE * max(1.0, abs(float(want))):
            out.append(f"totals {name}: {value}, recomputed {want}")
    return out
