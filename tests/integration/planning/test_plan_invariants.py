"""The planner's promises, checked end to end on random small databases (hypothesis):

- nobody is placed who fails any eligibility rule at their stop (checked with the pure rules,
  independently of the vectorised evaluator and the solver);
- families travel whole on one stop or not at all;
- seats, escorts, medical and wheelchair slots and country caps hold on every flight;
- everybody considered is either placed or has a reason, never both; a CAPACITY reason only for
  people eligible somewhere, any other reason only for people eligible nowhere, and a rule's code
  (any rule of ``planner.domain.eligibility.registry``) only where that rule fails at some stop;
- the audit chain still verifies.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from planner.domain.eligibility import RULES, check_people
from planner.domain.enums import Role
from planner.persistence import audit
from planner.persistence.context import AppContext, build_context
from planner.persistence.models import (
    Assignment,
    Facility,
    FacilityAirport,
    Flight,
    FlightStop,
    NationalityVerification,
    Person,
    PlanExclusion,
    TravelDocument,
    utc_now,
)
from planner.services import eligibility_facts, planning
from planner.services.auth import Actor
from planner.settings import Settings
from tests.conftest import create_pg_database, drop_pg_database
from tests.integration.planning.facts import stops_and_rules

NOW = utc_now().replace(microsecond=0)
TODAY = NOW.date()
ADMIN = Actor("admin", Role.ADMIN)
HUBS = ("SAT", "MIA")
DESTINATIONS = {"GTM": "GUA", "HND": "SAP", "SLV": "SAL", "MEX": "MEX"}
COUNTRIES = tuple(DESTINATIONS)


@contextmanager
def _fresh_database(request: pytest.FixtureRequest, backend: str) -> Iterator[AppContext]:
    """A copy of the session's initialised template database on ``backend``, gone afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="plan-example-"))
    url = None
    if backend == "sqlite":
        target = str(folder / "world.db")
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
    else:
        url = target = create_pg_database(template=request.getfixturevalue("pg_template"))
    ctx = build_context(Settings(db=target, data_dir=folder))
    try:
        yield ctx
    finally:
        ctx.close()
        if url is not None:
            drop_pg_database(url)
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class World:
    flights: list[dict]
    people: list[dict]


documents = st.lists(
    st.fixed_dictionaries(
        {
            "doc_type": st.sampled_from(
                ["PASSPORT", "TRAVEL_DOCUMENT", "EMERGENCY_TRAVEL_DOCUMENT", "LAISSEZ_PASSER"]
            ),
            "issuing_country": st.sampled_from(COUNTRIES),
            "expires_in": st.integers(-30, 400),
            "status": st.sampled_from(["VALID", "VALID", "VALID", "REVOKED", "LOST"]),
        }
    ),
    max_size=2,
)
verifications = st.lists(
    st.fixed_dictionaries(
        {
            "country": st.sampled_from(COUNTRIES),
            "result": st.sampled_from(["CONFIRMED", "CONFIRMED", "PENDING", "NOT_CONFIRMED"]),
            "days_ago": st.integers(0, 200),
        }
    ),
    max_size=2,
)


@st.composite
def person(draw: st.DrawFn) -> dict:
    """Most people start eligible (a confirmed verification and a valid passport of their country);
    random extra documents, verifications and states then break that in every way the rules know."""
    nationality = draw(st.sampled_from(COUNTRIES))
    base_docs, base_vers = [], []
    if draw(st.booleans()) or draw(st.booleans()):
        base_docs = [
            {"doc_type": "PASSPORT", "issuing_country": nationality, "expires_in": 300, "status": "VALID"}
        ]
        base_vers = [{"country": nationality, "result": "CONFIRMED", "days_ago": 30}]
    return {
        "nationality": nationality,
        "custody": draw(st.sampled_from(["IN_CUSTODY"] * 6 + ["RELEASED", "REMOVED"])),
        "order": draw(st.sampled_from(["FINAL"] * 6 + ["PENDING", "NONE"])),
        "hold_until": draw(st.one_of(st.none(), st.none(), st.none(), st.integers(-10, 90))),
        "risk": draw(st.sampled_from(["LOW", "LOW", "MEDIUM", "HIGH"])),
        "medical": draw(st.sampled_from(["NONE"] * 5 + ["MEDICAL_ESCORT", "WHEELCHAIR"])),
        "family": draw(st.sampled_from([None, None, None, "F1", "F2"])),
        "priority": draw(st.integers(1, 5)),
        "facility": draw(st.integers(0, 1)),
        "documents": base_docs + draw(documents),
        "verifications": base_vers + draw(verifications),
    }


