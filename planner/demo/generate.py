"""Synthetic, realistic, deterministic demo data (``charter-planner demo``).

Contract of :func:`generate_demo`:

- Admin only (checked first; a refusal is audited). Refuses with ``InvalidInput`` — nothing
  written — bad arguments and a database that already holds people, facilities or flights
  (demo data is for an empty database initialised with airports and country rules).
- Deterministic: the same ``seed``, counts, ``now`` and reference data give identical rows
  (ids included, on an empty database). Every date is relative to ``now`` (default: the
  current UTC time), so a fixed ``now`` gives a fixed database.
- Writes, inside the caller's unit of work (the caller commits):
  ``max(5, people // 3000)`` facilities reaching two or three US hubs with transfer hours;
  ``flights`` flights departing from the hubs over the next 90 days (a few departed in the
  last three weeks, a few cancelled) with one to three stops; ``people`` people of ten
  nationalities with fitting names, families, documents and verification histories.
- Audit: one event per created facility, flight and person (documents and verification rows
  are summarised as counts in their person's event), plus one ``demo.generate`` event with
  the seed and totals. Events are appended with :func:`planner.persistence.audit.record_many`.
- Speed: rows go in with bulk Core inserts in chunks; ids are assigned here from the current
  maximum inside the transaction (PostgreSQL sequences are moved past them at the end).
"""

from __future__ import annotations

import bisect
import itertools
import logging
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from planner.demo import names
from planner.domain.enums import (
    CustodyStatus,
    DocumentStatus,
    DocumentType,
    FlightStatus,
    MedicalNeed,
    OrderStatus,
    RiskLevel,
    Role,
    Sex,
    VerificationResult,
)
from planner.domain.errors import InvalidInput
from planner.persistence import audit
from planner.persistence.models import (
    Airport,
    Facility,
    FacilityAirport,
    Flight,
    FlightStop,
    NationalityVerification,
    Person,
    TravelDocument,
)
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.reference import country_rules, default_country_rule

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]

MAX_PEOPLE = 2_000_000
MAX_FLIGHTS = 50_000
#: People written (with their documents, verifications and audit events) per bulk round.
CHUNK_PEOPLE = 5_000
#: The next 90 days get flights; departed ones lie up to three weeks back.
HORIZON_DAYS = 90
DEMO_COUNTRIES = tuple(names.NATIONALITY_BASE_SHARE)
SOURCE_FILE = "demo"

CONFIRMED = VerificationResult.CONFIRMED.value
PENDING = VerificationResult.PENDING.value
NOT_CONFIRMED = VerificationResult.NOT_CONFIRMED.value


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
    documents: int = 0
    verifications: int = 0
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
            f"  {self.facilities:,} facilities ({self.facility_airports:,} hub links), "
            f"{self.flights:,} flights ({self.flight_stops:,} stops), {self.audit_events:,} audit events",
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


@dataclass(frozen=True)
class _Rule:
    name: str
    accepted: tuple[str, ...]
    min_validity_days: int


@dataclass(frozen=True)
class _Reference:
    hubs: tuple[str, ...]
    airports_by_country: dict[str, tuple[str, ...]]
    timezone: dict[str, str]
    country_of: dict[str, str]
    rules: dict[str, _Rule]
    countries: tuple[str, ...]


def _load_reference(uow: UnitOfWork) -> _Reference:
    airports = uow.session.execute(
        sa.select(Airport.iata, Airport.country, Airport.timezone).order_by(Airport.iata)
    ).all()
    hubs = tuple(a.iata for a in airports if a.country == "USA")
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
        rules[country] = _Rule(rule.name, accepted, rule.min_validity_days)
    return _Reference(
        hubs=hubs,
        airports_by_country={c: tuple(v) for c, v in by_country.items()},
        timezone={a.iata: a.timezone for a in airports},
        country_of={a.iata: a.country for a in airports},
        rules=rules,
        countries=tuple(c for c in DEMO_COUNTRIES if c in by_country),
    )


def _next_ids(uow: UnitOfWork) -> dict[str, int]:
    """The first free id of every table the generator fills (read inside the transaction)."""
    tables = (Person, TravelDocument, NationalityVerification, Facility, Flight, FlightStop)
    return {
        t.__tablename__: (uow.session.execute(sa.select(sa.func.max(t.id))).scalar() or 0) + 1 for t in tables
    }


