"""Flight schedule import: flights inserted or updated by ``flight_id`` (``Flight.code``), stops included.

Rules beyond the field formats:
- ``departure_airport`` and every stop (``;``-separated, in order, at least one, none twice, none
  equal to the departure airport) must be in the airport table.
- ``departure_time`` is ISO 8601 with a UTC offset; it is stored in UTC.
- Capacities are 0–1000 seats (escorts 0–2000); medical and wheelchair slots do not exceed seats.
- A flight whose manifest is APPROVED or SIGNED cannot be changed by import (an identical row is
  fine: unchanged), except to cancel it: status CANCELLED alone is accepted (its people go back to
  planning; the event names the manifest in force). A stop that plan assignments refer to cannot be
  removed (re-plan first); stops that stay keep their identity when reordered.
- Status DEPARTED is refused unless the flight is DEPARTED already (re-importing the same file
  changes nothing): a departure is recorded by ``charter-planner depart FLIGHT``, which records
  who boarded.
Audited as ``flight.create`` / ``flight.update`` (stops as ``AAA;BBB``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from typing import Any

import sqlalchemy as sa

from planner.domain import fields as f
from planner.domain.enums import FlightStatus, ManifestStatus
from planner.domain.flight_fields import ESCORTS, FLIGHT_CODE, FLIGHT_FIELDS, SEATS, SLOTS
from planner.persistence.audit import changed_fields
from planner.persistence.bulk import bulk_update
from planner.persistence.models import Airport, Assignment, Flight, FlightStop, Manifest
from planner.services.imports.framework import (
    Column,
    ErrorSink,
    Importer,
    Outcome,
    Row,
)
from solver.callbacks import Progress, ShouldStop

#: The columns compared with the database (and audited): the flight's own fields and its status.
COMPARED = (*FLIGHT_FIELDS, "status")


class FlightsImporter(Importer):
    kind = "flights"
    preview_columns = ("flight_id", "carrier", "departure_airport", "stops")
    writes = ("flight", "flight_stop")

    def load(self) -> None:
        s = self.session
        self.known_airports = set(s.execute(sa.select(Airport.iata)).scalars())
        self.stops: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
        for stop_id, flight_id, sequence, airport in s.execute(
            sa.select(FlightStop.id, FlightStop.flight_id, FlightStop.sequence, FlightStop.airport).order_by(
                FlightStop.flight_id, FlightStop.sequence
            )
        ):
            self.stops[flight_id].append((stop_id, sequence, airport))
        table = Flight.__table__
        #: code -> (id, version, comparable fields)
        self.existing: dict[str, tuple[int, int, dict[str, Any]]] = {}
        for row in s.execute(sa.select(table)).mappings():
            values = {name: row[name] for name in COMPARED}
            values["stops"] = ";".join(a for _i, _s, a in self.stops[row["id"]])
            self.existing[row["code"]] = (row["id"], row["version"], values)
        self.locked: dict[int, str] = {
            flight_id: status
            for flight_id, status in s.execute(
                sa.select(Manifest.flight_id, Manifest.status).where(
                    Manifest.status.in_([ManifestStatus.APPROVED.value, ManifestStatus.SIGNED.value])
                )
            )
        }
        self.assigned_stops = set(s.execute(sa.select(Assignment.flight_stop_id).distinct()).scalars())

    def columns(self) -> Sequence[Column]:
        airport = f.airport(self.known_airports)
        return (
            Column("flight_id", FLIGHT_CODE, max_length=16),
            Column("carrier", max_length=100),
            Column("aircraft", max_length=50),
            Column("departure_airport", airport, max_length=3),
            Column("departure_time", f.iso_datetime_with_offset, max_length=40),
            Column("seats", SEATS),
            Column("escort_officers", ESCORTS),
            Column("medical_slots", SLOTS),
            Column("wheelchair_slots", SLOTS),
            Column("stops", self._stops, max_length=200),
            Column("status", f.enum(FlightStatus)),
        )

    def _stops(self, value: str) -> tuple[str, ...]:
        parse_airport = f.airport(self.known_airports)
        stops: list[str] = []
        for item in (part.strip() for part in value.split(";")):
            if not item:
                raise f.FieldError(f"{f.show(value)} has an empty stop")
            code = parse_airport(item)
            if code in stops:
                raise f.FieldError(f"stop {code} is listed twice")
            stops.append(code)
        return tuple(stops)

    def unique_key(self, row: Row) -> tuple[str, Hashable]:
        return "flight_id", row.values["flight_id"]

    def check_row(self, row: Row, errors: ErrorSink) -> None:
        v = row.values
        if v["departure_airport"] in v["stops"]:
            errors.add(row.line, "stops", f"stop {v['departure_airport']} is the departure airport")
        for slot in ("medical_slots", "wheelchair_slots"):
            if v[slot] > v["seats"]:
                errors.add(row.line, slot, f"{v[slot]} exceeds the {v['seats']} seats")

    def plan(self, rows: Sequence[Row], errors: ErrorSink) -> list[Outcome]:
        outcomes: list[Outcome] = []
        self.inserts: list[tuple[str, dict[str, Any], tuple[str, ...]]] = []
        self.updates: list[tuple[str, int, int, dict[str, Any], tuple[str, ...], dict[str, list[Any]]]] = []
        for row in rows:
            v = row.values
            code = v["flight_id"]
            new = {name: v[name] for name in COMPARED if name != "departure_utc"}
            new["departure_utc"] = v["departure_time"]
            new["stops"] = ";".join(v["stops"])
            existing = self.existing.get(code)
            if existing is None:
                if new["status"] == FlightStatus.DEPARTED.value:
                    errors.add(row.line, "status", self._departed_message(code))
                self.inserts.append((code, new, v["stops"]))
                outcomes.append("new")
                continue
            fid, version, old = existing
            changes = changed_fields(old, new)
            departing = new["status"] == FlightStatus.DEPARTED.value != old["status"]
            if departing:
                errors.add(row.line, "status", self._departed_message(code))
            cancelling = set(changes) == {"status"} and new["status"] == FlightStatus.CANCELLED.value
            if changes and fid in self.locked and cancelling:
                changes = {**changes, "in_force_manifest": [self.locked[fid], None]}
            elif changes and fid in self.locked and not departing:
                errors.add(
                    row.line,
                    "flight_id",
                    f"flight {code} has an {self.locked[fid]} manifest and cannot be changed by import "
                    f"(would change {', '.join(sorted(changes))})",
                )
            if "stops" in changes:
                gone = [(sid, a) for sid, _s, a in self.stops[fid] if a not in v["stops"]]
                for sid, airport in gone:
                    if sid in self.assigned_stops:
                        errors.add(
                            row.line,
                            "stops",
                            f"stop {airport} of flight {code} has people assigned by a plan; re-plan before removing it",
                        )
            if changes:
                self.updates.append((code, fid, version, new, v["stops"], changes))
            outcomes.append("updated" if changes else "unchanged")
        self.details = {"flights_created": len(self.inserts), "flights_updated": len(self.updates)}
        return outcomes

    @staticmethod
    def _departed_message(code: str) -> str:
        return (
            f"flight {code} cannot be marked DEPARTED by import: record the departure with "
            f"'charter-planner depart {code}' (it records who boarded)"
        )

    def apply(self, progress: Progress, should_stop: ShouldStop) -> None:
        session = self.session
        stop_table = FlightStop.__table__
        for code, new, stops in self.inserts:
            flight = Flight(code=code, **{k: new[k] for k in COMPARED})
            session.add(flight)
            session.flush()
            session.execute(
                sa.insert(stop_table),
                [{"flight_id": flight.id, "sequence": i, "airport": a} for i, a in enumerate(stops, 1)],
            )
            self.event("flight.create", "flight", code, changed_fields({}, {"code": code, **new}))
        progress(0.5, "updating flights")
        bulk_update(
            session,
            Flight.__table__,
            [
                {"id": fid, "version": version + 1, **{k: new[k] for k in COMPARED}}
                for _code, fid, version, new, _stops, _changes in self.updates
            ],
            guard_version=True,
        )
        for code, fid, _version, _new, stops, changes in self.updates:
            if "stops" in changes:
                self._replace_stops(fid, stops)
            self.event("flight.update", "flight", code, changes)
        progress(1.0, "flights written")

    def _replace_stops(self, flight_id: int, stops: tuple[str, ...]) -> None:
        """Keep rows of stops that stay (renumbered), delete the others, add the new ones."""
        table = FlightStop.__table__
        old = {airport: stop_id for stop_id, _seq, airport in self.stops[flight_id]}
        gone = [sid for airport, sid in old.items() if airport not in stops]
        if gone:
            self.session.execute(sa.delete(table).where(table.c.id.in_(gone)))
        kept = [old[a] for a in stops if a in old]
        if kept:  # park the kept rows out of the way of the (flight_id, sequence) unique key
            self.session.execute(sa.update(table).where(table.c.id.in_(kept)).values(sequence=-table.c.id))
        for sequence, airport in enumerate(stops, 1):
            if airport in old:
                self.session.execute(
                    sa.update(table).where(table.c.id == old[airport]).values(sequence=sequence)
                )
            else:
                self.session.execute(
                    sa.insert(table).values(flight_id=flight_id, sequence=sequence, airport=airport)
                )