people = st.lists(person(), min_size=1, max_size=14)
flights = st.lists(
    st.fixed_dictionaries(
        {
            "hub": st.sampled_from(HUBS),
            "days_ahead": st.integers(1, 60),
            "stops": st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=2, unique=True),
            "seats": st.sampled_from([0, 2, 3, 4, 6, 6]),
            "escorts": st.sampled_from([0, 3, 6, 12, 12]),
            "medical": st.integers(0, 1),
            "wheelchair": st.integers(0, 1),
        }
    ),
    min_size=1,
    max_size=4,
)
worlds = st.builds(World, flights=flights, people=people)


def _populate(ctx, world: World) -> None:
    with ctx.uow() as uow:
        s = uow.session
        facilities = []
        for i, links in enumerate([{"SAT": 5.0, "MIA": 30.0}, {"MIA": 8.0}]):
            facility = Facility(code=f"F{i}", name=f"Facility {i}", city="City")
            s.add(facility)
            s.flush()
            facilities.append(facility.id)
            for airport, hours in links.items():
                s.add(FacilityAirport(facility_id=facility.id, airport=airport, transfer_hours=hours))
        for n, f in enumerate(world.flights):
            flight = Flight(
                code=f"T{n:03d}",
                carrier="Test Air",
                aircraft="A320",
                departure_airport=f["hub"],
                departure_utc=NOW + timedelta(days=f["days_ahead"], hours=3),
                seats=f["seats"],
                escort_officers=f["escorts"],
                medical_slots=f["medical"],
                wheelchair_slots=f["wheelchair"],
            )
            s.add(flight)
            s.flush()
            for sequence, country in enumerate(f["stops"], start=1):
                s.add(FlightStop(flight_id=flight.id, sequence=sequence, airport=DESTINATIONS[country]))
        family_nationality: dict[str, str] = {}
        for n, p in enumerate(world.people):
            nationality = (
                family_nationality.setdefault(p["family"], p["nationality"])
                if p["family"]
                else p["nationality"]
            )
            person = Person(
                case_number=f"A{n:09d}",
                family_name=f"FAMILY{n}",
                given_names="GIVEN",
                sex="M",
                date_of_birth=date(1990, 1, 1),
                nationality=nationality,
                facility_id=facilities[p["facility"]],
                risk_level=p["risk"],
                medical_need=p["medical"],
                family_group=p["family"],
                order_status=p["order"],
                legal_hold_reason="Court order" if p["hold_until"] is not None else None,
                hold_until=TODAY + timedelta(days=p["hold_until"]) if p["hold_until"] is not None else None,
                priority=p["priority"],
                custody_status=p["custody"],
            )
            s.add(person)
            s.flush()
            for k, d in enumerate(p["documents"]):
                s.add(
                    TravelDocument(
                        person_id=person.id,
                        doc_type=d["doc_type"],
                        number=f"N{n}-{k}",
                        issuing_country=d["issuing_country"],
                        expires_on=TODAY + timedelta(days=d["expires_in"]),
                        status=d["status"],
                    )
                )
            for v in p["verifications"]:
                s.add(
                    NationalityVerification(
                        person_id=person.id,
                        country=v["country"],
                        result=v["result"],
                        verified_on=TODAY - timedelta(days=v["days_ago"]),
                    )
                )
        uow.commit()


