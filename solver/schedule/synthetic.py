"""Synthetic scheduling problems shaped like the demo data (unit tests and the benchmark).

Fourteen receiving countries in five regions (central, mexico, caribbean, andes, longhaul) with
their real airports, the nine US staging hubs, five aircraft types; ``people`` returnees of whom
``backlog`` are ready on day 0 and the rest become ready evenly over the horizon, at two to four
hubs per country (the region's usual hubs), a tenth of them in families of 2–5."""

from __future__ import annotations

import random
from datetime import date

from solver.schedule.problem import AircraftType, CountryLimits, DemandGroup, Place, ScheduleProblem

PLACES: dict[str, tuple[float, float, str]] = {
    "AEX": (31.327, -92.549, "America/Chicago"),
    "BRO": (25.907, -97.426, "America/Chicago"),
    "ELP": (31.807, -106.378, "America/Denver"),
    "HRL": (26.228, -97.654, "America/Chicago"),
    "IAH": (29.984, -95.341, "America/Chicago"),
    "IWA": (33.308, -111.655, "America/Phoenix"),
    "LRD": (27.544, -99.461, "America/Chicago"),
    "MIA": (25.796, -80.287, "America/New_York"),
    "SAT": (29.534, -98.47, "America/Chicago"),
    "BOG": (4.702, -74.147, "America/Bogota"),
    "CAN": (23.392, 113.299, "Asia/Shanghai"),
    "DEL": (28.556, 77.1, "Asia/Kolkata"),
    "GDL": (20.522, -103.311, "America/Mexico_City"),
    "GUA": (14.583, -90.528, "America/Guatemala"),
    "MEX": (19.436, -99.072, "America/Mexico_City"),
    "MGA": (12.141, -86.168, "America/Managua"),
    "PEK": (40.08, 116.585, "Asia/Shanghai"),
    "PVG": (31.143, 121.805, "Asia/Shanghai"),
    "SAL": (13.441, -89.056, "America/El_Salvador"),
    "SAP": (15.453, -87.924, "America/Tegucigalpa"),
    "SDQ": (18.43, -69.669, "America/Santo_Domingo"),
    "UIO": (-0.129, -78.358, "America/Guayaquil"),
    "XPL": (14.382, -87.621, "America/Tegucigalpa"),
    "PAP": (18.58, -72.293, "America/Port-au-Prince"),
    "BSB": (-15.869, -47.921, "America/Sao_Paulo"),
    "CNF": (-19.624, -43.972, "America/Sao_Paulo"),
    "SGN": (10.819, 106.652, "Asia/Ho_Chi_Minh"),
    "NKC": (18.31, -15.97, "Africa/Nouakchott"),
}
HUBS = ("AEX", "BRO", "ELP", "HRL", "IAH", "IWA", "LRD", "MIA", "SAT")
HUB_WEIGHTS_BY_REGION: dict[str, dict[str, float]] = {
    "central": {"AEX": 3, "BRO": 3, "HRL": 2, "IAH": 3, "SAT": 2, "LRD": 1, "ELP": 1, "IWA": 1, "MIA": 1},
    "mexico": {"ELP": 3, "IWA": 2, "LRD": 2, "SAT": 2, "BRO": 1, "HRL": 1, "IAH": 1},
    "caribbean": {"MIA": 4, "AEX": 2, "IAH": 2},
    "andes": {"MIA": 3, "AEX": 2, "IAH": 2, "SAT": 1},
    "longhaul": {"IWA": 2, "ELP": 1, "IAH": 2, "MIA": 1, "AEX": 1},
}
#: country: (region, airports, share of demand, cap per mission, missions per week, weekdays, notice days)
COUNTRIES: dict[str, tuple[str, tuple[str, ...], float, int | None, int | None, frozenset[int], int]] = {
    "GTM": ("central", ("GUA",), 16, None, 8, frozenset({0, 1, 2, 3, 4}), 3),
    "HND": ("central", ("SAP", "XPL"), 15, 135, 7, frozenset(), 3),
    "SLV": ("central", ("SAL",), 7, None, 4, frozenset({1, 3}), 3),
    "NIC": ("central", ("MGA",), 3, None, 2, frozenset({2}), 7),
    "MEX": ("mexico", ("MEX", "GDL"), 11, None, None, frozenset(), 3),
    "DOM": ("caribbean", ("SDQ",), 5, None, 3, frozenset(), 5),
    "HTI": ("caribbean", ("PAP",), 3, None, 2, frozenset({1, 4}), 5),
    "COL": ("andes", ("BOG",), 7, None, 4, frozenset(), 5),
    "ECU": ("andes", ("UIO",), 7, None, 4, frozenset(), 5),
    "BRA": ("andes", ("BSB", "CNF"), 2, None, 1, frozenset(), 5),
    "IND": ("longhaul", ("DEL",), 3, 100, 1, frozenset(), 10),
    "CHN": ("longhaul", ("PEK", "PVG", "CAN"), 2.5, None, 1, frozenset({2}), 14),
    "VNM": ("longhaul", ("SGN",), 1, None, 1, frozenset(), 7),
    "MRT": ("", ("NKC",), 1, None, 1, frozenset(), 7),
}
#: name, seats, cost per block hour, cruise km/h, share of the weekly missions
AIRCRAFT: tuple[tuple[str, int, float, float, float], ...] = (
    ("B737-800", 150, 8419.0, 780.0, 0.35),
    ("A320", 140, 8100.0, 780.0, 0.2),
    ("MD-83", 130, 7600.0, 740.0, 0.15),
    ("A321", 165, 9000.0, 800.0, 0.15),
    ("B767-300", 180, 12500.0, 850.0, 0.15),
)


def synthetic_schedule_problem(
    people: int, weeks: int, *, seed: int = 0, backlog: float = 0.3, start: date = date(2026, 3, 2)
) -> ScheduleProblem:
    """A reproducible demo-like problem (see the module docstring)."""
    rng = random.Random(seed)
    days = weeks * 7
    places = {code: Place(code, lat, lon, tz) for code, (lat, lon, tz) in PLACES.items()}
    countries = {
        c: CountryLimits(c, airports, region, cap, per_week, weekdays, notice)
        for c, (region, airports, _, cap, per_week, weekdays, notice) in COUNTRIES.items()
    }
    total_share = sum(v[2] for v in COUNTRIES.values())
    missions_per_week = max(4, round(1.6 * people / weeks / 150))
    aircraft = tuple(
        AircraftType(name, seats, cph, cruise, max(1, round(share * missions_per_week)))
        for name, seats, cph, cruise, share in AIRCRAFT
    )
    counts: dict[tuple[str, str, int, int], int] = {}
    for c, (region, _, share, *_rest) in COUNTRIES.items():
        weights = HUB_WEIGHTS_BY_REGION[region or "longhaul"]
        hubs = rng.sample(sorted(weights), k=min(len(weights), rng.randint(2, 4)))
        hub_weights = [weights[h] for h in hubs]
        n = round(people * share / total_share)
        placed = 0
        while placed < n:
            size = 1 if rng.random() < 0.9 else rng.randint(2, 5)
            hub = rng.choices(hubs, hub_weights)[0]
            ready = 0 if rng.random() < backlog else rng.randrange(days)
            counts[c, hub, ready, size] = counts.get((c, hub, ready, size), 0) + 1
            placed += size
    demand = tuple(
        DemandGroup(c, hub, ready, size, units, 122.0 if size == 1 else 300.0)
        for (c, hub, ready, size), units in sorted(counts.items())
    )
    return ScheduleProblem(start, days, places, HUBS, aircraft, countries, demand, 5000.0)