def _advance_postgres_sequences(uow: UnitOfWork) -> None:
    """Ids were assigned explicitly; move each serial sequence past them."""
    if uow.dialect != "postgresql":
        return
    for t in (Person, TravelDocument, NationalityVerification, Facility, Flight, FlightStop):
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


# ---------------------------------------------------------------- helpers


def _weighted(rng: random.Random, cum: Sequence[float], items: Sequence[Any]) -> Any:
    """``rng.choices(items, cum_weights=cum)[0]`` without the list."""
    return items[bisect.bisect(cum, rng.random() * cum[-1], 0, len(cum) - 1)]


def _cum(weights: Sequence[float]) -> tuple[float, ...]:
    return tuple(itertools.accumulate(weights))


class _Permutation:
    """A bijection k -> [0, 10**digits) that looks random: unique case and document numbers."""

    def __init__(self, rng: random.Random, digits: int, multiplier: int) -> None:
        self.modulus = 10**digits
        self.multiplier = multiplier  # coprime to 10
        self.offset = rng.randrange(self.modulus)

    def __call__(self, k: int) -> int:
        return (k * self.multiplier + self.offset) % self.modulus


# ---------------------------------------------------------------- facilities


@dataclass
class _Facility:
    id: int
    code: str
    name: str
    city: str
    airports: list[tuple[str, float]]
    weight: float


def _make_facilities(rng: random.Random, count: int, hubs: Sequence[str], first_id: int) -> list[_Facility]:
    # Interleave sites by their nearest hub, so even a handful of facilities spreads over the hubs.
    by_hub: dict[str, list[tuple[str, str, str, dict[str, float]]]] = {}
    for site in names.FACILITY_SITES:
        by_hub.setdefault(min(site[3], key=site[3].__getitem__), []).append(site)
    groups = [by_hub[h] for h in sorted(by_hub)]
    for group in groups:
        rng.shuffle(group)
    rng.shuffle(groups)
    sites = [g[i] for i in range(max(map(len, groups))) for g in groups if i < len(g)]
    facilities = []
    for i in range(count):
        site, town, state, reach = sites[i % len(sites)]
        annex = i // len(sites)
        known = sorted((hours, hub) for hub, hours in reach.items() if hub in hubs)
        wanted = 3 if rng.random() < 0.45 else 2
        chosen = [(hub, hours) for hours, hub in known[:wanted]]
        others = [h for h in hubs if h not in {c[0] for c in chosen}]
        while len(chosen) < min(2, len(hubs)):
            hub = others.pop(rng.randrange(len(others)))
            chosen.append((hub, float(rng.randint(6, 14))))
        airports = [(hub, max(0.5, round(hours * rng.uniform(0.9, 1.25) * 2) / 2)) for hub, hours in chosen]
        facilities.append(
            _Facility(
                id=first_id + i,
                code=f"FAC{i + 1:03d}",
                name=f"{site} Processing Center" + (f" Annex {annex + 1}" if annex else ""),
                city=f"{town}, {state}",
                airports=airports,
                weight=rng.lognormvariate(0.0, 0.6),
            )
        )
    return facilities


# ---------------------------------------------------------------- flights


@dataclass
class _Flight:
    carrier: str
    aircraft: str
    hub: str
    departure_utc: datetime
    seats: int
    escorts: int
    medical: int
    wheelchair: int
    status: str
    stops: list[str]
    countries: list[str]
    id: int = 0
    code: str = ""


#: Escort officers per returnee seat. With the default escort loads (LOW 1, MEDIUM 1.5, HIGH 2)
#: and the generated risk mix a full flight needs about 1.23 per seat, so escorts bind on some flights.
ESCORT_FACTORS = (1.0, 1.15, 1.3, 1.6, 2.0)
ESCORT_FACTOR_WEIGHTS = _cum((15, 25, 30, 20, 10))
MEDICAL_SLOT_WEIGHTS = _cum((10, 20, 25, 20, 15, 10))
WHEELCHAIR_SLOT_WEIGHTS = _cum((20, 30, 25, 15, 10))


