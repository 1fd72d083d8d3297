"""Demo facilities (reaching two or three US hubs) and flights (from the hubs, over the next
``HORIZON_DAYS`` days, one to three stops), drawn deterministically. With at least as many flights
as receiving countries, every country gets at least one planned flight."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
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
    id: int = 0
    code: str = ""


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
    # Codes follow departure order, as an office would number its schedule.
    order = sorted(range(count), key=lambda i: (drafts[i].departure_utc, i))
    width = max(4, len(str(count)))
    flights = []
    for n, i in enumerate(order):
        f = drafts[i]
        f.id, f.code = first_id + n, f"{DEMO_FLIGHT_PREFIX}{n + 1:0{width}d}"
        flights.append(f)
    return flights


def _draft(
    rng: random.Random, countries: list[str], ref: Reference, today: date, *, planned: bool = False
) -> DemoFlight:
    """One flight to ``countries`` (in stop order); ``planned``: a PLANNED one in the coming days."""
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
    if draw < 0.04:
        status, day = FlightStatus.DEPARTED.value, today - timedelta(days=rng.randint(1, 21))
    else:
        status = FlightStatus.CANCELLED.value if draw < 0.08 else FlightStatus.PLANNED.value
        day = today + timedelta(days=rng.randint(1, HORIZON_DAYS))
    local = datetime.combine(
        day, dtime(rng.randint(6, 20), 15 * rng.randrange(4)), ZoneInfo(ref.timezone[hub])
    )
    return DemoFlight(
        carrier=carrier,
        aircraft=aircraft,
        hub=hub,
        departure_utc=local.astimezone(UTC),
        seats=seats,
        escorts=math.ceil(seats * weighted(rng, ESCORT_FACTOR_WEIGHTS, ESCORT_FACTORS)),
        medical=weighted(rng, MEDICAL_SLOT_WEIGHTS, range(6)),
        wheelchair=weighted(rng, WHEELCHAIR_SLOT_WEIGHTS, range(5)),
        status=status,
        stops=stops,
        countries=countries,
    )


def _cover_every_country(rng: random.Random, drafts: list[DemoFlight], ref: Reference, today: date) -> None:
    """Give every receiving country without a PLANNED flight one, in place of a single-stop flight
    (to a country that keeps another planned one); nothing changes when the draw covered all."""
    planned = Counter(c for f in drafts if f.status == FlightStatus.PLANNED.value for c in f.countries)
    for country in ref.countries:
        if planned[country]:
            continue
        spare = [
            i
            for i, f in enumerate(drafts)
            if len(f.countries) == 1
            and (f.status != FlightStatus.PLANNED.value or planned[f.countries[0]] > 1)
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
