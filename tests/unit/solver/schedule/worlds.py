"""Small scheduling worlds for the scheduler's unit tests."""

from __future__ import annotations

from datetime import date

from solver.schedule.problem import AircraftType, CountryLimits, DemandGroup, Place, ScheduleProblem
from solver.schedule.synthetic import PLACES

START = date(2026, 3, 2)  # a Monday
PLACE_MAP = {code: Place(code, lat, lon, tz) for code, (lat, lon, tz) in PLACES.items()}
JET = AircraftType("Jet", 10, 1000.0, 800.0, 3)
SMALL = AircraftType("Small", 6, 700.0, 700.0, 2)


def world(
    demand: tuple[DemandGroup, ...],
    *,
    countries: dict[str, CountryLimits] | None = None,
    aircraft: tuple[AircraftType, ...] = (JET,),
    days: int = 7,
    hubs: tuple[str, ...] = ("IAH", "MIA"),
    penalty: float = 5000.0,
) -> ScheduleProblem:
    limits = countries or {
        "GTM": CountryLimits("GTM", ("GUA",), "central"),
        "HND": CountryLimits("HND", ("SAP",), "central"),
        "MEX": CountryLimits("MEX", ("MEX",)),
    }
    return ScheduleProblem(START, days, PLACE_MAP, hubs, aircraft, limits, demand, penalty)


def singles(country: str, hub: str, units: int, ready: int = 0) -> DemandGroup:
    return DemandGroup(country, hub, ready, 1, units, 122.0)


def families(country: str, hub: str, units: int, size: int = 3, ready: int = 0) -> DemandGroup:
    return DemandGroup(country, hub, ready, size, units, 300.0)
