"""Ranked reserves per flight stop: who may take a seat when a listed passenger is struck off.

A **reserve** for stop S of flight F (receiving country C) is a unit — one person travelling alone,
or every member of a family group not yet removed — such that, at ``now``:

- every member passes every eligibility rule for S (rules 1–10 of ``planner.domain.eligibility``,
  facts from :mod:`planner.services.eligibility_facts`); for rule 9 a member counts as *on the sent
  manifest* when the revision last sent for F (the newest ever approved) lists them at S as a
  passenger **or as a reserve** — so after a stop's notice cut-off only the reserves the receiving
  country received can still be reserves there;
- every member is *verified*: C is a confirmed nationality (latest verification for C CONFIRMED),
  even where C does not require verification;
- no member is placed in the plan (``plan_run_id``, default the current draft plan) on F itself or
  on a flight departing at or before F; people placed on a *later* flight may be reserves (the
  planner would have to move them); nobody frozen on another flight's approved manifest is, nor
  anybody struck off F (``strike_off``).

**Order** — the order in which the planner would add them (``solver.objective``: it maximises
Σ (6 − priority) over the people placed, i.e. per seat the unit's mean priority; then it minimises
moves from the draft plan; its greedy start deals units by weight per seat):

1. the unit's mean priority, lowest (most urgent) first — exactly, as a fraction;
2. units not placed anywhere before units placed on a later flight (moving those costs a move);
3. fewer seats first, then the lower escort load (fewer resources for the same gain);
4. the lowest case number (deterministic).

**How many** — per flight ``ceil(fraction × seats)`` people (``fraction``: the plan run's recorded
``reserve_fraction``, else the office setting of :mod:`planner.services.office_settings`),
shared across the flight's stops in that one order, whole units only: a unit larger than the
places left is skipped and the next smaller one may still fit. Ranks run 1, 2, … over the flight.
Capacities (free seats, escorts, slots, country caps) are not applied here: the service that moves a
reserve up checks them when it places the unit. A flight that is not PLANNED has no reserves.

Everything here is a read; nothing is written or audited. ``ranked_reserves`` is the stable entry
point (the departure services call it to move reserves up); ``reserves_for_flights`` computes many
flights in one pass (the manifest batch).
"""

from __future__ import annotations

import heapq
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from typing import Any

import numpy as np
import sqlalchemy as sa

from planner.domain.eligibility import (
    CountryRuleFacts,
    PeopleColumns,
    StopFacts,
    VerificationFacts,
    encode_tables,
    evaluate,
    latest_verifications,
)
from planner.domain.enums import (
    CustodyStatus,
    FlightStatus,
    MedicalNeed,
    OrderStatus,
    Role,
    VerificationResult,
)
from planner.domain.errors import InvalidInput, NotFound
from planner.persistence.models import (
    Airport,
    Assignment,
    FacilityAirport,
    Flight,
    FlightStop,
    Manifest,
    NationalityVerification,
    Person,
    PlanRun,
    StrikeOff,
    TravelDocument,
)
from planner.persistence.uow import UnitOfWork
from planner.services import office_settings
from planner.services.auth import Actor, authorize
from planner.services.current_plan import current_draft_plan_id
from planner.services.eligibility_facts import (
    CHUNK,
    airport_zones,
    pickup_facts,
    rows_in,
    rule_facts,
    stop_facts,
    transfer_hours,
)
from planner.services.routes import routes_of

#: Default share of a flight's seats kept as reserves (the office setting's default).
DEFAULT_RESERVE_FRACTION = office_settings.DEFAULTS.reserve_fraction


@dataclass(frozen=True, slots=True)
class ReserveMember:
    """One person of a reserve unit (enumerations as their stored strings)."""

    person_id: int
    case_number: str
    family_name: str
    given_names: str
    priority: int
    risk_level: str
    medical_need: str


@dataclass(frozen=True, slots=True)
class ReserveUnit:
    """A person alone or a whole family, ranked ``rank`` (1 = first to move up) on its flight.

    ``seats`` = members; ``escort_load`` = Σ escort officers per member by risk level (the plan
    run's escort loads); ``medical`` / ``wheelchair`` = members needing a medical escort / a
    wheelchair slot; ``placed_on`` = code of the later flight the unit is placed on now (None:
    not placed)."""

    rank: int
    stop_sequence: int
    stop_id: int
    airport: str
    country: str
    family_group: str | None
    members: tuple[ReserveMember, ...]
    mean_priority: Fraction
    escort_load: float
    medical: int
    wheelchair: int
    placed_on: str | None = None

    @property
    def seats(self) -> int:
        return len(self.members)

    @property
    def person_ids(self) -> tuple[int, ...]:
        return tuple(m.person_id for m in self.members)

    @property
    def case_numbers(self) -> tuple[str, ...]:
        return tuple(m.case_number for m in self.members)


