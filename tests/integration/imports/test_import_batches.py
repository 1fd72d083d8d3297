"""Imports write in multi-row statements (issue 18): the data and the audit events are those of
writing one row per statement, and a parser's remembered values never hide an error."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from planner.persistence import audit, bulk
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, NationalityVerification, Person, TravelDocument
from planner.services.auth import Actor
from planner.services.imports import ImportRejected
from tests.conftest import ContextMaker
from tests.integration.imports import synth
from tests.integration.imports.conftest import do_import, snapshot

ROWS = 150


def _files() -> list[tuple[str, bytes]]:
    people = synth.roster_rows(ROWS)
    for i, person in enumerate(people):
        if i % 10 == 0:
            person.update(family_group=f"G{i // 30}", nationality="MEX")
        if i % 13 == 0:
            person.update(legal_hold="court order", hold_until="2031-01-01")
    changed = [
        {**p, "priority": "1", "place_of_birth": "Zürich"} if i % 3 else p for i, p in enumerate(people)
    ]
    verifications = synth.verification_rows(people)
    later = [  # new answers (the changed document audited with them), and changed documents alone
        {**v, "document_expires": "2034-01-01", "verified_on": "2025-07-01"}
        if i % 4 == 0
        else {**v, "document_expires": "2035-01-01"}
        if i % 4 == 1
        else v
        for i, v in enumerate(verifications)
    ]
    return [
        ("facilities", synth.facilities_csv().encode()),
        ("roster", synth.to_csv(synth.ROSTER_HEADER, people).encode()),
        ("verification", synth.to_csv(synth.VERIFICATION_HEADER, verifications).encode("gb18030")),
        ("roster", synth.to_csv(synth.ROSTER_HEADER, changed).encode()),
        ("verification", synth.to_csv(synth.VERIFICATION_HEADER, later).encode("gb18030")),
    ]


def _written(ctx: AppContext) -> dict[str, list[tuple]]:
    """What the imports wrote, without the times of writing (and the hashes that include them)."""
    with ctx.uow(write=False) as uow:
        s = uow.session

        def rows(table: sa.Table, skip: tuple[str, ...] = ()) -> list[tuple]:
            columns = [c for c in table.c if c.name not in skip]
            return [tuple(row) for row in s.execute(sa.select(*columns).order_by(table.c.id))]

        times = ("created_at", "updated_at", "imported_at", "occurred_at", "prev_hash", "hash", "mac")
        return {
            "person": rows(Person.__table__, times),
            "travel_document": rows(TravelDocument.__table__),
            "verification": rows(NationalityVerification.__table__, times),
            "audit": rows(AuditEvent.__table__, times),
        }


def test_multi_row_statements_write_what_one_row_per_statement_writes(
    contexts: ContextMaker, backend: str, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = []
    for most_values in (bulk.SQLITE_MAX_PARAMETERS, 30):  # 30 values: one person row a statement
        monkeypatch.setattr(bulk, "SQLITE_MAX_PARAMETERS", most_values)
        ctx = contexts.make(backend)
        for kind, data in _files():
            do_import(ctx, admin, kind, data)
        with ctx.uow(write=False) as uow:
            assert audit.verify_chain(uow).ok
        written.append(_written(ctx))
    assert len(written[0]["person"]) == ROWS and len(written[0]["verification"]) > ROWS
    actions = {event[2] for event in written[0]["audit"]}  # (id, actor, action, …)
    assert actions >= {"person.create", "person.update", "verification.create", "travel_document.update"}
    assert written[0] == written[1]


def test_a_repeated_bad_value_is_an_error_on_every_line(ctx: AppContext, admin: Actor) -> None:
    do_import(ctx, admin, "facilities", synth.facilities_csv().encode())
    people = synth.roster_rows(6)
    for line in (2, 4, 6):  # the same text on three lines: parsed (and refused) each time
        people[line - 2].update(date_of_birth="1990-02-30", sex="Q")
    before = snapshot(ctx)
    with pytest.raises(ImportRejected) as error:
        do_import(ctx, admin, "roster", synth.to_csv(synth.ROSTER_HEADER, people).encode())
    assert snapshot(ctx) == before
    assert [(e.line, e.column) for e in error.value.report.errors] == [
        (line, column) for line in (2, 4, 6) for column in ("sex", "date_of_birth")
    ]
    assert {e.message for e in error.value.report.errors if e.column == "date_of_birth"} == {
        "'1990-02-30' is not a calendar date"
    }
