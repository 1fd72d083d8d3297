"""The audit chain: append-only at the database level, and any edit, removal or reordering is detected."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.persistence import audit
from planner.persistence.audit import GENESIS_HASH, AuditEntry, event_hash, verify_chain
from planner.persistence.context import AppContext
from planner.persistence.db import is_sqlite
from planner.persistence.models import AuditEvent


def _append(ctx: AppContext, n: int, actor: str = "tester") -> None:
    with ctx.uow() as uow:
        audit.record_many(
            uow, [AuditEntry(actor, "thing.update", "thing", str(i), {"x": [i, i + 1]}) for i in range(n)]
        )
        uow.commit()


def _verify(ctx: AppContext) -> audit.ChainReport:
    with ctx.uow(write=False) as uow:
        return verify_chain(uow)


def _drop_triggers(ctx: AppContext) -> None:
    with ctx.engine.begin() as conn:
        if is_sqlite(ctx.engine):
            conn.exec_driver_sql("DROP TRIGGER audit_event_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_event_no_delete")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_event_append_only ON audit_event")


def test_chain_starts_at_genesis_and_links_every_event(ctx: AppContext) -> None:
    _append(ctx, 5)
    with ctx.uow(write=False) as uow:
        events = uow.session.execute(
            sa.select(AuditEvent.id, AuditEvent.prev_hash, AuditEvent.hash).order_by(AuditEvent.id)
        ).all()
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
        assert after.id == before.id + 1
    report = _verify(ctx)
    assert report.ok, report.message
    assert report.events_checked == len(events)


@pytest.mark.parametrize("statement", ["UPDATE audit_event SET actor = 'mallory'", "DELETE FROM audit_event"])
def test_database_refuses_update_and_delete(ctx: AppContext, statement: str) -> None:
    _append(ctx, 2)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), ctx.engine.begin() as conn:
        conn.exec_driver_sql(statement)
    assert _verify(ctx).ok


def test_edited_event_is_named(ctx: AppContext) -> None:
    _append(ctx, 10)
    with ctx.uow(write=False) as uow:
        target = uow.session.execute(
            sa.select(AuditEvent.id).order_by(AuditEvent.id).offset(4).limit(1)
        ).scalar_one()
    _drop_triggers(ctx)
    with ctx.engine.begin() as conn:
        conn.execute(sa.update(AuditEvent).where(AuditEvent.id == target).values(changes_json='{"x":[0,99]}'))
    report = _verify(ctx)
    assert not report.ok
    assert report.first_broken_id == target
    assert f"event {target}" in report.message


def test_removed_event_is_detected(ctx: AppContext) -> None:
    _append(ctx, 6)
    with ctx.uow(write=False) as uow:
        last = uow.session.execute(sa.select(sa.func.max(AuditEvent.id))).scalar_one()
    _drop_triggers(ctx)
    with ctx.engine.begin() as conn:
        conn.execute(sa.delete(AuditEvent).where(AuditEvent.id == last - 2))
    report = _verify(ctx)
    assert not report.ok
    assert report.first_broken_id == last - 1


def test_truncated_tail_is_detected_through_the_head(ctx: AppContext) -> None:
    _append(ctx, 4)
    with ctx.uow(write=False) as uow:
        last = uow.session.execute(sa.select(sa.func.max(AuditEvent.id))).scalar_one()
    _drop_triggers(ctx)
    with ctx.engine.begin() as conn:
        conn.execute(sa.delete(AuditEvent).where(AuditEvent.id == last))
    report = _verify(ctx)
    assert not report.ok
    assert "head" in report.message


def test_reordered_events_are_detected(ctx: AppContext) -> None:
    _append(ctx, 4)
    with ctx.uow(write=False) as uow:
        ids = (
            uow.session.execute(sa.select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(2))
            .scalars()
            .all()
        )
    _drop_triggers(ctx)
    a, b = ids
    with ctx.engine.begin() as conn:  # swap two events' ids
        conn.execute(sa.update(AuditEvent).where(AuditEvent.id == a).values(id=-1))
        conn.execute(sa.update(AuditEvent).where(AuditEvent.id == b).values(id=a))
        conn.execute(sa.update(AuditEvent).where(AuditEvent.id == -1).values(id=b))
    report = _verify(ctx)
    assert not report.ok
    assert report.first_broken_id == b


def test_rolled_back_work_leaves_no_event(ctx: AppContext) -> None:
    before = _verify(ctx).events_checked
    with ctx.uow() as uow:
        audit.record(uow, AuditEntry("tester", "thing.create", "thing", "1"))
        # no commit: the unit of work rolls back
    assert _verify(ctx).events_checked == before
    _append(ctx, 1)
    assert _verify(ctx).ok


@settings(max_examples=50, deadline=None)
@given(
    actor=st.text(min_size=1, max_size=20),
    action=st.text(min_size=1, max_size=20),
    changes=st.dictionaries(st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=8), st.none())),
    field=st.sampled_from(["actor", "action", "entity", "entity_id", "changes_json", "prev_hash"]),
)
def test_hash_covers_every_field(actor: str, action: str, changes: dict, field: str) -> None:
    from datetime import UTC, datetime

    fields = {
        "event_id": 7,
        "occurred_at": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        "actor": actor,
        "action": action,
        "entity": "person",
        "entity_id": "A123456789",
        "changes_json": audit.canonical_json(changes),
        "prev_hash": GENESIS_HASH,
    }
    original = event_hash(**fields)
    fields[field] = fields[field] + "x"
    assert event_hash(**fields) != original