@dataclass(frozen=True, slots=True)
class StopReserves:
    """The reserves of one stop, in rank order."""

    sequence: int
    stop_id: int
    airport: str
    country: str
    units: tuple[ReserveUnit, ...] = ()

    @property
    def people(self) -> int:
        return sum(u.seats for u in self.units)


@dataclass(frozen=True, slots=True)
class FlightReserves:
    """A flight's reserves: ``limit`` = ``ceil(fraction × seats)`` people at most, per stop."""

    flight_id: int
    flight_code: str
    seats: int
    fraction: float
    limit: int
    stops: tuple[StopReserves, ...] = ()

    @property
    def units(self) -> tuple[ReserveUnit, ...]:
        """Every unit of the flight in rank order."""
        return tuple(sorted((u for s in self.stops for u in s.units), key=lambda u: u.rank))

    @property
    def people(self) -> int:
        return sum(s.people for s in self.stops)

    def stop(self, sequence: int) -> StopReserves | None:
        return next((s for s in self.stops if s.sequence == sequence), None)


def reserve_limit(seats: int, fraction: float) -> int:
    """``ceil(fraction × seats)`` people (rounded to 1e-9 first, so 0.1 × 30 is 3, not 4)."""
    if not 0 <= fraction <= 1:
        raise InvalidInput(f"reserve fraction {fraction} is not between 0 and 1")
    return max(0, math.ceil(round(fraction * seats, 9)))


# ---------------------------------------------------------------------------------------------
# entry points


def ranked_reserves(
    uow: UnitOfWork,
    flight_code: str,
    *,
    now: datetime,
    plan_run_id: int | None = None,
    fraction: float | None = None,
) -> FlightReserves:
    """The ranked reserves of flight ``flight_code`` per stop at ``now`` (see the module doc).

    ``plan_run_id`` defaults to the current draft plan (no plan: nobody is placed anywhere);
    ``fraction`` to the plan run's recorded one, else the default. No role check and no write:
    a helper for services that have checked the role (see :func:`list_reserves` for the command).
    Raises ``NotFound`` for an unknown flight.
    """
    flight = uow.session.execute(sa.select(Flight).where(Flight.code == flight_code)).scalar_one_or_none()
    if flight is None:
        raise NotFound(f"no flight {flight_code}")
    return reserves_for_flights(uow, [flight], now=now, plan_run_id=plan_run_id, fraction=fraction)[flight.id]


def list_reserves(uow: UnitOfWork, actor: Actor, flight_code: str, *, now: datetime) -> FlightReserves:
    """Officer+: :func:`ranked_reserves` for the current plan (what ``reserves FLIGHT_ID`` shows)."""
    authorize(uow, actor, Role.OFFICER, f"list the reserves of {flight_code}")
    return ranked_reserves(uow, flight_code, now=now)


def _plan_settings(uow: UnitOfWork, plan_run_id: int | None) -> dict:
    if plan_run_id is None:
        return {}
    raw = uow.session.execute(sa.select(PlanRun.settings_json).where(PlanRun.id == plan_run_id)).scalar()
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


# ---------------------------------------------------------------------------------------------
# the computation


@dataclass(frozen=True, slots=True)
class _Candidate:
    """The columns of a person the ranking needs (plus their eligibility facts' columns)."""

    id: int
    case_number: str
    family_name: str
    given_names: str
    priority: int
    risk_level: str
    medical_need: str
    family_group: str | None
    custody_status: str
    order_status: str
    nationality: str
    legal_hold_reason: str | None
    hold_until: date | None
    facility_id: int | None


_CANDIDATE_COLUMNS = (
    Person.id,
    Person.case_number,
    Person.family_name,
    Person.given_names,
    Person.priority,
    Person.risk_level,
    Person.medical_need,
    Person.family_group,
    Person.custody_status,
    Person.order_status,
    Person.nationality,
    Person.legal_hold_reason,
    Person.hold_until,
    Person.facility_id,
)


