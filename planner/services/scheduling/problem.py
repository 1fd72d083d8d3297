"""The mission-scheduling problem read from the database (issue 17), in a handful of bulk queries.

``load_problem(uow, start=, weeks=, costs=, now=)`` builds ``solver.schedule.problem.ScheduleProblem``:

- **places**: every airport with coordinates; **hubs**: the office setting ``pickup_airports``, or
  else every airport a facility transfers to; **aircraft**: the ``aircraft`` table (none: an
  ``InvalidInput`` asking for ``import aircraft FILE``).
- **countries**: each country with a ``country_rule`` and at least one accepted arrival airport with
  coordinates (``arrival_airports``, or else the country's airports in the airport table), with its
  region, returnees per mission, missions per week, arrival weekdays and notice: ``first_day`` is
  the first day whose 08:00 local departure from every hub is at least the notice days after
  ``now`` (the notice cut-off rule reads instants: starting today, that is often notice + 1).
- **demand**: people not REMOVED and not anonymised, judged by the real eligibility rules on
  synthetic stops: per country one stop of a flight whose pickups are all hubs, leaving at 08:00
  UTC on checkpoint A (``start`` + ``first_day`` + 1 day) and on checkpoint B (the horizon's last
  day), read at ``start`` 00:00 UTC (or ``now`` when later), without the family rule (families
  are made whole here).
  Eligible at A: ready on day 0. Eligible at B only: ready the day after a legal hold ends inside
  the horizon, else from the middle of the horizon (a note says how many). People with an OPEN
  request (``consular.status.forecasts``) expected eligible inside the horizon whose only reasons
  at B are an unverified nationality or no valid document: ready that day, counted with the
  country's confirmation rate when a verification is open (1 without history). A person's hub is
  the hub their facility transfers to in the fewest hours. A family is one unit of all its members
  in demand (ready when the last is, weighted by the lowest rate, at the hub that all reach with
  the shortest longest transfer), at ``detention_cost_family`` a day; a single adult costs
  ``detention_cost_person``. Groups are (country, hub, ready day, size); weighted units are rounded
  half up.
- **current**: flights neither CANCELLED nor DEPARTED leaving in ``[start, start + 7 * weeks)`` as
  missions (day = local date at the first pickup), with their seats and codes. An aircraft name
  missing from the catalog becomes a type of that name costed like the catalog aircraft of the
  nearest seats, ``available_per_week`` 0 (never proposed).

``LoadedProblem.notes`` says who was left out and why, and what was assumed.
"""

from __future__ import annotations

import gc
import logging
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from planner.domain.eligibility import (
    REASON_CODES,
    CountryRuleFacts,
    PeopleColumns,
    PickupFacts,
    StopFacts,
    encode_tables,
    evaluate_with_reasons,
    reason_mask,
)
from planner.domain.eligibility.rules.legal_hold import hold_in_force
from planner.domain.enums import CustodyStatus, FlightStatus, ReasonCode
from planner.domain.errors import InvalidInput
from planner.domain.missions import parse_airports, parse_weekdays
from planner.domain.wording import plural
from planner.persistence.models import (
    Aircraft,
    Airport,
    CountryRule,
    Flight,
    FlightPickup,
    FlightStop,
    Person,
    utc_now,
)
from planner.persistence.uow import UnitOfWork
from planner.services import office_settings
from planner.services.consular.status import forecasts
from planner.services.eligibility_facts import load_planning_people
from planner.services.office_settings import OfficeSettings
from planner.services.reference import default_country_rule, default_notice_days, rule_facts
from solver.schedule import cost
from solver.schedule.problem import (
    AircraftType,
    CountryLimits,
    DemandGroup,
    Mission,
    Place,
    ScheduleProblem,
)

log = logging.getLogger(__name__)

#: Hour (UTC) at which the synthetic stops of the eligibility checkpoints depart.
CHECKPOINT_HOUR = 8
#: Medical and wheelchair slots of a synthetic stop: large, so capacity never excludes anybody.
SYNTHETIC_SLOTS = 1_000_000
#: The only reasons at checkpoint B a pending request can lift (then its forecast counts).
LIFTED_BY_REQUESTS = frozenset({ReasonCode.NATIONALITY_NOT_VERIFIED, ReasonCode.NO_VALID_DOCUMENT})