def _make_flights(
    rng: random.Random, count: int, ref: _Reference, today: date, first_id: int
) -> list[_Flight]:
    routes = [(r, w) for r, w in names.ROUTES if all(c in ref.airports_by_country for c in r)]
    if not routes:
        routes = [((c,), 1.0) for c in ref.countries]
    route_cum = _cum([w for _, w in routes])
    drafts = []
    for _ in range(count):
        countries = list(_weighted(rng, route_cum, [r for r, _ in routes]))
        stops = []
        for c in countries:
            options = ref.airports_by_country[c]
            stops.append(_weighted(rng, _cum([names.AIRPORT_WEIGHT.get(a, 1.0) for a in options]), options))
        region = names.REGION_OF_COUNTRY.get(countries[0], "central")
        hub_weights = [(h, w) for h, w in names.HUB_WEIGHTS_BY_REGION[region].items() if h in ref.hubs]
        if not hub_weights:
            hub_weights = [(h, 1.0) for h in ref.hubs]
        hub = _weighted(rng, _cum([w for _, w in hub_weights]), [h for h, _ in hub_weights])
        longhaul = any(names.REGION_OF_COUNTRY.get(c) == "longhaul" for c in countries)
        carrier, fleet = names.CARRIERS[rng.randrange(len(names.CARRIERS))]
        types = [t for t in fleet if t[3] or not longhaul]
        if not types:  # a narrow-body carrier was drawn for a long-haul route
            carrier, fleet = rng.choice([c for c in names.CARRIERS if any(t[3] for t in c[1])])
            types = [t for t in fleet if t[3]]
        aircraft, low, high, _wide = rng.choice(types)
        seats = min(high, max(low, 5 * round(rng.randint(low, high) / 5)))
        draw = rng.random()
        if draw < 0.04:
            status, day = FlightStatus.DEPARTED.value, today - timedelta(days=rng.randint(1, 21))
        else:
            status = FlightStatus.CANCELLED.value if draw < 0.08 else FlightStatus.PLANNED.value
            day = today + timedelta(days=rng.randint(1, HORIZON_DAYS))
        local = datetime.combine(
            day, dtime(rng.randint(6, 20), 15 * rng.randrange(4)), ZoneInfo(ref.timezone[hub])
        )
        drafts.append(
            _Flight(
                carrier=carrier,
                aircraft=aircraft,
                hub=hub,
                departure_utc=local.astimezone(UTC),
                seats=seats,
                escorts=math.ceil(seats * _weighted(rng, ESCORT_FACTOR_WEIGHTS, ESCORT_FACTORS)),
                medical=_weighted(rng, MEDICAL_SLOT_WEIGHTS, range(6)),
                wheelchair=_weighted(rng, WHEELCHAIR_SLOT_WEIGHTS, range(5)),
                status=status,
                stops=stops,
                countries=countries,
            )
        )
    # Codes follow departure order, as an office would number its schedule.
    order = sorted(range(count), key=lambda i: (drafts[i].departure_utc, i))
    width = max(4, len(str(count)))
    flights = []
    for n, i in enumerate(order):
        f = drafts[i]
        f.id, f.code = first_id + n, f"RF{n + 1:0{width}d}"
        flights.append(f)
    return flights


# ---------------------------------------------------------------- people


#: (minimum age, wheelchair share, medical-escort share), oldest band first.
MEDICAL_BY_AGE = ((55, 0.08, 0.05), (18, 0.012, 0.023), (0, 0.0, 0.01))

#: Relative frequency of accepted document types.
DOC_TYPE_WEIGHT: dict[str, float] = {
    DocumentType.PASSPORT.value: 70,
    DocumentType.TRAVEL_DOCUMENT.value: 18,
    DocumentType.EMERGENCY_TRAVEL_DOCUMENT.value: 12,
}


@dataclass
class _Member:
    role: str  # "father" | "mother" | "child" | "single"
    sex: str
    age: int