@dataclass(slots=True)
class _Unit:
    """A candidate unit for one country, before it is ranked for a flight."""

    country: str
    family_group: str | None
    people: list[_Candidate]
    #: (mean priority, seats, escort load, first case number); the mean is a float, exact enough to
    #: order and to tie (equal small-integer ratios divide to the same float)
    key: tuple[float, int, float, str]
    escort_load: float


def reserves_for_flights(
    uow: UnitOfWork,
    flights: Sequence[Flight],
    *,
    now: datetime,
    plan_run_id: int | None = None,
    fraction: float | None = None,
) -> dict[int, FlightReserves]:
    """:func:`ranked_reserves` for several flights at once: flight id -> its reserves.

    The rules are evaluated once for every candidate and every stop with the vectorised evaluator
    (``planner.domain.eligibility.evaluate``, the planner's), so the cost does not grow with the
    number of ineligible candidates scanned per flight."""
    plan = plan_run_id if plan_run_id is not None else current_draft_plan_id(uow)
    settings = _plan_settings(uow, plan)
    office = office_settings.load(uow)
    share = float(settings.get("reserve_fraction", office.reserve_fraction)) if fraction is None else fraction
    escort = {**office.escort_load(), **(settings.get("escort_load") or {})}

    stops_by_flight: dict[int, list[FlightStop]] = defaultdict(list)
    for stop in rows_in(uow, FlightStop, FlightStop.flight_id, [f.id for f in flights]):
        stops_by_flight[stop.flight_id].append(stop)
    for stops in stops_by_flight.values():
        stops.sort(key=lambda s: s.sequence)
    country_of = dict(uow.session.execute(sa.select(Airport.iata, Airport.country)).all())
    planned = [f for f in flights if f.status == FlightStatus.PLANNED and reserve_limit(f.seats, share) > 0]
    countries = {country_of[s.airport] for f in planned for s in stops_by_flight[f.id]}
    # every pickup airport of the routes (rule 7 passes at any pickup the facility reaches in time)
    pickup_airports = {p.airport for r in routes_of(uow, [f.id for f in planned]).values() for p in r.pickups}
    units, people = _candidate_units(
        uow, countries, pickup_airports | {f.departure_airport for f in planned}, escort
    )
    ranker = _Ranker.build(
        uow,
        now=now,
        plan=plan,
        flights=planned,
        stops_by_flight=stops_by_flight,
        country_of=country_of,
        units=units,
        people=people,
    )
    out: dict[int, FlightReserves] = {}
    for flight in flights:
        limit = reserve_limit(flight.seats, share)
        stops = stops_by_flight[flight.id]
        chosen = ranker.rank(flight, stops, limit) if flight in planned else {}
        out[flight.id] = FlightReserves(
            flight.id,
            flight.code,
            flight.seats,
            share,
            limit,
            tuple(
                StopReserves(
                    s.sequence, s.id, s.airport, country_of[s.airport], tuple(chosen.get(s.sequence, []))
                )
                for s in stops
            ),
        )
    return out


#: Units of a country evaluated first; each further prefix is four times longer.
_FIRST_CHUNK = 256


@dataclass
class _CountryUnits:
    """The candidate units of one country (sorted by their static key) as arrays: unit ``u``'s
    members are the person rows ``rows[ptr[u]:ptr[u + 1]]``; ``priority_rank`` is the dense rank of
    its mean priority within the country (0 = most urgent)."""

    units: list[_Unit]
    rows: np.ndarray
    ptr: np.ndarray
    priority_rank: np.ndarray
    seats: np.ndarray

    @classmethod
    def of(cls, units: list[_Unit], row_of: dict[int, int]) -> _CountryUnits:
        sizes = np.array([len(u.people) for u in units], dtype=np.int64)
        ptr = np.zeros(len(units) + 1, dtype=np.int64)
        np.cumsum(sizes, out=ptr[1:])
        rows = np.array([row_of[p.id] for u in units for p in u.people], dtype=np.int64)
        levels = {m: i for i, m in enumerate(sorted({u.key[0] for u in units}))}
        rank = np.array([levels[u.key[0]] for u in units], dtype=np.int64)
        return cls(units, rows, ptr, rank, sizes)

    def member_rows(self, units: np.ndarray) -> np.ndarray:
        """The person rows of ``units``, unit after unit."""
        starts, sizes = self.ptr[units], self.seats[units]
        offsets = np.repeat(starts - np.cumsum(sizes) + sizes, sizes)
        return self.rows[np.arange(int(sizes.sum())) + offsets]

    def _reduce(self, op: np.ufunc, flags: np.ndarray, units: np.ndarray) -> np.ndarray:
        if len(units) == 0:
            return np.zeros(0, dtype=bool)
        sizes = self.seats[units]
        return op.reduceat(flags[self.member_rows(units)], np.cumsum(sizes) - sizes)

    def all_members(self, person_ok: np.ndarray, units: np.ndarray) -> np.ndarray:
        """Per unit of ``units``: every member's entry of ``person_ok`` (bool by person row) is true."""
        return self._reduce(np.logical_and, person_ok, units)

    def any_member(self, person_flag: np.ndarray, units: np.ndarray) -> np.ndarray:
        """Per unit of ``units``: some member's entry of ``person_flag`` is true."""
        return self._reduce(np.logical_or, person_flag, units)


