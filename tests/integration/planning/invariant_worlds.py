"""Random small worlds for ``test_plan_invariants`` (hypothesis strategies, database population,
and the independent checks of the planner's promises). Only helpers: the properties themselves
live in ``test_plan_invariants``."""

from __future__ import annotations

import json
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
from hypothesis import strategies as st

from planner.domain.eligibility import RULES, check_people
from planner.domain.enums import Role
from planner.persistence import audit
from planner.persistence.context import AppContext, build_context
from planner.persistence.models import (
    Airport,
    Assignment,
    Facility,
    FacilityAirport,
    Flight,
    FlightStop,
    NationalityVerification,
    Person,
    PlanExclusion,
    PlanRun,
    TravelDocument,
    utc_now,
)
from planner.services import eligibility_facts, office_settings, planning
from planner.services.auth import Actor
from planner.settings import Settings
from tests.conftest import add_user, create_pg_database, drop_pg_database
from tests.integration.planning.facts import stops_and_rules
from tests.integration.planning.local_dates import (
    HUB_ZONES,
    HUBS,
    LOCAL_TIMES,
    TEST_AIRPORTS,
    assert_no_hold_in_force_on_the_departure_day,
    departure_of,
    hold_until_of,
    holds_of_the_placed,
)

NOW = utc_now().replace(microsecond=0)


TODAY = NOW.date()


ADMIN = Actor("admin", Role.ADMIN)


#: Approves, closes and departs: an admin is no supervisor (created in every fresh database).
SUPERVISOR = Actor("sam", Role.SUPERVISOR)


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
        add_user(ctx, SUPERVISOR.username, SUPERVISOR.role)
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
        "hold_until": draw(st.one_of(st.none(), st.none(), st.integers(-10, 90))),
        # (flight index, reading, days): a hold until that flight's departure date (its UTC or its
        # local date) shifted by days: the boundaries where the two readings disagree.
        "hold_near": draw(
            st.none()
            | st.tuples(st.integers(0, 3), st.sampled_from(["utc", "local"]), st.sampled_from([-1, 0, 0, 1]))
        ),
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
            "local_time": st.sampled_from(LOCAL_TIMES),
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
        for iata, (name, country) in TEST_AIRPORTS.items():
            s.add(Airport(iata=iata, name=name, city=name, country=country, timezone=HUB_ZONES[iata]))
        s.flush()
        facilities = []
        hub_links = [
            {"SAT": 5.0, "MIA": 30.0, "PEK": 6.0, "CXI": 2.0, "PPG": 3.0},
            {"MIA": 8.0, "PEK": 1.0, "CXI": 12.0},
        ]
        for i, links in enumerate(hub_links):
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
                departure_utc=departure_of(f, TODAY),
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
                hold_until=hold_until_of(p, world.flights, nationality, TODAY),
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
        holds = holds_of_the_placed(uow, placed)
        stored_escort_load = office_settings.load(uow).escort_load()
        used = json.loads(s.get(PlanRun, plan_id).settings_json)  # type: ignore[union-attr]
    # The run used (and recorded) the escort load stored in the database, nothing else.
    assert used["escort_load"] == stored_escort_load
    assert used["office_settings"]["escort_high"] == stored_escort_load["HIGH"]

    assert_no_hold_in_force_on_the_departure_day(holds)
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
    escort_load = stored_escort_load
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


escort_loads = st.lists(st.integers(1, 40), min_size=3, max_size=3).map(
    lambda tenths: sorted(t / 10 for t in tenths)
)


#: Rules an admin may store for a destination country (``None``: delete it, the default applies).
country_rule_specs = st.none() | st.fixed_dictionaries(
    {
        "verification_required": st.booleans(),
        "accepted_document_types": st.lists(
            st.sampled_from(["PASSPORT", "TRAVEL_DOCUMENT", "EMERGENCY_TRAVEL_DOCUMENT", "LAISSEZ_PASSER"]),
            min_size=1,
            max_size=4,
            unique=True,
        ),
        "min_validity_days": st.sampled_from([0, 0, 30, 200]),
        "max_per_flight": st.none() | st.integers(1, 3),
        "notice_days": st.sampled_from([0, 3, 14, 45]),
    }
)


