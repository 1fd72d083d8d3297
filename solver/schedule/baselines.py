"""A baseline the scheduler is measured against: a fixed weekly cadence."""

from __future__ import annotations

from solver.schedule.problem import MAX_PICKUPS, Mission, ScheduleProblem
from solver.schedule.routes import arrival_accepted, orders


def weekly_cadence(problem: ScheduleProblem) -> list[Mission]:
    """One mission per country with demand per week, unloaded (load it with
    ``evaluate.load_missions``): on the largest aircraft, on the first day of the week (not before
    the country's ``first_day``) whose local arrival weekday it accepts, to its first accepted
    airport, picking up at the (up to three) hubs holding most of its demand, in the shortest
    flying order. Aircraft availability is ignored (a baseline)."""
    if not problem.aircraft:
        return []
    largest = max(problem.aircraft, key=lambda a: (a.seats, -a.cost_per_block_hour))
    people: dict[str, dict[str, int]] = {}
    for group in problem.demand:
        if group.units > 0 and group.hub in problem.places:
            by_hub = people.setdefault(group.country, {})
            by_hub[group.hub] = by_hub.get(group.hub, 0) + group.people
    out = []
    for country in sorted(people):
        limits = problem.countries.get(country)
        airports = [a for a in limits.airports if a in problem.places] if limits else []
        if limits is None or not airports:
            continue
        hubs = sorted(people[country], key=lambda h: (-people[country][h], h))[:MAX_PICKUPS]
        _, pickups, stops = orders(problem, hubs, airports[:1])[0]
        for week in range(problem.weeks):
            for day in range(max(week * 7, limits.first_day), min((week + 1) * 7, problem.days)):
                if arrival_accepted(problem, largest, pickups, stops, day):
                    out.append(Mission(day, largest.name, pickups, stops, {}))
                    break
    return out
