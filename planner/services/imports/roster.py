"""Roster import: people inserted or updated by case number.

Rules beyond the field formats (docs/design.md, "CSV files"):
- ``facility_code`` must name a facility in the database (import facilities first); empty means
  no facility. ``date_of_birth`` is not in the future; ``order_date`` is not before birth;
  ``hold_until`` needs a ``legal_hold`` reason.
- Family groups: every member of a group has the same nationality — counting members already in
  the database that the file does not mention — because a family travels to one stop or not at
  all, and a mixed group could never be placed. Members may be held in different facilities.
- Each case number appears once per file. Changed fields are audited old -> new
  (``person.create`` / ``person.update``, the facility by its code).
- Names go on manifests and API messages (PAXLST, UNOA character set): a ``family_name`` /
  ``given_names`` in Han script is stored in Latin as Hanyu Pinyin
  (:func:`planner.domain.names.latin_transliteration`), the Han original as ``native_name`` when
  that is empty, with a line-numbered warning in the report; a name that still has no Latin (UNOA)
  form, e.g. in Thai script, is a line-numbered error.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

from planner.domain import fields as f
from planner.domain.enums import OrderStatus, Sex
from planner.domain.names import has_han, latin_transliteration, unoa_problem
from planner.domain.person_fields import (
    CUSTODY_STATUS,
    FAMILY_GROUP,
    HOLD_UNTIL,
    HOLD_WITHOUT_REASON,
    LEGAL_HOLD,
    MEDICAL_NEED,
    PRIORITY,
    RISK_LEVEL,
    mixed_family_message,
)
from planner.persistence.audit import changed_fields
from planner.persistence.bulk import bulk_insert, bulk_update
from planner.persistence.models import Facility, Person, utc_now
from planner.services.imports.framework import (
    Column,
    ErrorSink,
    Importer,
    Outcome,
    Row,
)
from solver.callbacks import Progress, ShouldStop

#: Person attributes compared and audited (the facility as ``facility_code``).
PERSON_FIELDS = (
    "case_number",
    "family_name",
    "given_names",
    "native_name",
    "sex",
    "date_of_birth",
    "place_of_birth",
    "nationality",
    "facility_code",
    "risk_level",
    "medical_need",
    "family_group",
    "order_status",
    "order_date",
    "legal_hold_reason",
    "hold_until",
    "priority",
    "custody_status",
)
_TEXT_DEFAULT_EMPTY = ("given_names", "native_name", "place_of_birth")

# The columns of the fields an officer may also change one person at a time live in
# ``planner.domain.person_fields`` (``planner.services.people.update_person`` parses with them).


class RosterImporter(Importer):
    kind = "roster"
    preview_columns = ("case_number", "family_name", "given_names", "native_name")
    writes = ("person",)

    def load(self) -> None:
        self.today = date.today()
        connection = self.session.connection()  # Core rows: no ORM work per row
        facilities = connection.execute(sa.select(Facility.code, Facility.id)).all()
        self.facility_ids: dict[str, int] = {code: fid for code, fid in facilities}
        facility_codes = {fid: code for code, fid in facilities}
        table = Person.__table__
        columns = [table.c[name] for name in PERSON_FIELDS if name != "facility_code"]
        query = sa.select(table.c.id, table.c.version, table.c.facility_id, *columns)
        #: case number -> (id, version, comparable fields)
        self.existing: dict[str, tuple[int, int, dict[str, Any]]] = {}
        for row in connection.execute(query).mappings():
            values = {name: row[name] for name in PERSON_FIELDS if name != "facility_code"}
            values["facility_code"] = facility_codes.get(row["facility_id"])
            self.existing[row["case_number"]] = (row["id"], row["version"], values)

    def columns(self) -> Sequence[Column]:
        return (
            Column("case_number", f.case_number, max_length=10),
            Column("family_name"),
            Column("given_names", required=False),
            Column("native_name", required=False),
            Column("sex", f.enum(Sex)),
            Column("date_of_birth", f.iso_date),
            Column("place_of_birth", required=False),
            Column("nationality", f.country),
            Column("facility_code", self._facility, required=False, max_length=16),
            RISK_LEVEL,
            MEDICAL_NEED,
            FAMILY_GROUP,
            Column("order_status", f.enum(OrderStatus)),
            Column("order_date", f.iso_date, required=False),
            LEGAL_HOLD,
            HOLD_UNTIL,
            PRIORITY,
            CUSTODY_STATUS,
        )

    def _facility(self, value: str) -> str:
        if value not in self.facility_ids:
            raise f.FieldError(f"facility {f.show(value)} is not in the database (import facilities first)")
        return value

    def unique_key(self, row: Row) -> tuple[str, Hashable]:
        return "case_number", row.values["case_number"]

    def check_row(self, row: Row, errors: ErrorSink) -> None:
        v = row.values
        if v["date_of_birth"] > self.today:
            errors.add(row.line, "date_of_birth", f"{v['date_of_birth']} is in the future")
        if v["order_date"] is not None and v["order_date"] < v["date_of_birth"]:
            errors.add(
                row.line, "order_date", f"{v['order_date']} is before the date of birth {v['date_of_birth']}"
            )
        if v["hold_until"] is not None and v["legal_hold"] is None:
            errors.add(row.line, "hold_until", HOLD_WITHOUT_REASON)
        self._latin_names(row, errors)

    def _latin_names(self, row: Row, errors: ErrorSink) -> None:
        """Han names to pinyin (the original kept as the native name), with a warning; names with
        no UNOA form are errors (see the module doc)."""
        v = row.values
        family, given = v["family_name"], v["given_names"] or ""
        if has_han(family) or has_han(given):
            latin_family = latin_transliteration(family, family_name=True)
            latin_given = latin_transliteration(given)
            latin = f"{latin_family} {latin_given}".strip()
            original = f"{family} {given}".strip()
            if v["native_name"]:
                kept = f"(native name {v['native_name']} kept)"
            else:
                v["native_name"] = family + given if has_han(family) and has_han(given) else original
                kept = "(also stored as native name)"
            v["family_name"], v["given_names"] = latin_family, latin_given
            self.warnings.append(
                f"line {row.line}: Han name {original} written in Latin as {latin} (Hanyu Pinyin) {kept}"
            )
        for column in ("family_name", "given_names"):
            bad = unoa_problem(v[column] or "")
            if bad is not None:
                errors.add(
                    row.line,
                    column,
                    f"{f.show(v[column])} has characters with no Latin (UNOA) form for manifests and "
                    f"PAXLST: {bad}; give the name in Latin script as on the travel document "
                    "(the original goes in native_name)",
                )

    def check_rows(self, rows: Sequence[Row], errors: ErrorSink) -> None:
        groups: dict[str, list[Row]] = defaultdict(list)
        for row in rows:
            if row.values["family_group"] is not None:
                groups[row.values["family_group"]].append(row)
        if not groups:
            return
        in_file = {row.values["case_number"] for row in rows}
        outside: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for case, (_id, _version, values) in self.existing.items():
            group = values["family_group"]
            if group in groups and case not in in_file:
                outside[group].append((case, values["nationality"]))
        for group, members in groups.items():
            by_nationality: dict[str, list[str]] = defaultdict(list)
            for row in members:
                by_nationality[row.values["nationality"]].append(f"line {row.line}")
            for case, nationality in outside[group]:
                by_nationality[nationality].append(f"{case} in the database")
            if len(by_nationality) > 1:
                message = mixed_family_message(group, by_nationality)
                for row in members:
                    errors.add(row.line, "family_group", message)

    @staticmethod
    def _person_values(row: Row) -> dict[str, Any]:
        v = row.values
        values = {name: v.get(name) for name in PERSON_FIELDS}
        values["legal_hold_reason"] = v["legal_hold"]
        for name in _TEXT_DEFAULT_EMPTY:
            values[name] = values[name] or ""
        return values

    def plan(self, rows: Sequence[Row], errors: ErrorSink) -> list[Outcome]:
        outcomes: list[Outcome] = []
        self.inserts: list[dict[str, Any]] = []
        self.updates: list[tuple[int, int, dict[str, Any], dict[str, list[Any]]]] = []
        for row in rows:
            new = self._person_values(row)
            existing = self.existing.get(new["case_number"])
            if existing is None:
                self.inserts.append(new)
                outcomes.append("new")
                continue
            person_id, version, old = existing
            changes = changed_fields(old, new)
            if changes:
                self.updates.append((person_id, version, new, changes))
                outcomes.append("updated")
            else:
                outcomes.append("unchanged")
        self.details = {"people_created": len(self.inserts), "people_updated": len(self.updates)}
        return outcomes

    def _db_values(self, values: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
        """``values`` as the person table's columns (the facility by id), then ``extra``."""
        out = dict(values)
        code = out.pop("facility_code")
        out["facility_id"] = self.facility_ids[code] if code is not None else None
        out.update(extra)
        return out

    def apply(self, progress: Progress, should_stop: ShouldStop) -> None:
        now = utc_now()
        created = {"created_at": now, "updated_at": now, "version": 1}
        inserts = [self._db_values(v, created) for v in self.inserts]
        self.execute_batches(
            lambda batch: bulk_insert(self.session, Person.__table__, batch),
            inserts,
            lambda x, m: progress(0.6 * x, m),
            should_stop,
            "adding people",
        )
        updates = [
            self._db_values(v, {"id": pid, "version": version + 1, "updated_at": now})
            for pid, version, v, _changes in self.updates
        ]
        self.execute_batches(
            lambda batch: bulk_update(self.session, Person.__table__, batch, guard_version=True),
            updates,
            lambda x, m: progress(0.6 + 0.4 * x, m),
            should_stop,
            "updating people",
        )
        for values in self.inserts:
            self.event("person.create", "person", values["case_number"], changed_fields({}, values))
        for _pid, _version, values, changes in self.updates:
            self.event("person.update", "person", values["case_number"], changes)