def _check_after_departure(ctx, now) -> None:
    """After random strike-offs and departures: nobody REMOVED or on a departed flight is placed,
    nobody is placed on a flight they were struck off, the placed are eligible where they are,
    families stay whole, struck families came off whole, and the audit chain verifies."""
    from planner.persistence.models import Boarding, StrikeOff
    from planner.services.manifests import workflow as manifests

    with ctx.uow(write=False) as uow:
        s = uow.session
        plan_id = planning.current_draft_plan_id(uow)
        assignments = s.execute(
            sa.select(Assignment.person_id, Assignment.flight_stop_id, Assignment.frozen).where(
                Assignment.plan_run_id == plan_id
            )
        ).all()
        placed = {pid: sid for pid, sid, _ in assignments}
        frozen = {pid: bool(f) for pid, _, f in assignments}
        excluded = set(
            s.execute(
                sa.select(PlanExclusion.person_id).where(PlanExclusion.plan_run_id == plan_id)
            ).scalars()
        )
        status = dict(s.execute(sa.select(Person.id, Person.custody_status)).all())
        family = dict(s.execute(sa.select(Person.id, Person.family_group)).all())
        stops, rules = stops_and_rules(uow)
        flights = {f.id: f for f in s.execute(sa.select(Flight)).scalars()}
        struck = s.execute(sa.select(StrikeOff)).scalars().all()
        boarded = set(s.execute(sa.select(Boarding.flight_id, Boarding.person_id)).all())
        placed_ids = list(placed)
        facts = eligibility_facts.load_person_facts(uow, placed_ids)
        sent = manifests.sent_manifest_people(uow)
        report = audit.verify_chain(uow)

    assert set(placed).isdisjoint(excluded)
    struck_pairs = {(x.person_id, x.flight_id) for x in struck}
    for person, stop in placed.items():
        flight = flights[stops[stop].flight_id]
        assert status[person] != "REMOVED", f"person {person} was removed but is placed"
        assert flight.status != "DEPARTED", f"person {person} placed on departed {flight.code}"
        assert (person, flight.id) not in struck_pairs, f"person {person} placed again on {flight.code}"
    # Placed people pass the rules where they are at ``now``; people frozen on an approved manifest
    # are exempt from the transfer (rule 7) and notice (rule 9) rules, which move with the clock.
    for person, stop in placed.items():
        verdict = check_people(
            [facts[person]],
            stops[stop],
            rules[stops[stop].country],
            now=now,
            on_sent_manifest={person} & sent.get(stop, frozenset()),
        )[person]
        if frozen[person]:
            verdict = tuple(
                r for r in verdict if r.value not in {"FACILITY_CANNOT_REACH", "AFTER_NOTICE_CUTOFF"}
            )
        assert verdict == (), f"person {person} placed on stop {stop} but fails {verdict}"
    # Families whole in the plan.
    family_stops: dict[str, set[int | None]] = defaultdict(set)
    for person, group in family.items():
        if group and status[person] != "REMOVED":
            family_stops[group].add(placed.get(person))
    assert all(len(where) == 1 for where in family_stops.values()), f"a family was split: {family_stops}"
    # Struck families came off whole: no member of a struck person's family is on that flight.
    for x in struck:
        group = family.get(x.person_id)
        members = {m for m, g in family.items() if group and g == group} | {x.person_id}
        for member in members:
            stop = placed.get(member)
            assert stop is None or stops[stop].flight_id != x.flight_id, f"family of {x.person_id} split"
            assert (x.flight_id, member) not in boarded or (member, x.flight_id) in struck_pairs
    # Removed people boarded a departed flight.
    for person, custody in status.items():
        if custody == "REMOVED" and any(pid == person for _fid, pid in boarded):
            assert any(flights[fid].status == "DEPARTED" for fid, pid in boarded if pid == person)
    assert report.ok, report.message


