"""Tiny-instance helpers for the solver tests."""

from __future__ import annotations

from solver import Flight, Person, Problem, SolveOptions, Stop

FAST = SolveOptions(time_limit=10.0, num_workers=1)


def flight(
    fid: int,
    seats: int = 10,
    escorts: int = 10,
    medical: int = 0,
    wheelchair: int = 0,
    departure: float = 0.0,
    hours: float = 5.0,
) -> Flight:
    return Flight(fid, seats, escorts, medical, wheelchair, departure or float(fid), hours)


def person(pid: int, stops: tuple[int, ...], priority: int = 3, load: float = 1.0, **kw: object) -> Person:
    return Person(id=pid, priority=priority, escort_load=load, eligible_stops=stops, **kw)  # type: ignore[arg-type]


def problem(people: list[Person], flights: list[Flight], stops: list[Stop] | None = None) -> Problem:
    stops = stops if stops is not None else [Stop(f.id * 10, f.id, "AAA") for f in flights]
    return Problem(tuple(people), tuple(flights), tuple(stops))
