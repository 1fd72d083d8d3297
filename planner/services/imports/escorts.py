"""Escort list import: each flight named in the file gets exactly the file's list (all or nothing).

One row per person, in list order per flight: ``flight_id, role, family_name, given_names, sex,
date_of_birth, nationality, document_type, document_number, document_expires, issuing_country``.
``role`` is ESCORT, CREW or MEDICAL; ``given_names`` may be empty (a single name). The rows of a
flight replace its whole escort list (``sequence`` 1, 2, … in file order); flights not in the file
keep theirs. A flight whose list is exactly the file's counts its rows unchanged; otherwise the
list is rewritten and each row counts as updated (its document number was on the old list) or new.

Rules beyond the field formats:
- the flight exists and has not departed or been cancelled (a departed flight's list is history);
- the document does not expire before the flight's departure date — the later of the local date
  at the departure airport and the UTC date, as rule 6 reads it — and the person was born before it;
- names, numbers and codes have a UNOA form (they go on the PAXLST crew list: checked here, not
  at export);
- a document number appears once per flight.

Audited per changed flight as ``flight.escorts`` (count and names, old -> new).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from planner.domain import fields as f
from planner.domain.eligibility import StopFacts, departure_dates
from planner.domain.enums import DocumentType, FlightStatus, Sex
from planner.domain.escorts import EscortRole
from planner.domain.flight_fields import FLIGHT_CODE
from planner.persistence.models import Airport, Flight, FlightEscort
from planner.services.imports.framework import Column, ErrorSink, Importer, Outcome, Row
from planner.services.manifests.paxlst import PaxlstError, unoa_text
from solver.callbacks import Progress, ShouldStop

#: The stored fields of one escort, in audit and comparison order.
ESCORT_FIELDS = (
    "role",
    "family_name",
    "given_names",
    "sex",
    "date_of_birth",
    "nationality",
    "document_type",
    "document_number",
    "document_expires",
    "issuing_country",
)
DOCUMENT_NUMBER = f.code(r"[A-Za-z0-9]{1,32}", "a document number (letters and digits)")
_CLOSED = {FlightStatus.DEPARTED.value, FlightStatus.CANCELLED.value}


def _upper(parse: f.Parser) -> f.Parser:
    return lambda value: parse(value).upper()


def _latest_departure_date(departure: datetime, zone: str | None) -> date:
    """The later of the departure's UTC date and its local date at the departure airport."""
    utc = departure.astimezone(UTC)
    local = departure_dates(StopFacts(0, 0, "", utc, "", departure_timezone=zone or "UTC"))[1]
    return max(utc.date(), local)


def _entry_text(values: dict[str, Any]) -> str:
    """``ROLE FAMILY, Given (PASSPORT X123)``: one escort in the audit log."""
    given = f", {values['given_names']}" if values["given_names"] else ""
    return f"{values['role']} {values['family_name']}{given} ({values['document_type']} {values['document_number']})"


