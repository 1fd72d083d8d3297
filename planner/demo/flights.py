"""Demo facilities (reaching two or three US hubs) and flights (missions over the next
``HORIZON_DAYS`` days picking people up at one to three US staging airports, at increasing times,
then flying to one to three stops), drawn deterministically. With at least as many flights as
receiving countries, every country gets at least one planned flight. Pickups are drawn among the
hubs ``Reference.hubs`` (the generator passes the hubs its facilities transfer to, so somebody can
reach every pickup). About ``SISTER_SHARE`` of the single-stop flights are sister missions: the
same stops on the same day as another flight, from other staging airports (what consolidation
advice may merge into one mission with more pickups)."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from planner.demo import names
from planner.demo.sampling import DEMO_FLIGHT_PREFIX, HORIZON_DAYS, Reference, cumulative, weighted
from planner.domain.enums import (
    FlightStatus,
)

# ---------------------------------------------------------------- facilities


@dataclass
class DemoFacility:
    id: int
    code: str
    name: str
    city: str
    airports: list[tuple[str, float]]
    weight: float


def make_facilities(rng: random.Random, count: int, hubs: Sequence[str], first_id: int) -> list[DemoFacility]:
    # Interleave sites by their nearest hub, so even a handful of facilities spreads over the hubs.
    by_hub: dict[str, list[tuple[str, str, str, dict[str, float]]]] = {}
    for entry in names.FACILITY_SITES:
        by_hub.setdefault(min(entry[3], key=entry[3].__getitem__), []).append(entry)
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
            DemoFacility(
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
class DemoFlight:
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
    #: Later pickups (sequence 1, 2, …): (airport, departure), after ``hub`` / ``departure_utc``.
    pickups: list[tuple[str, datetime]] = field(default_factory=list)
    id: int = 0
    code: str = ""

    @property
    def pickup_airports(self) -> list[str]:
        """Every pickup airport in flying order (the first is ``hub``)."""
        return [self.hub, *(airport for airport, _ in self.pickups)]


#: Escort officers per returnee seat. With the default escort loads (LOW 1, MEDIUM 1.5, HIGH 2)
#: and the generated risk mix a full flight needs about 1.23 per seat, so escorts bind on some flights.
ESCORT_FACTORS = (1.0, 1.15, 1.3, 1.6, 2.0)
ESCORT_FACTOR_WEIGHTS = cumulative((15, 25, 30, 20, 10))
MEDICAL_SLOT_WEIGHTS = cumulative((10, 20, 25, 20, 15, 10))
WHEELCHAIR_SLOT_WEIGHTS = cumulative((20, 30, 25, 15, 10))


def make_flights(
    rng: random.Random, count: int, ref: Reference, today: date, first_id: int
) -> list[DemoFlight]:
    routes = [(r, w) for r, w in names.ROUTES if all(c in ref.airports_by_country for c in r)]
    if not routes:
        routes = [((c,), 1.0) for c in ref.countries]
    route_cum = cumulative([w for _, w in routes])
    drafts = [
        _draft(rng, list(weighted(rng, route_cum, [r for r, _ in routes])), ref, today) for _ in range(count)
    ]
    _cover_every_country(rng, drafts, ref, today)
    _add_sister_missions(rng, drafts, ref, today)
    # Codes follow departure order, as an office would number its schedule.
    order = sorted(range(count), key=lambda i: (drafts[i].departure_utc, i))
    width = max(4, len(str(count)))
    flights = []
    for n, i in enumerate(order):
        f = drafts[i]
        f.id, f.code = first_id + n, f"{DEMO_FLIGHT_PREFIX}{n + 1:0{width}d}"
        flights.append(f)
    return flights


#: Share of flights redrawn as a sister mission: same stops, same day, other staging airports
#: (what consolidation advice can merge into one mission with more pickups).
SISTER_SHARE = 0.1


def _add_sister_missions(rng: random.Random, drafts: list[DemoFlight], ref: Reference, today: date) -> None:
    """Redraw about ``SISTER_SHARE`` of the PLANNED single-stop flights whose country keeps another
    planned flight as a sister of another planned flight: the same stops on the same local day
    from its own staging airports."""
    planned = [i for i, f in enumerate(drafts) if f.status == FlightStatus.PLANNED.value]
    per_country = Counter(c for i in planned for c in drafts[i].countries)
    for i in planned:
        f = drafts[i]
        if len(f.countries) != 1 or per_country[f.countries[0]] < 2 or rng.random() >= SISTER_SHARE:
            continue
        sister = drafts[rng.choice([j for j in planned if j != i])]
        per_country[f.countries[0]] -= 1
        twin = _draft(rng, sister.countries, ref, today, planned=True, day=sister.departure_utc.date())
        twin.stops = list(sister.stops)
        drafts[i] = twin
        per_country.update(twin.countries)


def _draft(
    rng: random.Random,
    countries: list[str],
    ref: Reference,
    today: date,
    *,
    planned: bool = False,
    day: date | None = None,
) -> DemoFlight:
    """One flight to ``countries`` (in stop order); ``planned``: a PLANNED one in the coming days
    (on ``day`` when given)."""
    stops = []
    for c in countries:
        options = ref.airports_by_country[c]
        stops.append(weighted(rng, cumulative([names.AIRPORT_WEIGHT.get(a, 1.0) for a in options]), options))
    region = names.REGION_OF_COUNTRY.get(countries[0], "central")
    hub_weights = [(h, w) for h, w in names.HUB_WEIGHTS_BY_REGION[region].items() if h in ref.hubs]
    if not hub_weights:
        hub_weights = [(h, 1.0) for h in ref.hubs]
    hub = weighted(rng, cumulative([w for _, w in hub_weights]), [h for h, _ in hub_weights])
    longhaul = any(names.REGION_OF_COUNTRY.get(c) == "longhaul" for c in countries)
    carrier, fleet = names.CARRIERS[rng.randrange(len(names.CARRIERS))]
    types = [t for t in fleet if t[3] or not longhaul]
    if not types:  # a narrow-body carrier was drawn for a long-haul route
        carrier, fleet = rng.choice([c for c in names.CARRIERS if any(t[3] for t in c[1])])
        types = [t for t in fleet if t[3]]
    aircraft, low, high, _wide = rng.choice(types)
    seats = min(high, max(low, 5 * round(rng.randint(low, high) / 5)))
    draw = 1.0 if planned else rng.random()
    if draw < 0.04 and day is None:
        status, day = FlightStatus.DEPARTED.value, today - timedelta(days=rng.randint(1, 21))
    else:
        status = FlightStatus.CANCELLED.value if draw < 0.08 else FlightStatus.PLANNED.value
        day = day or today + timedelta(days=rng.randint(1, HORIZON_DAYS))
    local = datetime.combine(
        day, dtime(rng.randint(6, 20), 15 * rng.randrange(4)), ZoneInfo(ref.timezone[hub])
    )
    departure = local.astimezone(UTC)
    pickups = _later_pickups(rng, hub, departure, dict(hub_weights), ref.hubs)
    return DemoFlight(
        carrier=carrier,
        aircraft=aircraft,
        hub=hub,
        departure_utc=departure,
        seats=seats,
        escorts=math.ceil(seats * weighted(rng, ESCORT_FACTOR_WEIGHTS, ESCORT_FACTORS)),
        medical=weighted(rng, MEDICAL_SLOT_WEIGHTS, range(6)),
        wheelchair=weighted(rng, WHEELCHAIR_SLOT_WEIGHTS, range(5)),
        status=status,
        stops=stops,
        countries=countries,
        pickups=pickups,
    )


PICKUP_COUNT_CUM = cumulative(names.PICKUP_COUNT_WEIGHTS)


def _later_pickups(
    rng: random.Random, first: str, departure: datetime, weights: dict[str, float], hubs: Sequence[str]
) -> list[tuple[str, datetime]]:
    """Zero to two more staging airports after ``first`` (the region's hubs preferred), each
    leaving 1.5 to 4 hours after the previous pickup, on the quarter hour."""
    wanted = weighted(rng, PICKUP_COUNT_CUM, (1, 2, 3)) - 1
    options = [h for h in hubs if h != first]
    pickups: list[tuple[str, datetime]] = []
    at = departure
    while len(pickups) < wanted and options:
        airport = weighted(rng, cumulative([weights.get(h, 0.3) for h in options]), options)
        options.remove(airport)
        at += timedelta(minutes=15 * rng.randint(6, 16))
        pickups.append((airport, at))
    return pickups


def _cover_every_country(rng: random.Random, drafts: list[DemoFlight], ref: Reference, today: date) -> None:
    """Give every receiving country without a PLANNED flight one, in place of a cancelled or
    departed flight or a single-stop flight (to a country that keeps another planned one, or runs
    on the default rule); nothing changes when the draw covered all.
    Countries with a stored rule come first, so a short schedule covers them before the others."""
    planned = Counter(c for f in drafts if f.status == FlightStatus.PLANNED.value for c in f.countries)
    for country in sorted(ref.countries, key=lambda c: c in ref.without_rule):
        if planned[country]:
            continue
        ruled = country not in ref.without_rule
        spare = [
            i
            for i, f in enumerate(drafts)
            if f.status != FlightStatus.PLANNED.value
            or (
                len(f.countries) == 1
                and (planned[f.countries[0]] > 1 or (ruled and f.countries[0] in ref.without_rule))
            )
        ]
        if not spare:
            return  # too few flights for every country
        # The most-served country's planned flight first; a cancelled or departed one otherwise.
        i = max(
            spare,
            key=lambda i: (
                drafts[i].status == FlightStatus.PLANNED.value,
                planned[drafts[i].countries[0]],
                -i,
            ),
        )
        if drafts[i].status == FlightStatus.PLANNED.value:
            planned[drafts[i].countries[0]] -= 1
        drafts[i] = _draft(rng, [country], ref, today, planned=True)
        planned[country] += 1