class _PeopleGenerator:
    """Draws people one household (a single adult or a family) at a time."""

    FAMILY_UNIT_SHARE = 0.05  # of households; about 15 % of people end up in families
    FAMILY_SIZES = (2, 3, 4, 5, 6)
    FAMILY_SIZE_CUM = _cum((30, 30, 22, 12, 6))
    CUSTODY = (CustodyStatus.IN_CUSTODY.value, CustodyStatus.RELEASED.value, CustodyStatus.REMOVED.value)
    CUSTODY_CUM = _cum((94, 4, 2))
    ORDER = (OrderStatus.FINAL.value, OrderStatus.PENDING.value, OrderStatus.NONE.value)
    ORDER_CUM = _cum((92, 6, 2))
    RISK = (RiskLevel.LOW.value, RiskLevel.MEDIUM.value, RiskLevel.HIGH.value)
    RISK_CUM = _cum((66, 23, 11))
    PRIORITY_CUM = _cum((10, 20, 35, 20, 15))

    def __init__(
        self,
        rng: random.Random,
        ref: _Reference,
        facilities: Sequence[_Facility],
        flights: Sequence[_Flight],
        now: datetime,
        actor: str,
        ids: dict[str, int],
    ) -> None:
        self.rng, self.ref, self.now, self.actor = rng, ref, now, actor
        self.today = now.date()
        self.next_person = ids["person"]
        self.next_document = ids["travel_document"]
        self.next_verification = ids["nationality_verification"]
        self.person_index = 0
        self.document_index = 0
        self.families = 0
        self.case_numbers = _Permutation(rng, 8, 48_271)
        self.document_numbers = _Permutation(rng, 8, 69_621)
        self.facility_code = {f.id: f.code for f in facilities}

        planned = [
            f
            for f in flights
            if f.status == FlightStatus.PLANNED.value and f.departure_utc.date() > self.today
        ]
        self.seats_by_country: Counter[str] = Counter()
        hubs_by_country: dict[str, set[str]] = {}
        for f in planned:
            for c in f.countries:
                self.seats_by_country[c] += f.seats // len(f.countries)
                hubs_by_country.setdefault(c, set()).add(f.hub)
        # Demand follows capacity (with long queues where charters are rare), plus a baseline
        # so a country without flights still has people waiting.
        base_total = sum(names.NATIONALITY_BASE_SHARE[c] for c in ref.countries)
        pressure = {c: self.seats_by_country[c] * names.DEMAND_PRESSURE.get(c, 1.0) for c in ref.countries}
        pressure_total = sum(pressure.values())
        weights = [
            0.1 * names.NATIONALITY_BASE_SHARE[c] / base_total
            + (0.9 * pressure[c] / pressure_total if pressure_total else 0.9 * 0.1)
            for c in ref.countries
        ]
        self.nationality_cum = _cum(weights)
        # Most people sit in a facility that reaches a hub with flights to their country.
        self.all_facilities = list(facilities)
        self.all_facility_cum = _cum([f.weight for f in facilities])
        self.reaching: dict[str, tuple[list[_Facility], tuple[float, ...]]] = {}
        for c in ref.countries:
            hubs = hubs_by_country.get(c, set())
            near = [f for f in facilities if any(h in hubs for h, _ in f.airports)]
            if near:
                self.reaching[c] = (near, _cum([f.weight for f in near]))

    # -------------------------------------------------------- household

    def household(self, remaining: int) -> list[tuple[dict, list[dict], list[dict], bool]]:
        """One household: ``[(person_row, document_rows, verification_rows, likely_eligible)]``."""
        rng = self.rng
        nationality = _weighted(rng, self.nationality_cum, self.ref.countries)
        if nationality in self.reaching and rng.random() < 0.97:
            near, cum = self.reaching[nationality]
            facility = _weighted(rng, cum, near)
        else:
            facility = _weighted(rng, self.all_facility_cum, self.all_facilities)

        family = remaining >= 2 and rng.random() < self.FAMILY_UNIT_SHARE
        members = (
            self._family_members(min(remaining, _weighted(rng, self.FAMILY_SIZE_CUM, self.FAMILY_SIZES)))
            if family
            else [self._single()]
        )
        group = None
        if family:
            self.families += 1
            group = f"FG{self.families:06d}"
        named = self._names(nationality, members)

        # Shared by the household: one case, one order, one custody decision, one hold.
        custody = _weighted(rng, self.CUSTODY_CUM, self.CUSTODY)
        order = _weighted(rng, self.ORDER_CUM, self.ORDER)
        order_date = (
            None if order == OrderStatus.NONE.value else self.today - timedelta(days=rng.randint(20, 1000))
        )
        hold_reason, hold_until = None, None
        if rng.random() < 0.045:
            hold_reason = rng.choice(names.LEGAL_HOLD_REASONS)
            draw = rng.random()
            if draw < 0.5:
                hold_until = self.today + timedelta(days=rng.randint(5, 150))
            elif draw < 0.75:
                hold_until = self.today - timedelta(days=rng.randint(1, 200))
        priority = _weighted(rng, self.PRIORITY_CUM, (1, 2, 3, 4, 5))
        shared_outcome = self._verification_outcome(nationality)
        place = rng.choice(names.PLACES_OF_BIRTH.get(nationality, ("",)))

        out = []
        for member, (family_name, given, native) in zip(members, named, strict=True):
            adult = member.role != "child"
            outcome = shared_outcome if rng.random() < 0.92 else self._verification_outcome(nationality)
            risk = _weighted(rng, self.RISK_CUM, self.RISK) if adult else RiskLevel.LOW.value
            medical = self._medical(member.age)
            dob = self.today - timedelta(days=365 * member.age + rng.randint(0, 364))
            person_id = self.next_person
            self.next_person += 1
            case = f"A{200_000_000 + self.case_numbers(self.person_index) % 100_000_000:09d}"
            self.person_index += 1
            person = {
                "id": person_id,
                "case_number": case,
                "family_name": family_name,
                "given_names": given,
                "native_name": native,
                "sex": member.sex,
                "date_of_birth": dob,
                "place_of_birth": place if adult or rng.random() < 0.8 else "",
                "nationality": nationality,
                "facility_id": facility.id,
                "risk_level": risk,
                "medical_need": medical,
                "family_group": group,
                "order_status": order,
                "order_date": order_date,
                "legal_hold_reason": hold_reason,
                "hold_until": hold_until if hold_reason else None,
                "priority": priority,
                "custody_status": custody,
                "created_at": self.now,
                "updated_at": self.now,
                "version": 1,
            }
            verifications, confirmed_country = self._verifications(person_id, nationality, outcome)
            documents = self._documents(person_id, nationality, confirmed_country)
            eligible = (
                custody == CustodyStatus.IN_CUSTODY.value
                and order == OrderStatus.FINAL.value
                and (hold_reason is None or (hold_until is not None and hold_until < self.today))
                and confirmed_country == nationality
                and self._has_usable_document(documents, nationality)
            )
            out.append((person, documents, verifications, eligible))
        return out

    def _single(self) -> _Member:
        rng = self.rng
        draw = rng.random()
        sex = Sex.M.value if draw < 0.76 else Sex.F.value if draw < 0.998 else Sex.X.value
        age = min(75, max(18, round(rng.triangular(18, 70, 29))))
        return _Member("single", sex, age)

    def _family_members(self, size: int) -> list[_Member]:
        rng = self.rng
        first_age = round(rng.triangular(21, 52, 31))
        if size == 2 and rng.random() < 0.25:  # a couple
            return [
                _Member("father", Sex.M.value, first_age),
                _Member("mother", Sex.F.value, max(19, first_age + rng.randint(-6, 3))),
            ]
        if size >= 3 and rng.random() < 0.55:
            parents = [
                _Member("father", Sex.M.value, first_age),
                _Member("mother", Sex.F.value, max(19, first_age + rng.randint(-6, 3))),
            ]
        elif rng.random() < 0.65:
            parents = [_Member("mother", Sex.F.value, first_age)]
        else:
            parents = [_Member("father", Sex.M.value, first_age)]
        youngest_parent = min(p.age for p in parents)
        oldest_child = max(0, min(17, youngest_parent - 18))  # at least 17 years between them
        children = [
            _Member("child", rng.choice((Sex.M.value, Sex.F.value)), rng.randint(0, oldest_child))
            for _ in range(size - len(parents))
        ]
        children.sort(key=lambda m: -m.age)
        return parents + children

    def _medical(self, age: int) -> str:
        wheelchair, escort = next((w, e) for min_age, w, e in MEDICAL_BY_AGE if age >= min_age)
        draw = self.rng.random()
        if draw < wheelchair:
            return MedicalNeed.WHEELCHAIR.value
        return MedicalNeed.MEDICAL_ESCORT.value if draw < wheelchair + escort else MedicalNeed.NONE.value

    # -------------------------------------------------------- names

    def _names(self, country: str, members: Sequence[_Member]) -> list[tuple[str, str, str]]:
        """``(family_name, given_names, native_name)`` per member, consistent within the family."""
        if country == "CHN":
            return self._chinese_names(members)
        if country == "IND":
            return self._indian_names(members)
        return self._spanish_names(country, members)

    def _spanish_surname(self, country: str) -> str:
        local = names.SPANISH_FAMILY_NAMES_BY_COUNTRY.get(country)
        if local and self.rng.random() < 0.25:
            return self.rng.choice(local)
        return self.rng.choice(names.SPANISH_FAMILY_NAMES)

    def _spanish_given(self, sex: str) -> str:
        rng = self.rng
        if sex == Sex.X.value:
            sex = rng.choice((Sex.M.value, Sex.F.value))
        pool = names.SPANISH_GIVEN_MALE if sex == Sex.M.value else names.SPANISH_GIVEN_FEMALE
        if rng.random() < 0.35:
            return rng.choice(pool)
        return " ".join(rng.sample(pool, 2))

    def _spanish_names(self, country: str, members: Sequence[_Member]) -> list[tuple[str, str, str]]:
        # Each adult: paternal + maternal family name. A child: father's first + mother's first.
        surnames: dict[str, tuple[str, str]] = {}
        for m in members:
            if m.role != "child":
                surnames[m.role] = (self._spanish_surname(country), self._spanish_surname(country))
        father = surnames.get("father", (self._spanish_surname(country), ""))[0]
        mother = surnames.get("mother", (self._spanish_surname(country), ""))[0]
        out = []
        for m in members:
            first, second = surnames[m.role] if m.role != "child" else (father, mother)
            out.append((f"{first} {second}", self._spanish_given(m.sex), ""))
        return out

    def _chinese_given(self, sex: str) -> tuple[str, str]:
        rng = self.rng
        if sex == Sex.X.value:
            sex = rng.choice((Sex.M.value, Sex.F.value))
        pool = names.CHINESE_GIVEN_MALE if sex == Sex.M.value else names.CHINESE_GIVEN_FEMALE
        chars = [rng.choice(pool)] if rng.random() < 0.3 else rng.sample(pool, 2)
        return "".join(h for h, _ in chars), "".join(p for _, p in chars)

    def _chinese_names(self, members: Sequence[_Member]) -> list[tuple[str, str, str]]:
        rng = self.rng
        adults = {m.role: rng.choice(names.CHINESE_SURNAMES) for m in members if m.role != "child"}
        child_surname = adults.get("father")
        if child_surname is None and "mother" in adults:
            child_surname = adults["mother"] if rng.random() < 0.5 else rng.choice(names.CHINESE_SURNAMES)
        out = []
        for m in members:
            surname_hz, surname_py = adults.get(m.role) or child_surname or rng.choice(names.CHINESE_SURNAMES)
            given_hz, given_py = self._chinese_given(m.sex)
            out.append((surname_py, given_py, surname_hz + given_hz))
        return out

    def _indian_names(self, members: Sequence[_Member]) -> list[tuple[str, str, str]]:
        rng = self.rng
        sikh = rng.random() < names.SIKH_SHARE
        family = rng.choice(names.INDIAN_FAMILY_NAMES)
        out = []
        for m in members:
            sex = m.sex if m.sex != Sex.X.value else rng.choice((Sex.M.value, Sex.F.value))
            pool = names.INDIAN_GIVEN_MALE if sex == Sex.M.value else names.INDIAN_GIVEN_FEMALE
            given = rng.choice(pool) if rng.random() < 0.85 else " ".join(rng.sample(pool, 2))
            # Sikh men are SINGH and women KAUR; otherwise the household shares the father's name.
            surname = ("SINGH" if sex == Sex.M.value else "KAUR") if sikh else family
            out.append((surname, given, ""))
        return out

    # -------------------------------------------------------- verification and documents

    def _verification_outcome(self, country: str) -> str:
        """CONFIRMED | PENDING | NOT_CONFIRMED | NONE (never asked) | CROSS (a neighbour's national)."""
        rng = self.rng
        draw = rng.random()
        if draw < 0.015:
            return "NONE"
        neighbours = [c for c in names.NEIGHBOURS.get(country, ()) if c in self.ref.rules]
        if draw < 0.025 and neighbours:
            return "CROSS"
        confirmed, pending, _ = names.VERIFICATION_MIX.get(country, names.DEFAULT_VERIFICATION_MIX)
        draw = rng.random()
        return CONFIRMED if draw < confirmed else PENDING if draw < confirmed + pending else NOT_CONFIRMED

    def _verification_row(self, person_id: int, country: str, result: str, on: date) -> dict:
        row = {
            "id": self.next_verification,
            "person_id": person_id,
            "country": country,
            "result": result,
            "authority": f"Consulate General of {self.ref.rules[country].name}",
            "verified_on": on,
            "reference": f"VL-{country}-{on:%Y%m}",
            "source_file": SOURCE_FILE,
            "source_line": None,
            "imported_by": self.actor,
            "imported_at": self.now,
        }
        self.next_verification += 1
        return row

    def _verifications(self, person_id: int, country: str, outcome: str) -> tuple[list[dict], str | None]:
        """The history (oldest first) and the country that confirmed the person, if any."""
        rng = self.rng
        if outcome == "NONE":
            return [], None
        last = self.today - timedelta(days=rng.randint(3, 240))
        history: list[tuple[str, str, date]] = []
        confirmed_country = None
        if outcome == CONFIRMED:
            draw = rng.random()
            if draw < 0.07:
                history += [
                    (country, PENDING, last - timedelta(days=rng.randint(90, 150))),
                    (country, NOT_CONFIRMED, last - timedelta(days=rng.randint(20, 80))),
                ]
            elif draw < 0.62:
                history.append((country, PENDING, last - timedelta(days=rng.randint(7, 60))))
            history.append((country, CONFIRMED, last))
            confirmed_country = country
        elif outcome == PENDING:
            if rng.random() < 0.35:
                history.append((country, PENDING, last - timedelta(days=rng.randint(14, 90))))
            history.append((country, PENDING, last))
        elif outcome == NOT_CONFIRMED:
            if rng.random() < 0.6:
                history.append((country, PENDING, last - timedelta(days=rng.randint(14, 90))))
            history.append((country, NOT_CONFIRMED, last))
        else:  # CROSS: the claimed country says no, a neighbour recognises the person
            other = rng.choice([c for c in names.NEIGHBOURS[country] if c in self.ref.rules])
            history += [
                (country, PENDING, last - timedelta(days=rng.randint(80, 150))),
                (country, NOT_CONFIRMED, last - timedelta(days=rng.randint(20, 70))),
                (other, CONFIRMED, last),
            ]
            confirmed_country = other
        return [self._verification_row(person_id, c, r, d) for c, r, d in history], confirmed_country

    def _document_row(
        self, person_id: int, country: str, doc_type: str, issued: date, expires: date, status: str
    ) -> dict:
        n = self.document_numbers(self.document_index)
        self.document_index += 1
        if doc_type == DocumentType.PASSPORT.value:
            if country == "CHN":
                number = f"E{n:08d}"
            elif country == "IND":
                number = f"{'JKLMNPRSTU'[n // 10_000_000]}{n % 10_000_000:07d}"
            elif country == "MEX":
                number = f"G{n:08d}"
            else:
                number = f"P{n:08d}"
        else:
            prefix = {
                DocumentType.TRAVEL_DOCUMENT.value: "TD",
                DocumentType.EMERGENCY_TRAVEL_DOCUMENT.value: "ETD",
                DocumentType.LAISSEZ_PASSER.value: "LP",
            }[doc_type]
            number = f"{prefix}{n:08d}"
        row = {
            "id": self.next_document,
            "person_id": person_id,
            "doc_type": doc_type,
            "number": number,
            "issuing_country": country,
            "issued_on": issued,
            "expires_on": expires,
            "status": status,
            "version": 1,
        }
        self.next_document += 1
        return row

    def _passport_dates(self, expired_share: float, soon_share: float) -> tuple[date, date]:
        rng, today = self.rng, self.today
        draw = rng.random()
        if draw < expired_share:
            expires = today - timedelta(days=rng.randint(1, 500))
        elif draw < expired_share + soon_share:
            expires = today + timedelta(days=rng.randint(1, 120))
        else:
            expires = today + timedelta(days=rng.randint(121, 3400))
        years = 10 if (expires - today).days > 1700 else rng.choice((5, 10))
        issued = min(expires - timedelta(days=365 * years), today - timedelta(days=rng.randint(1, 30)))
        return issued, expires

    def _documents(self, person_id: int, claimed: str, confirmed: str | None) -> list[dict]:
        rng, today = self.rng, self.today
        valid = DocumentStatus.VALID.value
        docs = []
        if confirmed is None:
            # Not (yet) recognised: some people carry a passport anyway, often an old one.
            if rng.random() < 0.45:
                issued, expires = self._passport_dates(0.3, 0.05)
                docs.append(
                    self._document_row(
                        person_id, claimed, DocumentType.PASSPORT.value, issued, expires, valid
                    )
                )
            return docs
        if rng.random() < 0.02:
            return docs  # confirmed, but the consulate has not issued anything yet
        accepted = self.ref.rules[confirmed].accepted
        if rng.random() < 0.01:
            # A document of a type this country does not accept.
            refused = [t.value for t in DocumentType if t.value not in accepted]
            doc_type = rng.choice(refused) if refused else DocumentType.LAISSEZ_PASSER.value
        else:
            options = [t for t in accepted if t in DOC_TYPE_WEIGHT] or list(accepted)
            doc_type = _weighted(rng, _cum([DOC_TYPE_WEIGHT.get(t, 10) for t in options]), options)
        if doc_type == DocumentType.PASSPORT.value:
            issued, expires = self._passport_dates(0.03, 0.03)
        elif doc_type == DocumentType.EMERGENCY_TRAVEL_DOCUMENT.value:
            issued = today - timedelta(days=rng.randint(0, 45))
            expires = issued + timedelta(days=rng.randint(120, 240))
        else:
            issued = today - timedelta(days=rng.randint(0, 200))
            expires = issued + timedelta(days=365)
        draw = rng.random()
        status = (
            DocumentStatus.LOST.value
            if draw < 0.015
            else DocumentStatus.REVOKED.value
            if draw < 0.03
            else valid
        )
        if rng.random() < 0.1:  # an older, expired passport on file as well
            old_expires = min(issued, today) - timedelta(days=rng.randint(30, 900))
            old_status = DocumentStatus.LOST.value if rng.random() < 0.2 else valid
            docs.append(
                self._document_row(
                    person_id,
                    confirmed,
                    DocumentType.PASSPORT.value,
                    old_expires - timedelta(days=3650),
                    old_expires,
                    old_status,
                )
            )
        docs.append(self._document_row(person_id, confirmed, doc_type, issued, expires, status))
        return docs

    def _has_usable_document(self, documents: Sequence[dict], country: str) -> bool:
        rule = self.ref.rules[country]
        horizon = self.today + timedelta(days=rule.min_validity_days + 30)
        return any(
            d["status"] == DocumentStatus.VALID.value
            and d["issuing_country"] == country
            and d["doc_type"] in rule.accepted
            and d["expires_on"] >= horizon
            for d in documents
        )


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

    See the module docstring for the full contract. Does not commit."""
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
    ref = _load_reference(uow)
    ids = _next_ids(uow)
    session = uow.session
    report = DemoReport(seed=seed, now=now)
    user = actor.username
    report_progress(0.01, "facilities")

    # Facilities.
    facilities = _make_facilities(
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

    # Flights and their stops.
    flight_list = _make_flights(random.Random(f"{seed}:flights"), flights, ref, now.date(), ids["flight"])
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
    report.audit_events += len(flight_list)
    report_progress(0.06, "people")

    # People, household by household, written in chunks.
    generator = _PeopleGenerator(
        random.Random(f"{seed}:people"), ref, facilities, flight_list, now, user, ids
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
        session.execute(sa.insert(Person.__table__), persons)
        if documents:
            session.execute(sa.insert(TravelDocument.__table__), documents)
        if verifications:
            session.execute(sa.insert(NationalityVerification.__table__), verifications)
        audit.record_many(uow, entries, returning=False)
        written += len(persons)
        report.documents += len(documents)
        report.verifications += len(verifications)
        report.audit_events += len(entries)
        report_progress(0.06 + 0.92 * written / people, f"{written:,} of {people:,} people")

    report.people = written
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
            },
        ),
    )
    report.audit_events += 1
    session.flush()
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