@dataclass
class _Ranker:
    """The ranking of one flight after another. Eligibility is evaluated with the vectorised
    evaluator per country, lazily, in growing chunks of units in the flight's rank order, for every
    stop of that country at once (results kept for the next flights); the plan's placements are
    arrays by person row."""

    uow: UnitOfWork
    now: datetime
    people: dict[int, _Candidate]
    person_id: np.ndarray  # person id by row (ascending)
    row_of: dict[int, int]
    placed_flight: np.ndarray  # flight id, -1 when not placed
    placed_departure: np.ndarray  # epoch seconds, +inf when not placed
    placed_frozen: np.ndarray
    placed_code: dict[int, str]  # flight id -> code
    by_country: dict[str, _CountryUnits]
    stops_of_country: dict[str, list[StopFacts]]
    rules: dict[str, CountryRuleFacts]
    sent_pairs: set[tuple[int, int]]  # (person id, stop id) listed on the revision last sent
    struck: dict[int, set[int]]  # flight id -> person ids struck off it
    country_of: dict[str, str]
    ok: dict[int, np.ndarray] = field(default_factory=dict)  # stop id -> bool by row (rules 1–10, verified)
    evaluated: dict[str, np.ndarray] = field(default_factory=dict)  # country -> bool by unit

    @classmethod
    def build(
        cls,
        uow: UnitOfWork,
        *,
        now: datetime,
        plan: int | None,
        flights: list[Flight],
        stops_by_flight: dict[int, list[FlightStop]],
        country_of: dict[str, str],
        units: dict[str, list[_Unit]],
        people: dict[int, _Candidate],
    ) -> _Ranker:
        ids = sorted(people)
        row_of = {pid: row for row, pid in enumerate(ids)}
        flight_of = {f.id: f for f in flights}
        stops = [s for f in flights for s in stops_by_flight[f.id]]
        stops_of_country: dict[str, list[StopFacts]] = defaultdict(list)
        zones, routes = airport_zones(uow.session), routes_of(uow, flight_of)  # bulk, not per stop
        for st in stops:
            country = country_of[st.airport]
            pickups = pickup_facts(routes[st.flight_id], zones)
            stops_of_country[country].append(
                stop_facts(flight_of[st.flight_id], st.id, country, pickups=pickups)
            )
        sent = _sent_cases(uow, [f.id for f in flights])
        case_to_id = {p.case_number: pid for pid, p in people.items()}
        sent_pairs = {
            (case_to_id[case], st.id)
            for st in stops
            for case in sent.get(st.flight_id, {}).get(st.sequence, ())
            if case in case_to_id
        }
        n = len(ids)
        placed_flight = np.full(n, -1, dtype=np.int64)
        placed_departure = np.full(n, np.inf)
        placed_frozen = np.zeros(n, dtype=bool)
        codes: dict[int, str] = {}
        for pid, frozen, fid, departure, code in _placements(uow, plan):
            row = row_of.get(pid)
            if row is not None:
                placed_flight[row] = fid
                placed_departure[row] = departure.timestamp()
                placed_frozen[row] = bool(frozen)
                codes[fid] = code
        return cls(
            uow=uow,
            now=now,
            people=people,
            person_id=np.array(ids, dtype=np.int64),
            row_of=row_of,
            placed_flight=placed_flight,
            placed_departure=placed_departure,
            placed_frozen=placed_frozen,
            placed_code=codes,
            by_country={c: _CountryUnits.of(u, row_of) for c, u in units.items()},
            stops_of_country=stops_of_country,
            rules=rule_facts(uow, set(stops_of_country)),
            sent_pairs=sent_pairs,
            struck=_struck(uow, [f.id for f in flights]),
            country_of=country_of,
        )

    def _evaluate(self, country: str, units: np.ndarray) -> None:
        """Evaluate the rules at every stop of ``country`` for those of ``units`` not evaluated yet."""
        cu = self.by_country[country]
        done = self.evaluated.setdefault(country, np.zeros(len(cu.units), dtype=bool))
        todo = units[~done[units]]
        if len(todo) == 0:
            return
        rows = cu.member_rows(todo)
        people = [self.people[int(pid)] for pid in self.person_id[rows]]
        columns = _columns(self.uow, people)
        stops = self.stops_of_country[country]
        pairs = evaluate(
            encode_tables(columns, stops, self.rules, sent_manifest=self.sent_pairs), now=self.now
        )
        verified = _confirmed(columns, country)
        for k, st in enumerate(stops):
            mask = self.ok.setdefault(st.stop_id, np.zeros(len(self.person_id), dtype=bool))
            found = pairs.for_stop(k)
            mask[rows[found[verified[found]]]] = True
        done[todo] = True

    def _candidates(self, flight: Flight, stop: FlightStop) -> Iterator[tuple[tuple[Any, ...], int, int]]:
        """(rank key, stop sequence, unit index) of the stop's eligible units in rank order; the key is
        (mean priority, placed on a later flight, seats, escort load, first case number). The order
        is known before the rules are evaluated, so they are evaluated chunk by chunk in that order,
        only as far as the ranking reads."""
        country = self.country_of[stop.airport]
        cu = self.by_country.get(country)
        if cu is None or not cu.units:
            return
        placed = self.placed_flight >= 0
        departure = flight.departure_utc.timestamp()
        free = ~(
            placed
            & ((self.placed_flight == flight.id) | self.placed_frozen | (self.placed_departure <= departure))
        )
        struck = self.struck.get(flight.id)
        if struck:
            free &= ~np.isin(self.person_id, np.fromiter(struck, dtype=np.int64))
        everyone = np.arange(len(cu.units))
        later = cu.any_member(placed, everyone)
        candidates = np.flatnonzero(cu.all_members(free, everyone))
        ranked = candidates[np.lexsort((candidates, later[candidates], cu.priority_rank[candidates]))]
        start, chunk = 0, _FIRST_CHUNK
        while start < len(ranked):
            units = ranked[start : start + chunk]
            self._evaluate(country, units)
            ok = cu.all_members(self.ok[stop.id], units)
            for u in units[ok].tolist():
                static = cu.units[u].key
                yield (static[0], int(later[u]), *static[1:]), stop.sequence, u
            start, chunk = start + chunk, chunk * 4

    def rank(self, flight: Flight, stops: list[FlightStop], limit: int) -> dict[int, list[ReserveUnit]]:
        """Deal the flight's ``limit`` places to the eligible units of its stops in rank order:
        stop sequence -> its reserve units. (Across stops, equal keys go to the earlier stop.)"""
        merged = heapq.merge(
            *(self._candidates(flight, s) for s in stops), key=lambda item: (item[0], item[1])
        )
        stop_by_seq = {s.sequence: s for s in stops}
        chosen: dict[int, list[ReserveUnit]] = defaultdict(list)
        taken: set[int] = set()
        left = limit
        rank = 0
        for _key, sequence, index in merged:
            if left == 0:
                break
            stop = stop_by_seq[sequence]
            country = self.country_of[stop.airport]
            unit = self.by_country[country].units[index]
            if len(unit.people) > left or any(p.id in taken for p in unit.people):
                continue
            rank += 1
            left -= len(unit.people)
            taken.update(p.id for p in unit.people)
            later = next(
                (
                    self.placed_code[f]
                    for f in (self._placed_flight(p.id) for p in unit.people)
                    if f is not None
                ),
                None,
            )
            chosen[sequence].append(_reserve_unit(unit, rank, stop, country, later))
        return chosen

    def _placed_flight(self, person_id: int) -> int | None:
        row = int(np.searchsorted(self.person_id, person_id))
        fid = int(self.placed_flight[row])
        return None if fid < 0 else fid