@dataclass(frozen=True)
class ScheduleCosts:
    """Detention cost per day of a single adult and of a whole family, and the cost of leaving a
    person unserved within the horizon (defaults: the office settings)."""

    detention_cost_person: float
    detention_cost_family: float
    unserved_penalty: float

    @classmethod
    def from_settings(cls, office: OfficeSettings) -> ScheduleCosts:
        return cls(office.detention_cost_person, office.detention_cost_family, office.unserved_penalty)

    def as_dict(self) -> dict[str, float]:
        return {
            "detention_cost_person": self.detention_cost_person,
            "detention_cost_family": self.detention_cost_family,
            "unserved_penalty": self.unserved_penalty,
        }


@dataclass(frozen=True)
class LoadedProblem:
    """The problem, what a reader should know about it (``notes``), and the flights already
    scheduled over the horizon as missions (``current``, with their ``current_seats`` and
    ``current_flights`` codes, index-aligned)."""

    problem: ScheduleProblem
    notes: list[str] = field(default_factory=list)
    current: list[Mission] = field(default_factory=list)
    current_seats: list[int] = field(default_factory=list)
    current_flights: list[str] = field(default_factory=list)


@dataclass
class _Ready:
    """One person's place in the demand: country, hub, ready day, weight (forecast: < 1)."""

    country: str
    hub: str | None
    day: int
    weight: float = 1.0


def load_problem(
    uow: UnitOfWork,
    *,
    start: date,
    weeks: int,
    costs: ScheduleCosts | None = None,
    now: datetime | None = None,
) -> LoadedProblem:
    """The scheduling problem of ``weeks`` weeks from ``start`` (module docstring), as of ``now``
    (default: the current time). Read-only; ``InvalidInput`` when the catalog has no aircraft or
    no pickup airport has coordinates."""
    if not 1 <= weeks <= 52:
        raise InvalidInput(f"weeks must be 1 to 52, not {weeks}")
    office = office_settings.load(uow)
    costs = costs or ScheduleCosts.from_settings(office)
    days = 7 * weeks
    notes: list[str] = []
    airports = uow.session.execute(
        sa.select(Airport.iata, Airport.country, Airport.timezone, Airport.latitude, Airport.longitude)
    ).all()
    places = {
        iata: Place(iata, float(lat), float(lon), zone or "UTC")
        for iata, _c, zone, lat, lon in airports
        if lat is not None and lon is not None
    }
    airports_of: dict[str, list[str]] = defaultdict(list)
    for iata, country, *_ in sorted(airports):
        if iata in places:
            airports_of[country].append(iata)
    catalog = _catalog(uow)
    hubs = _hubs(uow, office, places, notes)
    rules_now = max(datetime.combine(start, time(0), UTC), now or utc_now())

    def first_day(notice_days: int) -> int:
        """The first day whose departure from every hub (08:00 local) is ``notice_days`` after now."""
        day = notice_days
        notice = timedelta(days=notice_days)
        while day < days and any(
            cost.departure_instant(start, day, places[hub]) - notice <= rules_now for hub in hubs
        ):
            day += 1
        return day

    countries = _countries(uow, places, airports_of, first_day, notes)
    demand = _demand(uow, _Horizon(start, days, places, hubs, countries, costs, rules_now), notes)
    current, seats, codes, extra = _current(uow, start, days, places, catalog, notes)
    problem = ScheduleProblem(
        start=start,
        days=days,
        places=places,
        hubs=hubs,
        aircraft=(*catalog, *extra),
        countries=countries,
        demand=demand,
        unserved_penalty=costs.unserved_penalty,
    )
    return LoadedProblem(problem, notes, current, seats, codes)


def _catalog(uow: UnitOfWork) -> tuple[AircraftType, ...]:
    rows = uow.session.execute(sa.select(Aircraft).order_by(Aircraft.name)).scalars().all()
    if not rows:
        raise InvalidInput("no aircraft: import an aircraft catalog first (import aircraft FILE)")
    return tuple(
        AircraftType(a.name, a.seats, a.cost_per_block_hour, a.cruise_kmh, a.available_per_week) for a in rows
    )


