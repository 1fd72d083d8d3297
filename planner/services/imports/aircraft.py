"""Aircraft catalog import (``import aircraft FILE``, issue 17): the aircraft types the office can
charter, created or updated by name::

    aircraft,seats,cost_per_block_hour,cruise_kmh,available_per_week

``aircraft``: a name of at most 50 characters, once per file (names are compared exactly);
``seats``: returnee seats, 1–1000; ``cost_per_block_hour``: more than 0; ``cruise_kmh``: 100–1200;
``available_per_week``: missions the type may fly per week, 0–100 (0: kept in the catalog, never
proposed). Aircraft the file does not name stay as they are. Every error is line-numbered and
nothing is written on any error. Changes are audited ``aircraft.create`` / ``aircraft.update``
with ``{field: [old, new]}`` (entity ``aircraft``, id the name); an update bumps ``version``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import sqlalchemy as sa

from planner.domain import fields as f
from planner.persistence.audit import changed_fields
from planner.persistence.models import Aircraft
from planner.services.imports.framework import Column, ErrorSink, Importer, Outcome, Row
from solver.callbacks import Progress, ShouldStop

ENTITY = "aircraft"
#: The catalog's fields besides the name, in file order.
FIELDS = ("seats", "cost_per_block_hour", "cruise_kmh", "available_per_week")
MAX_SEATS = 1000
MAX_COST_PER_BLOCK_HOUR = 1_000_000.0
MIN_CRUISE_KMH, MAX_CRUISE_KMH = 100.0, 1200.0
MAX_PER_WEEK = 100


def _positive_cost(value: str) -> float:
    number = f.decimal(0.0, MAX_COST_PER_BLOCK_HOUR)(value)
    if number <= 0:
        raise f.FieldError(f"{value} must be more than 0")
    return number


class AircraftImporter(Importer):
    kind = "aircraft"
    preview_columns = ("aircraft",)
    writes = ("aircraft",)

    def load(self) -> None:
        #: name -> (version, stored values)
        self.existing: dict[str, tuple[int, dict[str, Any]]] = {
            row.name: (int(row.version), {k: getattr(row, k) for k in FIELDS})
            for row in self.session.execute(sa.select(Aircraft)).scalars()
        }

    def columns(self) -> Sequence[Column]:
        return (
            Column("aircraft", max_length=50),
            Column("seats", f.integer(1, MAX_SEATS)),
            Column("cost_per_block_hour", _positive_cost),
            Column("cruise_kmh", f.decimal(MIN_CRUISE_KMH, MAX_CRUISE_KMH)),
            Column("available_per_week", f.integer(0, MAX_PER_WEEK)),
        )

    def unique_key(self, row: Row) -> tuple[str, Hashable]:
        return "aircraft", row.values["aircraft"]

    def plan(self, rows: Sequence[Row], errors: ErrorSink) -> list[Outcome]:
        outcomes: list[Outcome] = []
        #: (name, new values, changes, version or None for a new type)
        self.changes: list[tuple[str, dict[str, Any], dict[str, list[Any]], int | None]] = []
        for row in rows:
            name = row.values["aircraft"]
            new = {k: row.values[k] for k in FIELDS}
            version, old = self.existing.get(name, (None, {}))
            changes = changed_fields(old, new)
            if not changes:
                outcomes.append("unchanged")
                continue
            self.changes.append((name, new, changes, version))
            outcomes.append("new" if version is None else "updated")
        self.details = {
            "aircraft_created": sum(1 for *_, version in self.changes if version is None),
            "aircraft_updated": sum(1 for *_, version in self.changes if version is not None),
        }
        return outcomes

    def apply(self, progress: Progress, should_stop: ShouldStop) -> None:
        for name, new, changes, version in self.changes:
            if version is None:
                self.session.add(Aircraft(name=name, version=1, **new))
                self.event("aircraft.create", ENTITY, name, changed_fields({}, {"aircraft": name, **new}))
                continue
            self.session.execute(
                sa.update(Aircraft)
                .where(Aircraft.name == name, Aircraft.version == version)
                .values(version=version + 1, **new)
            )
            self.event("aircraft.update", ENTITY, name, changes)
        self.session.flush()
        progress(1.0, "aircraft written")
