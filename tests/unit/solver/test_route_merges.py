"""Consolidation advice on routes (issue 15): two under-full missions to the same stops whose
pickups differ fly as one mission with both pickups; hand-made problems."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from solver.consolidate import MissionRoute, RoutePickup, consolidation_advice, route_merges
from solver.problem import Flight, Person, Problem, Stop

HOUR = 3600.0
T0 = 1_800_000_000.0
#: Two Texas staging airports about 400 km apart, and one in Arizona.
SAT = (29.53, -98.47)
BRO = (25.91, -97.42)
IWA = (33.31, -111.66)


def _pickup(airport: str, hours: float, where: tuple[float, float] | None) -> RoutePickup:
    lat, lon = where if where else (None, None)
    return RoutePickup(airport, T0 + hours * HOUR, lat, lon)


def _problem(loads: dict[int, int], seats: int = 100, **flight: int) -> tuple[Problem, dict[int, int]]:
    """Flights 1.. to GTM (stop id = flight id), ``loads[f]`` people on each, every person eligible
    only for their own flight's stop (their facility reaches only that flight's pickups)."""
    flights = tuple(Flight(f, seats, seats * 2, hours=4.0, departure=T0, **flight) for f in loads)
    stops = tuple(Stop(f, f, "GTM") for f in loads)
    people = []
    assignment = {}
    pid = 0
    for f, n in loads.items():
        for _ in range(n):
            pid += 1
            people.append(Person(pid, 3, 1.0, eligible_stops=(f,)))
            assignment[pid] = f
    return Problem(tuple(people), flights, stops), assignment


ROUTES = {
    1: MissionRoute((_pickup("SAT", 0, SAT),), ("GUA",)),
    2: MissionRoute((_pickup("BRO", 2, BRO),), ("GUA",)),
    3: MissionRoute((_pickup("IWA", 1, IWA),), ("SAL",)),
}


def test_two_under_full_missions_merge_into_one_with_two_pickups() -> None:
    problem, assignment = _problem({1: 40, 2: 30})
    merges = route_merges(problem, assignment, ROUTES, 8500.0)
    assert len(merges) == 1
    m = merges[0]
    assert {m.kept, m.absorbed} == {1, 2}
    assert m.pickups == ("SAT", "BRO") and m.stops == ("GUA",)  # in time order
    assert m.route == "SAT → BRO → GUA"
    assert m.seats_used == 70 and m.people_moved == (30 if m.kept == 1 else 40)
    # 4 h saved less about 0.55 h of hop and 0.75 h on the ground.
    assert 1.0 < m.extra_hours < 1.6
    assert m.cost_saved == (4.0 - m.extra_hours) * 8500.0


def test_no_merge_over_seats_or_escorts_or_slots() -> None:
    problem, assignment = _problem({1: 60, 2: 50})
    assert route_merges(problem, assignment, ROUTES, 8500.0) == []
    problem, assignment = _problem({1: 40, 2: 30}, medical_slots=0)
    medical = Person(999, 3, 1.0, eligible_stops=(2,), needs_medical=True)
    problem = Problem((*problem.people, medical), problem.flights, problem.stops)
    assert route_merges(problem, {**assignment, 999: 2}, ROUTES, 8500.0) == []


def test_no_merge_across_destinations_far_apart_times_or_shared_pickups() -> None:
    problem, assignment = _problem({1: 10, 3: 10})
    assert route_merges(problem, assignment, ROUTES, 1.0) == []  # GUA vs SAL
    far = {**ROUTES, 2: MissionRoute((_pickup("BRO", 30, BRO),), ("GUA",))}
    problem, assignment = _problem({1: 10, 2: 10})
    assert route_merges(problem, assignment, far, 1.0) == []  # 30 h apart
    same = {**ROUTES, 2: MissionRoute((_pickup("SAT", 2, SAT),), ("GUA",))}
    assert route_merges(problem, assignment, same, 1.0) == []
    crowded = {
        1: MissionRoute((_pickup("SAT", 0, SAT), _pickup("IWA", 1, IWA)), ("GUA",)),
        2: MissionRoute((_pickup("BRO", 2, BRO), _pickup("ELP", 3, None)), ("GUA",)),
    }
    assert route_merges(problem, assignment, crowded, 1.0) == []  # four pickups


def test_frozen_flights_are_left_alone_and_each_flight_merges_once() -> None:
    problem, assignment = _problem({1: 10, 2: 10})
    frozen = Person(500, 3, 1.0, eligible_stops=(2,), frozen_stop=2)
    held = Problem((*problem.people, frozen), problem.flights, problem.stops)
    assert route_merges(held, {**assignment, 500: 2}, ROUTES, 8500.0) == []
    four = {
        **ROUTES,
        3: MissionRoute((_pickup("IWA", 1, IWA),), ("GUA",)),
        4: MissionRoute((_pickup("ELP", 3, None),), ("GUA",)),
    }
    problem, assignment = _problem({1: 10, 2: 10, 3: 10, 4: 10})
    merges = route_merges(problem, assignment, four, 8500.0)
    flights = [f for m in merges for f in (m.kept, m.absorbed)]
    assert len(merges) == 2 and sorted(flights) == [1, 2, 3, 4]


def test_consolidation_advice_lists_merges_when_given_routes() -> None:
    problem, assignment = _problem({1: 40, 2: 30})
    advice = consolidation_advice(problem, assignment, 8500.0, time_limit=5.0, routes=ROUTES)
    assert advice.cancellable == []  # nobody can move without the merge: facilities reach one pickup each
    assert len(advice.merges) == 1 and advice.merge_saved == advice.merges[0].cost_saved
    assert consolidation_advice(problem, assignment, 8500.0, time_limit=5.0).merges == []


_AIRPORTS = ("SAT", "BRO", "IWA", "ELP", "AEX", "IAH")


@st.composite
def _missions(draw: st.DrawFn) -> tuple[Problem, dict[int, int], dict[int, MissionRoute]]:
    n = draw(st.integers(2, 6))
    flights, stops, routes, people, assignment = [], [], {}, [], {}
    pid = 0
    for f in range(1, n + 1):
        seats = draw(st.integers(5, 40))
        flights.append(
            Flight(
                f,
                seats,
                draw(st.integers(seats, 2 * seats)),
                draw(st.integers(0, 3)),
                draw(st.integers(0, 3)),
                T0,
                draw(st.floats(1, 8)),
            )
        )
        country = draw(st.sampled_from(("GTM", "HND")))
        stops.append(Stop(f, f, country, draw(st.one_of(st.none(), st.integers(5, 40)))))
        airports = draw(st.lists(st.sampled_from(_AIRPORTS), min_size=1, max_size=2, unique=True))
        start = draw(st.floats(0, 20))
        routes[f] = MissionRoute(
            tuple(_pickup(a, start + 2 * k, None) for k, a in enumerate(airports)),
            ({"GTM": "GUA", "HND": "SAP"}[country],),
        )
        medical = wheelchair = 0
        for _ in range(draw(st.integers(0, seats))):
            pid += 1
            needs_medical = draw(st.booleans()) and medical < flights[-1].medical_slots
            needs_wheelchair = draw(st.booleans()) and wheelchair < flights[-1].wheelchair_slots
            medical += needs_medical
            wheelchair += needs_wheelchair
            people.append(
                Person(pid, 3, draw(st.sampled_from((1.0, 1.5, 2.0))), (f,), needs_medical, needs_wheelchair)
            )
            assignment[pid] = f
    return Problem(tuple(people), tuple(flights), tuple(stops)), assignment, routes


@settings(max_examples=150, deadline=None)
@given(_missions())
def test_merges_keep_every_capacity_and_the_route_rules(case) -> None:
    problem, assignment, routes = case
    merges = route_merges(problem, assignment, routes, 1000.0, max_spread_hours=12.0)
    flights = {f.id: f for f in problem.flights}
    people = {p.id: p for p in problem.people}
    stop_of = {s.id: s for s in problem.stops}
    used = [f for m in merges for f in (m.kept, m.absorbed)]
    assert len(used) == len(set(used))
    for m in merges:
        kept = flights[m.kept]
        aboard = [pid for pid, sid in assignment.items() if stop_of[sid].flight in (m.kept, m.absorbed)]
        assert len(aboard) == m.seats_used <= kept.seats
        assert sum(round(10 * people[p].escort_load) for p in aboard) <= 10 * kept.escort_officers
        assert sum(people[p].needs_medical for p in aboard) <= kept.medical_slots
        assert sum(people[p].needs_wheelchair for p in aboard) <= kept.wheelchair_slots
        cap = stop_of[m.kept].country_cap
        assert cap is None or len(aboard) <= cap
        pickups = sorted((*routes[m.kept].pickups, *routes[m.absorbed].pickups), key=lambda p: p.departure)
        assert m.pickups == tuple(p.airport for p in pickups) and len(set(m.pickups)) == len(m.pickups)
        assert pickups[-1].departure - pickups[0].departure <= 12 * HOUR and len(pickups) <= 3
        assert m.stops == routes[m.kept].stops == routes[m.absorbed].stops
        assert m.cost_saved > 0
