"""Synthetic instances shaped like the demo data (used by the benchmark and some unit tests).

Regions of 2–4 countries; multi-stop flights (1–3 stops) only within a region, so regions are the
natural independent components.  Some stops carry country caps; a few % need medical / wheelchair slots;
~10 % of people travel in families of 2–5; some documents expire during the horizon.

``escorts`` sets how many escort officers a flight has per seat:

* ``"tight"`` (default) – 0.6–1.0 per seat, so escorts are the usual binding resource (a stress test);
* ``"realistic"`` – 2 per seat, as in the sample flight schedule: escorts never bind, seats do;
* ``"demo"`` – the ``demo`` command's mix (1.0 / 1.15 / 1.3 / 1.6 / 2.0 per seat, weights
  15 / 25 / 30 / 20 / 10): escorts bind on some flights.
"""

from __future__ import annotations

import numpy as np

from solver import Flight, Person, Problem, Stop

RISK_LOAD = (1.0, 1.5, 2.0)
DEMO_ESCORT_FACTORS = (1.0, 1.15, 1.3, 1.6, 2.0)
DEMO_ESCORT_WEIGHTS = (0.15, 0.25, 0.30, 0.20, 0.10)


def synthetic_problem(
    n_people: int, n_flights: int, seed: int = 0, n_countries: int = 12, escorts: str = "tight"
) -> Problem:
    """A reproducible instance with ``n_people`` people and ``n_flights`` flights (``escorts``: see the
    module docstring)."""
    if escorts not in ("tight", "realistic", "demo"):
        raise ValueError(f"unknown escorts variant {escorts!r}")
    rng = np.random.default_rng(seed)
    countries = [f"C{c:02d}" for c in range(n_countries)]
    region_of = np.sort(rng.integers(0, max(n_countries // 3, 1), size=n_countries))
    airports = 6
    facilities = 20
    reach = [rng.choice(airports, size=int(rng.integers(1, 4)), replace=False) for _ in range(facilities)]
    horizon_days = 60

    flights: list[Flight] = []
    stops: list[Stop] = []
    flight_airport = rng.integers(0, airports, size=n_flights)
    flight_day = np.sort(rng.integers(0, horizon_days, size=n_flights))
    sid = 1
    for f in range(n_flights):
        seats = int(rng.integers(100, 181))
        factor = float(rng.uniform(0.6, 1.0))
        if escorts == "realistic":
            factor = 2.0
        elif escorts == "demo":
            factor = float(rng.choice(DEMO_ESCORT_FACTORS, p=DEMO_ESCORT_WEIGHTS))
        flights.append(
            Flight(
                id=f + 1,
                seats=seats,
                escort_officers=int(np.ceil(seats * factor)) if escorts != "tight" else int(seats * factor),
                medical_slots=int(rng.choice([0, 0, 2, 4])),
                wheelchair_slots=int(rng.choice([0, 1, 2, 3])),
                departure=float(flight_day[f] * 86400 + rng.integers(0, 86400)),
                hours=float(rng.uniform(3, 12)),
            )
        )
        first = int(rng.integers(0, n_countries))
        same_region = np.flatnonzero(region_of == region_of[first])
        k = min(int(rng.choice([1, 1, 2, 3])), same_region.size)
        others = rng.permutation(same_region[same_region != first])[: k - 1]
        for c in [first, *others.tolist()]:
            cap = int(rng.integers(20, 60)) if rng.random() < 0.3 else None
            stops.append(Stop(id=sid, flight=f + 1, country=countries[c], country_cap=cap))
            sid += 1

    stop_country = np.array([int(s.country[1:]) for s in stops])
    stop_flight = np.array([s.flight - 1 for s in stops])
    stop_ids = np.array([s.id for s in stops])
    med_ok = np.array([flights[f].medical_slots > 0 for f in stop_flight])
    wc_ok = np.array([flights[f].wheelchair_slots > 0 for f in stop_flight])
    stop_airport = flight_airport[stop_flight]
    stop_day = flight_day[stop_flight]

    popularity = rng.dirichlet(np.ones(n_countries) * 2)
    people: list[Person] = []
    pid = 1
    fam = 0
    cache: dict[tuple, tuple[int, ...]] = {}
    while len(people) < n_people:
        size = int(rng.integers(2, 6)) if rng.random() < 0.035 else 1
        size = min(size, n_people - len(people))
        country = int(rng.choice(n_countries, p=popularity))
        facility = int(rng.integers(0, facilities))
        expiry = int(rng.integers(10, horizon_days)) if rng.random() < 0.15 else horizon_days
        family = None
        if size > 1:
            fam += 1
            family = f"F{fam}"
        members = []
        for _ in range(size):
            medical = bool(rng.random() < 0.03)
            wheelchair = bool(not medical and rng.random() < 0.02)
            members.append(
                (
                    int(rng.integers(1, 6)),
                    float(rng.choice(RISK_LOAD, p=(0.6, 0.3, 0.1))),
                    medical,
                    wheelchair,
                )
            )
        any_med = any(m[2] for m in members)
        any_wc = any(m[3] for m in members)
        key = (country, facility, expiry, any_med, any_wc)
        if key not in cache:
            ok = (stop_country == country) & np.isin(stop_airport, reach[facility]) & (stop_day < expiry)
            if any_med:
                ok &= med_ok
            if any_wc:
                ok &= wc_ok
            cache[key] = tuple(stop_ids[ok].tolist())
        for prio, load, med, wc in members:
            people.append(
                Person(
                    id=pid,
                    priority=prio,
                    escort_load=load,
                    eligible_stops=cache[key],
                    needs_medical=med,
                    needs_wheelchair=wc,
                    family=family,
                )
            )
            pid += 1
    return Problem(people=tuple(people), flights=tuple(flights), stops=tuple(stops))
