"""The audit chain written by the database (issue 14).

On PostgreSQL a desk signs in with its own login role (a member of ``charter_officer``): it appends
only through ``charter_audit_append`` and only as itself, cannot write the audit tables, cannot
commit a change to audited data without an event, and a chain the owner rewrote (hashes
recomputed) still fails the server's key. On both backends the chain has one format (the client
recomputes it), a missing head is refused and reported, and the head is protected by triggers.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.domain.errors import PermissionDenied, PlannerError
from planner.entrypoints.cli import main as cli
from planner.persistence import audit, pg_audit
from planner.persistence.audit import HEAD_MISSING_MESSAGE, AuditEntry, event_hash, verify_chain
from planner.persistence.audit_triggers import PROTECTIVE_TRIGGERS
from planner.persistence.context import AppContext
from planner.persistence.db import is_sqlite, make_engine, make_session_factory
from planner.persistence.migrate import alembic_config, upgrade_to_head
from planner.persistence.models import AuditEvent, AuditHead
from planner.persistence.schema_objects import ensure_protective_triggers
from planner.persistence.uow import UnitOfWork
from planner.settings import Settings
from tests.conftest import ADMIN_PASSWORD, PG_URL, _libpq

SUPERUSER_LIBPQ = _libpq(PG_URL)


def _append(ctx: AppContext, n: int, actor: str = "tester") -> None:
    with ctx.uow() as uow:
        audit.record_many(
            uow, [AuditEntry(actor, "thing.update", "thing", str(i), {"i": i}) for i in range(n)]
        )
        uow.commit()


def _verify(ctx: AppContext) -> audit.ChainReport:
    with ctx.uow(write=False) as uow:
        return verify_chain(uow)


class Desk:
    """A person's database login (member of ``charter_officer``) on the test's database."""

    def __init__(self, ctx: AppContext) -> None:
        self.name = f"desk_{uuid.uuid4().hex[:10]}"
        with ctx.engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE ROLE {self.name} LOGIN IN ROLE charter_officer")
        url = ctx.engine.url.set(username=self.name, password=None)
        self.engine = make_engine(url.render_as_string(hide_password=False))
        self.sessions = make_session_factory(self.engine)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    def drop(self, ctx: AppContext) -> None:
        self.engine.dispose()
        with ctx.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {self.name}")
        import psycopg

        with psycopg.connect(SUPERUSER_LIBPQ, autocommit=True) as conn:
            conn.execute(f"DROP ROLE IF EXISTS {self.name}")


@pytest.fixture
def desk(pg_ctx: AppContext) -> Iterator[Desk]:
    with pg_ctx.uow(write=False) as uow:
        assert audit.appends_in_database(uow), "init on PostgreSQL installs pg_audit"
    made = Desk(pg_ctx)
    yield made
    made.drop(pg_ctx)


# --- PostgreSQL: a desk login ---------------------------------------------------------------


def test_desk_appends_through_the_function_as_itself(pg_ctx: AppContext, desk: Desk) -> None:
    with desk.uow() as uow:
        events = audit.record_many(
            uow, [AuditEntry(desk.name, "thing.update", "thing", str(i)) for i in range(3)], returning=True
        )
        uow.commit()
    assert [e.actor for e in events] == [desk.name] * 3
    assert all(e.mac and len(e.mac) == 64 for e in events)
    report = _verify(pg_ctx)
    assert report.ok, report.message
    assert report.keyed_events is not None and report.keyed_events >= 3


def test_mac_is_hmac_sha256_of_the_hash_under_the_server_key(pg_ctx: AppContext) -> None:
    _append(pg_ctx, 2)
    with pg_ctx.engine.connect() as conn:
        inner_pad = bytes(conn.exec_driver_sql("SELECT inner_pad FROM charter_audit.audit_key").scalar_one())
        rows = conn.exec_driver_sql("SELECT hash, mac FROM audit_event ORDER BY id DESC LIMIT 2").all()
    key = bytes(b ^ 0x36 for b in inner_pad)
    for digest, mac in rows:
        assert hmac.new(key, digest.encode(), hashlib.sha256).hexdigest() == mac


def test_desk_cannot_write_events_as_someone_else(desk: Desk) -> None:
    with desk.uow() as uow, pytest.raises(PermissionDenied, match=f"only as {desk.name}"):
        audit.record(uow, AuditEntry("admin", "user.update", "user", "officer"))


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO audit_event (id, occurred_at, actor, action, entity, entity_id, changes_json, "
        "prev_hash, hash) VALUES (100000, now(), 'x', 'x', 'x', '', '{}', 'x', 'x')",
        "UPDATE audit_event SET actor = 'mallory'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
        "UPDATE audit_head SET last_event_id = 1",
        "DELETE FROM audit_head",
        "SELECT * FROM audit_head FOR UPDATE",
        "SELECT * FROM charter_audit.audit_key",
        "ALTER TABLE country_rule DISABLE TRIGGER charter_audit_mark",
        "ALTER TABLE audit_event DISABLE TRIGGER USER",
    ],
)
def test_desk_cannot_touch_the_audit_tables_key_or_triggers(desk: Desk, statement: str) -> None:
    refused = pytest.raises(sa.exc.ProgrammingError, match=r"permission denied|must be owner")
    with refused, desk.engine.begin() as conn:
        conn.exec_driver_sql(statement)


_CHANGE = "UPDATE country_rule SET notice_days = notice_days + 1 WHERE country = (SELECT min(country) FROM country_rule)"


@pytest.mark.parametrize("immediate", [False, True])
def test_desk_cannot_commit_a_change_without_an_audit_event(desk: Desk, immediate: bool) -> None:
    with pytest.raises(sa.exc.DatabaseError, match="without an audit event"), desk.uow() as uow:
        if immediate:
            uow.session.execute(sa.text("SET CONSTRAINTS ALL IMMEDIATE"))
        uow.session.execute(sa.text(_CHANGE))
        uow.commit()


def test_desk_change_with_an_audit_event_commits(pg_ctx: AppContext, desk: Desk) -> None:
    with desk.uow() as uow:
        uow.session.execute(sa.text(_CHANGE))
        audit.record(uow, AuditEntry(desk.name, "country_rule.update", "country_rule", "x"))
        uow.commit()
    assert _verify(pg_ctx).ok


def test_event_rolled_back_to_a_savepoint_does_not_count(desk: Desk) -> None:
    with pytest.raises(sa.exc.DatabaseError, match="without an audit event"), desk.uow() as uow:
        uow.session.execute(sa.text(_CHANGE))
        with uow.session.begin_nested() as nested:
            audit.record(uow, AuditEntry(desk.name, "country_rule.update", "country_rule", "x"))
            nested.rollback()
        uow.commit()


def test_owner_rewrite_with_recomputed_hashes_fails_the_server_key(pg_ctx: AppContext) -> None:
    """The superuser re-attributes an event and recomputes every hash after it and the head: the
    client's recomputation passes, the MAC (key only on the server) does not."""
    _append(pg_ctx, 4)
    with pg_ctx.uow() as uow:
        target = uow.session.execute(sa.select(sa.func.max(AuditEvent.id))).scalar_one() - 2
    with pg_ctx.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER USER")
        conn.exec_driver_sql("ALTER TABLE audit_head DISABLE TRIGGER USER")
        events = conn.execute(
            sa.select(AuditEvent.__table__).where(AuditEvent.id >= target).order_by("id")
        ).all()
        prev = conn.execute(sa.select(AuditEvent.hash).where(AuditEvent.id == target - 1)).scalar_one()
        for event in events:
            actor = "mallory" if event.id == target else event.actor
            digest = event_hash(
                event_id=event.id,
                occurred_at=event.occurred_at,
                actor=actor,
                action=event.action,
                entity=event.entity,
                entity_id=event.entity_id,
                changes_json=event.changes_json,
                prev_hash=prev,
            )
            conn.execute(
                sa.update(AuditEvent)
                .where(AuditEvent.id == event.id)
                .values(actor=actor, prev_hash=prev, hash=digest)
            )
            prev = digest
        conn.execute(sa.update(AuditHead).where(AuditHead.id == 1).values(last_hash=prev))
        conn.exec_driver_sql("ALTER TABLE audit_event ENABLE TRIGGER USER")
        conn.exec_driver_sql("ALTER TABLE audit_head ENABLE TRIGGER USER")
    report = _verify(pg_ctx)
    assert not report.ok
    assert report.first_broken_id == target
    assert "key" in report.message


