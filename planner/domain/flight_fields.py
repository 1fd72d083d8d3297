"""A flight's fields that both the flight schedule import and the flight editor set.

The import (:mod:`planner.services.imports.flights`) and the editor
(:func:`planner.services.flights.save_flight`) parse codes and capacities with these parsers and
compare (and audit) the same ``FLIGHT_FIELDS``.
"""

from __future__ import annotations

from planner.domain import fields as f

#: A flight's own columns that an import or the editor sets, in audit order (the import adds
#: ``status``, the editor ``stops``).
FLIGHT_FIELDS: tuple[str, ...] = (
    "carrier",
    "aircraft",
    "departure_airport",
    "departure_utc",
    "seats",
    "escort_officers",
    "medical_slots",
    "wheelchair_slots",
)
#: Capacity ranges of a flight.
SEATS = f.integer(0, 1000)
ESCORTS = f.integer(0, 2000)
SLOTS = f.integer(0, 1000)
FLIGHT_CODE = f.code(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", "a flight id (letters, digits, _ . -)")