def _hubs(
    uow: UnitOfWork, office: OfficeSettings, places: Mapping[str, Place], notes: list[str]
) -> tuple[str, ...]:
    """The pickup airports setting, else every airport a facility transfers to; only those with
    coordinates (the others are named in a note)."""
    from planner.persistence.models import FacilityAirport

    wanted = office_settings.pickup_airport_codes(office)
    if not wanted:
        wanted = tuple(sorted(set(uow.session.execute(sa.select(FacilityAirport.airport)).scalars())))
    missing = [code for code in wanted if code not in places]
    if missing:
        notes.append(f"pickup airports without coordinates left out: {', '.join(missing)}")
    hubs = tuple(code for code in wanted if code in places)
    if not hubs:
        raise InvalidInput(
            "no pickup airport with coordinates: set pickup_airports (office settings) or import facilities"
        )
    return hubs


def _countries(
    uow: UnitOfWork,
    places: Mapping[str, Place],
    airports_of: Mapping[str, list[str]],
    first_day: Callable[[int], int],
    notes: list[str],
) -> dict[str, CountryLimits]:
    out: dict[str, CountryLimits] = {}
    without: list[str] = []
    stored = list(uow.session.execute(sa.select(CountryRule).order_by(CountryRule.country)).scalars())
    # Nationalities without a stored rule run on the conservative default rule, as in planning
    # (``reference.rule_facts``): no region (their missions fly alone), no weekly limit.
    claimed = uow.session.execute(
        sa.select(Person.nationality)
        .where(Person.custody_status != CustodyStatus.REMOVED.value, Person.anonymised_at.is_(None))
        .distinct()
    ).scalars()
    have = {rule.country for rule in stored}
    notice = default_notice_days(rule.notice_days for rule in stored)
    defaults = [default_country_rule(country, notice) for country in sorted(set(claimed) - have)]
    for rule in [*stored, *defaults]:
        try:
            named = parse_airports(rule.arrival_airports)
            weekdays = parse_weekdays(rule.arrival_weekdays)
        except ValueError as exc:
            notes.append(f"{rule.country}: country rule unreadable ({exc}); left out")
            continue
        accepted = tuple(a for a in (named or tuple(airports_of.get(rule.country, ()))) if a in places)
        if not accepted:
            without.append(rule.country)
            continue
        out[rule.country] = CountryLimits(
            country=rule.country,
            airports=accepted,
            region=rule.region or "",
            max_per_mission=rule.max_per_flight,
            max_missions_per_week=rule.max_missions_per_week,
            arrival_weekdays=weekdays,
            first_day=first_day(rule.notice_days),
        )
    if without:
        notes.append(f"countries without an arrival airport with coordinates: {', '.join(without)}")
    return out


def _checkpoint(day: date) -> datetime:
    return datetime.combine(day, time(CHECKPOINT_HOUR), UTC)


@dataclass(frozen=True)
class _Horizon:
    """What the demand is judged against: the days, the airports, hubs and countries, the costs."""

    start: date
    days: int
    places: Mapping[str, Place]
    hubs: tuple[str, ...]
    countries: Mapping[str, CountryLimits]
    costs: ScheduleCosts
    #: The instant the rules are read at: the start of the first day, or now when that is later.
    now: datetime

    @property
    def last_day(self) -> date:
        return self.start + timedelta(days=self.days - 1)

    def stops(self, departures: Mapping[str, datetime], first_id: int) -> list[StopFacts]:
        """One synthetic stop per country of a flight picking up at every hub, leaving at
        ``departures[country]``."""
        stops = []
        for offset, country in enumerate(self.countries):
            when = departures[country]
            zone = self.places[self.hubs[0]].timezone
            stops.append(
                StopFacts(
                    flight_id=first_id + offset,
                    stop_id=first_id + offset,
                    departure_airport=self.hubs[0],
                    departure_utc=when,
                    country=country,
                    medical_slots=SYNTHETIC_SLOTS,
                    wheelchair_slots=SYNTHETIC_SLOTS,
                    departure_timezone=zone,
                    pickups=tuple(
                        PickupFacts(i, hub, when, self.places[hub].timezone)
                        for i, hub in enumerate(self.hubs)
                    ),
                )
            )
        return stops