def test_install_is_idempotent_and_keeps_the_key(pg_ctx: AppContext) -> None:
    query = "SELECT inner_pad FROM charter_audit.audit_key"
    with pg_ctx.engine.connect() as conn:
        before = conn.exec_driver_sql(query).scalar_one()
    with pg_ctx.engine.begin() as conn:
        pg_audit.install(conn)
    with pg_ctx.engine.connect() as conn:
        assert conn.exec_driver_sql(query).scalar_one() == before
    _append(pg_ctx, 1)
    assert _verify(pg_ctx).ok


# --- both backends --------------------------------------------------------------------------

_texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    entries=st.lists(
        st.builds(
            AuditEntry,
            actor=_texts.filter(bool),
            action=_texts,
            entity=_texts,
            entity_id=_texts,
            changes=st.dictionaries(_texts, st.one_of(st.integers(), _texts, st.none()), max_size=3),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_client_recomputes_the_chain_whoever_wrote_it(ctx: AppContext, entries: list[AuditEntry]) -> None:
    """Any text (accents, Han, emoji, bidi marks) hashes the same on the server and the client."""
    with ctx.uow() as uow:
        written = audit.record_many(uow, entries, returning=True)
        uow.commit()
    assert [(e.actor, e.action, e.entity, e.entity_id) for e in written] == [
        (e.actor, e.action, e.entity, e.entity_id) for e in entries
    ]
    report = _verify(ctx)
    assert report.ok, report.message


def _remove_head(ctx: AppContext) -> None:
    """As the file's or database's owner would: drop the head's protection, delete the row."""
    with ctx.engine.begin() as conn:
        if is_sqlite(ctx.engine):
            conn.exec_driver_sql("DROP TRIGGER audit_head_no_delete")
        else:
            conn.exec_driver_sql("ALTER TABLE audit_head DISABLE TRIGGER USER")
        conn.exec_driver_sql("DELETE FROM audit_head")


def test_missing_head_refuses_appending_and_breaks_verify(ctx: AppContext) -> None:
    _append(ctx, 2)
    _remove_head(ctx)
    with ctx.uow() as uow, pytest.raises(PlannerError) as refused:
        audit.record(uow, AuditEntry("tester", "thing.update", "thing", "1"))
    assert str(refused.value) == HEAD_MISSING_MESSAGE
    report = _verify(ctx)
    assert not report.ok
    assert report.message == HEAD_MISSING_MESSAGE
    assert report.first_broken_id == report.events_checked + 1


def test_missing_head_is_one_line_from_the_command_line(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _remove_head(ctx)
    monkeypatch.setenv("CHARTER_USER", "admin")
    monkeypatch.setenv("CHARTER_PASSWORD", ADMIN_PASSWORD)
    code = cli.run(["--db", ctx.settings.db, "audit", "verify"])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert len(err.splitlines()) == 1
    assert "the audit head is missing" in err


def test_head_cannot_be_deleted_or_pointed_elsewhere(ctx: AppContext) -> None:
    _append(ctx, 3)
    for statement in (
        "DELETE FROM audit_head",
        "UPDATE audit_head SET last_event_id = last_event_id - 1",
        "UPDATE audit_head SET last_hash = 'x'",
        "INSERT INTO audit_head (id, last_event_id, last_hash) VALUES (2, 0, 'x')",
    ):
        with pytest.raises(sa.exc.DatabaseError, match="audit head"), ctx.engine.begin() as conn:
            conn.exec_driver_sql(statement)
    assert _verify(ctx).ok


def test_sqlite_event_must_follow_the_head(sqlite_ctx: AppContext) -> None:
    _append(sqlite_ctx, 2)
    with sqlite_ctx.engine.connect() as conn:
        last_id, last_hash = conn.exec_driver_sql("SELECT last_event_id, last_hash FROM audit_head").one()
    insert = (
        "INSERT INTO audit_event (id, occurred_at, actor, action, entity, entity_id, changes_json, "
        "prev_hash, hash) VALUES (?, '2026-01-01 00:00:00', 'x', 'x', 'x', '', '{}', ?, ?)"
    )
    for event_id, prev in ((last_id + 2, last_hash), (last_id + 1, "f" * 64)):
        with (
            pytest.raises(sa.exc.DatabaseError, match="follow the newest audit event"),
            sqlite_ctx.engine.begin() as conn,
        ):
            conn.exec_driver_sql(insert, (event_id, prev, uuid.uuid4().hex))
    assert _verify(sqlite_ctx).ok


def test_dropped_protective_triggers_are_recreated(sqlite_ctx: AppContext) -> None:
    with sqlite_ctx.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_head_update_follows_chain")
        conn.exec_driver_sql("DROP TRIGGER audit_event_no_delete")
    assert set(ensure_protective_triggers(sqlite_ctx.engine)) == {
        "audit_head_update_follows_chain",
        "audit_event_no_delete",
    }
    with sqlite_ctx.engine.connect() as conn:
        names = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars())
    assert PROTECTIVE_TRIGGERS["sqlite"] <= names
    _append(sqlite_ctx, 1)
    assert _verify(sqlite_ctx).ok


@pytest.mark.parametrize("with_events", [True, False])
@pytest.mark.parametrize(
    "backend_settings", ["sqlite_settings", pytest.param("pg_settings", marks=pytest.mark.postgres)]
)
def test_migration_makes_the_head_of_an_existing_chain(
    request: pytest.FixtureRequest, backend_settings: str, with_events: bool
) -> None:
    from alembic import command

    database: Settings = request.getfixturevalue(backend_settings)
    engine = make_engine(database.database)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0008")
            conn.exec_driver_sql("DELETE FROM audit_head")
            prev = audit.GENESIS_HASH
            if with_events:
                when = audit.utc_now()
                for event_id in (1, 2):
                    digest = event_hash(
                        event_id=event_id,
                        occurred_at=when,
                        actor="old",
                        action="thing.update",
                        entity="thing",
                        entity_id="",
                        changes_json="{}",
                        prev_hash=prev,
                    )
                    conn.execute(
                        sa.insert(AuditEvent.__table__).values(
                            id=event_id,
                            occurred_at=when,
                            actor="old",
                            action="thing.update",
                            entity="thing",
                            entity_id="",
                            changes_json="{}",
                            prev_hash=prev,
                            hash=digest,
                        )
                    )
                    prev = digest
        upgrade_to_head(engine)
        with engine.connect() as conn:
            head = conn.exec_driver_sql("SELECT id, last_event_id, last_hash FROM audit_head").all()
        assert [tuple(h) for h in head] == [(1, 2 if with_events else 0, prev)]
        with UnitOfWork(make_session_factory(engine), write=False) as uow:
            assert verify_chain(uow).ok
    finally:
        engine.dispose()
