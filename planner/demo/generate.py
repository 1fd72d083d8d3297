"""Synthetic, realistic, deterministic demo data (``charter-planner demo``).

Contract of :func:`generate_demo`:

- Admin only (checked first; a refusal is audited). Refuses with ``InvalidInput`` — nothing
  written — bad arguments and a database that already holds people, facilities or flights
  (demo data is for an empty database initialised with airports and country rules).
- Deterministic: the same ``seed``, counts, ``now`` and reference data give identical rows
  (ids included, on an empty database). Every date is relative to ``now`` (default: the
  current UTC time), so a fixed ``now`` gives a fixed database.
- First, when the database has no aircraft catalog, loads the shipped one
  (``resources/aircraft.csv``) through ``import aircraft`` (its own audited import, committed on
  its own: reference data the scheduler charters from, kept even if the demo fails later).
- Writes inside the caller's unit of work and commits it:
  the staging and receiving airports it uses (``names.STAGING_AIRPORTS``,
  ``names.DESTINATION_AIRPORTS``) copied from the airport dataset when the database lacks them;
  ``max(5, people // 3000)`` facilities reaching two or three US hubs with transfer hours;
  ``flights`` missions over the next 90 days (a few departed in the last three weeks, a few
  cancelled) picking people up at one to three of the hubs the facilities reach (increasing
  times) and flying to one to three stops, coded ``DM0001``… (with at least as many flights as
  receiving countries, every receiving country has a planned one: the ten shipped rules and a few
  countries without a rule, on the default rule); ``people`` people of those nationalities with
  fitting names, families, documents and verification histories, case numbers ``A3xxxxxxxx``,
  most of them in a facility that reaches a pickup of a flight to their country. Neither code
  range clashes with the shared sample files.
- A history of requests to the receiving states (:mod:`planner.demo.requests`): verification
  batches ``VR-<ISO3>-<year>-<nnnn>`` sent on working days over the past months, whose answers
  came after lead times drawn around each country's rule lead time (right-skewed: mostly near it,
  some fast, some slow); a person's CONFIRMED / NOT_CONFIRMED verification that came through one
  carries the batch reference and the answer's date, the request's PENDING row the sent date.
  People still waiting sit in recent open batches (their latest verification PENDING with the
  reference; a few past the lead time, overdue). Countries whose rule accepts a document they issue
  on request (emergency travel document, travel document) have ``TD-…`` batches: issued documents
  on their issue date, some open, a few refused.
- Audit: one event per copied airport, created facility, flight (with its later pickups) and person (documents and verification rows
  are summarised as counts in their person's event), one per request batch (its items
  summarised as counts by outcome), plus one ``demo.generate`` event with the seed and totals. Events are appended with :func:`planner.persistence.audit.record_many`.
- Parts: facilities and flights are drawn by :mod:`planner.demo.flights`, people by
  :mod:`planner.demo.people`, with the helpers of :mod:`planner.demo.sampling`.
- Speed: rows go in with :func:`planner.persistence.bulk.bulk_insert` in chunks (people, documents,
  verifications, requests) or bulk Core inserts; ids are assigned here from the current
  maximum inside the transaction (PostgreSQL sequences are moved past them at the end).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import logging
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa

from planner.demo import names
from planner.demo.flights import make_facilities, make_flights
from planner.demo.people import PeopleGenerator
from planner.demo.removals import write_removals
from planner.demo.requests import RequestHistory
from planner.demo.sampling import DEMO_COUNTRIES, Reference, Rule
from planner.domain.enums import (
    Role,
)
from planner.domain.errors import InvalidInput
from planner.persistence import audit
from planner.persistence.bulk import bulk_insert
from planner.persistence.models import (
    Aircraft,
    Airport,
    Facility,
    FacilityAirport,
    Flight,
    FlightStop,
    NationalityVerification,
    Person,
    RequestBatch,
    RequestItem,
    TravelDocument,
)
from planner.persistence.uow import UnitOfWork
from planner.services.airports import AirportCatalog
from planner.services.auth import Actor, authorize
from planner.services.imports import import_file
from planner.services.reference import country_rules, default_country_rule
from planner.services.routes import write_pickups
from resources import resource_path
from solver.callbacks import Progress

log = logging.getLogger(__name__)


MAX_PEOPLE = 2_000_000
MAX_FLIGHTS = 50_000
#: People written (with their documents, verifications and audit events) per bulk round.
CHUNK_PEOPLE = 5_000


# ---------------------------------------------------------------- report


@dataclass
class DemoReport:
    """What ``generate_demo`` wrote. ``likely_eligible`` counts people in custody with a final
    order, no legal hold in force today, a CONFIRMED latest verification for their claimed
    nationality and a VALID accepted document from it valid 30 days past the country's minimum;
    flight-specific rules (reach, slots, notice, family) are not applied."""

    seed: int
    now: datetime
    people: int = 0
    families: int = 0
    people_in_families: int = 0
    facilities: int = 0
    facility_airports: int = 0
    flights: int = 0
    flight_stops: int = 0
    flight_pickups: int = 0
    multi_pickup_flights: int = 0
    airports_added: int = 0
    aircraft_added: int = 0
    documents: int = 0
    verifications: int = 0
    request_batches: int = 0
    request_items: int = 0
    open_requests: int = 0
    removals: int = 0
    audit_events: int = 0
    likely_eligible: int = 0
    people_by_nationality: dict[str, int] = field(default_factory=dict)
    eligible_by_nationality: dict[str, int] = field(default_factory=dict)
    seats_by_country: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        """A few lines for the command line."""
        pct = 100.0 * self.likely_eligible / self.people if self.people else 0.0
        lines = [
            f"demo data (seed {self.seed}, reference {self.now:%Y-%m-%d %H:%M} UTC) written in "
            f"{self.seconds:.1f} s:",
            f"  {self.people:,} people ({self.people_in_families:,} in {self.families:,} families), "
            f"{self.documents:,} travel documents, {self.verifications:,} verification rows",
            f"  {self.request_batches:,} request batches to receiving states with {self.request_items:,} "
            f"requests ({self.open_requests:,} still open)",
            f"  {self.facilities:,} facilities ({self.facility_airports:,} hub links), "
            f"{self.flights:,} flights ({self.flight_stops:,} stops, {self.flight_pickups:,} later pickups; "
            f"{self.multi_pickup_flights:,} flights with several pickups), {self.audit_events:,} audit events"
            + (f", {self.aircraft_added} aircraft types in the catalog" if self.aircraft_added else ""),
            f"  {self.likely_eligible:,} people ({pct:.0f} %) look eligible before flight-specific rules; "
            f"{sum(self.seats_by_country.values()):,} seats on planned flights",
            "  by country: people / look eligible / planned seats",
        ]
        for country in sorted(set(self.people_by_nationality) | set(self.seats_by_country)):
            lines.append(
                f"    {country}  {self.people_by_nationality.get(country, 0):>8,} "
                f"{self.eligible_by_nationality.get(country, 0):>8,} {self.seats_by_country.get(country, 0):>8,}"
            )
        return "\n".join(lines)


# ---------------------------------------------------------------- reference data


def _load_reference(uow: UnitOfWork) -> Reference:
    airports = uow.session.execute(
        sa.select(Airport.iata, Airport.country, Airport.timezone).order_by(Airport.iata)
    ).all()
    us = {a.iata for a in airports if a.country == "USA"}
    hubs = tuple(h for h in names.STAGING_AIRPORTS if h in us) or tuple(sorted(us))
    by_country: dict[str, list[str]] = {}
    for a in airports:
        if a.country in DEMO_COUNTRIES:
            by_country.setdefault(a.country, []).append(a.iata)
    if not hubs or not by_country:
        raise InvalidInput("the database has no US hub or receiving-country airports: run 'init' first")
    stored = country_rules(uow)
    rules = {}
    for country in by_country:
        rule = stored.get(country) or default_country_rule(country)
        accepted = tuple(t for t in rule.accepted_document_types.split(",") if t)
        rules[country] = Rule(rule.name, accepted, rule.min_validity_days, int(rule.lead_time_days))
    return Reference(
        hubs=hubs,
        airports_by_country={c: tuple(v) for c, v in by_country.items()},
        timezone={a.iata: a.timezone for a in airports},
        country_of={a.iata: a.country for a in airports},
        rules=rules,
        countries=tuple(c for c in DEMO_COUNTRIES if c in by_country),
        without_rule=frozenset(c for c in by_country if c not in stored),
    )


#: People per step of the demo office's charter capacity: the shipped catalog's missions per week
#: are an office of up to this many people's; a larger demo office charters that many times more.
PEOPLE_PER_CATALOG = 40_000


def _load_aircraft(uow: UnitOfWork, actor: Actor, people: int) -> tuple[int, int]:
    """The shipped aircraft catalog through ``import aircraft`` when the database has none (the
    import audits and commits on its own), its missions per week scaled to the office's size
    (``PEOPLE_PER_CATALOG``), so the demo's own flights fit what it may charter;
    ``(types added, audit events)``."""
    if uow.session.execute(sa.select(sa.func.count()).select_from(Aircraft)).scalar_one():
        return 0, 0
    factor = max(1, -(-people // PEOPLE_PER_CATALOG))
    rows = list(csv.DictReader(io.StringIO(resource_path("aircraft.csv").read_text(encoding="utf-8"))))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "available_per_week": int(row["available_per_week"]) * factor})
    report = import_file(uow, actor, "aircraft", out.getvalue().encode("utf-8"), name="aircraft.csv")
    return report.new, report.new + (1 if report.written else 0)


def _ensure_airports(uow: UnitOfWork, actor: Actor) -> list[str]:
    """Copy the demo's staging and receiving airports the database lacks from the dataset
    (audited); codes nobody knows are skipped. Returns the codes copied."""
    catalog = AirportCatalog.load(uow)
    wanted = [*names.STAGING_AIRPORTS, *itertools.chain.from_iterable(names.DESTINATION_AIRPORTS.values())]
    return catalog.ensure_in_database(uow, actor, [c for c in wanted if catalog.knows(c)])


def _next_ids(uow: UnitOfWork) -> dict[str, int]:
    """The first free id of every table the generator fills (read inside the transaction)."""
    tables = (
        Person,
        TravelDocument,
        NationalityVerification,
        Facility,
        Flight,
        FlightStop,
        RequestBatch,
        RequestItem,
    )
    return {
        str(t.__tablename__): (uow.session.execute(sa.select(sa.func.max(t.id))).scalar() or 0) + 1
        for t in tables
    }


def _advance_postgres_sequences(uow: UnitOfWork) -> None:
    """Ids were assigned explicitly; move each serial sequence past them."""
    if uow.dialect != "postgresql":
        return
    for t in (
        Person,
        TravelDocument,
        NationalityVerification,
        Facility,
        Flight,
        FlightStop,
        RequestBatch,
        RequestItem,
    ):
        name = t.__tablename__
        uow.session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"
            )
        )


def _refuse_non_empty(uow: UnitOfWork) -> None:
    for model, what in ((Person, "people"), (Facility, "facilities"), (Flight, "flights")):
        count = uow.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()
        if count:
            raise InvalidInput(
                f"demo data is for an empty database, and this one already has {count:,} {what}"
            )


def _write_requests(
    uow: UnitOfWork, history: RequestHistory, ids: dict[str, int], report: DemoReport
) -> None:
    """Insert the request history's batches and items (after the people they name), audited one
    event per batch."""
    batches, items, entries = history.rows(ids["request_batch"], ids["request_item"])
    bulk_insert(uow.session, RequestBatch.__table__, batches)
    bulk_insert(uow.session, RequestItem.__table__, items)
    audit.record_many(uow, entries, returning=False)
    report.request_batches, report.request_items = len(batches), len(items)
    report.open_requests = sum(1 for i in items if i["answered_on"] is None)
    report.audit_events += len(entries)


# ---------------------------------------------------------------- the service


def generate_demo(
    uow: UnitOfWork,
    actor: Actor,
    *,
    people: int,
    flights: int,
    seed: int,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> DemoReport:
    """Fill an empty database with ``people`` people and ``flights`` flights (admin only).

    See the module docstring for the full contract. Commits."""
    authorize(uow, actor, Role.ADMIN, "demo.generate")
    if not isinstance(people, int) or not 1 <= people <= MAX_PEOPLE:
        raise InvalidInput(f"--people must be between 1 and {MAX_PEOPLE:,}, not {people}")
    if not isinstance(flights, int) or not 1 <= flights <= MAX_FLIGHTS:
        raise InvalidInput(f"--flights must be between 1 and {MAX_FLIGHTS:,}, not {flights}")
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        raise InvalidInput("now must be a timezone-aware time")
    now = now.astimezone(UTC)
    report_progress: Progress = progress or (lambda _f, _m: None)
    started = time.perf_counter()
    _refuse_non_empty(uow)
    aircraft_added, aircraft_events = _load_aircraft(uow, actor, people)
    added = _ensure_airports(uow, actor)
    ref = _load_reference(uow)
    ids = _next_ids(uow)
    session = uow.session
    report = DemoReport(
        seed=seed,
        now=now,
        airports_added=len(added),
        aircraft_added=aircraft_added,
        audit_events=len(added) + aircraft_events,
    )
    user = actor.username
    report_progress(0.01, "facilities")

    # Facilities.
    facilities = make_facilities(
        random.Random(f"{seed}:facilities"), max(5, people // 3000), ref.hubs, ids["facility"]
    )
    session.execute(
        sa.insert(Facility.__table__),
        [{"id": f.id, "code": f.code, "name": f.name, "city": f.city, "version": 1} for f in facilities],
    )
    links = [
        {"facility_id": f.id, "airport": hub, "transfer_hours": hours}
        for f in facilities
        for hub, hours in f.airports
    ]
    session.execute(sa.insert(FacilityAirport.__table__), links)
    audit.record_many(
        uow,
        [
            audit.AuditEntry(
                user,
                "facility.create",
                "facility",
                f.code,
                {"name": f.name, "city": f.city, "airports": ";".join(f"{h}:{t:g}" for h, t in f.airports)},
            )
            for f in facilities
        ],
        returning=False,
    )
    report.facilities, report.facility_airports = len(facilities), len(links)
    report.audit_events += len(facilities)
    report_progress(0.03, "flights")

    # Flights, their later pickups and their stops; pickups only at hubs a facility reaches.
    reached = {hub for f in facilities for hub, _ in f.airports}
    flight_ref = dataclasses.replace(ref, hubs=tuple(h for h in ref.hubs if h in reached) or ref.hubs)
    flight_list = make_flights(
        random.Random(f"{seed}:flights"), flights, flight_ref, now.date(), ids["flight"]
    )
    session.execute(
        sa.insert(Flight.__table__),
        [
            {
                "id": f.id,
                "code": f.code,
                "carrier": f.carrier,
                "aircraft": f.aircraft,
                "departure_airport": f.hub,
                "departure_utc": f.departure_utc,
                "seats": f.seats,
                "escort_officers": f.escorts,
                "medical_slots": f.medical,
                "wheelchair_slots": f.wheelchair,
                "status": f.status,
                "version": 1,
            }
            for f in flight_list
        ],
    )
    stop_id = itertools.count(ids["flight_stop"])
    stops = [
        {"id": next(stop_id), "flight_id": f.id, "sequence": n, "airport": airport}
        for f in flight_list
        for n, airport in enumerate(f.stops, start=1)
    ]
    session.execute(sa.insert(FlightStop.__table__), stops)
    for f in flight_list:
        if f.pickups:
            write_pickups(uow, f.id, f.pickups)
    audit.record_many(
        uow,
        [
            audit.AuditEntry(
                user,
                "flight.create",
                "flight",
                f.code,
                {
                    "departure_airport": f.hub,
                    "departure_utc": f.departure_utc.isoformat(),
                    "pickups": ";".join(f"{a}@{t.isoformat()}" for a, t in f.pickups),
                    "stops": ";".join(f.stops),
                    "seats": f.seats,
                    "status": f.status,
                },
            )
            for f in flight_list
        ],
        returning=False,
    )
    report.flights, report.flight_stops = len(flight_list), len(stops)
    report.flight_pickups = sum(len(f.pickups) for f in flight_list)
    report.multi_pickup_flights = sum(1 for f in flight_list if f.pickups)
    report.audit_events += len(flight_list)
    report_progress(0.06, "people")

    # People, household by household, written in chunks.
    generator = PeopleGenerator(random.Random(f"{seed}:people"), ref, facilities, flight_list, now, user, ids)
    generator.history = RequestHistory(
        random.Random(f"{seed}:requests"),
        ref,
        now.date(),
        user,
        {c: share * people for c, share in generator.nationality_share.items()},
    )
    report.seats_by_country = dict(sorted(generator.seats_by_country.items()))
    by_nationality: Counter[str] = Counter()
    eligible_by_nationality: Counter[str] = Counter()
    written = 0
    while written < people:
        persons: list[dict] = []
        documents: list[dict] = []
        verifications: list[dict] = []
        entries: list[audit.AuditEntry] = []
        while len(persons) < CHUNK_PEOPLE and written + len(persons) < people:
            for person, docs, verifs, eligible in generator.household(people - written - len(persons)):
                persons.append(person)
                documents += docs
                verifications += verifs
                nationality = person["nationality"]
                by_nationality[nationality] += 1
                if eligible:
                    eligible_by_nationality[nationality] += 1
                if person["family_group"]:
                    report.people_in_families += 1
                entries.append(
                    audit.AuditEntry(
                        user,
                        "person.create",
                        "person",
                        person["case_number"],
                        {
                            "nationality": nationality,
                            "facility": generator.facility_code[person["facility_id"]],
                            "documents": len(docs),
                            "verifications": len(verifs),
                        },
                    )
                )
        bulk_insert(session, Person.__table__, persons)
        bulk_insert(session, TravelDocument.__table__, documents)
        bulk_insert(session, NationalityVerification.__table__, verifications)
        audit.record_many(uow, entries, returning=False)
        written += len(persons)
        report.documents += len(documents)
        report.verifications += len(verifications)
        report.audit_events += len(entries)
        report_progress(0.06 + 0.92 * written / people, f"{written:,} of {people:,} people")

    report.people = written
    _write_requests(uow, generator.history, ids, report)
    report.removals = write_removals(uow, user, random.Random(f"{seed}:removals"), flight_list)
    report.audit_events += report.removals
    report.families = generator.families
    report.people_by_nationality = dict(sorted(by_nationality.items()))
    report.eligible_by_nationality = dict(sorted(eligible_by_nationality.items()))
    report.likely_eligible = sum(eligible_by_nationality.values())
    _advance_postgres_sequences(uow)
    audit.record(
        uow,
        audit.AuditEntry(
            user,
            "demo.generate",
            "database",
            "",
            {
                "seed": seed,
                "now": now.isoformat(),
                "people": report.people,
                "families": report.families,
                "facilities": report.facilities,
                "flights": report.flights,
                "documents": report.documents,
                "verifications": report.verifications,
                "request_batches": report.request_batches,
                "request_items": report.request_items,
            },
        ),
    )
    report.audit_events += 1
    uow.commit()
    report.seconds = time.perf_counter() - started
    report_progress(1.0, "done")
    log.info(
        "demo data: seed %s, %d people, %d flights, %d facilities in %.1f s",
        seed,
        report.people,
        report.flights,
        report.facilities,
        report.seconds,
    )
    return report