def _columns(uow: UnitOfWork, people: list[_Candidate]) -> PeopleColumns:
    """The eligibility facts of ``people`` as the evaluator's columns (column queries, no ORM rows)."""
    ids = [p.id for p in people]
    documents: list[Any] = []
    verifications: list[Any] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        documents += uow.session.execute(
            sa.select(
                TravelDocument.person_id,
                TravelDocument.doc_type,
                TravelDocument.issuing_country,
                TravelDocument.expires_on,
                TravelDocument.status,
            ).where(TravelDocument.person_id.in_(chunk))
        ).all()
        verifications += uow.session.execute(
            sa.select(
                NationalityVerification.person_id,
                NationalityVerification.country,
                NationalityVerification.result,
                NationalityVerification.verified_on,
                NationalityVerification.id,
            ).where(NationalityVerification.person_id.in_(chunk))
        ).all()
    facilities = sorted({p.facility_id for p in people if p.facility_id is not None})
    transfers = [
        (facility, airport, hours)
        for facility, by_airport in transfer_hours(uow, facilities).items()
        for airport, hours in by_airport.items()
    ]
    return PeopleColumns(
        person_id=ids,
        custody_status=[p.custody_status for p in people],
        order_status=[p.order_status for p in people],
        nationality=[p.nationality for p in people],
        legal_hold_reason=[p.legal_hold_reason for p in people],
        hold_until=[p.hold_until for p in people],
        facility=[p.facility_id for p in people],
        medical_need=[p.medical_need for p in people],
        family_group=[p.family_group for p in people],
        documents=documents,
        verifications=verifications,
        transfers=transfers,
    )


