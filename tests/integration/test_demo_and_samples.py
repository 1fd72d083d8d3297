"""The shared sample files import into a demo database (issue 13): the demo's flight codes and case
numbers never clash with the samples', and the demo has a planned flight to every shipped country."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from planner.demo.generate import generate_demo
from planner.persistence.context import AppContext
from planner.persistence.models import Flight, Person
from planner.services.auth import Actor
from planner.services.imports import import_file

NOW = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
#: A copy of ``shared/samples`` kept with the tests (the README there gives the import order).
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
#: (kind, file, new records) in the samples README's order: facilities, flights, roster,
#: verification; the GB18030 file is the same verification list (nothing new).
SAMPLE_ORDER = (
    ("facilities", "facilities.csv", 30),
    ("flights", "flights.csv", 6),
    ("roster", "roster.csv", 60),
    ("verification", "verification.csv", 64),
    ("verification", "verification-gb18030.csv", 0),
)
SHIPPED_RULES = Path(__file__).resolve().parents[2] / "resources" / "country_rules.csv"


def _demo(ctx: AppContext, admin: Actor, *, people: int, flights: int, seed: int = 5) -> None:
    with ctx.uow() as uow:
        generate_demo(uow, admin, people=people, flights=flights, seed=seed, now=NOW)


def test_every_sample_file_imports_into_a_demo_database(ctx: AppContext, admin: Actor) -> None:
    _demo(ctx, admin, people=2000, flights=40)
    with ctx.uow(write=False) as uow:
        demo_flights = set(uow.session.execute(sa.select(Flight.code)).scalars())
        demo_cases = set(uow.session.execute(sa.select(Person.case_number)).scalars())
    for kind, name, new in SAMPLE_ORDER:
        with ctx.uow() as uow:
            report = import_file(uow, admin, kind, SAMPLES / name)
        assert report.ok and (report.written or new == 0), (name, report.error_lines())
        assert (report.new, report.updated, report.rejected) == (new, 0, 0), name
    with ctx.uow(write=False) as uow:
        flights = set(uow.session.execute(sa.select(Flight.code)).scalars())
        cases = set(uow.session.execute(sa.select(Person.case_number)).scalars())
    assert flights == demo_flights | {f"RF{n:04d}" for n in range(6)}
    assert len(cases) == len(demo_cases) + 60 and demo_cases < cases


def _covered_countries(ctx: AppContext) -> set[str]:
    with ctx.uow(write=False) as uow:
        return set(
            uow.session.execute(
                sa.text(
                    "SELECT DISTINCT a.country FROM flight f JOIN flight_stop s ON s.flight_id = f.id "
                    "JOIN airport a ON a.iata = s.airport WHERE f.status = 'PLANNED' AND f.departure_utc > :now"
                ),
                {"now": NOW},
            ).scalars()
        )


@pytest.mark.parametrize(("people", "flights", "seed"), [(3000, 40, 1), (2000, 40, 7), (500, 10, 3)])
def test_the_demo_flies_to_every_shipped_country(
    ctx: AppContext, admin: Actor, people: int, flights: int, seed: int
) -> None:
    with SHIPPED_RULES.open(encoding="utf-8") as f:
        shipped = {row["country"] for row in csv.DictReader(f)}
    _demo(ctx, admin, people=people, flights=flights, seed=seed)
    assert shipped <= _covered_countries(ctx)