@dataclass
class _Verdicts:
    """The rules' verdict on every person row at the two checkpoints: the countries each row is
    eligible for at A and at B, and each row's headline reason code (``REASON_CODES`` index)."""

    at_a: dict[int, list[str]]
    at_b: dict[int, list[str]]
    headline: Sequence[int]
    b_stops: list[StopFacts]
    rules: Mapping[str, CountryRuleFacts]


def _judge(uow: UnitOfWork, horizon: _Horizon, facts: PeopleColumns) -> _Verdicts:
    """Evaluate the rules (without the family rule: families are made whole from each member's
    own verdict) on the synthetic stops of checkpoints A and B."""
    countries = horizon.countries
    at_a = {
        c: _checkpoint(min(horizon.start + timedelta(days=limits.first_day + 1), horizon.last_day))
        for c, limits in countries.items()
    }
    stops = [
        *horizon.stops(at_a, 1),
        *horizon.stops({c: _checkpoint(horizon.last_day) for c in countries}, 1 + len(countries)),
    ]
    rules = rule_facts(uow, countries)
    alone = PeopleColumns(**{**vars(facts), "family_group": [None] * len(facts)})
    pairs, reasons = evaluate_with_reasons(encode_tables(alone, stops, rules), now=horizon.now)
    verdicts = _Verdicts(
        defaultdict(list),
        defaultdict(list),
        reasons.headline_codes().tolist(),
        stops[len(countries) :],
        rules,
    )
    for row, stop in enumerate(stops):
        target = verdicts.at_a if row < len(countries) else verdicts.at_b
        for person_row in pairs.for_stop(row).tolist():
            target[person_row].append(stop.country)
    return verdicts


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused: hundreds of thousands of small rows and verdicts made
    it rescan the heap again and again (as in ``imports.framework.bulk_mode``)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _demand(uow: UnitOfWork, horizon: _Horizon, notes: list[str]) -> tuple[DemandGroup, ...]:
    with _collector_paused():
        return _demand_groups(uow, horizon, notes)


def _demand_groups(uow: UnitOfWork, horizon: _Horizon, notes: list[str]) -> tuple[DemandGroup, ...]:
    facts = load_planning_people(uow).facts
    if not len(facts) or not horizon.countries:
        return ()
    anonymised = set(
        uow.session.execute(sa.select(Person.id).where(Person.anonymised_at.is_not(None))).scalars()
    )
    verdicts = _judge(uow, horizon, facts)
    in_demand = [row for row, pid in enumerate(facts.person_id) if pid not in anonymised]
    waiting = [row for row in in_demand if row not in verdicts.at_a and row not in verdicts.at_b]
    expected, left_out = _forecasts(uow, horizon, facts, waiting, verdicts)
    ready, headline, undated = _ready(horizon, facts, in_demand, verdicts, expected, left_out)
    units = _units(facts, in_demand, ready, horizon, left_out)
    if left_out.counts:
        parts = [f"{plural(n, 'person', 'people')} {why}" for why, n in sorted(left_out.counts.items())]
        notes.append("left out: " + "; ".join(parts))
    if headline:
        notes.append(
            "not eligible within the horizon, by headline reason: "
            + ", ".join(f"{code} {n}" for code, n in headline.most_common())
        )
    if undated:
        notes.append(
            f"{plural(undated, 'person', 'people')} eligible only later in the horizon with no known date: "
            f"counted ready from day {horizon.days // 2} (the middle of the horizon)"
        )
    forecast = [entry.weight for row, entry in ready.items() if row in expected]
    if forecast:
        notes.append(
            f"{plural(len(forecast), 'person', 'people')} expected eligible by pending requests, counted as "
            f"{sum(forecast):.1f} (each weighted by the country's confirmation rate when known)"
        )
    return units


