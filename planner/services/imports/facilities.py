"""Facilities import: facilities inserted or updated by code, with the airports they reach.

``airports`` is ``IATA:hours`` separated by ``;`` (empty items from a trailing ``;`` are ignored);
every airport must be known (``planner.services.airports.AirportCatalog``: the database, then
the shipped world table; an unknown code's error names the closest known codes; dataset airports
the file uses are copied into the database, audited, when it is written), appear once, and hours
are 0–240. The file's list
replaces the facility's list. Changes are audited as ``facility.create`` / ``facility.update``
with ``airports`` shown as ``IATA:hours;…`` sorted by code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from typing import Any

import sqlalchemy as sa

from planner.domain import fields as f
from planner.persistence.audit import changed_fields
from planner.persistence.bulk import bulk_update
from planner.persistence.models import Facility, FacilityAirport
from planner.services.airports import AirportCatalog
from planner.services.imports.framework import (
    Column,
    ErrorSink,
    Importer,
    Outcome,
    Row,
)
from solver.callbacks import Progress, ShouldStop

MAX_TRANSFER_HOURS = 240.0
FACILITY_CODE = f.code(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", "a facility code (letters, digits, _ . -)")


def airports_text(airports: dict[str, float]) -> str:
    """Canonical ``IATA:hours;…`` (sorted) for comparison and the audit log."""
    return ";".join(f"{code}:{hours:g}" for code, hours in sorted(airports.items()))


class FacilitiesImporter(Importer):
    kind = "facilities"
    preview_columns = ("facility_code", "name", "city")
    writes = ("airport", "facility", "facility_airport")

    def load(self) -> None:
        self.catalog = AirportCatalog.load(self.uow)
        reach: dict[int, dict[str, float]] = defaultdict(dict)
        for fid, code, hours in self.session.execute(
            sa.select(FacilityAirport.facility_id, FacilityAirport.airport, FacilityAirport.transfer_hours)
        ):
            reach[fid][code] = float(hours)
        #: code -> (id, version, comparable fields)
        self.existing: dict[str, tuple[int, int, dict[str, Any]]] = {
            code: (fid, version, {"name": name, "city": city, "airports": airports_text(reach[fid])})
            for fid, version, code, name, city in self.session.execute(
                sa.select(Facility.id, Facility.version, Facility.code, Facility.name, Facility.city)
            )
        }
        self.existing_reach = reach

    def columns(self) -> Sequence[Column]:
        return (
            Column("facility_code", FACILITY_CODE, max_length=16),
            Column("name"),
            Column("city", required=False, max_length=100),
            Column("airports", self._airports, required=False, max_length=2000),
        )

    def _airports(self, value: str) -> dict[str, float]:
        parse_airport = self.catalog.parse
        parse_hours = f.decimal(0, MAX_TRANSFER_HOURS)
        result: dict[str, float] = {}
        for item in (part.strip() for part in value.split(";")):
            if not item:
                continue
            code, colon, hours = (p.strip() for p in item.partition(":"))
            if not colon:
                raise f.FieldError(f"{f.show(item)} is not IATA:hours")
            iata = parse_airport(code)
            if iata in result:
                raise f.FieldError(f"airport {iata} is listed twice")
            try:
                result[iata] = parse_hours(hours)
            except f.FieldError as exc:
                raise f.FieldError(f"{iata}: transfer hours {exc}") from None
        return result

    def unique_key(self, row: Row) -> tuple[str, Hashable]:
        return "facility_code", row.values["facility_code"]

    def plan(self, rows: Sequence[Row], errors: ErrorSink) -> list[Outcome]:
        outcomes: list[Outcome] = []
        self.inserts: list[tuple[str, dict[str, Any], dict[str, float]]] = []
        self.updates: list[tuple[str, int, int, dict[str, Any], dict[str, float], dict[str, list[Any]]]] = []
        for row in rows:
            v = row.values
            airports = v["airports"] or {}
            new = {"name": v["name"], "city": v["city"] or "", "airports": airports_text(airports)}
            code = v["facility_code"]
            existing = self.existing.get(code)
            if existing is None:
                self.inserts.append((code, new, airports))
                outcomes.append("new")
                continue
            fid, version, old = existing
            changes = changed_fields(old, new)
            if changes:
                self.updates.append((code, fid, version, new, airports, changes))
            outcomes.append("updated" if changes else "unchanged")
        self.details = {"facilities_created": len(self.inserts), "facilities_updated": len(self.updates)}
        return outcomes

    def apply(self, progress: Progress, should_stop: ShouldStop) -> None:
        session = self.session
        used = {a for _c, _n, airports in self.inserts for a in airports}
        used.update(a for _c, _f, _v, _n, airports, _ch in self.updates for a in airports)
        self.catalog.ensure_in_database(self.uow, self.actor, used)
        for code, new, airports in self.inserts:
            facility = Facility(code=code, name=new["name"], city=new["city"])
            session.add(facility)
            session.flush()
            if airports:
                session.execute(
                    sa.insert(FacilityAirport.__table__),
                    [
                        {"facility_id": facility.id, "airport": a, "transfer_hours": h}
                        for a, h in airports.items()
                    ],
                )
            self.event("facility.create", "facility", code, changed_fields({}, {"code": code, **new}))
        progress(0.5, "updating facilities")
        bulk_update(
            session,
            Facility.__table__,
            [
                {"id": fid, "name": new["name"], "city": new["city"], "version": version + 1}
                for _code, fid, version, new, _airports, _changes in self.updates
            ],
            guard_version=True,
        )
        for code, fid, _version, _new, airports, changes in self.updates:
            if "airports" in changes:
                self._replace_reach(fid, self.existing_reach[fid], airports)
            self.event("facility.update", "facility", code, changes)
        progress(1.0, "facilities written")

    def _replace_reach(self, facility_id: int, old: dict[str, float], new: dict[str, float]) -> None:
        table = FacilityAirport.__table__
        gone = [a for a in old if a not in new]
        if gone:
            self.session.execute(
                sa.delete(table).where(table.c.facility_id == facility_id, table.c.airport.in_(gone))
            )
        for airport, hours in new.items():
            if airport not in old:
                self.session.execute(
                    sa.insert(table).values(facility_id=facility_id, airport=airport, transfer_hours=hours)
                )
            elif old[airport] != hours:
                self.session.execute(
                    sa.update(table)
                    .where(table.c.facility_id == facility_id, table.c.airport == airport)
                    .values(transfer_hours=hours)
                )