def _confirmed(columns: PeopleColumns, country: str) -> np.ndarray:
    """Bool by row of ``columns``: ``country`` is a confirmed nationality (its latest verification is
    CONFIRMED; ties as in rule 4)."""
    history: dict[int, list[VerificationFacts]] = defaultdict(list)
    for pid, ver_country, result, verified_on, sequence in columns.verifications:
        history[pid].append(VerificationFacts(ver_country, result, verified_on, sequence or 0))
    return np.array(
        [
            (latest := latest_verifications(history.get(pid, ())).get(country)) is not None
            and latest.result == VerificationResult.CONFIRMED
            for pid in columns.person_id
        ],
        dtype=bool,
    )


def _reserve_unit(unit: _Unit, rank: int, stop: FlightStop, country: str, later: str | None) -> ReserveUnit:
    members = tuple(
        ReserveMember(
            p.id, p.case_number, p.family_name, p.given_names, p.priority, p.risk_level, p.medical_need
        )
        for p in sorted(unit.people, key=lambda p: p.case_number)
    )
    return ReserveUnit(
        rank=rank,
        stop_sequence=stop.sequence,
        stop_id=stop.id,
        airport=stop.airport,
        country=country,
        family_group=unit.family_group,
        members=members,
        mean_priority=Fraction(sum(p.priority for p in unit.people), len(unit.people)),
        escort_load=unit.escort_load,
        medical=sum(1 for p in unit.people if p.medical_need == MedicalNeed.MEDICAL_ESCORT),
        wheelchair=sum(1 for p in unit.people if p.medical_need == MedicalNeed.WHEELCHAIR),
        placed_on=later,
    )


def _placements(uow: UnitOfWork, plan: int | None) -> list[tuple[int, bool, int, datetime, str]]:
    """(person id, frozen, flight id, departure, flight code) of everybody the plan ``plan`` places."""
    if plan is None:
        return []
    rows = uow.session.execute(
        sa.select(Assignment.person_id, Assignment.frozen, Flight.id, Flight.departure_utc, Flight.code)
        .join(FlightStop, FlightStop.id == Assignment.flight_stop_id)
        .join(Flight, Flight.id == FlightStop.flight_id)
        .where(Assignment.plan_run_id == plan)
    ).all()
    return [(pid, bool(frozen), fid, dep, code) for pid, frozen, fid, dep, code in rows]