def _ready(
    horizon: _Horizon,
    facts: PeopleColumns,
    in_demand: Sequence[int],
    verdicts: _Verdicts,
    expected: Mapping[int, _Ready],
    left_out: _LeftOut,
) -> tuple[dict[int, _Ready], Counter[str], int]:
    """Each row's country, hub and ready day (or why it is left out); the headline reasons of the
    ineligible; how many were given the middle of the horizon for want of a date."""
    hub_of = _hub_of_facility(facts.transfers, horizon.hubs)
    headline: Counter[str] = Counter()
    undated = 0
    ready: dict[int, _Ready] = {}
    for row in in_demand:
        nationality = facts.nationality[row]
        facility = facts.facility[row]
        hub = hub_of.get(facility) if facility is not None else None
        if row in verdicts.at_a:
            ready[row] = _Ready(_choose(verdicts.at_a[row], nationality), hub, 0)
        elif row in verdicts.at_b:
            day = _hold_ends(facts.legal_hold_reason[row], facts.hold_until[row], horizon)
            if day is None:
                day = horizon.days // 2
                undated += 1
            ready[row] = _Ready(_choose(verdicts.at_b[row], nationality), hub, day)
        elif row in expected:
            ready[row] = _Ready(expected[row].country, hub, expected[row].day, expected[row].weight)
        elif row in left_out.reasons:
            continue
        elif nationality not in horizon.countries:
            left_out.add(row, "of a country without a country rule or arrival airport")
        else:
            left_out.add(row, "not eligible within the horizon")
            code = verdicts.headline[row]
            headline[REASON_CODES[code].value if code >= 0 else "NO_FLIGHT_TO_COUNTRY"] += 1
        if row in ready and ready[row].hub is None:
            left_out.add(row, "whose facility reaches no pickup airport")
            del ready[row]
    return ready, headline, undated


def _hold_ends(reason: str | None, until: date | None, horizon: _Horizon) -> int | None:
    """The day after a legal hold in force on the first day ends, when that is inside the horizon."""
    if until is None or not hold_in_force(reason, until, horizon.start) or until >= horizon.last_day:
        return None
    return (until - horizon.start).days + 1


@dataclass
class _LeftOut:
    """Who was left out of the demand and why (the first reason given per person row)."""

    reasons: dict[int, str] = field(default_factory=dict)

    def add(self, row: int, why: str) -> None:
        self.reasons.setdefault(row, why)

    @property
    def counts(self) -> Counter[str]:
        return Counter(self.reasons.values())


def _forecasts(
    uow: UnitOfWork, horizon: _Horizon, facts: PeopleColumns, waiting: Sequence[int], verdicts: _Verdicts
) -> tuple[dict[int, _Ready], _LeftOut]:
    """Among the ``waiting`` rows (eligible at neither checkpoint): those an OPEN request is
    expected to make eligible inside the horizon (their only reasons at B lifted by it), ready
    that day; and who has a request but no known way, or an expected date after the horizon."""
    left_out = _LeftOut()
    row_of = {facts.person_id[row]: row for row in waiting}
    stop_of = {stop.country: stop for stop in verdicts.b_stops}
    start = horizon.start
    end = start + timedelta(days=horizon.days)
    candidates: dict[int, list[tuple[date, str, float]]] = defaultdict(list)
    for forecast in forecasts(uow, start):
        row = row_of.get(forecast.person_id)
        if row is None or forecast.country not in stop_of:
            continue
        if forecast.expected_eligible_on is None:
            left_out.add(row, "with an open request and no known way to a document")
        elif forecast.expected_eligible_on >= end:
            left_out.add(row, "expected eligible by an open request only after the horizon")
        else:
            rate = forecast.confirm_rate if forecast.verification_open else None
            candidates[row].append(
                (max(start, forecast.expected_eligible_on), forecast.country, 1.0 if rate is None else rate)
            )
    lifted = _lifted_at_b(horizon, facts, sorted(candidates), verdicts)
    expected: dict[int, _Ready] = {}
    for row, options in candidates.items():
        for when, country, weight in sorted(options):
            if row in lifted and country == facts.nationality[row]:
                expected[row] = _Ready(country, None, (when - start).days, weight)
                left_out.reasons.pop(row, None)  # the request expected in time is the one that counts
                break
    return expected, left_out