def _check(ctx) -> None:
    with ctx.uow(write=False) as uow:
        s = uow.session
        plan_id = planning.current_draft_plan_id(uow)
        placed = dict(
            s.execute(
                sa.select(Assignment.person_id, Assignment.flight_stop_id).where(
                    Assignment.plan_run_id == plan_id
                )
            ).all()
        )
        excluded = dict(
            s.execute(
                sa.select(PlanExclusion.person_id, PlanExclusion.reason).where(
                    PlanExclusion.plan_run_id == plan_id
                )
            ).all()
        )
        considered = {
            pid: (group, risk, medical)
            for pid, group, risk, medical in s.execute(
                sa.select(Person.id, Person.family_group, Person.risk_level, Person.medical_need).where(
                    Person.custody_status != "REMOVED"
                )
            )
        }
        stops, rules = stops_and_rules(uow)
        flights = {f.id: f for f in s.execute(sa.select(Flight)).scalars()}
        facts = eligibility_facts.load_person_facts(uow, list(considered))
        verdicts = {
            stop_id: check_people(list(facts.values()), stop, rules[stop.country], now=NOW)
            for stop_id, stop in stops.items()
        }
        report = audit.verify_chain(uow)

    # Placed or explained, never both, nobody forgotten.
    assert set(placed).isdisjoint(excluded)
    assert set(placed) | set(excluded) == set(considered)
    # Nobody ineligible is placed.
    for person, stop in placed.items():
        assert verdicts[stop][person] == (), (
            f"person {person} placed on stop {stop} but fails {verdicts[stop][person]}"
        )
    # Reasons match the rules: CAPACITY only for the eligible somewhere, other reasons for nobody eligible.
    for person, reason in excluded.items():
        eligible_somewhere = any(verdicts[stop][person] == () for stop in stops)
        if reason == planning.CAPACITY:
            assert eligible_somewhere, f"person {person}: CAPACITY but eligible nowhere"
        else:
            assert not eligible_somewhere, f"person {person}: {reason} but eligible somewhere"
        # A rule's code as the headline: that rule (whichever the registry holds) fails somewhere.
        if reason in RULES.texts:
            assert any(reason in verdicts[stop][person] for stop in stops), (
                f"person {person}: headline {reason} fails at no stop"
            )
    # Families whole.
    family_stops: dict[str, set[int | None]] = defaultdict(set)
    for person, (group, _risk, _medical) in considered.items():
        if group:
            family_stops[group].add(placed.get(person))
    assert all(len(stops_of) == 1 for stops_of in family_stops.values()), (
        f"a family was split: {family_stops}"
    )
    # Capacities per flight.
    escort_load = Settings().escort_load()
    seats: dict[int, int] = defaultdict(int)
    escorts: dict[int, float] = defaultdict(float)
    medical: dict[int, int] = defaultdict(int)
    wheelchair: dict[int, int] = defaultdict(int)
    per_country: dict[tuple[int, str], int] = defaultdict(int)
    for person, stop in placed.items():
        flight_id = stops[stop].flight_id
        _group, risk, need = considered[person]
        seats[flight_id] += 1
        escorts[flight_id] += escort_load[risk]
        medical[flight_id] += need == "MEDICAL_ESCORT"
        wheelchair[flight_id] += need == "WHEELCHAIR"
        per_country[(flight_id, stops[stop].country)] += 1
    for flight_id, flight in flights.items():
        assert seats[flight_id] <= flight.seats
        assert escorts[flight_id] <= flight.escort_officers + 1e-9
        assert medical[flight_id] <= flight.medical_slots
        assert wheelchair[flight_id] <= flight.wheelchair_slots
    for (_flight_id, country), count in per_country.items():
        cap = rules[country].max_per_flight
        assert cap is None or count <= cap
    assert report.ok, report.message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds)
def test_every_plan_keeps_the_promises(request: pytest.FixtureRequest, backend: str, world: World) -> None:
    with _fresh_database(request, backend) as ctx:
        _populate(ctx, world)
        first = planning.run_plan(ctx, ADMIN, ctx.settings, time_limit=5, now=NOW)
        event(f"placed: {'some' if first.placed else 'none'}")
        event(
            f"reasons: {'CAPACITY' if first.not_placed_by_reason.get(planning.CAPACITY) else 'no CAPACITY'}"
        )
        _check(ctx)
        # A second run over unchanged data keeps every promise too, and moves nobody.
        summary = planning.run_plan(ctx, ADMIN, ctx.settings, time_limit=5, now=NOW)
        assert (summary.moves, summary.added, summary.dropped) == (0, 0, 0)
        _check(ctx)
