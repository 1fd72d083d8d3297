"""Why a mission flies under 80 % full: the rule that forces it, as one line per mission."""

from __future__ import annotations

from collections.abc import Sequence

from solver.schedule.problem import Mission, ScheduleProblem, week_of
from solver.schedule.routes import airport_country

#: A mission under this load factor gets a note.
FULL_ENOUGH = 0.8


def loading_notes(
    problem: ScheduleProblem, missions: Sequence[Mission], seats: Sequence[int] | None = None
) -> list[str]:
    """One line per mission under ``FULL_ENOUGH`` (missions numbered ``M1``… in the given order):
    a per-mission cap of its countries, the people ready at its pickups by its day, no smaller
    aircraft free that week, or that no rule forces it."""
    by_airport = airport_country(problem)
    notes = []
    for index, mission in enumerate(missions):
        aircraft = problem.aircraft_named(mission.aircraft)
        capacity = seats[index] if seats is not None else aircraft.seats
        people = mission.people(problem)
        if capacity <= 0 or people >= FULL_ENOUGH * capacity:
            continue
        head = f"M{index + 1} {people / capacity:.0%} full"
        countries = list(dict.fromkeys(by_airport.get(s, "") for s in mission.stops))
        caps = [(c, problem.countries[c].max_per_mission) for c in countries if c in problem.countries]
        if (
            all(cap is not None for _, cap in caps)
            and sum(cap or 0 for _, cap in caps) < FULL_ENOUGH * capacity
        ):
            rules = ", ".join(f"{c} accepts at most {cap} per mission" for c, cap in caps)
            notes.append(f"{head}: {rules}")
            continue
        available = _people_left(problem, missions, index, countries)
        if people >= available:
            where = "/".join(mission.pickups)
            notes.append(f"{head}: only {available} people of {'/'.join(countries)} ready at {where} by then")
            continue
        if _no_smaller_aircraft(problem, missions, index, people):
            notes.append(f"{head}: no smaller aircraft free in week {week_of(mission.day) + 1}")
            continue
        notes.append(f"{head}: no rule forces it (flying now costs less than waiting)")
    return notes


def _people_left(
    problem: ScheduleProblem, missions: Sequence[Mission], index: int, countries: list[str]
) -> int:
    """People of ``countries`` at the mission's pickups ready by its day and not carried by another
    mission departing the same day or earlier."""
    mission = missions[index]
    pickups = set(mission.pickups)
    wanted = {
        g
        for g, group in enumerate(problem.demand)
        if group.country in countries and group.hub in pickups and group.ready_day <= mission.day
    }
    ready = sum(problem.demand[g].people for g in wanted)
    for other_index, other in enumerate(missions):
        if other_index != index and other.day <= mission.day:
            ready -= sum(problem.demand[g].size * n for g, n in other.load.items() if g in wanted)
    return ready


def _no_smaller_aircraft(
    problem: ScheduleProblem, missions: Sequence[Mission], index: int, people: int
) -> bool:
    """Every aircraft type smaller than the mission's that would carry its people is fully used
    that week (or there is none)."""
    mission = missions[index]
    own = problem.aircraft_named(mission.aircraft)
    week = week_of(mission.day)
    for aircraft in problem.aircraft:
        if people <= aircraft.seats < own.seats:
            used = sum(1 for m in missions if m.aircraft == aircraft.name and week_of(m.day) == week)
            if used < aircraft.available_per_week:
                return False
    return True