class EscortsImporter(Importer):
    kind = "escorts"
    preview_columns = ("flight_id", "family_name", "given_names")
    writes = ("flight_escort",)

    def load(self) -> None:
        s = self.session
        #: code -> (id, status, latest calendar date of the departure: local or UTC)
        self.flights: dict[str, tuple[int, str, date]] = {
            code: (fid, status, _latest_departure_date(departure, zone))
            for fid, code, status, departure, zone in s.execute(
                sa.select(Flight.id, Flight.code, Flight.status, Flight.departure_utc, Airport.timezone).join(
                    Airport, Airport.iata == Flight.departure_airport, isouter=True
                )
            )
        }
        self.existing: dict[int, list[dict[str, Any]]] = defaultdict(list)
        table = FlightEscort.__table__
        columns = [table.c[name] for name in ESCORT_FIELDS]
        for row in s.execute(
            sa.select(table.c.flight_id, *columns).order_by(table.c.flight_id, table.c.sequence)
        ):
            self.existing[row[0]].append(dict(zip(ESCORT_FIELDS, row[1:], strict=True)))

    def columns(self) -> Sequence[Column]:
        return (
            Column("flight_id", FLIGHT_CODE, max_length=16),
            Column("role", f.enum(EscortRole), max_length=16),
            Column("family_name"),
            Column("given_names", required=False),
            Column("sex", f.enum(Sex), max_length=1),
            Column("date_of_birth", f.iso_date),
            Column("nationality", f.country),
            Column("document_type", f.enum(DocumentType), max_length=32),
            Column("document_number", _upper(DOCUMENT_NUMBER), max_length=32),
            Column("document_expires", f.iso_date),
            Column("issuing_country", f.country),
        )

    def unique_key(self, row: Row) -> tuple[str, Hashable]:
        return "document_number", (row.values["flight_id"], row.values["document_number"])

    def check_row(self, row: Row, errors: ErrorSink) -> None:
        v = row.values
        v["given_names"] = v["given_names"] or ""
        flight = self.flights.get(v["flight_id"])
        if flight is None:
            errors.add(row.line, "flight_id", f"no flight {v['flight_id']}: import the flight schedule first")
            return
        _fid, status, departs = flight
        if status in _CLOSED:
            errors.add(
                row.line, "flight_id", f"flight {v['flight_id']} is {status}: its escort list cannot change"
            )
        if v["document_expires"] < departs:
            errors.add(
                row.line,
                "document_expires",
                f"the document expires on {v['document_expires']:%Y-%m-%d}, before the flight departs "
                f"on {departs:%Y-%m-%d}",
            )
        if v["date_of_birth"] >= departs:
            errors.add(
                row.line, "date_of_birth", f"{v['date_of_birth']:%Y-%m-%d} is not before the departure"
            )
        for name in ("family_name", "given_names"):
            try:
                unoa_text(v[name], name.replace("_", " "))
            except PaxlstError as exc:
                errors.add(row.line, name, f"{exc}; give the name in Latin letters as in the passport")

    def plan(self, rows: Sequence[Row], errors: ErrorSink) -> list[Outcome]:
        by_flight: dict[str, list[Row]] = defaultdict(list)
        for row in rows:
            by_flight[row.values["flight_id"]].append(row)
        self.replacements: list[tuple[str, int, list[dict[str, Any]]]] = []
        outcome_of: dict[int, Outcome] = {}
        removed = 0
        for code, flight_rows in by_flight.items():
            fid = self.flights[code][0]
            old = self.existing.get(fid, [])
            new = [{name: r.values[name] for name in ESCORT_FIELDS} for r in flight_rows]
            known = {entry["document_number"] for entry in old}
            for r, entry in zip(flight_rows, new, strict=True):
                if old == new:
                    outcome_of[r.line] = "unchanged"
                else:
                    outcome_of[r.line] = "updated" if entry["document_number"] in known else "new"
            if old != new:
                self.replacements.append((code, fid, new))
                removed += max(0, len(old) - len(new))
        self.details = {
            "flights_with_new_lists": len(self.replacements),
            "escorts_removed": removed,
        }
        return [outcome_of[r.line] for r in rows]

    def apply(self, progress: Progress, should_stop: ShouldStop) -> None:
        table = FlightEscort.__table__
        for done, (code, fid, new) in enumerate(self.replacements, start=1):
            old = self.existing.get(fid, [])
            self.session.execute(sa.delete(table).where(table.c.flight_id == fid))
            self.session.execute(
                sa.insert(table),
                [{"flight_id": fid, "sequence": seq, **entry} for seq, entry in enumerate(new, start=1)],
            )
            self.event(
                "flight.escorts",
                "flight",
                code,
                {
                    "escorts": [len(old), len(new)],
                    "list": ["; ".join(_entry_text(e) for e in old), "; ".join(_entry_text(e) for e in new)],
                },
            )
            progress(done / max(1, len(self.replacements)), f"escort list of {code}")