def _candidate_units(
    uow: UnitOfWork, countries: Iterable[str], airports: Iterable[str], escort: dict[str, float]
) -> tuple[dict[str, list[_Unit]], dict[int, _Candidate]]:
    """country -> units whose every member (not removed) is in custody, under a final order, has a
    CONFIRMED verification for the country on record and a facility that transfers to one of
    ``airports`` (every pickup airport of the flights' routes), sorted by the static part of the rank key. A
    quick filter in SQL: the rules themselves are applied by the evaluator."""
    countries = sorted(set(countries))
    if not countries:
        return {}, {}
    session = uow.session
    confirmed = (
        sa.select(NationalityVerification.person_id, NationalityVerification.country)
        .where(
            NationalityVerification.country.in_(countries),
            NationalityVerification.result == VerificationResult.CONFIRMED.value,
        )
        .distinct()
        .subquery()
    )
    reaching = sa.select(FacilityAirport.facility_id).where(
        FacilityAirport.airport.in_(sorted(set(airports)))
    )
    rows = session.execute(
        sa.select(confirmed.c.country, *_CANDIDATE_COLUMNS)
        .join(Person, Person.id == confirmed.c.person_id)
        .where(
            Person.custody_status == CustodyStatus.IN_CUSTODY.value,
            Person.order_status == OrderStatus.FINAL.value,
            Person.facility_id.in_(reaching),
        )
    ).all()
    candidates: dict[str, set[int]] = defaultdict(set)
    people: dict[int, _Candidate] = {}
    for country, *values in rows:
        person = _Candidate(*values)
        people[person.id] = person
        candidates[country].add(person.id)
    groups = sorted({p.family_group for p in people.values() if p.family_group})
    members: dict[str, list[int]] = defaultdict(list)
    for start in range(0, len(groups), CHUNK):
        for pid, group in session.execute(
            sa.select(Person.id, Person.family_group).where(
                Person.family_group.in_(groups[start : start + CHUNK]),
                Person.custody_status != CustodyStatus.REMOVED.value,
            )
        ).all():
            if group is not None:  # selected by family_group IN (…)
                members[group].append(pid)

    out: dict[str, list[_Unit]] = {}
    for country in countries:
        ids = candidates.get(country, set())
        units: list[_Unit] = []
        seen_groups: set[str] = set()
        for pid in ids:
            person = people[pid]
            group = person.family_group
            if group is None:
                unit_people = [person]
            else:
                if group in seen_groups:
                    continue
                seen_groups.add(group)
                if any(m not in ids for m in members[group]):
                    continue  # a member is not a candidate here: the family cannot go
                unit_people = [people[m] for m in members[group]]
            load = sum(escort.get(p.risk_level, 0.0) for p in unit_people)
            key = (
                sum(p.priority for p in unit_people) / len(unit_people),
                len(unit_people),
                load,
                min(p.case_number for p in unit_people),
            )
            units.append(_Unit(country, group, unit_people, key, load))
        units.sort(key=lambda u: u.key)
        out[country] = units
    return out, people


def _struck(uow: UnitOfWork, flight_ids: list[int]) -> dict[int, set[int]]:
    """flight id -> person ids ever struck off it."""
    out: dict[int, set[int]] = defaultdict(set)
    for fid, pid in uow.session.execute(
        sa.select(StrikeOff.flight_id, StrikeOff.person_id).where(StrikeOff.flight_id.in_(flight_ids))
    ).all():
        out[fid].add(pid)
    return out


def _sent_cases(uow: UnitOfWork, flight_ids: list[int]) -> dict[int, dict[int, set[str]]]:
    """flight id -> stop sequence -> case numbers listed (passengers and reserves) on the revision
    last sent (the newest ever approved)."""
    newest: dict[int, Manifest] = {}
    for m in uow.session.execute(
        sa.select(Manifest).where(Manifest.flight_id.in_(flight_ids), Manifest.approved_at.is_not(None))
    ).scalars():
        if m.flight_id not in newest or m.revision > newest[m.flight_id].revision:
            newest[m.flight_id] = m
    out: dict[int, dict[int, set[str]]] = {}
    for fid, m in newest.items():
        data = json.loads(m.content_json)
        out[fid] = {
            s["sequence"]: {r["case_number"] for r in s.get("rows", [])}
            | {r["case_number"] for r in s.get("reserves", [])}
            for s in data.get("stops", [])
        }
    return out


__all__ = [
    "DEFAULT_RESERVE_FRACTION",
    "FlightReserves",
    "ReserveMember",
    "ReserveUnit",
    "StopReserves",
    "list_reserves",
    "ranked_reserves",
    "reserve_limit",
    "reserves_for_flights",
]
