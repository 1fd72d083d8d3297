"""The demo generator: determinism, plausible distributions, names, families, integrity, roles, audit."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from planner.demo import generate as demo
from planner.demo import names as demo_names
from planner.demo.generate import DemoReport, generate_demo
from planner.domain.enums import (
    CustodyStatus,
    DocumentStatus,
    DocumentType,
    FlightStatus,
    MedicalNeed,
    OrderStatus,
    RiskLevel,
    VerificationResult,
)
from planner.domain.errors import InvalidInput, PermissionDenied
from planner.entrypoints.cli.main import run
from planner.persistence.audit import verify_chain
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, Facility, Flight, Person
from planner.services.auth import Actor
from planner.settings import Settings
from tests.conftest import ADMIN_PASSWORD, ContextMaker, admin_actor, make_initialised_context

NOW = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
DEMO_TABLES = (
    ("facility", "id"),
    ("facility_airport", "facility_id, airport"),
    ("flight", "id"),
    ("flight_stop", "id"),
    ("person", "id"),
    ("travel_document", "id"),
    ("nationality_verification", "id"),
    ("request_batch", "id"),
    ("request_item", "id"),
)


def generate(ctx: AppContext, actor: Actor, *, people: int, flights: int, seed: int = 3, **kw) -> DemoReport:
    with ctx.uow() as uow:
        report = generate_demo(uow, actor, people=people, flights=flights, seed=seed, now=NOW, **kw)
    return report


def rows(ctx: AppContext, sql: str, **params) -> list[sa.Row]:
    with ctx.uow(write=False) as uow:
        return list(uow.session.execute(sa.text(sql), params))


def dump(ctx: AppContext) -> dict[str, list[tuple]]:
    return {
        table: [tuple(r) for r in rows(ctx, f"SELECT * FROM {table} ORDER BY {key}")]
        for table, key in DEMO_TABLES
    }


def as_date(value: date | str | None) -> date | None:
    """SQLite returns raw text from ``sa.text`` queries, PostgreSQL returns dates."""
    return date.fromisoformat(value) if isinstance(value, str) else value


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> AppContext:
    """One SQLite database with 3000 people and 40 flights, shared by the read-only checks."""
    tmp = tmp_path_factory.mktemp("demo")
    context = make_initialised_context(Settings(db=str(tmp / "demo.db"), data_dir=tmp))
    generate(context, admin_actor(), people=3000, flights=40, seed=11)
    yield context
    context.close()


# ---------------------------------------------------------------- determinism


def test_same_seed_gives_identical_rows_and_another_seed_does_not(
    ctx: AppContext, admin: Actor, contexts: ContextMaker, backend: str
) -> None:
    generate(ctx, admin, people=400, flights=12, seed=5)
    twin, other = contexts.make(backend), contexts.make(backend)
    generate(twin, admin, people=400, flights=12, seed=5)
    generate(other, admin, people=400, flights=12, seed=6)
    first, second, third = dump(ctx), dump(twin), dump(other)
    assert all(first[t] for t, _ in DEMO_TABLES)
    assert first == second
    assert first["person"] != third["person"]
    assert first["flight"] != third["flight"]
    audit_sql = (
        "SELECT action, entity, entity_id, changes_json FROM audit_event WHERE actor = 'admin' ORDER BY id"
    )
    assert rows(ctx, audit_sql) == rows(twin, audit_sql)


# ---------------------------------------------------------------- distributions


def test_every_state_appears_in_plausible_proportions(big: AppContext) -> None:
    people = rows(big, "SELECT * FROM person")
    n = len(people)
    assert n == 3000

    def share(values: Counter, key: str) -> float:
        return values[key] / sum(values.values())

    custody = Counter(p.custody_status for p in people)
    order = Counter(p.order_status for p in people)
    risk = Counter(p.risk_level for p in people)
    medical = Counter(p.medical_need for p in people)
    assert set(custody) == {s.value for s in CustodyStatus}
    assert set(order) == {s.value for s in OrderStatus}
    assert set(risk) == {s.value for s in RiskLevel}
    assert set(medical) == {s.value for s in MedicalNeed}
    assert {p.priority for p in people} == {1, 2, 3, 4, 5}
    assert {p.sex for p in people} >= {"M", "F"}
    assert share(custody, "IN_CUSTODY") > 0.85
    assert share(order, "FINAL") > 0.85
    assert 0.01 < 1 - share(medical, "NONE") < 0.1
    assert 0.05 < share(risk, "HIGH") < 0.2

    holds = [p for p in people if p.legal_hold_reason]
    assert 0.02 < len(holds) / n < 0.1
    hold_untils = [as_date(p.hold_until) for p in holds]
    assert any(u is None for u in hold_untils)  # indefinite
    assert any(u is not None and u > TODAY for u in hold_untils)  # in force
    assert any(u is not None and u < TODAY for u in hold_untils)  # lapsed
    assert all(p.hold_until is None for p in people if not p.legal_hold_reason)
    assert all((p.order_date is None) == (p.order_status == OrderStatus.NONE.value) for p in people)

    verifications = rows(big, "SELECT * FROM nationality_verification ORDER BY person_id, verified_on, id")
    assert {v.result for v in verifications} == {r.value for r in VerificationResult}
    per_person = Counter(v.person_id for v in verifications)
    assert max(per_person.values()) >= 3
    assert sum(1 for c in per_person.values() if c >= 2) / n > 0.3  # real histories
    assert n - len(per_person) > 0  # some never asked
    latest: dict[tuple[int, str], str] = {}
    for v in verifications:
        latest[(v.person_id, v.country)] = v.result
    # Somebody was refused by the claimed country and confirmed by a neighbour.
    nationality = {p.id: p.nationality for p in people}
    assert any(
        country != nationality[pid] and result == "CONFIRMED" for (pid, country), result in latest.items()
    )

    documents = rows(big, "SELECT * FROM travel_document")
    assert {d.doc_type for d in documents} == {t.value for t in DocumentType}
    assert {d.status for d in documents} == {s.value for s in DocumentStatus}
    assert any(d.doc_type == "PASSPORT" and as_date(d.expires_on) < TODAY for d in documents)
    assert any(d.doc_type == "PASSPORT" and d.status == "REVOKED" for d in documents)
    assert all(d.issued_on is None or as_date(d.issued_on) < as_date(d.expires_on) for d in documents)

    # Most people pass the person-level rules; a real share does not.
    core = [
        p
        for p in people
        if p.custody_status == "IN_CUSTODY"
        and p.order_status == "FINAL"
        and latest.get((p.id, p.nationality)) == "CONFIRMED"
    ]
    assert 0.6 < len(core) / n < 0.9

    # Case numbers: 'A' + 9 digits, unique. Dates of birth plausible.
    assert all(re.fullmatch(r"A\d{9}", p.case_number) for p in people)
    assert len({p.case_number for p in people}) == n
    ages = [(TODAY - as_date(p.date_of_birth)).days / 365.25 for p in people]
    assert min(ages) >= 0 and max(ages) < 80
    children = sum(1 for a in ages if a < 18)
    assert 0.02 < children / n < 0.2


def test_facilities_flights_and_capacity(big: AppContext) -> None:
    facilities = rows(big, "SELECT * FROM facility")
    assert len(facilities) == 5  # max(5, 3000 // 3000)
    links = rows(
        big,
        "SELECT fa.facility_id, fa.transfer_hours, a.country FROM facility_airport fa "
        "JOIN airport a ON a.iata = fa.airport",
    )
    per_facility = Counter(link.facility_id for link in links)
    assert set(per_facility) == {f.id for f in facilities}
    assert set(per_facility.values()) <= {2, 3}
    assert all(link.country == "USA" and 0 < link.transfer_hours <= 24 for link in links)

    flights = rows(big, "SELECT * FROM flight")
    assert len(flights) == 40
    assert {f.status for f in flights} <= {s.value for s in FlightStatus}
    assert sum(f.status == "PLANNED" for f in flights) / len(flights) > 0.85
    assert all(100 <= f.seats <= 180 for f in flights)
    assert all(f.escort_officers >= f.seats for f in flights)
    assert any(f.escort_officers < 1.25 * f.seats for f in flights)  # escorts bind sometimes
    assert any(f.medical_slots == 0 for f in flights) and any(f.medical_slots > 0 for f in flights)
    assert [f.code for f in sorted(flights, key=lambda f: f.id)] == [f"DM{i:04d}" for i in range(1, 41)]

    stops = rows(
        big,
        "SELECT s.flight_id, s.sequence, a.country, f.departure_airport, d.country AS hub_country "
        "FROM flight_stop s JOIN airport a ON a.iata = s.airport JOIN flight f ON f.id = s.flight_id "
        "JOIN airport d ON d.iata = f.departure_airport ORDER BY s.flight_id, s.sequence",
    )
    by_flight: dict[int, list] = defaultdict(list)
    for s in stops:
        by_flight[s.flight_id].append(s)
    assert set(by_flight) == {f.id for f in flights}
    assert {len(v) for v in by_flight.values()} == {1, 2, 3}
    for flight_stops in by_flight.values():
        assert [s.sequence for s in flight_stops] == list(range(1, len(flight_stops) + 1))
        assert len({s.country for s in flight_stops}) == len(flight_stops)  # one stop per country
        assert all(s.hub_country == "USA" and s.country != "USA" for s in flight_stops)

    # Departures: PLANNED flights in the next 90 days, DEPARTED ones in the past.
    with big.uow(write=False) as uow:
        for f in uow.session.execute(sa.select(Flight)).scalars():
            if f.status == "DEPARTED":
                assert NOW - timedelta(days=22) < f.departure_utc < NOW
            else:
                assert NOW < f.departure_utc < NOW + timedelta(days=92)

    # Demand follows capacity: the countries with the most seats have the most people.
    seats = Counter()
    for flight_stops in by_flight.values():
        flight = next(f for f in flights if f.id == flight_stops[0].flight_id)
        if flight.status == "PLANNED":
            for s in flight_stops:
                seats[s.country] += flight.seats / len(flight_stops)
    people = Counter(dict(rows(big, "SELECT nationality, COUNT(*) FROM person GROUP BY nationality")))
    assert set(seats) <= set(people)
    top_seats = {c for c, _ in seats.most_common(3)}
    top_people = {c for c, _ in people.most_common(5)}
    assert len(top_seats & top_people) >= 2


# ---------------------------------------------------------------- names and families


def test_names_fit_nationality_and_hanzi_matches_pinyin(big: AppContext) -> None:
    people = rows(big, "SELECT * FROM person")
    chinese = [p for p in people if p.nationality == "CHN"]
    assert chinese
    surnames = dict(demo_names.CHINESE_SURNAMES)
    for p in chinese:
        assert p.native_name, p
        family_hz, given_hz = p.native_name[0], p.native_name[1:]
        assert surnames[family_hz] == p.family_name
        assert 1 <= len(given_hz) <= 2
        assert "".join(demo_names.HANZI_PINYIN[ch] for ch in given_hz) == p.given_names
    # The table itself never gives one character two readings.
    pairs = demo_names.CHINESE_SURNAMES + demo_names.CHINESE_GIVEN_MALE + demo_names.CHINESE_GIVEN_FEMALE
    assert all(demo_names.HANZI_PINYIN[h] == py for h, py in pairs)

    assert all(p.native_name == "" for p in people if p.nationality != "CHN")
    spanish = [p for p in people if p.nationality not in ("CHN", "IND", *demo_names.SIMPLE_NAMES)]
    assert all(len(p.family_name.split()) >= 2 for p in spanish)  # paternal + maternal
    assert any(set(p.family_name + p.given_names) & set("ÁÉÍÓÚÑ") for p in spanish)
    male_names, female_names = set(demo_names.SPANISH_GIVEN_MALE), set(demo_names.SPANISH_GIVEN_FEMALE)
    for p in spanish:
        first = p.given_names.split()[0]
        if p.sex == "M":
            assert first in male_names
        elif p.sex == "F":
            assert first in female_names
    indian = [p for p in people if p.nationality == "IND"]
    assert indian
    assert not any(p.family_name == "KAUR" and p.sex == "M" for p in indian)
    assert not any(p.family_name == "SINGH" and p.sex == "F" for p in indian)


def test_family_members_share_nationality_facility_and_case(big: AppContext) -> None:
    people = rows(big, "SELECT * FROM person WHERE family_group IS NOT NULL ORDER BY id")
    families: dict[str, list] = defaultdict(list)
    for p in people:
        families[p.family_group].append(p)
    assert len(families) >= 50
    with_children = 0
    for members in families.values():
        assert 2 <= len(members) <= 6
        assert len({m.nationality for m in members}) == 1
        assert len({m.facility_id for m in members}) == 1
        assert len({(m.custody_status, m.order_status, m.priority) for m in members}) == 1
        ages = sorted((TODAY - as_date(m.date_of_birth)).days / 365.25 for m in members)
        assert ages[-1] >= 18  # an adult in every family
        if ages[0] < 18:
            with_children += 1
            assert ages[-1] - ages[0] >= 17  # parents are old enough
        adults = [m for m in members if (TODAY - as_date(m.date_of_birth)).days >= 18 * 365.25]
        adult_words = {w for m in adults for w in m.family_name.split()}
        # A child carries a parent's family name (Spanish: father's and mother's first family
        # names); a Chinese child of a mother alone here may carry the absent father's name.
        absent_father = members[0].nationality == "CHN" and all(a.sex == "F" for a in adults)
        for child in members:
            if child not in adults and not absent_father:
                assert set(child.family_name.split()) & adult_words or child.family_name in ("SINGH", "KAUR")
    assert with_children / len(families) > 0.8


# ---------------------------------------------------------------- integrity, roles, audit


def test_referential_integrity(big: AppContext) -> None:
    assert rows(big, "PRAGMA foreign_key_check") == []
    orphans = {
        "person.facility": "SELECT COUNT(*) FROM person p LEFT JOIN facility f ON f.id = p.facility_id "
        "WHERE f.id IS NULL",
        "document.person": "SELECT COUNT(*) FROM travel_document d LEFT JOIN person p ON p.id = d.person_id "
        "WHERE p.id IS NULL",
        "verification.person": "SELECT COUNT(*) FROM nationality_verification v "
        "LEFT JOIN person p ON p.id = v.person_id WHERE p.id IS NULL",
        "stop.airport": "SELECT COUNT(*) FROM flight_stop s LEFT JOIN airport a ON a.iata = s.airport "
        "WHERE a.iata IS NULL",
        "flight without stop": "SELECT COUNT(*) FROM flight f LEFT JOIN flight_stop s ON s.flight_id = f.id "
        "WHERE s.id IS NULL",
        "pickup.airport": "SELECT COUNT(*) FROM flight_pickup p LEFT JOIN airport a ON a.iata = p.airport "
        "WHERE a.iata IS NULL",
    }
    # Documents come from the demo's receiving countries (shipped rules and default-rule ones).
    issuers = {r[0] for r in rows(big, "SELECT DISTINCT issuing_country FROM travel_document")}
    assert issuers <= set(demo_names.DESTINATION_AIRPORTS)
    for name, sql in orphans.items():
        assert rows(big, sql)[0][0] == 0, name
    assert rows(big, "PRAGMA integrity_check")[0][0] == "ok"


def test_audit_events_for_every_created_record_and_chain_intact(big: AppContext) -> None:
    counts = dict(rows(big, "SELECT action, COUNT(*) FROM audit_event WHERE actor = 'admin' GROUP BY action"))
    assert counts["person.create"] == 3000
    assert counts["flight.create"] == 40
    assert counts["facility.create"] == 5
    assert counts["demo.generate"] == 1
    with big.uow(write=False) as uow:
        report = verify_chain(uow)
        assert report.ok, report.message
        event = uow.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "person.create").limit(1)
        ).scalar_one()
        assert re.fullmatch(r"A\d{9}", event.entity_id)
        assert len(event.changes_json) < 200  # compact


def test_officer_is_refused_and_the_refusal_is_audited(ctx: AppContext, officer: Actor) -> None:
    with ctx.uow() as uow, pytest.raises(PermissionDenied):
        generate_demo(uow, officer, people=10, flights=2, seed=1, now=NOW)
    denied = rows(
        ctx,
        "SELECT actor, entity_id FROM audit_event WHERE action = 'permission.denied'",
    )
    assert [tuple(d) for d in denied] == [("olivia", "demo.generate")]
    assert rows(ctx, "SELECT COUNT(*) FROM person")[0][0] == 0


@pytest.mark.parametrize(("people", "flights"), [(0, 5), (5, 0), (-1, 5)])
def test_bad_arguments_are_refused(ctx: AppContext, admin: Actor, people: int, flights: int) -> None:
    with ctx.uow() as uow, pytest.raises(InvalidInput):
        generate_demo(uow, admin, people=people, flights=flights, seed=1, now=NOW)


def test_a_database_with_people_is_refused(ctx: AppContext, admin: Actor) -> None:
    generate(ctx, admin, people=20, flights=2)
    events = rows(ctx, "SELECT COUNT(*) FROM audit_event")[0][0]
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="already has 20 people"):
        generate_demo(uow, admin, people=20, flights=2, seed=9, now=NOW)
    assert rows(ctx, "SELECT COUNT(*) FROM person")[0][0] == 20
    assert rows(ctx, "SELECT COUNT(*) FROM audit_event")[0][0] == events


def test_progress_is_reported_up_to_one(
    ctx: AppContext, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "CHUNK_PEOPLE", 250)
    seen: list[tuple[float, str]] = []
    report = generate(ctx, admin, people=1_200, flights=30, progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0 and len(fractions) >= 5
    assert report.people == 1_200 and report.facilities == 5
    assert "1,200 people" in report.summary()


# ---------------------------------------------------------------- both backends


def test_runs_on_both_backends(ctx: AppContext, admin: Actor) -> None:
    report = generate(ctx, admin, people=300, flights=10, seed=2)
    assert report.people == 300 and report.flights == 10
    counts = {
        table: rows(ctx, f"SELECT COUNT(*) FROM {table}")[0][0]
        for table in ("person", "flight", "flight_stop", "travel_document", "nationality_verification")
    }
    assert counts["person"] == 300 and counts["flight"] == 10
    assert counts["flight_stop"] == report.flight_stops
    assert counts["travel_document"] == report.documents
    assert counts["nationality_verification"] == report.verifications
    chinese = rows(ctx, "SELECT family_name, native_name FROM person WHERE nationality = 'CHN'")
    assert all(dict(demo_names.CHINESE_SURNAMES)[r.native_name[0]] == r.family_name for r in chinese)
    # The shipped aircraft catalog came in through 'import aircraft', audited, and names every
    # aircraft type the demo's flights use (so the scheduler costs the flights already scheduled).
    aircraft = {r[0] for r in rows(ctx, "SELECT name FROM aircraft")}
    assert report.aircraft_added == len(aircraft) >= 5
    assert {r[0] for r in rows(ctx, "SELECT DISTINCT aircraft FROM flight")} <= aircraft
    imports = rows(
        ctx, "SELECT COUNT(*) FROM audit_event WHERE action IN ('import.aircraft', 'aircraft.create')"
    )
    assert imports[0][0] == len(aircraft) + 1
    with ctx.uow() as uow:
        assert verify_chain(uow).ok
        # Ids were assigned by the generator; the database's own id source still works afterwards.
        facility = Facility(code="NEW01", name="New", city="Somewhere")
        uow.session.add(facility)
        uow.session.flush()
        assert facility.id == report.facilities + 1
        assert uow.session.execute(sa.select(sa.func.max(Person.id))).scalar() == 300


# ---------------------------------------------------------------- command line


def test_cli_demo(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = ctx.settings
    monkeypatch.setenv("CHARTER_USER", "admin")
    monkeypatch.setenv("CHARTER_PASSWORD", ADMIN_PASSWORD)
    assert run(["demo", "--people", "50", "--flights", "3", "--seed", "4"], settings=settings) == 0
    assert "50 people" in capsys.readouterr().out
    assert run(["demo", "--people", "50", "--flights", "3"], settings=settings) == 2
    assert "already has 50 people" in capsys.readouterr().err