def _lifted_at_b(
    horizon: _Horizon, facts: PeopleColumns, rows: Sequence[int], verdicts: _Verdicts
) -> set[int]:
    """The ``rows`` whose only reasons at checkpoint B (at every stop of their claimed or
    confirmed nationalities, at least one) are those a pending request lifts: the rules run
    vectorised on these people alone."""
    if not rows:
        return set()
    ids = {facts.person_id[row] for row in rows}

    def pick(column: Sequence[Any]) -> list[Any]:
        return [column[row] for row in rows]

    subset = PeopleColumns(
        person_id=pick(facts.person_id),
        custody_status=pick(facts.custody_status),
        order_status=pick(facts.order_status),
        nationality=pick(facts.nationality),
        legal_hold_reason=pick(facts.legal_hold_reason),
        hold_until=pick(facts.hold_until),
        facility=pick(facts.facility),
        medical_need=pick(facts.medical_need),
        family_group=[None] * len(rows),
        documents=[d for d in facts.documents if d[0] in ids],
        verifications=[v for v in facts.verifications if v[0] in ids],
        transfers=facts.transfers,
    )
    _pairs, reasons = evaluate_with_reasons(
        encode_tables(subset, verdicts.b_stops, verdicts.rules), now=horizon.now
    )
    others = ~reason_mask(LIFTED_BY_REQUESTS)
    return {
        row
        for i, row in enumerate(rows)
        if reasons.candidate_stops[i] > 0 and not int(reasons.any_mask[i]) & others
    }


def _choose(countries: Sequence[str], nationality: str) -> str:
    """The country a person is returned to: their nationality when eligible there, else the first."""
    return nationality if nationality in countries else sorted(countries)[0]


def _transfer_hours(
    transfers: Iterable[tuple[int, str, float]], hubs: Sequence[str]
) -> dict[int, dict[str, float]]:
    """facility -> {hub: transfer hours} (hubs only)."""
    wanted = set(hubs)
    out: dict[int, dict[str, float]] = defaultdict(dict)
    for facility, airport, hours in transfers:
        if airport in wanted:
            out[facility][airport] = float(hours)
    return out


def _hub_of_facility(transfers: Iterable[tuple[int, str, float]], hubs: Sequence[str]) -> dict[int, str]:
    """facility -> the hub it transfers to in the fewest hours (ties: the hub listed first)."""
    order = {hub: i for i, hub in enumerate(hubs)}
    return {
        facility: min(reach, key=lambda hub: (reach[hub], order[hub]))
        for facility, reach in _transfer_hours(transfers, hubs).items()
        if reach
    }


def _family_hub(
    facilities: Sequence[int | None],
    reach: Mapping[int, Mapping[str, float]],
    hubs: Sequence[str],
    fallback: str,
) -> str:
    """The hub every member's facility reaches with the shortest longest transfer (``fallback``, the
    first member's own hub, when no hub is common to them all)."""
    common = set(hubs)
    for facility in facilities:
        common &= set(reach.get(facility, {})) if facility is not None else set()
    if not common:
        return fallback
    order = {hub: i for i, hub in enumerate(hubs)}
    return min(
        common,
        key=lambda hub: (max(reach[f][hub] for f in facilities if f is not None), order[hub]),
    )


