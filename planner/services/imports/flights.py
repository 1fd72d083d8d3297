"""Flight schedule import: flights inserted or updated by ``flight_id`` (``Flight.code``), stops included.

Rules beyond the field formats:
- ``departure_airport``, every stop (``;``-separated, in order, at least one, none twice, none
  equal to the departure airport) and every pickup must be a known airport
  (``planner.services.airports.AirportCatalog``: the database, then the shipped world table; an
  unknown code's error names the closest known codes). Dataset airports the file uses are copied
  into the database (audited ``airport.create``) when the import is written.
- ``departure_time`` is ISO 8601 with a UTC offset; it is stored in UTC.
- Optional column ``pickups``: the later pickups in flying order, ``IATA@ISO8601;…`` (each time
  with its offset; ``planner.services.routes.parse_pickups``); ``departure_airport`` /
  ``departure_time`` stay the first pickup. The route must be valid
  (``planner.domain.route.route_problems``: no pickup twice or equal to the departure airport, no
  pickup that is a stop, each pickup strictly after the one before, the last before the first
  stop's arrival when that is known). An empty field = no later pickups; a file without the column
  leaves every flight's pickups as they are. A pickup where people of the draft plan board cannot
  be removed or moved (re-plan first).
- Capacities are 0–1000 seats (escorts 0–2000); medical and wheelchair slots do not exceed seats.
- A flight whose manifest is APPROVED or SIGNED cannot be changed by import (an identical row is
  fine: unchanged), except to cancel it: status CANCELLED alone is accepted (its people go back to
  planning; the event names the manifest in force). A stop that plan assignments refer to cannot be
  removed (re-plan first); stops that stay keep their identity when reordered.
- Status DEPARTED is refused unless the flight is DEPARTED already (re-importing the same file
  changes nothing): a departure is recorded by ``charter-planner depart FLIGHT``, which records
  who boarded.
Audited as ``flight.create`` / ``flight.update`` (stops as ``AAA;BBB``, pickups as
``AAA@2027-01-05T15:00Z;…``, ``planner.services.routes.pickups_text``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from planner.domain import fields as f
from planner.domain.enums import FlightStatus, ManifestStatus
from planner.domain.flight_fields import ESCORTS, FLIGHT_CODE, FLIGHT_FIELDS, SEATS, SLOTS
from planner.domain.route import Drop, Pickup, Route, route_problems
from planner.persistence.audit import changed_fields
from planner.persistence.bulk import bulk_update
from planner.persistence.models import Assignment, Flight, FlightPickup, FlightStop, Manifest
from planner.services.airports import AirportCatalog
from planner.services.imports.framework import (
    Column,
    ErrorSink,
    Importer,
    Outcome,
    Row,
)
from planner.services.routes import parse_pickups, pickup_change_problems, pickups_text, write_pickups
from solver.callbacks import Progress, ShouldStop

#: The columns compared with the database (and audited): the flight's own fields and its status.
COMPARED = (*FLIGHT_FIELDS, "status")


class FlightsImporter(Importer):
    kind = "flights"
    preview_columns = ("flight_id", "carrier", "departure_airport", "stops")
    writes = ("airport", "flight", "flight_stop", "flight_pickup")

    def load(self) -> None:
        s = self.session
        self.catalog = AirportCatalog.load(self.uow)
        self.stops: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
        #: flight id -> {stop airport: scheduled arrival} (only stops whose arrival is known)
        self.arrivals: dict[int, dict[str, datetime]] = defaultdict(dict)
        for stop_id, flight_id, sequence, airport, arrival in s.execute(
            sa.select(
                FlightStop.id,
                FlightStop.flight_id,
                FlightStop.sequence,
                FlightStop.airport,
                FlightStop.arrival_utc,
            ).order_by(FlightStop.flight_id, FlightStop.sequence)
        ):
            self.stops[flight_id].append((stop_id, sequence, airport))
            if arrival is not None:
                self.arrivals[flight_id][airport] = arrival
        #: flight id -> its later pickups (sequence 1…), in order
        self.pickups: dict[int, list[Pickup]] = defaultdict(list)
        for flight_id, sequence, airport, departure in s.execute(
            sa.select(
                FlightPickup.flight_id,
                FlightPickup.sequence,
                FlightPickup.airport,
                FlightPickup.departure_utc,
            ).order_by(FlightPickup.flight_id, FlightPickup.sequence)
        ):
            self.pickups[flight_id].append(Pickup(sequence, airport, departure))
        table = Flight.__table__
        #: code -> (id, version, comparable fields)
        self.existing: dict[str, tuple[int, int, dict[str, Any]]] = {}
        for row in s.execute(sa.select(table)).mappings():
            values = {name: row[name] for name in COMPARED}
            values["stops"] = ";".join(a for _i, _s, a in self.stops[row["id"]])
            values["pickups"] = pickups_text(self.pickups[row["id"]])
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
        airport = self.catalog.parse
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
            Column("pickups", self._pickups, required=False, max_length=2000, optional_column=True),
        )

    def _pickups(self, value: str) -> tuple[tuple[str, datetime], ...]:
        return parse_pickups(value, self.catalog.parse)

    def _stops(self, value: str) -> tuple[str, ...]:
        parse_airport = self.catalog.parse
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
        else:
            route = self._route(row)
            if not route.is_single_pickup():  # a one-pickup flight is checked as it always was
                for problem in route_problems(route):
                    errors.add(row.line, "pickups", problem)
        for slot in ("medical_slots", "wheelchair_slots"):
            if v[slot] > v["seats"]:
                errors.add(row.line, slot, f"{v[slot]} exceeds the {v['seats']} seats")

    def _later_pickups(self, row: Row) -> tuple[Pickup, ...]:
        """The row's later pickups: the file's (its ``pickups`` column), or the stored ones when
        the file has no such column."""
        if "pickups" in self.file_columns:
            return tuple(Pickup(i, a, t) for i, (a, t) in enumerate(row.values["pickups"] or (), 1))
        existing = self.existing.get(row.values["flight_id"])
        return tuple(self.pickups[existing[0]]) if existing is not None else ()

    def _route(self, row: Row) -> Route:
        """The route the row gives its flight; a stop that stays keeps its known arrival."""
        v = row.values
        existing = self.existing.get(v["flight_id"])
        arrivals = self.arrivals[existing[0]] if existing is not None else {}
        return Route(
            (Pickup(0, v["departure_airport"], v["departure_time"]), *self._later_pickups(row)),
            tuple(Drop(i, a, arrivals.get(a)) for i, a in enumerate(v["stops"], 1)),
        )

    def plan(self, rows: Sequence[Row], errors: ErrorSink) -> list[Outcome]:
        outcomes: list[Outcome] = []
        self.inserts: list[tuple[str, dict[str, Any], tuple[str, ...]]] = []
        self.updates: list[tuple[str, int, int, dict[str, Any], tuple[str, ...], dict[str, list[Any]]]] = []
        #: flight code -> the later pickups to write (rows of a file with the ``pickups`` column)
        self.new_pickups: dict[str, tuple[tuple[str, datetime], ...]] = {}
        #: every airport the file names (dataset airports among them are copied in by ``apply``)
        self.airports_used: set[str] = set()
        with_pickups = "pickups" in self.file_columns
        for row in rows:
            v = row.values
            code = v["flight_id"]
            new = {name: v[name] for name in COMPARED if name != "departure_utc"}
            new["departure_utc"] = v["departure_time"]
            new["stops"] = ";".join(v["stops"])
            pickups = v.get("pickups") or ()
            self.airports_used.update([v["departure_airport"], *v["stops"], *(a for a, _t in pickups)])
            if with_pickups:
                self.new_pickups[code] = pickups
                text = pickups_text(Pickup(i, a, t) for i, (a, t) in enumerate(pickups, 1))
                if text or code in self.existing:
                    new["pickups"] = text
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
                    f"flight {code} has {'an' if self.locked[fid][0] in 'AEIOU' else 'a'} {self.locked[fid]} manifest "
                    "and cannot be changed by import "
                    f"(would change {', '.join(sorted(changes))})",
                )
            if "pickups" in changes:
                for problem in pickup_change_problems(
                    self.uow, fid, [p.airport for p in self.pickups[fid]], [a for a, _t in pickups]
                ):
                    errors.add(row.line, "pickups", f"flight {code}: {problem}")
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
        self.catalog.ensure_in_database(self.uow, self.actor, self.airports_used)
        for code, new, stops in self.inserts:
            flight = Flight(code=code, **{k: new[k] for k in COMPARED})
            session.add(flight)
            session.flush()
            assert flight.id is not None
            session.execute(
                sa.insert(stop_table),
                [{"flight_id": flight.id, "sequence": i, "airport": a} for i, a in enumerate(stops, 1)],
            )
            if self.new_pickups.get(code):
                write_pickups(self.uow, flight.id, self.new_pickups[code])
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
            if "pickups" in changes:
                write_pickups(self.uow, fid, self.new_pickups[code])
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