def _mostly_eligible(p: dict) -> dict:
    """``p`` in custody under a final order, without a hold, with a passport and a confirmed
    verification of their country (their other random papers kept)."""
    return {
        **p,
        "custody": "IN_CUSTODY",
        "order": "FINAL",
        "hold_until": None,
        "documents": [
            {
                "doc_type": "PASSPORT",
                "issuing_country": p["nationality"],
                "expires_in": 300,
                "status": "VALID",
            },
            *p["documents"],
        ],
        "verifications": [{"country": p["nationality"], "result": "CONFIRMED", "days_ago": 1}],
    }


#: Worlds where most people can fly and every flight has seats: strikes and departures happen.
departure_worlds = st.builds(
    World,
    flights=st.lists(
        st.fixed_dictionaries(
            {
                "hub": st.sampled_from(HUBS),
                "days_ahead": st.integers(2, 60),
                "local_time": st.sampled_from(LOCAL_TIMES),
                "stops": st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=2, unique=True),
                "seats": st.sampled_from([2, 3, 4, 6]),
                "escorts": st.sampled_from([6, 12]),
                "medical": st.integers(0, 1),
                "wheelchair": st.integers(0, 1),
            }
        ),
        min_size=1,
        max_size=3,
    ),
    people=st.lists(
        st.one_of(person(), person().map(_mostly_eligible), person().map(_mostly_eligible)),
        min_size=2,
        max_size=12,
    ),
)


@st.composite
def held_person(draw: st.DrawFn) -> dict:
    """A person who can fly, most of them under a hold ending on or the day before the local or the
    UTC departure date of a flight to their country: the days where the two readings disagree."""
    p = {**_mostly_eligible(draw(person())), "medical": "NONE"}
    if draw(st.sampled_from([True, True, True, False])):
        reading = draw(st.sampled_from(["utc", "local"]))
        p |= {
            "hold_until": 0,
            "hold_near": (draw(st.integers(0, 3)), reading, draw(st.sampled_from([-1, 0]))),
        }
    return p


#: Flights with room from every hub at local times near midnight, and people who can fly but for holds.
held_worlds = st.builds(
    World,
    flights=st.lists(
        st.fixed_dictionaries(
            {
                "hub": st.sampled_from(HUBS),
                "days_ahead": st.integers(2, 30),
                "local_time": st.sampled_from(LOCAL_TIMES),
                "stops": st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=2, unique=True),
                "seats": st.just(12),
                "escorts": st.just(40),
                "medical": st.just(0),
                "wheelchair": st.just(0),
            }
        ),
        min_size=1,
        max_size=3,
    ),
    people=st.lists(held_person(), min_size=2, max_size=10),
)


def _frozen_assignments(ctx) -> dict[int, int]:
    with ctx.uow(write=False) as uow:
        return dict(
            uow.session.execute(
                sa.select(Assignment.person_id, Assignment.flight_stop_id).where(
                    Assignment.plan_run_id == planning.current_draft_plan_id(uow), Assignment.frozen
                )
            ).all()
        )


def _join_family(ctx, member_id: int, group: str) -> int:
    """A new, eligible member of ``group`` (a copy of ``member_id``'s nationality and facility)."""
    with ctx.uow() as uow:
        s = uow.session
        member = s.get(Person, member_id)
        assert member is not None
        newcomer = Person(
            case_number="A999999999",
            family_name="NEWCOMER",
            given_names="GIVEN",
            sex="F",
            date_of_birth=date(2015, 1, 1),
            nationality=member.nationality,
            facility_id=member.facility_id,
            risk_level="LOW",
            medical_need="NONE",
            family_group=group,
            order_status="FINAL",
            priority=1,
            custody_status="IN_CUSTODY",
        )
        s.add(newcomer)
        s.flush()
        s.add(
            TravelDocument(
                person_id=newcomer.id,
                doc_type="PASSPORT",
                number="NEW-1",
                issuing_country=member.nationality,
                expires_on=TODAY + timedelta(days=400),
            )
        )
        s.add(
            NationalityVerification(
                person_id=newcomer.id, country=member.nationality, result="CONFIRMED", verified_on=TODAY
            )
        )
        uow.commit()
        return newcomer.id