def _units(
    facts: PeopleColumns,
    in_demand: Sequence[int],
    ready: Mapping[int, _Ready],
    horizon: _Horizon,
    left_out: _LeftOut,
) -> tuple[DemandGroup, ...]:
    """Singles and whole families grouped by (country, hub, ready day, size); weighted units
    rounded half up."""
    families: dict[str, list[int]] = defaultdict(list)
    weights: dict[tuple[str, str, int, int], float] = defaultdict(float)
    for row in in_demand:
        group = facts.family_group[row]
        if group:
            families[group].append(row)
        elif row in ready:
            entry = ready[row]
            assert entry.hub is not None
            weights[(entry.country, entry.hub, entry.day, 1)] += entry.weight
    hubs, costs = horizon.hubs, horizon.costs
    reach = _transfer_hours(facts.transfers, hubs)
    for members in families.values():
        if not all(row in ready for row in members):
            for row in members:
                left_out.add(row, "in a family with a member who cannot travel within the horizon")
            continue
        first = ready[members[0]]
        assert first.hub is not None
        hub = _family_hub([facts.facility[row] for row in members], reach, hubs, first.hub)
        day = max(ready[row].day for row in members)
        weight = min(ready[row].weight for row in members)
        weights[(first.country, hub, day, len(members))] += weight
    groups = []
    for (country, hub, day, size), weight in sorted(weights.items()):
        units = math.floor(weight + 0.5)
        if units:
            cost = costs.detention_cost_family if size > 1 else costs.detention_cost_person
            groups.append(DemandGroup(country, hub, day, size, units, cost))
    return tuple(groups)


def _current(
    uow: UnitOfWork,
    start: date,
    days: int,
    places: Mapping[str, Place],
    catalog: Sequence[AircraftType],
    notes: list[str],
) -> tuple[list[Mission], list[int], list[str], list[AircraftType]]:
    """The flights already scheduled over the horizon as missions, their seats and codes, and the
    aircraft types made up for names missing from the catalog."""
    s = uow.session
    begin = datetime.combine(start, time(0), UTC)
    flights = (
        s.execute(
            sa.select(Flight)
            .where(
                Flight.status.not_in([FlightStatus.CANCELLED.value, FlightStatus.DEPARTED.value]),
                Flight.departure_utc >= begin,
                Flight.departure_utc < begin + timedelta(days=days),
            )
            .order_by(Flight.departure_utc, Flight.id)
        )
        .scalars()
        .all()
    )
    ids = [f.id for f in flights]
    later: dict[int, list[str]] = defaultdict(list)
    stops: dict[int, list[str]] = defaultdict(list)
    if ids:
        for fid, airport in s.execute(
            sa.select(FlightPickup.flight_id, FlightPickup.airport)
            .where(FlightPickup.flight_id.in_(ids))
            .order_by(FlightPickup.flight_id, FlightPickup.sequence)
        ):
            later[fid].append(airport)
        for fid, airport in s.execute(
            sa.select(FlightStop.flight_id, FlightStop.airport)
            .where(FlightStop.flight_id.in_(ids))
            .order_by(FlightStop.flight_id, FlightStop.sequence)
        ):
            stops[fid].append(airport)
    known = {a.name for a in catalog}
    missions: list[Mission] = []
    seats: list[int] = []
    codes: list[str] = []
    unplaced: list[str] = []
    made_up: dict[str, list[str]] = defaultdict(list)
    largest: dict[str, int] = defaultdict(int)
    for flight in flights:
        assert flight.id is not None
        pickups = (flight.departure_airport, *later[flight.id])
        route = [*pickups, *stops[flight.id]]
        if not stops[flight.id] or any(a not in places for a in route):
            unplaced.append(flight.code)
            continue
        local = flight.departure_utc.astimezone(ZoneInfo(places[pickups[0]].timezone)).date()
        day = min(max((local - start).days, 0), days - 1)
        missions.append(Mission(day, flight.aircraft, pickups, tuple(stops[flight.id])))
        seats.append(flight.seats)
        codes.append(flight.code)
        if flight.aircraft not in known:
            made_up[flight.aircraft].append(flight.code)
            largest[flight.aircraft] = max(largest[flight.aircraft], flight.seats)
    if unplaced:
        notes.append(
            f"flights left out of the current schedule (an airport without coordinates, or no stop): "
            f"{', '.join(unplaced)}"
        )
    extra = []
    for name, flight_codes in sorted(made_up.items()):
        size = max(1, largest[name])
        like = min(catalog, key=lambda a: (abs(a.seats - size), a.name))
        extra.append(AircraftType(name, size, like.cost_per_block_hour, like.cruise_kmh, 0))
        notes.append(
            f"aircraft {name} (flights {', '.join(flight_codes)}) is not in the catalog: costed like {like.name} "
            f"(the nearest seats) and never proposed"
        )
    return missions, seats, codes, extra
