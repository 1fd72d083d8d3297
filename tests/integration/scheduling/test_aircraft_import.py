"""``import aircraft FILE``: create and update by name with a version bump, audited; every error
line-numbered and nothing written on any error; a dry run writes nothing (both backends)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from planner.domain.errors import PermissionDenied
from planner.persistence.context import AppContext
from planner.persistence.models import Aircraft, AuditEvent
from planner.services.auth import Actor
from planner.services.imports import ImportRejected, import_file

HEADER = "aircraft,seats,cost_per_block_hour,cruise_kmh,available_per_week"
CATALOG = f"{HEADER}\nA320,150,8419,780,4\nB737-800,170,9100,800,3\n"


def import_aircraft(ctx: AppContext, actor: Actor, text: str, *, dry_run: bool = False):
    with ctx.uow() as uow:
        return import_file(uow, actor, "aircraft", text.encode(), name="aircraft.csv", dry_run=dry_run)


def catalog(ctx: AppContext) -> dict[str, tuple]:
    with ctx.uow(write=False) as uow:
        return {
            a.name: (a.seats, a.cost_per_block_hour, a.cruise_kmh, a.available_per_week, a.version)
            for a in uow.session.execute(sa.select(Aircraft)).scalars()
        }


def events(ctx: AppContext, prefix: str) -> list[tuple[str, str, dict]]:
    with ctx.uow(write=False) as uow:
        rows = uow.session.execute(
            sa.select(AuditEvent.action, AuditEvent.entity_id, AuditEvent.changes_json)
            .where(AuditEvent.action.startswith(prefix))
            .order_by(AuditEvent.id)
        ).all()
    return [(action, entity_id, json.loads(changes)) for action, entity_id, changes in rows]


def test_import_creates_then_updates_by_name_with_a_version_bump(ctx: AppContext, admin: Actor) -> None:
    dry = import_aircraft(ctx, admin, CATALOG, dry_run=True)
    assert (dry.new, dry.written) == (2, False)
    assert catalog(ctx) == {}

    report = import_aircraft(ctx, admin, CATALOG)
    assert (report.new, report.updated, report.details["aircraft_created"]) == (2, 0, 2)
    assert catalog(ctx) == {"A320": (150, 8419.0, 780.0, 4, 1), "B737-800": (170, 9100.0, 800.0, 3, 1)}

    again = import_aircraft(ctx, admin, CATALOG)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)

    update = import_aircraft(ctx, admin, f"{HEADER}\nA320,150,8000,780,6\n")
    assert (update.updated, update.unchanged) == (1, 0)
    assert catalog(ctx)["A320"] == (150, 8000.0, 780.0, 6, 2)
    assert catalog(ctx)["B737-800"][-1] == 1  # not named: unchanged
    assert [(a, e) for a, e, _ in events(ctx, "aircraft.")] == [
        ("aircraft.create", "A320"),
        ("aircraft.create", "B737-800"),
        ("aircraft.update", "A320"),
    ]
    assert events(ctx, "aircraft.update")[0][2] == {
        "cost_per_block_hour": [8419.0, 8000.0],
        "available_per_week": [4, 6],
    }
    assert [e for _a, e, _c in events(ctx, "import.aircraft")] == ["aircraft.csv"] * 2


@pytest.mark.parametrize(
    ("row", "column", "text"),
    [
        ("A320,0,8419,780,4", "seats", "outside 1–1000"),
        ("A320,150,0,780,4", "cost_per_block_hour", "more than 0"),
        ("A320,150,abc,780,4", "cost_per_block_hour", "not a number"),
        ("A320,150,8419,5000,4", "cruise_kmh", "outside 100–1200"),
        ("A320,150,8419,780,-1", "available_per_week", "outside 0–100"),
        (",150,8419,780,4", "aircraft", "is required"),
    ],
)
def test_errors_are_line_numbered_and_nothing_is_written(
    ctx: AppContext, admin: Actor, row: str, column: str, text: str
) -> None:
    with pytest.raises(ImportRejected) as caught:
        import_aircraft(ctx, admin, f"{HEADER}\nB737-800,170,9100,800,3\n{row}\n")
    errors = caught.value.report.errors
    assert [(e.line, e.column) for e in errors] == [(3, column)]
    assert text in errors[0].message
    assert catalog(ctx) == {}


def test_a_name_twice_is_an_error_and_only_admins_import(
    ctx: AppContext, admin: Actor, officer: Actor
) -> None:
    with pytest.raises(ImportRejected) as caught:
        import_aircraft(ctx, admin, f"{HEADER}\nA320,150,8419,780,4\nA320,150,8419,780,4\n")
    assert [(e.line, e.column, e.message) for e in caught.value.report.errors] == [
        (3, "aircraft", "duplicate of line 2")
    ]
    with pytest.raises(PermissionDenied):
        import_aircraft(ctx, officer, CATALOG)
    assert catalog(ctx) == {}
